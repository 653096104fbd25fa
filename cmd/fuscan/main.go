// Command fuscan is the kiosk: the terminal of fuscand with a full-screen
// Fyne window that a traveller understands at a glance. It takes the same
// flags, config file and profiles as fuscand, plus the screen's settings
// (the config's ui section) and its own flags.
//
// Run "fuscan --help" for the flags, "fuscan --gallery" to review every
// screen, and "fuscan --hash-pin" to make the admin PIN's hash.
//
// # Caveats
//
// It needs a display (X11 or Wayland) and OpenGL; without one it says so
// and exits: run fuscand, or run it under xvfb-run as make run does. Built
// with -tags ci, Fyne's headless test driver stands in for the window.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/cmd/internal/engine"
	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sound"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, as fuscand's.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const about = `fuscan: the fuscan kiosk, a full-screen terminal.

usage:
  fuscan [--config FILE | --profile NAME] --data DIR [fuscand's flags...]
         [--windowed | --pointer] [--lang zh-CN|en] [--elderly] [--preview] [--mute] [--print]
  fuscan --gallery [--gallery-state NAME] [--lang L] [--elderly] [--windowed]
  fuscan --hash-pin < pin.txt

fuscan runs the terminal fuscand runs (source, decoder, verification,
scan log, gate, sync) and shows each decision full-screen: its colour and
shape, the masked holder, the reason in plain words, with a sound. The
status bar shows the link to the hub, the backlog, the age of the trust
data and the clock; staff open the admin panel with the PIN whose hash
is ui.admin_pin_hash. SIGTERM, Ctrl-C, the admin panel's Quit or closing
the window stop it cleanly.

flags:
`

// options are the command-line settings that are not in the config file.
type options struct {
	windowed, pointer, gallery, hashPIN, print bool
	galleryState, hub                          string
	width, height                              int
	level                                      slog.Level
}

// flags returns fuscan's flag set: fuscand's, then the kiosk's.
func flags() (*flag.FlagSet, func() (firmwareconfig.Config, error), *options) {
	fs := flag.NewFlagSet("fuscan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	terminalConfig := cli.TerminalFlags(fs)
	o := &options{width: 1024, height: 600}
	fs.BoolVar(&o.windowed, "windowed", false, "a window instead of full screen, with the pointer shown (development)")
	fs.BoolVar(&o.pointer, "pointer", false, "show the mouse pointer in full screen (kiosk mode hides it)")
	fs.IntVar(&o.width, "width", o.width, "the window's `WIDTH` with --windowed")
	fs.IntVar(&o.height, "height", o.height, "the window's `HEIGHT` with --windowed")
	fs.BoolVar(&o.gallery, "gallery", false, "show every screen state with canned data, for design review\n(← → to step; no terminal runs)")
	fs.StringVar(&o.galleryState, "gallery-state", "", "with --gallery: show only the state `NAME` ("+fmt.Sprint(ui.GalleryStates())+")")
	fs.BoolVar(&o.hashPIN, "hash-pin", false, "read a PIN from the first line of stdin and print its hash for ui.admin_pin_hash")
	fs.BoolVar(&o.print, "print", false, "also print each decision on stdout, as fuscand --print does")
	fs.StringVar(&o.hub, "hub", "", "`MODE` embedded: run a fuscan-hub and its broker in this process, with its\ndata under DATA/hub, and sync to it (make run does)")
	cli.LogLevel(fs, &o.level)
	var lang string
	var elderly, preview, mute bool
	fs.StringVar(&lang, "lang", "", "the screens' `LANGUAGE`, "+fmt.Sprint(ui.Languages())+" (replaces ui.language)")
	fs.BoolVar(&elderly, "elderly", false, "start in elderly mode, 关怀模式 (sets ui.elderly)")
	fs.BoolVar(&preview, "preview", false, "show the camera preview (sets ui.preview)")
	fs.BoolVar(&mute, "mute", false, "no sounds (sets ui.mute)")
	config := func() (firmwareconfig.Config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		var cfg firmwareconfig.Config
		if !o.gallery {
			var err error
			if cfg, err = terminalConfig(); err != nil {
				return cfg, err
			}
		}
		if given["lang"] {
			cfg.UI.Language = lang
		}
		cfg.UI.Elderly = cfg.UI.Elderly || elderly
		cfg.UI.Preview = cfg.UI.Preview || preview
		cfg.UI.Mute = cfg.UI.Mute || mute
		return cfg, cfg.UI.WithDefaults().Validate()
	}
	return fs, config, o
}

// parseArgs reads the command line.
func parseArgs(args []string) (firmwareconfig.Config, options, error) {
	fs, config, o := flags()
	if err := fs.Parse(args); err != nil {
		return firmwareconfig.Config{}, *o, cli.FlagError(err)
	}
	if fs.NArg() > 0 {
		return firmwareconfig.Config{}, *o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.hashPIN {
		return firmwareconfig.Config{}, *o, nil
	}
	cfg, err := config()
	return cfg.WithDefaults(), *o, err
}

// run is fuscan: it returns the exit code, having reported any error on
// stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, o, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fs, _, _ := flags()
		fmt.Fprint(stdout, about)
		cli.PrintFlags(stdout, fs)
		fmt.Fprint(stdout, "\nThe config file is fuscand's (fuscand --help lists its fields):\n\n")
		cli.PrintConfigFields(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fuscan: %v\nRun \"fuscan --help\" for usage.\n", err)
		return exitUsage
	}
	if o.hashPIN {
		pin, err := readPIN(stdin)
		if err == nil {
			pin, err = hashPIN(pin)
		}
		if err != nil {
			fmt.Fprintf(stderr, "fuscan: --hash-pin: %v\n", err)
			return exitUsage
		}
		fmt.Fprintln(stdout, pin)
		return exitOK
	}
	if !hasDisplay() {
		fmt.Fprintln(stderr, "fuscan: no display (DISPLAY and WAYLAND_DISPLAY are unset): run it under xvfb-run, or run fuscand")
		return exitFailure
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	a := app.NewWithID("io.github.fuscan.kiosk")
	a.Settings().SetTheme(ui.Theme())
	if o.gallery {
		return runGallery(ctx, a, cfg.UI, o, stderr)
	}
	return runKiosk(ctx, a, cfg, o, stdin, stdout, stderr, logger)
}

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets one.
// The Go heap is most of what the kiosk adds to a bare Fyne window (whose
// Mesa and X libraries are the rest), and by default the collector lets
// it grow to twice what is live: the frames the camera sends and the
// decoder's work are short-lived garbage. What is live stays near 12 MB
// (the decoder's buffers, the demo camera's background, the kiosk's
// fonts). Measured under Xvfb with the demo camera (TestKioskBench,
// 120 s): 24 MiB keeps the kiosk 19 MB above a bare window, 32 MiB 27 MB,
// for 2% of a core more. A larger burst (a big PDF in a dir: source)
// makes the collector run more often, at most half the CPU, not the kiosk
// fail.
const memoryLimit = 24 << 20

// runKiosk runs the terminal with its screen until ctx is done, the
// window is closed or staff quit.
func runKiosk(ctx context.Context, a fyne.App, cfg firmwareconfig.Config, o options, stdin io.Reader,
	stdout, stderr io.Writer, logger *slog.Logger) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if o.hub != "" {
		stopHub, err := startHub(ctx, o.hub, &cfg, logger)
		if err != nil {
			fmt.Fprintf(stderr, "fuscan: --hub: %v\n", err)
			return exitUsage
		}
		defer stopHub()
	}
	var player *sound.Player
	if !cfg.UI.Mute {
		var err error
		if player, err = sound.Open(&sound.Options{Logger: logger}); err != nil {
			logger.Warn("no sounds", "err", err)
		} else {
			defer player.Close()
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	act := &actions{quit: func() { stop(); a.Quit() }, now: time.Now} // its engine is set once open
	k := ui.New(ui.Options{Actions: act, Language: cfg.UI.Language, Elderly: cfg.UI.Elderly, ResultTime: time.Duration(cfg.UI.ResultTime),
		Preview: cfg.UI.Preview, HideCursor: !o.windowed && !o.pointer, TrustWarnAge: time.Duration(cfg.UI.TrustWarnAge),
		CheckPIN: pinChecker(cfg.UI.AdminPINHash, logger), Sound: soundOf(player), Logger: logger})
	outputs := []terminal.Output{k}
	if o.print {
		outputs = append(outputs, cli.PrintOutput(stdout, time.Local))
	}
	e, err := engine.Open(engine.Options{Config: cfg, Outputs: outputs, Logger: logger, Stdin: stdin,
		Frames: k.Frame, Hints: k.Hint})
	if err != nil {
		fmt.Fprintf(stderr, "fuscan: %v\n", err)
		if errors.Is(err, engine.ErrConfig) {
			return exitUsage
		}
		return exitFailure
	}
	defer func() {
		if err := e.Close(); err != nil {
			logger.Error("closing the store", "err", err)
		}
	}()
	cfg = e.Config()
	act.e = e
	if cfg.Listen != "off" {
		srv, err := e.Serve(cfg.Listen)
		if err != nil {
			fmt.Fprintf(stderr, "fuscan: %v\n", err)
			return exitFailure
		}
		defer srv.Close()
	}

	w := newWindow(a, "fuscan "+cfg.Device, k.Content(), o)
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		if err := e.Run(runCtx); err != nil {
			logger.Error("terminal stopped", "err", err)
		}
	}()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		v := version()
		for {
			k.SetStatus(statusOf(e.Health(), e.Trust(), v))
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	logger.Info("kiosk running", "device", cfg.Device, "venue", cfg.Venue, "source", cfg.Source, "store", e.Store().Path())
	showAndRun(runCtx, a, w)
	stop()
	<-engineDone
	st := e.Pipeline().Stats()
	logger.Info("kiosk stopped", "decisions", st.Decisions, "frames", st.Frames, "dropped", st.Dropped)
	return exitOK
}

// newWindow returns a window of content: full screen, or with --windowed
// a window of --width by --height.
func newWindow(a fyne.App, title string, content fyne.CanvasObject, o options) fyne.Window {
	w := a.NewWindow(title)
	w.SetPadded(false)
	w.SetContent(content)
	if o.windowed {
		w.Resize(fyne.NewSize(float32(o.width), float32(o.height)))
	} else {
		w.SetFullScreen(true)
	}
	return w
}

// showAndRun shows w and runs the app until it quits: the window is
// closed, staff quit, or SIGINT or SIGTERM, which Fyne's driver catches
// itself. ctx done for any other reason, or a signal that came before
// the driver listened, quits it too. Headless (-tags ci) there is no loop
// to run: it waits for ctx.
func showAndRun(ctx context.Context, a fyne.App, w fyne.Window) {
	if headless {
		w.Show()
		<-ctx.Done()
		return
	}
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		select {
		case <-quit:
			return
		case <-ctx.Done():
		}
		// Fyne quits on the signal by itself: leave it the time, so as
		// not to call into a driver already shutting down.
		select {
		case <-quit:
		case <-time.After(2 * time.Second):
			fyne.Do(a.Quit)
		}
	}()
	if ctx.Err() == nil {
		w.ShowAndRun()
	}
}

// pinChecker checks PINs against hash; nil (a locked panel) without one.
func pinChecker(hash string, logger *slog.Logger) func(string) bool {
	if hash == "" {
		logger.Warn("no ui.admin_pin_hash: the admin panel stays locked (make one with fuscan --hash-pin)")
		return nil
	}
	return func(pin string) bool { return checkPIN(hash, pin) }
}

// soundOf is player as the kiosk's Sound; nil when there is none.
func soundOf(p *sound.Player) ui.Sound {
	if p == nil {
		return nil
	}
	return p
}

// hasDisplay reports whether a window can be opened: an X or Wayland
// display, or Fyne's headless driver (-tags ci).
func hasDisplay() bool {
	return headless || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
