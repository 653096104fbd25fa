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
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
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
	fileStore    = "hub.db"       // the store (bbolt)
	fileToken    = "api-token"    // the API's bearer token, made at the first start
	fileAccounts = "devices.json" // the devices' logins at the embedded broker
	fileRoots    = "roots.pem"    // the root keys bundles must be signed by
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
	data, mqtt, broker, httpAddr, tenant string
	roots, tlsCert, tlsKey               string
	brokerPasswordFile, brokerCA         string
	level                                slog.Level
}

// flags returns the hub's flag set and the options it fills.
func flags() (*flag.FlagSet, *options) {
	fs := flag.NewFlagSet("fuscan-hub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{}
	fs.StringVar(&o.data, "data", "", "the hub's `DIR`: store, API token, device logins, roots (created if missing)")
	fs.StringVar(&o.mqtt, "mqtt", broker.DefaultAddr, "the `ADDR` the embedded broker listens on for the devices")
	fs.StringVar(&o.broker, "broker", "", "an external broker's `URL` (tcp://HOST:1883, ssl://HOST:8883; user:password@ in it,\n"+
		"or --broker-password-file) in place of the embedded one; the hub subscribes through\n$share/"+hub.ShareGroup+"/")
	fs.StringVar(&o.brokerPasswordFile, "broker-password-file", "", "the password of --broker's user, read from `FILE`")
	fs.StringVar(&o.brokerCA, "broker-ca", "", "PEM certificates to trust for an ssl:// --broker, from `FILE` (default: the system's)")
	fs.StringVar(&o.httpAddr, "http", "127.0.0.1:8080", "the `ADDR` the JSON API listens on")
	fs.StringVar(&o.tenant, "tenant", hub.DefaultTenant, "the tenant `T` of the topics, fuscan/v1/T/...")
	fs.StringVar(&o.roots, "roots", "", "the root public keys (PEM) bundles must be signed by, from `FILE`\n(default: DIR/roots.pem when it exists; without roots every bundle is refused)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "the embedded broker's TLS certificate chain (PEM) `FILE`; with --tls-key, devices connect with TLS")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the private key (PEM) `FILE` of --tls-cert")
	fs.Func("log-level", "log `LEVEL`: debug, info, warn or error (default info)", func(s string) error {
		if err := o.level.UnmarshalText([]byte(s)); err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	})
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
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	if err := serve(ctx, o, logger); err != nil {
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
	case o.data == "":
		return nil, errors.New("no data directory (--data)")
	case !wire.ValidID(o.tenant):
		return nil, fmt.Errorf("--tenant %q: want 1 to 64 of A-Z a-z 0-9 . _ -", o.tenant)
	case o.broker != "" && isSet(fs, "mqtt"):
		return nil, errors.New("--mqtt and --broker: give one (--mqtt runs the embedded broker, --broker uses another)")
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case o.broker != "" && o.tlsCert != "":
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

// serve runs the hub until ctx is done.
func serve(ctx context.Context, o *options, logger *slog.Logger) error {
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	store, err := boltstore.Open(filepath.Join(o.data, fileStore), nil)
	if errors.Is(err, boltstore.ErrLocked) {
		return fmt.Errorf("%w: another fuscan-hub runs on %s", err, o.data)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := apiToken(filepath.Join(o.data, fileToken))
	if err != nil {
		return err
	}
	roots, err := loadRoots(o)
	if err != nil {
		return err
	}
	if roots == nil {
		logger.Warn("no root keys: POST /api/v1/bundles refuses every bundle; put them in DIR/roots.pem or give --roots", "dir", o.data)
	}
	hopts := hub.Options{Store: store, Tenant: o.tenant, Roots: roots, Token: token, Logger: logger}
	mqttAddr := o.broker
	if o.broker == "" {
		b, err := embeddedBroker(o, &hopts, logger)
		if err != nil {
			return err
		}
		defer b.Close()
		mqttAddr = b.Addr()
	} else if err := externalBroker(o, &hopts); err != nil {
		return err
	}
	h, err := hub.New(hopts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		logger.Warn("the API is served beyond loopback over plain HTTP: the token and the scans cross the network in clear; "+
			"put a TLS proxy in front of it", "addr", ln.Addr().String())
	}
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("API server stopped", "err", err)
		}
	}()
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	logger.Info("hub running", "mqtt", mqttAddr, "http", ln.Addr().String(), "tenant", h.Tenant(), "data", o.data)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	err = <-ran
	st := h.Stats()
	logger.Info("hub stopped", "batches", st.Batches, "records", st.Records, "refused", st.Refused, "breaks", st.Breaks)
	return err
}

// embeddedBroker starts the broker and sets the hub's login at it: a
// password made now and never stored.
func embeddedBroker(o *options, h *hub.Options, logger *slog.Logger) (*broker.Broker, error) {
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	password := hex.EncodeToString(secret)
	b, err := broker.New(broker.Options{Addr: o.mqtt, TLS: tlsConfig, Tenant: o.tenant,
		Accounts: filepath.Join(o.data, fileAccounts), HubPassword: password, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--mqtt: %w", err)
	}
	if tlsConfig == nil {
		if host, _, _ := net.SplitHostPort(b.Addr()); !net.ParseIP(host).IsLoopback() {
			logger.Warn("the broker listens beyond loopback without TLS: device passwords cross the network in clear; give --tls-cert and --tls-key", "addr", b.Addr())
		}
	}
	h.Broker, h.Username, h.Password, h.FreshBroker = b.HubURL(), broker.HubUser, password, true
	return b, nil
}

// externalBroker sets the hub's connection to --broker: its login from
// the URL or --broker-password-file, shared subscriptions.
func externalBroker(o *options, h *hub.Options) error {
	u, err := url.Parse(o.broker)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--broker %q: want a URL such as tcp://HOST:1883 or ssl://HOST:8883", o.broker)
	}
	if u.User != nil {
		h.Username = u.User.Username()
		h.Password, _ = u.User.Password()
		u.User = nil
	}
	if o.brokerPasswordFile != "" {
		data, err := os.ReadFile(o.brokerPasswordFile)
		if err != nil {
			return fmt.Errorf("--broker-password-file: %w", err)
		}
		h.Password = strings.TrimSpace(string(data))
	}
	if o.brokerCA != "" {
		pem, err := os.ReadFile(o.brokerCA)
		if err != nil {
			return fmt.Errorf("--broker-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--broker-ca %s: no PEM certificate", o.brokerCA)
		}
		h.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	h.Broker, h.Shared = u.String(), true
	return nil
}

// apiToken returns the API token kept at path, making a random one with
// mode 0600 when there is none.
func apiToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 32)
		rand.Read(secret)
		token := hex.EncodeToString(secret)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return apiToken(path) // another start made it meanwhile
		}
		if err != nil {
			return "", err
		}
		if _, err := f.WriteString(token); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", err
		}
		return token, f.Close()
	}
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("%s is empty: remove it and a new token is made at the next start", path)
	}
	return token, nil
}

// loadRoots reads --roots, or DIR/roots.pem when it exists; nil when
// there are none.
func loadRoots(o *options) (*bundle.Roots, error) {
	path := o.roots
	if path == "" {
		path = filepath.Join(o.data, fileRoots)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("roots: %w", err)
	}
	roots, err := bundle.ParseRoots(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return roots, nil
}
