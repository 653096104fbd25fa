// Package sound plays the kiosk's cues: a short tone per verdict and, for
// elderly mode, spoken prompts in Chinese and English. The cues are WAV
// files embedded from cues/ (mono, 8-bit, 11025 Hz, about 400 KB in all),
// made once by scripts/sounds.sh with sox and espeak-ng and committed.
//
// A Player plays through an external program found at Open (paplay,
// aplay or pw-play), one cue at a time on its own goroutine: Play returns
// at once, and a cue that arrives while two wait is dropped, so sound
// never holds up the screen or the pipeline, and a burst of decisions
// does not leave the kiosk talking for a minute.
//
// # Caveats
//
// A kiosk without a player program, or whose players all fail (no audio
// device, as on servers and under Xvfb), is silent: Open does not fail,
// and the Player logs once that the sounds are off.
package sound

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

//go:embed cues
var cues embed.FS

// DefaultPlayers are the programs Open looks for, in order; each is given
// a WAV file's path after its arguments.
var DefaultPlayers = [][]string{{"paplay"}, {"aplay", "-q"}, {"pw-play"}}

// Defaults of the Options fields left zero.
const (
	DefaultQueue   = 2
	DefaultTimeout = 10 * time.Second
)

// giveUp is how many cues in a row no player could play before the
// Player goes silent.
const giveUp = 3

// Options configures Open; nil means the defaults.
type Options struct {
	// Players are the commands tried in turn. Nil: DefaultPlayers found
	// on PATH.
	Players [][]string
	// Queue bounds the cues waiting to play. Zero: DefaultQueue.
	Queue int
	// Timeout bounds one cue's player. Zero: DefaultTimeout.
	Timeout time.Duration
	// Logger is told when the sounds go off. Nil: slog.Default().
	Logger *slog.Logger
}

// Names returns the names of the cues, such as "pass" and
// "voice/zh-CN/deny".
func Names() []string {
	var names []string
	fs.WalkDir(cues, "cues", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(path, "cues/"), ".wav"))
		}
		return nil
	})
	return names
}

// Player plays cues in the background. Its methods may be called from any
// goroutine.
type Player struct {
	opts    Options
	dir     string // the cues as files, for the player programs
	players [][]string
	queue   chan string
	cancel  context.CancelFunc
	done    chan struct{}
	failed  int // cues in a row no player could play; run's own

	mu     sync.Mutex
	silent bool
	closed bool
}

// Open writes the cues to a temporary directory and starts the player. It
// fails only when the files cannot be written.
func Open(opts *Options) (*Player, error) {
	p := &Player{done: make(chan struct{})}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Logger == nil {
		p.opts.Logger = slog.Default()
	}
	p.opts.Queue = max(p.opts.Queue, 0)
	if p.opts.Queue == 0 {
		p.opts.Queue = DefaultQueue
	}
	if p.opts.Timeout <= 0 {
		p.opts.Timeout = DefaultTimeout
	}
	p.players = p.opts.Players
	if p.players == nil {
		for _, cmd := range DefaultPlayers {
			if _, err := exec.LookPath(cmd[0]); err == nil {
				p.players = append(p.players, cmd)
			}
		}
	}
	dir, err := os.MkdirTemp("", "fuscan-sound-")
	if err != nil {
		return nil, errors.New("sound: " + err.Error())
	}
	p.dir = dir
	if err := os.CopyFS(dir, mustSub(cues, "cues")); err != nil {
		os.RemoveAll(dir)
		return nil, errors.New("sound: " + err.Error())
	}
	if len(p.players) == 0 {
		p.opts.Logger.Info("sound: no player program (paplay, aplay, pw-play): the kiosk is silent")
		p.silent = true
	}
	p.queue = make(chan string, p.opts.Queue)
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	go p.run(ctx)
	return p, nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return sub
}

// Has reports whether there is a cue called name.
func Has(name string) bool {
	_, err := fs.Stat(cues, "cues/"+name+".wav")
	return err == nil
}

// Play queues the cue called name and returns at once. An unknown name,
// a full queue, a silent or a closed Player drop it.
func (p *Player) Play(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent || p.closed || !Has(name) {
		return
	}
	select {
	case p.queue <- name:
	default: // busy: a cue that comes late is worse than none
	}
}

// Silent reports whether the Player has given up: no player program, or
// none could play.
func (p *Player) Silent() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.silent
}

func (p *Player) run(ctx context.Context) {
	defer close(p.done)
	for name := range p.queue {
		if ctx.Err() == nil { // closing: drain
			p.attempt(ctx, name)
		}
	}
}

// attempt plays name, and makes the Player silent once giveUp cues in a
// row could not be played. Only run calls it (and tests, while nothing
// is queued).
func (p *Player) attempt(ctx context.Context, name string) {
	if p.play(ctx, name) {
		p.failed = 0
		return
	}
	if p.failed++; p.failed == giveUp {
		p.mu.Lock()
		p.silent = true
		p.mu.Unlock()
		p.opts.Logger.Info("sound: no player could play a cue (no audio device?): the kiosk is silent", "players", len(p.players))
	}
}

// play plays name with the first player that works, moving that one to
// the front.
func (p *Player) play(ctx context.Context, name string) bool {
	path := filepath.Join(p.dir, filepath.FromSlash(name)+".wav")
	for i, player := range p.players {
		ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		cmd := exec.CommandContext(ctx, player[0], append(player[1:], path)...)
		err := cmd.Run()
		cancel()
		if err == nil {
			if i > 0 {
				p.players[0], p.players[i] = p.players[i], p.players[0]
			}
			return true
		}
		p.opts.Logger.Debug("sound: player failed", "player", player[0], "cue", name, "err", err)
	}
	return false
}

// Close stops the cue playing, drops those waiting and removes the files.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.queue)
	p.mu.Unlock()
	p.cancel()
	<-p.done
	return os.RemoveAll(p.dir)
}
