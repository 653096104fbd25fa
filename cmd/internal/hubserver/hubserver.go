// Package hubserver runs a hub from its data directory: the store, the
// API token, the device logins and the roots under it, the embedded broker
// or an external one, and the JSON API. fuscan-hub runs it from its command
// line; the kiosk's demo runs one beside the terminal.
package hubserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
)

// The files under the data directory.
const (
	FileStore    = "hub.db"       // the store (bbolt)
	FileToken    = "api-token"    // the API's bearer token, made at the first start
	FileAccounts = "devices.json" // the devices' logins at the embedded broker
	FileRoots    = "roots.pem"    // the root keys bundles must be signed by
)

// Options configures Run. Data is required.
type Options struct {
	// Data is the hub's directory, created if missing.
	Data string
	// MQTT is the address the embedded broker listens on; port 0 picks a
	// free one. Ignored with Broker.
	MQTT string
	// Broker is an external broker's URL in place of the embedded one;
	// empty: the embedded one.
	Broker string
	// HTTP is the API's address; port 0 picks a free one.
	HTTP string
	// Tenant is the topics' tenant. Empty: hub.DefaultTenant.
	Tenant string
	// Roots is the root keys file. Empty: DATA/roots.pem when it exists.
	Roots string
	// TLSCert and TLSKey make the embedded broker TLS.
	TLSCert, TLSKey string
	// BrokerPasswordFile and BrokerCA are the external broker's login
	// password and CA certificates.
	BrokerPasswordFile, BrokerCA string
	// Logger receives the hub's logs. Nil: slog.Default().
	Logger *slog.Logger
	// Ready, when set, is told the broker's and the API's addresses once
	// both listen.
	Ready func(mqtt, http string)
}

// Run runs the hub until ctx is done.
func Run(ctx context.Context, o Options) error {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if err := os.MkdirAll(o.Data, 0o700); err != nil {
		return err
	}
	store, err := boltstore.Open(filepath.Join(o.Data, FileStore), nil)
	if errors.Is(err, boltstore.ErrLocked) {
		return fmt.Errorf("%w: another fuscan-hub runs on %s", err, o.Data)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := apiToken(filepath.Join(o.Data, FileToken))
	if err != nil {
		return err
	}
	roots, err := loadRoots(&o)
	if err != nil {
		return err
	}
	if roots == nil {
		logger.Warn("no root keys: POST /api/v1/bundles refuses every bundle; put them in DIR/roots.pem or give --roots", "dir", o.Data)
	}
	hopts := hub.Options{Store: store, Tenant: o.Tenant, Roots: roots, Token: token, Logger: logger}
	mqttAddr := o.Broker
	if o.Broker == "" {
		b, err := embeddedBroker(&o, &hopts, logger)
		if err != nil {
			return err
		}
		defer b.Close()
		mqttAddr = b.Addr()
	} else if err := externalBroker(&o, &hopts); err != nil {
		return err
	}
	h, err := hub.New(hopts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.HTTP)
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
	logger.Info("hub running", "mqtt", mqttAddr, "http", ln.Addr().String(), "tenant", h.Tenant(), "data", o.Data)
	if o.Ready != nil {
		o.Ready(mqttAddr, ln.Addr().String())
	}
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
func embeddedBroker(o *Options, h *hub.Options, logger *slog.Logger) (*broker.Broker, error) {
	var tlsConfig *tls.Config
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	password := hex.EncodeToString(secret)
	b, err := broker.New(broker.Options{Addr: o.MQTT, TLS: tlsConfig, Tenant: o.Tenant,
		Accounts: filepath.Join(o.Data, FileAccounts), HubPassword: password, Logger: logger})
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
func externalBroker(o *Options, h *hub.Options) error {
	u, err := url.Parse(o.Broker)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--broker %q: want a URL such as tcp://HOST:1883 or ssl://HOST:8883", o.Broker)
	}
	if u.User != nil {
		h.Username = u.User.Username()
		h.Password, _ = u.User.Password()
		u.User = nil
	}
	if o.BrokerPasswordFile != "" {
		data, err := os.ReadFile(o.BrokerPasswordFile)
		if err != nil {
			return fmt.Errorf("--broker-password-file: %w", err)
		}
		h.Password = strings.TrimSpace(string(data))
	}
	if o.BrokerCA != "" {
		pem, err := os.ReadFile(o.BrokerCA)
		if err != nil {
			return fmt.Errorf("--broker-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--broker-ca %s: no PEM certificate", o.BrokerCA)
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
func loadRoots(o *Options) (*bundle.Roots, error) {
	path := o.Roots
	if path == "" {
		path = filepath.Join(o.Data, FileRoots)
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
