// Package broker is the hub's embedded MQTT broker (mochi-mqtt): the
// zero-setup default of fuscan-hub, with a login per device and an ACL
// that keeps each device to its own topics.
//
// Devices log in with their id as username and the password AddDevice
// printed once; the accounts file (fuscan-hub's DIR/devices.json) keeps
// only a salted PBKDF2 hash. The file is read again when it changes, so
// devices are added and removed while the broker runs. The hub logs in as
// HubUser with a password made at each start and never stored.
//
// Under fuscan/v1/{tenant}/, a device D of group G may
//
//   - publish to dev/D/scans, dev/D/status and dev/D/reports only (its last
//     will too: a connection whose will names another topic is refused);
//   - subscribe to dev/D/ack, dev/D/updates/+, updates/+ and
//     group/G/updates/+ only (or to one kind in place of +).
//
// Only the hub publishes acks and updates. Unknown users, wrong passwords,
// and a client id held by a client of another user are refused at
// connection. A publish the ACL refuses ends the device's connection
// (MQTT 3.1.1 has no way to refuse one publish); the message reaches no
// one.
//
// # The same rules on Mosquitto
//
// With an external broker (fuscan-hub --broker), the broker's own auth
// and ACL must do this job. For Mosquitto 2.x, with tenant T:
//
//	# mosquitto.conf
//	listener 8883
//	certfile ... keyfile ...          # TLS: devices send passwords
//	allow_anonymous false
//	password_file /etc/mosquitto/fuscan.passwd   # mosquitto_passwd -c FILE DEVICE
//	acl_file /etc/mosquitto/fuscan.acl
//	max_queued_messages 10000         # more than devices × their window
//
//	# fuscan.acl: %u is the username, the device id
//	pattern write fuscan/v1/T/dev/%u/scans
//	pattern write fuscan/v1/T/dev/%u/status
//	pattern write fuscan/v1/T/dev/%u/reports
//	pattern read  fuscan/v1/T/dev/%u/ack
//	pattern read  fuscan/v1/T/dev/%u/updates/+
//	pattern read  fuscan/v1/T/updates/+
//	user gate-07                      # one block per device with a group
//	topic read fuscan/v1/T/group/north/updates/+
//	user fuscan-hub                   # the hubs' login
//	topic read  fuscan/v1/T/dev/+/scans
//	topic read  fuscan/v1/T/dev/+/status
//	topic read  fuscan/v1/T/dev/+/reports
//	topic write fuscan/v1/T/dev/+/ack
//	topic write fuscan/v1/T/dev/+/updates/+
//	topic write fuscan/v1/T/group/+/updates/+
//	topic write fuscan/v1/T/updates/+
//
// Mosquitto behaves differently from this broker, with the same effect:
// it grants every subscription and delivers only what the ACL lets the
// subscriber read; it acknowledges a publish the ACL refuses and drops it
// without a word, keeping the connection; it accepts a will on any topic
// and drops it when it would publish it. It does not keep one device from
// taking over another's client id: give each device its id as client id.
//
// # Caveats
//
// MaximumPacketSize is set just above bundle.MaxSize, since the hub
// publishes bundles through the broker: a client can make the broker read
// a packet that large, before it is authenticated too.
//
// Retained messages never expire in this broker (mochi's
// MaximumMessageExpiryInterval 0): a bundle's own expires_at decides. The
// broker keeps them in memory only; the hub publishes its bundles again
// at every connection.
package broker

import (
	"cmp"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/wire"
)

// HubUser is the hub's username. No device can have it: it is not a
// valid device id.
const HubUser = "$fuscan-hub"

// DefaultAddr is where the broker listens when Options.Addr is empty.
const DefaultAddr = "127.0.0.1:1883"

// Settings of the embedded broker that differ from mochi's defaults.
const (
	// MaxInflight is how many QoS 1 messages the broker holds per client
	// before it drops what follows (mochi drops silently).
	MaxInflight = math.MaxUint16
	// SessionExpiry is how long the broker keeps a disconnected
	// persistent session.
	SessionExpiry = 7 * 24 * time.Hour
	// MaxPacket bounds every packet: a bundle and the MQTT header around it.
	MaxPacket = bundle.MaxSize + 64<<10
)

// Options configures New. Tenant, Accounts and HubPassword are required.
type Options struct {
	// Addr is the devices' listening address. Empty: DefaultAddr.
	Addr string
	// TLS makes the devices' listener TLS. Nil: plain TCP. The hub then
	// connects through a second, plain listener on loopback (HubURL).
	TLS *tls.Config
	// Tenant is the tenant whose topics the ACL grants.
	Tenant string
	// Accounts is the path of the accounts file (AddDevice); a file that
	// does not exist yet holds no account.
	Accounts string
	// HubPassword is the password of HubUser.
	HubPassword string
	// Logger receives refused logins and publishes. Nil: slog.Default().
	Logger *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	srv    *mqtt.Server
	addr   string
	hubURL string
}

// New starts a broker listening on opts.Addr.
func New(opts Options) (*Broker, error) {
	switch {
	case !wire.ValidID(opts.Tenant):
		return nil, fmt.Errorf("broker: tenant %q", opts.Tenant)
	case opts.Accounts == "":
		return nil, errors.New("broker: no accounts file")
	case opts.HubPassword == "":
		return nil, errors.New("broker: no hub password")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "broker")
	accts := &accounts{path: opts.Accounts, log: log}
	if err := accts.load(); err != nil {
		return nil, err
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumMessageExpiryInterval = 0
	caps.MaximumInflight = MaxInflight
	caps.MaximumSessionExpiryInterval = uint32(SessionExpiry / time.Second)
	caps.MaximumPacketSize = MaxPacket
	srv := mqtt.New(&mqtt.Options{Capabilities: caps, Logger: slog.New(dropPackets{log.Handler()})})
	h := &hook{srv: srv, tenant: opts.Tenant, hubPassword: opts.HubPassword, accounts: accts, log: log}
	if err := srv.AddHook(h, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	devices := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "devices", Address: cmp.Or(opts.Addr, DefaultAddr), TLSConfig: opts.TLS})
	if err := srv.AddListener(devices); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", cmp.Or(opts.Addr, DefaultAddr), err)
	}
	b := &Broker{srv: srv, addr: devices.Address()}
	b.hubURL = "tcp://" + loopback(b.addr)
	if opts.TLS != nil {
		local := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "hub", Address: "127.0.0.1:0"})
		if err := srv.AddListener(local); err != nil {
			srv.Close()
			return nil, fmt.Errorf("broker: hub listener: %w", err)
		}
		b.hubURL = "tcp://" + local.Address()
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return b, nil
}

// loopback returns addr with an unspecified host (0.0.0.0, ::) replaced
// by 127.0.0.1: where a local client reaches it.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Addr returns the address the devices' listener is bound to.
func (b *Broker) Addr() string { return b.addr }

// HubURL returns the URL the hub's own client connects to, as
// tcp://HOST:PORT.
func (b *Broker) HubURL() string { return b.hubURL }

// Close disconnects every client and stops listening.
func (b *Broker) Close() error { return b.srv.Close() }

// accounts are the device accounts, read again when the file changes.
type accounts struct {
	path string
	log  *slog.Logger

	byID    atomic.Pointer[map[string]*Account]
	checked atomic.Int64 // Unix nanoseconds of the last stat

	mu    sync.Mutex
	stamp string // size, time and inode of the file read
}

// load reads the file if it changed since the last read.
func (a *accounts) load() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checked.Store(time.Now().UnixNano())
	stamp := statStamp(a.path)
	if stamp == a.stamp && a.byID.Load() != nil {
		return nil
	}
	m, err := readAccounts(a.path)
	if err != nil {
		return err
	}
	a.byID.Store(&m)
	a.stamp = stamp
	a.log.Info("device accounts loaded", "path", a.path, "devices", len(m))
	return nil
}

// get returns the account of device, or nil. fresh reads the file again
// if it changed; otherwise it is checked at most once a second.
func (a *accounts) get(device string, fresh bool) *Account {
	if fresh || time.Now().UnixNano()-a.checked.Load() > int64(time.Second) {
		if err := a.load(); err != nil {
			a.log.Error("device accounts unreadable; keeping the ones read before", "err", err)
		}
	}
	return (*a.byID.Load())[device]
}

// hook is the broker's authentication and ACL.
type hook struct {
	mqtt.HookBase
	srv         *mqtt.Server
	tenant      string
	hubPassword string
	accounts    *accounts
	log         *slog.Logger
}

func (h *hook) ID() string { return "fuscan-auth" }

func (h *hook) Provides(b byte) bool { return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck }

// OnConnectAuthenticate checks the login, the will's topic, and that the
// client id is not another user's.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), string(pk.Connect.Password)
	refuse := func(why string) bool {
		h.log.Warn("connection refused", "user", user, "client", cl.ID, "remote", cl.Net.Remote, "why", why)
		return false
	}
	var acct *Account
	if user == HubUser {
		if subtle.ConstantTimeCompare([]byte(pass), []byte(h.hubPassword)) != 1 {
			return refuse("wrong hub password")
		}
	} else {
		if acct = h.accounts.get(user, true); acct == nil {
			return refuse("no such device")
		}
		if !acct.Check(pass) {
			return refuse("wrong password")
		}
	}
	if pk.Connect.WillFlag && user != HubUser && !h.allowed(acct, pk.Connect.WillTopic, true) {
		return refuse("last will on " + pk.Connect.WillTopic + ", not a topic of the device")
	}
	if old, ok := h.srv.Clients.Get(cl.ID); ok && string(old.Properties.Username) != user {
		return refuse("client id in use by another user")
	}
	h.dropRemoved()
	return true
}

// dropRemoved disconnects the devices whose account is gone.
func (h *hook) dropRemoved() {
	for _, cl := range h.srv.Clients.GetAll() {
		user := string(cl.Properties.Username)
		if user != "" && user != HubUser && !cl.Closed() && h.accounts.get(user, false) == nil {
			h.log.Warn("device account removed: disconnecting it", "device", user)
			h.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
		}
	}
}

// OnACLCheck applies the ACL to a publish (write) or to a subscription's
// filter or a delivered topic (read).
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	if user == HubUser {
		return true
	}
	ok := h.allowed(h.accounts.get(user, false), topic, write)
	if !ok && write {
		h.log.Warn("publish refused: the device is disconnected", "device", user, "topic", topic)
	}
	return ok
}

// allowed is the ACL of a device.
func (h *hook) allowed(a *Account, topic string, write bool) bool {
	if a == nil {
		return false
	}
	dev := "fuscan/" + wire.Version + "/" + h.tenant + "/dev/" + a.Device + "/"
	if write {
		leaf, ok := strings.CutPrefix(topic, dev)
		return ok && (leaf == wire.LeafScans || leaf == wire.LeafStatus || leaf == wire.LeafReports)
	}
	if topic == dev+wire.LeafAck {
		return true
	}
	for _, f := range wire.UpdateFilters(h.tenant, a.Group, a.Device) {
		prefix := strings.TrimSuffix(f, "+")
		if kind, ok := strings.CutPrefix(topic, prefix); ok && (kind == "+" || wire.ValidID(kind)) {
			return true
		}
	}
	return false
}

// dropPackets is a log handler that leaves out mochi's "pk" attribute:
// the whole packet, payload included, which a refused batch would put in
// the log.
type dropPackets struct{ slog.Handler }

func (d dropPackets) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "pk" {
			out.AddAttrs(a)
		}
		return true
	})
	return d.Handler.Handle(ctx, out)
}

func (d dropPackets) WithAttrs(as []slog.Attr) slog.Handler {
	return dropPackets{d.Handler.WithAttrs(as)}
}

func (d dropPackets) WithGroup(name string) slog.Handler {
	return dropPackets{d.Handler.WithGroup(name)}
}
