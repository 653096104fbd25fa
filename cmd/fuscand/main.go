// Command fuscand is the headless terminal: it reads frames or scanned code
// texts from a source, decides each code offline, logs the decision
// durably, opens the gate, and serves /healthz, /metrics and /backup on
// loopback.
// Gates without screens run it as it is; the kiosk runs the same engine
// with a screen.
//
// Run "fuscand --help" for the flags and the config file.
//
// # Caveats
//
// While fuscand runs, its store is locked: the fuscanctl log commands
// work on the consistent copy it serves at /backup, or on the file once
// it has stopped.
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
	"syscall"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/cmd/internal/engine"
	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/terminal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the terminal could not start or stopped on a failure
	exitUsage   = 2 // a wrong command line or config
)

const about = `fuscand: the headless fuscan terminal.

usage:
  fuscand [--config FILE | --profile NAME] --data DIR --source URL --device ID --venue ID
          [--keys FILE[,FILE...]] [--trust FILE] [--policy FILE] [--gate SPEC] [--json | --print]
          [--listen ADDR] [--dedupe DURATION] [--retention-days N] [--log-level LEVEL]
          [--broker URL [--tenant T] [--group G] [--roots FILE[,FILE...]]
           [--mqtt-user USER] [--mqtt-password-file FILE]]

fuscand reads frames or code texts from the source, decides each code
offline (signature, trust, validity, venue policy, clock), commits the
decision to the scan log DIR/terminal.db (fsync'd, hash-chained), then
opens the gate. It runs until SIGTERM or Ctrl-C, finishing the decision
under way and closing the store cleanly, or until a finite source (dir:
without loop) is exhausted. A source that fails, such as an unplugged
camera, is retried with backoff while the terminal keeps running. With
--broker it syncs the log to its hub and applies the signed updates the
hub pushes (docs/protocol.md); without one it stays offline and loses
nothing.

Flags override the config file; the file overrides the profile it names.

flags:
`

const exitHelp = `
Exit status: 0 after a clean stop, 1 when the terminal could not start or
run (store, trust data), 2 for a wrong command line or config.

The config file is a JSON object with these fields (all optional in the
file; device, venue, source and data must be set by file, profile or flag):

`

// usage writes the help: what fuscand does, its flags and the config
// file's fields.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, about)
	cli.PrintFlags(w, fs)
	fmt.Fprint(w, exitHelp)
	cli.PrintConfigFields(w)
}

// run is fuscand: it returns the exit code, having reported any error on
// stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fs, _, _ := flags()
		usage(stdout, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fuscand: %v\nRun \"fuscand --help\" for usage.\n", err)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.level}))
	var outputs []terminal.Output
	switch {
	case opts.json:
		outputs = append(outputs, cli.JSONOutput(stdout, cfg.Device))
	case opts.print:
		outputs = append(outputs, cli.PrintOutput(stdout, time.Local))
	}
	e, err := engine.Open(engine.Options{Config: cfg, Outputs: outputs, Logger: logger, Stdin: stdin})
	if err != nil {
		fmt.Fprintf(stderr, "fuscand: %v\n", err)
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
	if cfg.Listen != "off" {
		srv, err := e.Serve(cfg.Listen)
		if err != nil {
			fmt.Fprintf(stderr, "fuscand: --listen: %v\n", err)
			return exitFailure
		}
		defer srv.Close()
	}
	logger.Info("terminal running", "device", cfg.Device, "venue", cfg.Venue, "source", cfg.Source,
		"gate", cfg.Gate, "store", e.Store().Path())
	if err := e.Run(ctx); err != nil {
		logger.Error("terminal stopped", "err", err)
		return exitFailure
	}
	st := e.Pipeline().Stats()
	logger.Info("terminal stopped", "decisions", st.Decisions, "frames", st.Frames, "dropped", st.Dropped)
	return exitOK
}

// options are the command-line settings that are not in the config file.
type options struct {
	json, print bool
	level       slog.Level
}

// flags returns fuscand's flag set, the function that builds the config
// once it is parsed, and the settings that are not in the config file.
func flags() (*flag.FlagSet, func() (firmwareconfig.Config, error), *options) {
	fs := flag.NewFlagSet("fuscand", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := cli.TerminalFlags(fs)
	o := &options{}
	fs.BoolVar(&o.json, "json", false, "after each decision is committed, print one JSON line on stdout: seq,\n"+
		"logged, verdict, reason, format, time, device, issuer, color, name (masked),\nlatency_ms, message_en")
	fs.BoolVar(&o.print, "print", false, "after each decision, print it as a person reads it on stdout: verdict,\n"+
		"reason, holder (masked), message")
	cli.LogLevel(fs, &o.level)
	return fs, config, o
}

// parseArgs reads the command line: the config file or profile, then the
// flags given over it.
func parseArgs(args []string) (firmwareconfig.Config, options, error) {
	fs, config, o := flags()
	if err := fs.Parse(args); err != nil {
		return firmwareconfig.Config{}, *o, cli.FlagError(err)
	}
	if fs.NArg() > 0 {
		return firmwareconfig.Config{}, *o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.json && o.print {
		return firmwareconfig.Config{}, *o, errors.New("--json and --print: give one")
	}
	cfg, err := config()
	return cfg, *o, err
}
