package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

const (
	tenant = "t1"
	token  = "test-token"
)

// t0 is the hub's clock in every test.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// env is a hub under test: its broker, store and API.
type env struct {
	hub      *hub.Hub
	store    hub.Store
	broker   string // the devices' broker URL
	accounts string // the embedded broker's accounts file; "" for an anonymous Mosquitto
	api      *httptest.Server
	log      *hubtest.Buffer
	root     *cose.Signer // signs bundles the hub takes
	dir      string
}

// settings vary a test hub.
type settings struct {
	store  hub.Store // nil: a new boltstore
	shared bool
	root   *cose.Signer // nil: a new Ed25519 root
}

// embedded starts the embedded broker and a hub on it.
func embedded(t testing.TB, s settings) *env {
	t.Helper()
	dir := t.TempDir()
	log := &hubtest.Buffer{}
	b, err := broker.New(broker.Options{Addr: "127.0.0.1:0", Tenant: tenant, Accounts: filepath.Join(dir, "devices.json"),
		HubPassword: "hub-secret", Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e := startHub(t, dir, log, s, hub.Options{Broker: b.HubURL(), Username: broker.HubUser, Password: "hub-secret", FreshBroker: true})
	e.broker, e.accounts = "tcp://"+b.Addr(), filepath.Join(dir, "devices.json")
	return e
}

// onMosquitto starts a hub on a Mosquitto broker (anonymous unless
// conf says otherwise).
func onMosquitto(t testing.TB, url string, s settings) *env {
	t.Helper()
	dir := t.TempDir()
	e := startHub(t, dir, &hubtest.Buffer{}, s, hub.Options{Broker: url, Shared: s.shared})
	e.broker = url
	return e
}

func startHub(t testing.TB, dir string, log *hubtest.Buffer, s settings, o hub.Options) *env {
	t.Helper()
	e := &env{log: log, root: s.root, dir: dir, store: s.store}
	if e.root == nil {
		e.root = testkeys.New(t, cose.EdDSA)
	}
	roots, err := bundle.ParseRoots(testkeys.PublicPEM(t, e.root))
	if err != nil {
		t.Fatal(err)
	}
	if e.store == nil {
		st, err := boltstore.Open(filepath.Join(dir, "hub.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		e.store = st
	}
	o.Store, o.Tenant, o.Roots, o.Token = e.store, tenant, roots, token
	o.Now = func() time.Time { return t0 }
	o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := hub.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.hub = h
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("hub log:\n%s", log)
		}
	})
	select {
	case <-h.Ready():
	case <-time.After(10 * time.Second):
		t.Fatalf("the hub did not subscribe within 10s:\n%s", log)
	}
	e.api = httptest.NewServer(h.Handler())
	t.Cleanup(e.api.Close)
	return e
}

// options returns the options of a device, with an account at the
// embedded broker.
func (e *env) options(t testing.TB, id, group string) hubtest.DeviceOptions {
	t.Helper()
	var pw string
	if e.accounts != "" {
		var err error
		if pw, err = broker.AddDevice(e.accounts, id, group); err != nil {
			t.Fatal(err)
		}
	}
	return hubtest.DeviceOptions{Broker: e.broker, Tenant: tenant, ID: id, Password: pw, Venue: "venue-" + id, Group: group}
}

// device connects a device.
func (e *env) device(t testing.TB, id, group string) *hubtest.Device {
	t.Helper()
	return hubtest.Connect(t, e.options(t, id, group))
}

// connect connects a device, expecting the hub's greeting.
func (e *env) connect(t testing.TB, id, group string) *hubtest.Device {
	t.Helper()
	d := e.device(t, id, group)
	if a := ack(t, d); a.First != 0 || a.Last != 0 || a.Error != "" || !a.Time.Equal(t0) {
		t.Fatalf("%s: greeting %+v, want First and Last 0 and the hub's clock", id, a)
	}
	return d
}

// ack returns the device's next ack.
func ack(t testing.TB, d *hubtest.Device) wire.Ack {
	t.Helper()
	a, err := d.NextAck(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// send publishes a batch of recs and returns the hub's ack.
func send(t testing.TB, d *hubtest.Device, recs []*terminal.Record) wire.Ack {
	t.Helper()
	return sendRaw(t, d, hubtest.Batch(t, d.ID, recs))
}

func sendRaw(t testing.TB, d *hubtest.Device, data []byte) wire.Ack {
	t.Helper()
	if err := d.Publish(wire.LeafScans, data); err != nil {
		t.Fatal(err)
	}
	return ack(t, d)
}

// call calls the API with the token and decodes the answer into v; it
// returns the status code.
func (e *env) call(t testing.TB, method, path, token string, body []byte, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// get calls GET path and fails the test unless the answer is 200.
func (e *env) get(t testing.TB, path string, v any) {
	t.Helper()
	if code := e.call(t, http.MethodGet, path, token, nil, v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
}

// devices returns the devices API's answer by id.
func (e *env) devices(t testing.TB) map[string]*hub.Device {
	t.Helper()
	var v struct{ Devices []*hub.Device }
	e.get(t, "/api/v1/devices", &v)
	out := map[string]*hub.Device{}
	for _, d := range v.Devices {
		out[d.ID] = d
	}
	return out
}

// eventually polls cond until it holds, failing the test after 10s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
