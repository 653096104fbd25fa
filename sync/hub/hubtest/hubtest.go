// Package hubtest gives tests of the hub device-like traffic: a device's
// hash-chained records made as its store makes them, a device's MQTT link
// (paho) with its status, last will and acks, and a Mosquitto broker run
// as a separate process. Tests and benchmarks only.
package hubtest

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// T0 is the time of every Log's first record.
var T0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Log makes a device's records as its store would: seqs from 1, each
// chained to the one before with terminal.ChainHash, one second apart
// from T0.
type Log struct {
	Device, Venue string
	seq           uint64
	prev          []byte
}

// NewLog returns the log of device at venue, empty.
func NewLog(device, venue string) *Log {
	return &Log{Device: device, Venue: venue, prev: make([]byte, 32)}
}

// verdicts are the decisions a Log's records cycle through.
var verdicts = []struct {
	verdict string
	reason  terminal.Reason
	color   string
}{
	{"pass", terminal.OK, "green"},
	{"pass", terminal.OK, "green"},
	{"warn", terminal.ColorYellow, "yellow"},
	{"deny", terminal.ColorRed, "red"},
	{"refer", terminal.FormatUnknown, ""},
}

// Next returns the next n records.
func (l *Log) Next(n int) []*terminal.Record {
	recs := make([]*terminal.Record, n)
	for i := range recs {
		l.seq++
		v := verdicts[l.seq%uint64(len(verdicts))]
		r := &terminal.Record{
			Seq: l.seq, Device: l.Device, Venue: l.Venue, TimeUS: T0.Add(time.Duration(l.seq) * time.Second).UnixMicro(),
			ClockOK: true, Format: "card", Issuer: "350000", KID: []byte{1, 2, 3, 4, 5, 6, 7, 8},
			Verdict: v.verdict, Reason: v.reason, Color: v.color, Name: "张*", IDTail: fmt.Sprintf("%04d", l.seq%10000),
			Policy: 3, Trust: 7, PrevHash: l.prev, LatencyUS: 41000,
		}
		r.Hash = terminal.ChainHash(r.PrevHash, r)
		l.prev = r.Hash
		recs[i] = r
	}
	return recs
}

// Seq returns the seq of the newest record made.
func (l *Log) Seq() uint64 { return l.seq }

// Raw returns the records' CBOR, as a device's log holds them.
func Raw(t testing.TB, recs []*terminal.Record) []cbor.RawMessage {
	t.Helper()
	out := make([]cbor.RawMessage, len(recs))
	for i, r := range recs {
		b, err := cose.EncMode.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// Batch returns recs as a scans message of device.
func Batch(t testing.TB, device string, recs []*terminal.Record) []byte {
	t.Helper()
	data, err := (&wire.Batch{Device: device, Records: Raw(t, recs)}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Device is a device's MQTT link: logged in as the device, subscribed to
// its ack topic, its status online (retained) and its last will set.
type Device struct {
	ID, Tenant string
	// Acks receives the hub's acks, in order.
	Acks chan wire.Ack

	c    paho.Client
	mu   sync.Mutex
	conn net.Conn
}

// DeviceOptions configures Dial.
type DeviceOptions struct {
	Broker   string // tcp://HOST:PORT
	Tenant   string
	ID       string
	Password string // "" for an anonymous broker
	Venue    string
	Group    string
	// Status is the status published when connected; nil: online, with
	// Venue and Group.
	Status *wire.Status
	// ClientID is the MQTT client id. Empty: ID.
	ClientID string
	// WillTopic is the last will's topic. Empty: the device's status.
	WillTopic string
	// TLS dials the broker with TLS. Nil: plain TCP.
	TLS *tls.Config
}

// Dial connects a device.
func Dial(o DeviceOptions) (*Device, error) {
	d := &Device{ID: o.ID, Tenant: o.Tenant, Acks: make(chan wire.Ack, 1024)}
	will := wire.Encode(wire.Status{Online: false, Reason: "lost"})
	opts := paho.NewClientOptions().AddBroker(o.Broker).SetClientID(cmp.Or(o.ClientID, o.ID)).
		SetUsername(o.ID).SetPassword(o.Password).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5*time.Second).
		SetBinaryWill(cmp.Or(o.WillTopic, d.topic(wire.LeafStatus)), will, 1, true).
		SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			dialer := &net.Dialer{Timeout: 5 * time.Second}
			var conn net.Conn
			var err error
			if o.TLS != nil {
				conn, err = tls.DialWithDialer(dialer, "tcp", u.Host, o.TLS)
			} else {
				conn, err = dialer.Dial("tcp", u.Host)
			}
			d.mu.Lock()
			d.conn = conn
			d.mu.Unlock()
			return conn, err
		})
	d.c = paho.NewClient(opts)
	if err := wait(d.c.Connect()); err != nil {
		return nil, err
	}
	sub := d.c.Subscribe(d.topic(wire.LeafAck), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		if wire.Decode(m.Payload(), &a) == nil {
			d.Acks <- a
		}
	})
	if err := wait(sub); err != nil {
		d.c.Disconnect(0)
		return nil, err
	}
	status := o.Status
	if status == nil {
		status = &wire.Status{Online: true, Device: o.ID, Venue: o.Venue, Group: o.Group}
	}
	if err := d.PublishRetained(wire.LeafStatus, wire.Encode(status)); err != nil {
		d.c.Disconnect(0)
		return nil, err
	}
	return d, nil
}

// Connect is Dial for a test: it fails the test on an error and
// disconnects at its end.
func Connect(t testing.TB, o DeviceOptions) *Device {
	t.Helper()
	d, err := Dial(o)
	if err != nil {
		t.Fatalf("device %s: %v", o.ID, err)
	}
	t.Cleanup(func() { d.c.Disconnect(0) })
	return d
}

func wait(tok paho.Token) error {
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("hubtest: no answer from the broker within 10s")
	}
	return tok.Error()
}

func (d *Device) topic(leaf string) string { return wire.DeviceTopic(d.Tenant, d.ID, leaf) }

// Publish publishes payload at QoS 1 on the device's topic leaf and
// waits for the broker's PUBACK.
func (d *Device) Publish(leaf string, payload []byte) error {
	return wait(d.c.Publish(d.topic(leaf), 1, false, payload))
}

// PublishRetained publishes payload retained at QoS 1 on leaf.
func (d *Device) PublishRetained(leaf string, payload []byte) error {
	return wait(d.c.Publish(d.topic(leaf), 1, true, payload))
}

// PublishTo publishes payload at QoS 1 on any topic, as a misbehaving
// device would, without waiting: a broker that refuses it drops the
// connection.
func (d *Device) PublishTo(topic string, payload []byte) {
	d.c.Publish(topic, 1, false, payload).WaitTimeout(2 * time.Second)
}

// Subscribe subscribes to filter and returns the broker's return code
// (0x80: refused) and the channel of the messages.
func (d *Device) Subscribe(filter string) (byte, <-chan paho.Message, error) {
	msgs := make(chan paho.Message, 16)
	tok := d.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { msgs <- m })
	if err := wait(tok); err != nil {
		return 0, nil, err
	}
	return tok.(*paho.SubscribeToken).Result()[filter], msgs, nil
}

// Connected reports whether the link is up.
func (d *Device) Connected() bool { return d.c.IsConnectionOpen() }

// Disconnected reports whether the link is down, waiting for it up to
// timeout: how a test sees a broker drop the device.
func (d *Device) Disconnected(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for d.Connected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return !d.Connected()
}

// NextAck returns the next ack, or an error after timeout.
func (d *Device) NextAck(timeout time.Duration) (wire.Ack, error) {
	select {
	case a := <-d.Acks:
		return a, nil
	case <-time.After(timeout):
		return wire.Ack{}, fmt.Errorf("hubtest: device %s: no ack within %v", d.ID, timeout)
	}
}

// Send publishes batches, keeping at most window of them unacknowledged,
// and returns once the hub acknowledged every one; an ack with an error
// is returned as one. lasts are the batches' last seqs. An ack settles
// the batches whose last seq lies in its First..Last: hubs sharing a
// broker may ack a device's batches out of order, so an ack says nothing
// of the batches before it.
func (d *Device) Send(batches [][]byte, lasts []uint64, window int, timeout time.Duration) error {
	acked := make([]bool, len(batches))
	sent, open, done := 0, 0, 0
	for done < len(batches) {
		for ; sent < len(batches) && open < window; sent, open = sent+1, open+1 {
			if err := d.Publish(wire.LeafScans, batches[sent]); err != nil {
				return err
			}
		}
		a, err := d.NextAck(timeout)
		if err != nil {
			return err
		}
		if a.Error != "" {
			return fmt.Errorf("hubtest: device %s: batch %d..%d refused: %s", d.ID, a.First, a.Last, a.Error)
		}
		for i := range sent {
			if !acked[i] && a.First <= lasts[i] && lasts[i] <= a.Last {
				acked[i], open, done = true, open-1, done+1
			}
		}
	}
	return nil
}

// Kill closes the device's TCP connection without a DISCONNECT, as a
// cut cable would: the broker publishes its last will.
func (d *Device) Kill() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.Close()
	}
}

// Stop publishes the status offline ("stopped") and disconnects cleanly,
// as a device that shuts down does.
func (d *Device) Stop() error {
	err := d.PublishRetained(wire.LeafStatus, wire.Encode(wire.Status{Online: false, Reason: "stopped", Device: d.ID}))
	d.c.Disconnect(250)
	return err
}

// MosquittoPath is where Debian installs the broker.
const MosquittoPath = "/usr/sbin/mosquitto"

// Mosquitto starts a Mosquitto broker for the test on a free loopback
// port, with conf's lines added to its config, and returns its URL,
// tcp://127.0.0.1:PORT. Without "allow_anonymous" in conf, anonymous
// clients are allowed. It skips the test when Mosquitto is not installed
// (scripts/deps.sh installs it) and stops the broker at the test's end.
func Mosquitto(t testing.TB, conf ...string) string {
	t.Helper()
	if _, err := os.Stat(MosquittoPath); err != nil {
		t.Skipf("Mosquitto is not installed at %s (scripts/deps.sh installs it): %v", MosquittoPath, err)
	}
	dir := t.TempDir()
	lines := append([]string{"persistence false", "log_dest stderr", "max_queued_messages 10000"}, conf...)
	if !strings.Contains(strings.Join(conf, "\n"), "allow_anonymous") {
		lines = append(lines, "allow_anonymous true")
	}
	if os.Getuid() == 0 {
		// As root it would switch to user mosquitto, who cannot read the
		// test's files.
		lines = append(lines, "user root")
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "mosquitto.conf")
		body := fmt.Sprintf("listener %d 127.0.0.1\n%s\n", port, strings.Join(lines, "\n"))
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		stderr := &Buffer{}
		cmd := exec.Command(MosquittoPath, "-c", path)
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("mosquitto: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if lastErr = waitListening(addr, exited); lastErr == nil {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			return "tcp://" + addr
		}
		cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%v\n%s", lastErr, stderr.String())
	}
	t.Fatalf("mosquitto did not start: %v", lastErr)
	return ""
}

// freePort returns a loopback port free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections or the process
// exits.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("mosquitto exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("mosquitto: not listening after 10s")
}

// Buffer is a bytes.Buffer that one goroutine may write while another
// reads it: a log or a process's output that a test watches.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
