package ui

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/fuscan/fuscan/terminal"
)

// Defaults of the Options fields left zero.
const (
	DefaultResultTime    = 3 * time.Second
	DefaultMinResultTime = 1200 * time.Millisecond
	DefaultTrustWarnAge  = 7 * 24 * time.Hour
	// MaxQueue bounds the decisions waiting for the screen: the 13
	// relatives' codes one account may hold, and the holder's own.
	MaxQueue = 14
)

// hintTime is how long a hint stays on the scan screen.
const hintTime = 2500 * time.Millisecond

// Options configures a Kiosk. The zero value is a working kiosk in
// Chinese, without admin panel, sound or preview.
type Options struct {
	// Language is a tag of Languages(). Empty or unknown: DefaultLanguage.
	Language string
	// Elderly starts in elderly mode (关怀模式): text 1.5 times larger,
	// results held twice as long, spoken prompts.
	Elderly bool
	// ResultTime is how long a result stays when no other code follows.
	// Zero: DefaultResultTime.
	ResultTime time.Duration
	// MinResultTime is how long a result stays at least when the next
	// code is already waiting (relatives' codes in a burst). Zero:
	// DefaultMinResultTime.
	MinResultTime time.Duration
	// Preview starts with the camera preview on.
	Preview bool
	// HideCursor hides the mouse pointer over the kiosk (kiosk mode).
	HideCursor bool
	// TrustWarnAge is the age past which the status bar shows the trust
	// data or revocation list in amber. Zero: DefaultTrustWarnAge.
	TrustWarnAge time.Duration
	// CheckPIN reports whether pin opens the admin panel. Nil: the panel
	// stays locked.
	CheckPIN func(pin string) bool
	// Actions are what the admin panel can do. Nil: its buttons report
	// that they are not available.
	Actions Actions
	// Sound plays the cues and spoken prompts. Nil: silence.
	Sound Sound
	// Now is the clock of the status bar's ages. Nil: time.Now.
	Now func() time.Time
	// Logger receives what the screen cannot say. Nil: slog.Default().
	Logger *slog.Logger
}

// Actions are the admin panel's commands, run by cmd/fuscan. Each may
// take a moment; none is called from the pipeline.
type Actions interface {
	// SyncNow asks the link to send the backlog to the hub at once.
	SyncNow() error
	// ExportCSV writes the scan log, masked fields only, as a CSV file
	// in dir, and returns its path and the records written.
	ExportCSV(dir string) (path string, records int, err error)
	// Folders are the folders to offer for the export, such as the USB
	// sticks mounted now; the first is chosen unless staff type another.
	Folders() []string
	// TestGate opens the gate once.
	TestGate() error
	// Quit stops the terminal cleanly.
	Quit()
}

// Sound plays a cue (Cues lists them); Play must return at once.
type Sound interface {
	Play(cue string)
}

// Cues returns the names of every cue a Kiosk may play: a tone per
// verdict, and in elderly mode a spoken prompt per verdict and hint in
// each language the voice knows (VoiceLanguages).
func Cues() []string {
	var cues []string
	verdicts := []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer}
	for _, v := range verdicts {
		cues = append(cues, v.String())
	}
	for _, lang := range VoiceLanguages {
		for _, v := range verdicts {
			cues = append(cues, voiceCue(lang, v.String()))
		}
		for _, h := range []terminal.Hint{terminal.HintHoldStill, terminal.HintCloser, terminal.HintLessGlare} {
			cues = append(cues, voiceCue(lang, h.String()))
		}
	}
	return cues
}

// VoiceLanguages are the languages of the spoken prompts; the kiosk in
// any other language speaks English.
var VoiceLanguages = []string{"zh-CN", "en"}

func voiceCue(lang, what string) string { return "voice/" + lang + "/" + what }

// Kiosk is the kiosk's screen: the scan prompt, the result of each
// decision, the status bar and the admin panel. It is a terminal.Output.
// Show, SetStatus, Hint and Frame may be called from any goroutine and
// return at once; everything else happens on the Fyne goroutine.
type Kiosk struct {
	opts    Options
	clock   clock
	do      func(func())
	lang    string
	elderly bool

	scan    *scanScreen
	result  *resultScreen                      // the one on screen, or last on screen
	results map[terminal.Verdict]*resultScreen // one per verdict
	base    fyne.CanvasObject                  // the scan screen, admin panel and status bar
	bar     *statusBar
	admin   *adminPanel
	prev    *preview
	root    fyne.CanvasObject

	status  Status
	hint    terminal.Hint
	hintEnd timer
	spokeAt time.Time // the last spoken hint
	queue   []terminal.Decision
	showing bool
	shownAt time.Time
	shown   terminal.Decision
	next    timer
}

// New returns a kiosk configured by opts. Put Content in a window.
func New(opts Options) *Kiosk { return newKiosk(opts, realClock{now: opts.Now}, fyne.Do) }

func newKiosk(opts Options, c clock, do func(func())) *Kiosk {
	opts.ResultTime = cmp.Or(opts.ResultTime, DefaultResultTime)
	opts.MinResultTime = cmp.Or(opts.MinResultTime, DefaultMinResultTime)
	opts.TrustWarnAge = cmp.Or(opts.TrustWarnAge, DefaultTrustWarnAge)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	k := &Kiosk{opts: opts, clock: c, do: do, lang: supported(opts.Language), elderly: opts.Elderly}
	k.prev = newPreview(do, opts.Preview)
	k.scan = newScanScreen(k.prev)
	k.results = map[terminal.Verdict]*resultScreen{}
	layers := []fyne.CanvasObject{nil}
	for _, v := range []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer} {
		k.results[v] = newResultScreen(v)
		layers = append(layers, k.results[v].root)
	}
	k.result = k.results[terminal.Pass]
	k.admin = newAdminPanel(k)
	adminButton := newTextButton(k.admin.open)
	k.admin.button = adminButton
	k.bar = newStatusBar(adminButton)
	k.base = container.New(screenLayout{}, container.NewStack(k.scan.root, k.admin.root), k.bar.box)
	layers[0] = k.base
	var root fyne.CanvasObject = container.NewStack(layers...)
	if opts.HideCursor {
		root = newNoCursor(root)
	}
	k.root = root
	k.retext()
	return k
}

// Content returns the kiosk's canvas object, to fill a window.
func (k *Kiosk) Content() fyne.CanvasObject { return k.root }

// Show hands a committed decision to the screen and returns at once: the
// pipeline never waits for the screen. It implements terminal.Output.
func (k *Kiosk) Show(_ context.Context, d *terminal.Decision, _ *terminal.Record) error {
	dc := *d
	k.do(func() { k.arrive(dc) })
	return nil
}

// SetStatus shows s in the status bar and the admin panel.
func (k *Kiosk) SetStatus(s Status) {
	k.do(func() {
		k.status = s
		k.bar.set(viewStatus(s, k.clock.Now(), k.lang, k.opts.TrustWarnAge))
		k.admin.update()
	})
}

// Hint shows what the person at the camera should do, for a moment. It
// is for engine.Options.Hints.
func (k *Kiosk) Hint(h terminal.Hint) { k.do(func() { k.showHint(h) }) }

// Frame shows a camera frame in the preview when it is on, copying what
// it needs before it returns. It is for engine.Options.Frames.
func (k *Kiosk) Frame(f terminal.Frame) { k.prev.frame(f) }

// arrive queues d and shows it as soon as the result on screen has had
// its minimum time.
func (k *Kiosk) arrive(d terminal.Decision) {
	if len(k.queue) == MaxQueue {
		k.opts.Logger.Warn("ui: decisions arrive faster than they can be shown; the oldest waiting is not shown", "verdict", k.queue[0].Verdict.String())
		k.queue = k.queue[1:]
	}
	k.queue = append(k.queue, d)
	if k.showing {
		k.render() // the count of codes waiting
	}
	k.advance()
}

// advance shows the next decision if the one on screen has been seen
// long enough, or schedules what comes next: the next decision after the
// minimum time, the scan screen after the full time.
func (k *Kiosk) advance() {
	if k.next != nil {
		k.next.Stop()
		k.next = nil
	}
	shown := k.clock.Now().Sub(k.shownAt)
	switch {
	case len(k.queue) > 0 && (!k.showing || shown >= k.opts.MinResultTime):
		k.present()
	case len(k.queue) > 0:
		k.next = k.clock.AfterFunc(k.opts.MinResultTime-shown, func() { k.do(k.advance) })
	case k.showing && shown >= k.resultTime():
		k.end()
	case k.showing:
		k.next = k.clock.AfterFunc(k.resultTime()-shown, func() { k.do(k.advance) })
	}
}

func (k *Kiosk) resultTime() time.Duration {
	if k.elderly {
		return 2 * k.opts.ResultTime
	}
	return k.opts.ResultTime
}

// present shows the first queued decision.
func (k *Kiosk) present() {
	k.shown, k.queue = k.queue[0], k.queue[1:]
	k.showing, k.shownAt = true, k.clock.Now()
	next := k.results[k.shown.Verdict]
	if next == nil {
		next = k.results[terminal.Refer]
	}
	if next != k.result {
		k.result.root.Hide()
		k.result.clear()
		k.result = next
	}
	k.render()
	k.result.root.Show()
	k.base.Hide() // covered: not drawn
	k.play(k.shown.Verdict.String(), verdictKey(k.shown.Verdict))
	k.advance()
}

// render draws the decision on screen in the current language.
func (k *Kiosk) render() {
	k.result.show(viewResult(&k.shown, k.lang, len(k.queue)), k.elderly)
}

// end returns to the scan screen, leaving nothing personal behind.
func (k *Kiosk) end() {
	k.showing = false
	k.shown = terminal.Decision{}
	k.base.Show()
	k.result.root.Hide()
	k.result.clear()
	k.showHint(terminal.HintNone)
}

func (k *Kiosk) showHint(h terminal.Hint) {
	if k.showing && h != terminal.HintNone {
		return
	}
	if k.hintEnd != nil {
		k.hintEnd.Stop()
		k.hintEnd = nil
	}
	k.hint = h
	k.scan.retext(k.lang, h, k.elderly)
	if h == terminal.HintNone {
		return
	}
	k.hintEnd = k.clock.AfterFunc(hintTime, func() { k.do(func() { k.showHint(terminal.HintNone) }) })
	if now := k.clock.Now(); k.elderly && now.Sub(k.spokeAt) >= 2*hintTime {
		k.spokeAt = now
		k.speak(h.String())
	}
}

// play plays a tone, and in elderly mode says what in words.
func (k *Kiosk) play(tone, what string) {
	if k.opts.Sound == nil {
		return
	}
	k.opts.Sound.Play(tone)
	k.speak(what)
}

func (k *Kiosk) speak(what string) {
	if k.opts.Sound == nil || !k.elderly {
		return
	}
	lang := "en"
	for _, l := range VoiceLanguages {
		if l == k.lang {
			lang = l
		}
	}
	k.opts.Sound.Play(voiceCue(lang, what))
}

// setLanguage switches every screen to lang.
func (k *Kiosk) setLanguage(lang string) {
	k.lang = supported(lang)
	k.retext()
}

// setElderly switches elderly mode.
func (k *Kiosk) setElderly(on bool) {
	k.elderly = on
	k.retext()
}

// retext draws every screen again in the current language and mode.
func (k *Kiosk) retext() {
	k.scan.retext(k.lang, k.hint, k.elderly)
	k.bar.set(viewStatus(k.status, k.clock.Now(), k.lang, k.opts.TrustWarnAge))
	k.admin.retext()
	if k.showing {
		k.render()
	}
}

// noCursor hides the mouse pointer over its content: a kiosk is used by
// touch, and a pointer left on screen is clutter.
type noCursor struct {
	widget.BaseWidget
	content fyne.CanvasObject
}

func newNoCursor(content fyne.CanvasObject) *noCursor {
	n := &noCursor{content: content}
	n.ExtendBaseWidget(n)
	return n
}

func (n *noCursor) Cursor() desktop.Cursor { return desktop.HiddenCursor }

func (n *noCursor) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(n.content) }

// clock is the kiosk's time: real, or a fake in tests.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) timer
}

type timer interface{ Stop() bool }

type realClock struct{ now func() time.Time }

func (c realClock) Now() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (realClock) AfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }
