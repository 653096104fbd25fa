// Command fuscan-hub is the fleet hub: it runs an MQTT broker for the
// terminals (or uses an external one), ingests their scan logs
// idempotently, keeps the fleet's state, and serves a JSON API to read it
// and to publish signed update bundles.
//
// Run "fuscan-hub --help" for the flags and the files under --data.
//
// # Caveats
//
// The store, DIR/hub.db, is locked while the hub runs: one hub per DIR.
// Several hubs sharing an external broker (--broker) each keep the
// batches they were handed; see package sync/hub.
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

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/cmd/internal/hubserver"
	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the hub could not start, or stopped on a failure
	exitUsage   = 2 // a wrong command line
)

// The files under --data.
const (
	fileToken    = hubserver.FileToken
	fileAccounts = hubserver.FileAccounts
	fileRoots    = hubserver.FileRoots
)

const about = `fuscan-hub: the fleet hub of fuscan terminals.

usage:
  fuscan-hub --data DIR [--mqtt ADDR | --broker URL] [--http ADDR] [--tenant T]
             [--roots FILE] [--tls-cert FILE --tls-key FILE] [--log-level LEVEL]
  fuscan-hub device add --data DIR --device ID [--group G]
  fuscan-hub device list|remove --data DIR [--device ID]

The hub receives the terminals' scan batches, statuses and update reports
over MQTT under fuscan/v1/TENANT/, stores each record once (fsync'd before
it acknowledges), reports sequence gaps and hash-chain breaks, and keeps
the fleet's state. By default it runs its own broker on --mqtt, where each
device logs in with the password "fuscan-hub device add" printed; with
--broker it uses an external one (Mosquitto, EMQX) through the shared
subscription $share/fuscan-hub/..., so that several hubs share the load.

The JSON API on --http needs "Authorization: Bearer TOKEN" on every
request, TOKEN being the content of DIR/api-token:
  GET  /api/v1/devices    the fleet: online, last seen, records, gaps, chain, versions
  GET  /api/v1/scans      ?device=&venue=&verdict=&reason=&since=&until=&limit=&after=
  GET  /api/v1/reports    ?device=  update outcomes the devices reported
  POST /api/v1/bundles    a signed bundle, published retained on its topic

Files under --data: hub.db (the store), api-token (made with mode 0600 at
the first start), devices.json (device logins: salted hashes only),
roots.pem (the root public keys that bundles must be signed by; --roots
names another file).

It runs until SIGTERM or Ctrl-C, then finishes the transaction under way.

flags:
`

const exitHelp = `
Exit status: 0 after a clean stop, 1 when the hub could not start or run,
2 for a wrong command line.
`

// options are the hub's settings from its command line.
type options struct {
	hubserver.Options
	level slog.Level
}

// flags returns the hub's flag set and the options it fills.
func flags() (*flag.FlagSet, *options) {
	fs := flag.NewFlagSet("fuscan-hub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{}
	fs.StringVar(&o.Data, "data", "", "the hub's `DIR`: store, API token, device logins, roots (created if missing)")
	fs.StringVar(&o.MQTT, "mqtt", broker.DefaultAddr, "the `ADDR` the embedded broker listens on for the devices")
	fs.StringVar(&o.Broker, "broker", "", "an external broker's `URL` (tcp://HOST:1883, ssl://HOST:8883; user:password@ in it,\n"+
		"or --broker-password-file) in place of the embedded one; the hub subscribes through\n$share/"+hub.ShareGroup+"/")
	fs.StringVar(&o.BrokerPasswordFile, "broker-password-file", "", "the password of --broker's user, read from `FILE`")
	fs.StringVar(&o.BrokerCA, "broker-ca", "", "PEM certificates to trust for an ssl:// --broker, from `FILE` (default: the system's)")
	fs.StringVar(&o.HTTP, "http", "127.0.0.1:8080", "the `ADDR` the JSON API listens on")
	fs.StringVar(&o.Tenant, "tenant", hub.DefaultTenant, "the tenant `T` of the topics, fuscan/v1/T/...")
	fs.StringVar(&o.Roots, "roots", "", "the root public keys (PEM) bundles must be signed by, from `FILE`\n(default: DIR/roots.pem when it exists; without roots every bundle is refused)")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "the embedded broker's TLS certificate chain (PEM) `FILE`; with --tls-key, devices connect with TLS")
	fs.StringVar(&o.TLSKey, "tls-key", "", "the private key (PEM) `FILE` of --tls-cert")
	cli.LogLevel(fs, &o.level)
	return fs, o
}

// usage writes the help.
func usage(w io.Writer) {
	fs, _ := flags()
	fmt.Fprint(w, about)
	cli.PrintFlags(w, fs)
	fmt.Fprint(w, "\n")
	printDeviceUsage(w)
	fmt.Fprint(w, exitHelp)
}

// run is fuscan-hub: it returns the exit code, having reported any error
// on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "device" {
		return runDevice(args[1:], stdout, stderr)
	}
	o, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fuscan-hub: %v\nRun \"fuscan-hub --help\" for usage.\n", err)
		return exitUsage
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	if err := hubserver.Run(ctx, o.Options); err != nil {
		fmt.Fprintf(stderr, "fuscan-hub: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// parseArgs reads the command line.
func parseArgs(args []string) (*options, error) {
	fs, o := flags()
	if err := fs.Parse(args); err != nil {
		return nil, cli.FlagError(err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.Data == "":
		return nil, errors.New("no data directory (--data)")
	case !wire.ValidID(o.Tenant):
		return nil, fmt.Errorf("--tenant %q: want 1 to 64 of A-Z a-z 0-9 . _ -", o.Tenant)
	case o.Broker != "" && isSet(fs, "mqtt"):
		return nil, errors.New("--mqtt and --broker: give one (--mqtt runs the embedded broker, --broker uses another)")
	case (o.TLSCert == "") != (o.TLSKey == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case o.Broker != "" && o.TLSCert != "":
		return nil, errors.New("--tls-cert is for the embedded broker, not --broker")
	}
	return o, nil
}

// isSet reports whether the flag name was given.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
