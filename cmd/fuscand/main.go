// Command fuscand is the headless terminal: it reads frames or scanned code
// texts from a source, decides each code offline, logs the decision
// durably, opens the gate, and serves /healthz and /metrics on loopback.
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
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/engine"
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

const help = `fuscand: the headless fuscan terminal.

usage:
  fuscand [--config FILE | --profile NAME] --data DIR --source URL --device ID --venue ID
          [--keys FILE[,FILE...]] [--trust FILE] [--policy FILE] [--gate SPEC] [--json | --print]
          [--listen ADDR] [--dedupe DURATION] [--retention-days N] [--log-level LEVEL]

fuscand reads frames or code texts from the source, decides each code
offline (signature, trust, validity, venue policy, clock), commits the
decision to the scan log DIR/terminal.db (fsync'd, hash-chained), then
opens the gate. It runs until SIGTERM or Ctrl-C, finishing the decision
under way and closing the store cleanly, or until a finite source (dir:
without loop) is exhausted. A source that fails, such as an unplugged
camera, is retried with backoff while the terminal keeps running.

Flags override the config file; the file overrides the profile it names.

  --config FILE     JSON config file (firmware-config/schema.json); relative
                    paths in it are relative to the file
  --profile NAME    start from a built-in profile: kiosk, transit, handheld, demo
  --data DIR        directory of the store; created if missing
  --source URL      v4l2:/dev/video0?width=1280&height=720&fps=30
                    mjpeg:http://HOST/PATH
                    dir:PATH?fps=5&loop=1      (images and PDFs in name order)
                    demo:                      (synthetic camera, sample codes)
                    scanner:/dev/ttyACM0?baud=115200
                    stdin:                     (one code text a line)
  --device ID       this terminal's id (A-Z a-z 0-9 . _ -, up to 64)
  --venue ID        the venue or checkpoint id written into every record
  --keys FILES      PEM public keys or certificates trusted in addition to
                    the trust snapshot (comma-separated or repeated)
  --trust FILE      trust snapshot (docs/trust-snapshot.md); default: the one
                    built in, or a newer one stored earlier
  --policy FILE     venue policy (docs/policy.md) replacing the snapshot's
  --gate SPEC       none, exec:COMMAND, http:URL or gpio:CHIP:LINE, with
                    ?pulse=500ms&timeout=2s&fail=open|closed (default none)
  --json            after each decision is committed, print one JSON line on
                    stdout: seq, logged, verdict, reason, format, time, device,
                    issuer, color, name (masked), latency_ms, message_en
  --print           after each decision, print it as a person reads it on
                    stdout: verdict, reason, holder (masked), message
  --listen ADDR     address of /healthz and /metrics (default 127.0.0.1:9464;
                    "off" for none; port 0 picks a free port)
  --dedupe D        the same code within D is one decision (default 3s;
                    negative: decide every sighting)
  --retention-days N  keep acknowledged records N days (default 30)
  --log-level LEVEL debug, info, warn or error (default info)

Exit status: 0 after a clean stop, 1 when the terminal could not start or
run (store, trust data), 2 for a wrong command line or config.

The config file is a JSON object with these fields (all optional in the
file; device, venue, source and data must be set by file, profile or flag):

`

// run is fuscand: it returns the exit code, having reported any error on
// stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help+configHelp())
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
		outputs = append(outputs, newJSONOutput(stdout, cfg.Device))
	case opts.print:
		outputs = append(outputs, printOutput{stdout, time.Local})
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
		srv, err := serve(cfg.Listen, e.Handler(), logger)
		if err != nil {
			fmt.Fprintf(stderr, "fuscand: %v\n", err)
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

// parseArgs reads the command line: the config file or profile, then the
// flags given over it.
func parseArgs(args []string) (firmwareconfig.Config, options, error) {
	fs := flag.NewFlagSet("fuscand", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		o                                       options
		config, profile, keys, dedupe, logLevel string
		retention                               int
	)
	// The config fields a flag of the same name replaces when given.
	fields := func(c *firmwareconfig.Config) map[string]*string {
		return map[string]*string{"data": &c.Data, "source": &c.Source, "device": &c.Device, "venue": &c.Venue,
			"trust": &c.Trust, "policy": &c.Policy, "gate": &c.Gate, "listen": &c.Listen}
	}
	for name := range fields(&firmwareconfig.Config{}) {
		fs.String(name, "", "")
	}
	fs.StringVar(&config, "config", "", "")
	fs.StringVar(&profile, "profile", "", "")
	fs.StringVar(&keys, "keys", "", "")
	fs.StringVar(&dedupe, "dedupe", "", "")
	fs.IntVar(&retention, "retention-days", 0, "")
	fs.StringVar(&logLevel, "log-level", "info", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.print, "print", false, "")
	if err := fs.Parse(args); err != nil {
		return firmwareconfig.Config{}, o, err
	}
	if fs.NArg() > 0 {
		return firmwareconfig.Config{}, o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.json && o.print {
		return firmwareconfig.Config{}, o, errors.New("--json and --print: give one")
	}
	if err := o.level.UnmarshalText([]byte(logLevel)); err != nil {
		return firmwareconfig.Config{}, o, fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
	}
	var cfg firmwareconfig.Config
	var err error
	switch {
	case config != "" && profile != "":
		return cfg, o, errors.New("--config and --profile: give one (a config file names its profile with \"profile\")")
	case config != "":
		cfg, err = firmwareconfig.Load(config)
	case profile != "":
		cfg, err = firmwareconfig.Profile(profile)
	}
	if err != nil {
		return cfg, o, err
	}
	var ferr error
	strs := fields(&cfg)
	fs.Visit(func(f *flag.Flag) {
		if dst, ok := strs[f.Name]; ok {
			*dst = f.Value.String()
			return
		}
		switch f.Name {
		case "keys":
			cfg.Keys = splitList(keys)
		case "retention-days":
			cfg.RetentionDays = retention
		case "dedupe":
			d, err := time.ParseDuration(dedupe)
			if err != nil {
				ferr = fmt.Errorf("--dedupe %q: want a duration such as 3s", dedupe)
			}
			cfg.Dedupe = firmwareconfig.Duration(d)
		}
	})
	if ferr != nil {
		return cfg, o, ferr
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return cfg, o, err
	}
	return cfg, o, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// serve serves h on addr until the returned server is closed.
func serve(addr string, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		logger.Warn("/healthz and /metrics are served beyond loopback, without authentication", "addr", ln.Addr().String())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("health server stopped", "err", err)
		}
	}()
	logger.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	return srv, nil
}
