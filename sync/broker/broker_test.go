package broker_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
)

const tenant = "t1"

// env is a running broker and its accounts file.
type env struct {
	b        *broker.Broker
	accounts string
	log      *hubtest.Buffer
}

func start(t *testing.T, tlsConfig *tls.Config) *env {
	t.Helper()
	e := &env{accounts: filepath.Join(t.TempDir(), "devices.json"), log: &hubtest.Buffer{}}
	b, err := broker.New(broker.Options{Addr: "127.0.0.1:0", TLS: tlsConfig, Tenant: tenant, Accounts: e.accounts,
		HubPassword: "hub-secret", Logger: slog.New(slog.NewTextHandler(e.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e.b = b
	return e
}

// add creates a device account and returns its password.
func (e *env) add(t *testing.T, device, group string) string {
	t.Helper()
	pw, err := broker.AddDevice(e.accounts, device, group)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

func (e *env) device(t *testing.T, id, password string) *hubtest.Device {
	t.Helper()
	return hubtest.Connect(t, hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: id, Password: password})
}

// hubClient connects as the hub.
func (e *env) hubClient(t *testing.T, password string) (paho.Client, error) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(e.b.HubURL()).SetClientID("hub-test").
		SetUsername(broker.HubUser).SetPassword(password).SetAutoReconnect(false))
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		return nil, errors.New("connect: no answer")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, nil
}

func TestLogin(t *testing.T) {
	e := start(t, nil)
	pw := e.add(t, "d1", "")
	other := e.add(t, "d2", "")
	cases := []struct {
		name, id, password string
		ok                 bool
	}{
		{"right password", "d1", pw, true},
		{"wrong password", "d1", "guess", false},
		{"another device's password", "d1", other, false},
		{"no password", "d1", "", false},
		{"unknown device", "d9", pw, false},
	}
	for _, c := range cases {
		d, err := hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: c.id, Password: c.password})
		if got := err == nil; got != c.ok {
			t.Errorf("%s: connected %v (%v), want %v", c.name, got, err, c.ok)
		}
		if d != nil {
			d.Stop()
		}
	}
	if _, err := e.hubClient(t, "hub-secret"); err != nil {
		t.Errorf("hub login: %v", err)
	}
	if _, err := e.hubClient(t, "hub-guess"); err == nil {
		t.Errorf("hub login with a wrong password: connected")
	}
	if !strings.Contains(e.log.String(), "wrong password") || !strings.Contains(e.log.String(), "no such device") {
		t.Errorf("the log does not say why logins were refused:\n%s", e.log)
	}
}

func TestSubscribeACL(t *testing.T) {
	e := start(t, nil)
	d1 := e.device(t, "d1", e.add(t, "d1", "north"))
	e.add(t, "d2", "south")
	root := "fuscan/v1/" + tenant + "/"
	cases := []struct {
		filter string
		ok     bool
	}{
		{root + "dev/d1/ack", true},
		{root + "dev/d1/updates/+", true},
		{root + "dev/d1/updates/policy", true},
		{root + "updates/+", true},
		{root + "updates/trust", true},
		{root + "group/north/updates/+", true},
		{root + "dev/d2/ack", false},
		{root + "dev/d2/updates/+", false},
		{root + "group/south/updates/+", false},
		{root + "dev/+/scans", false},
		{root + "dev/d1/scans", false},
		{root + "updates/#", false},
		{"#", false},
		{"fuscan/v1/t2/updates/+", false},
	}
	for _, c := range cases {
		code, _, err := d1.Subscribe(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := code < 0x80; got != c.ok {
			t.Errorf("subscribe %s: code %#x, want granted %v", c.filter, code, c.ok)
		}
	}
}

// TestPublishACL: a device publishing outside its own scans, status and
// reports is disconnected and the message reaches no one; the hub
// publishes anywhere.
func TestPublishACL(t *testing.T) {
	e := start(t, nil)
	hub, err := e.hubClient(t, "hub-secret")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 16)
	tok := hub.Subscribe("fuscan/v1/"+tenant+"/#", 1, func(_ paho.Client, m paho.Message) { got <- m.Topic() })
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	drain := func() {
		for {
			select {
			case <-got:
			case <-time.After(200 * time.Millisecond):
				return
			}
		}
	}
	pw1 := e.add(t, "d1", "north")
	e.add(t, "d2", "")
	root := "fuscan/v1/" + tenant + "/"
	for _, topic := range []string{root + "dev/d2/scans", root + "dev/d2/status", root + "dev/d1/ack", root + "updates/policy",
		root + "group/north/updates/policy", root + "dev/d1/updates/policy", root + "dev/d1/other"} {
		d1 := e.device(t, "d1", pw1)
		drain() // its status
		d1.PublishTo(topic, []byte("x"))
		if !d1.Disconnected(5 * time.Second) {
			t.Errorf("publish to %s: the device is still connected", topic)
		}
		select {
		case tp := <-got:
			if tp == topic {
				t.Errorf("publish to %s: the message was delivered", topic)
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !strings.Contains(e.log.String(), "publish refused") {
		t.Errorf("the log does not name refused publishes:\n%s", e.log)
	}

	// Its own topics pass, and the hub reaches it.
	d1 := e.device(t, "d1", pw1)
	if err := d1.Publish(wire.LeafReports, []byte("{}")); err != nil || !d1.Connected() {
		t.Errorf("publish to its reports: %v", err)
	}
	hub.Publish(wire.DeviceTopic(tenant, "d1", wire.LeafAck), 1, false, wire.Encode(wire.Ack{Held: 7})).WaitTimeout(5 * time.Second)
	if a, err := d1.NextAck(5 * time.Second); err != nil || a.Held != 7 {
		t.Errorf("hub's ack: %+v %v", a, err)
	}
}

func TestWillOnAnotherTopic(t *testing.T) {
	e := start(t, nil)
	pw := e.add(t, "d1", "")
	e.add(t, "d2", "")
	_, err := hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: "d1", Password: pw,
		WillTopic: wire.DeviceTopic(tenant, "d2", wire.LeafStatus)})
	if err == nil {
		t.Fatal("a will on another device's status: connected")
	}
	_, err = hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: "d1", Password: pw,
		WillTopic: "fuscan/v1/" + tenant + "/updates/policy"})
	if err == nil {
		t.Fatal("a will on the updates topic: connected")
	}
}

func TestClientIDTakeover(t *testing.T) {
	e := start(t, nil)
	d1 := e.device(t, "d1", e.add(t, "d1", ""))
	_, err := hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: "d2", Password: e.add(t, "d2", ""), ClientID: "d1"})
	if err == nil {
		t.Error("d2 with d1's client id: connected")
	}
	time.Sleep(100 * time.Millisecond)
	if !d1.Connected() {
		t.Error("d1 was disconnected by another device's login")
	}
}

// TestAccountsWhileRunning: a device added while the broker runs logs in
// at once; a device removed is disconnected and cannot log in again.
func TestAccountsWhileRunning(t *testing.T) {
	e := start(t, nil)
	d1 := e.device(t, "d1", e.add(t, "d1", ""))
	if err := broker.RemoveDevice(e.accounts, "d1"); err != nil {
		t.Fatal(err)
	}
	e.device(t, "d2", e.add(t, "d2", "")) // a login reads the file again
	if !d1.Disconnected(5 * time.Second) {
		t.Error("a removed device stays connected")
	}
	if err := broker.RemoveDevice(e.accounts, "d1"); !errors.Is(err, broker.ErrNoAccount) {
		t.Errorf("removing it again: %v, want ErrNoAccount", err)
	}
}

func TestAddDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.json")
	pw, err := broker.AddDevice(path, "gate-07", "north")
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) < 32 {
		t.Errorf("password %q: want at least 32 characters", pw)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(pw)) {
		t.Error("the accounts file holds the password")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := broker.AddDevice(path, "gate-07", ""); !errors.Is(err, broker.ErrExists) {
		t.Errorf("adding it again: %v, want ErrExists", err)
	}
	for _, bad := range [][2]string{{"a/b", ""}, {"", ""}, {"+", ""}, {"ok", "g#"}, {broker.HubUser, ""}} {
		if _, err := broker.AddDevice(path, bad[0], bad[1]); err == nil {
			t.Errorf("AddDevice(%q, %q): no error", bad[0], bad[1])
		}
	}
	accts, err := broker.Devices(path)
	if err != nil || len(accts) != 1 || accts[0].Device != "gate-07" || accts[0].Group != "north" {
		t.Fatalf("Devices = %+v %v", accts, err)
	}
	if !accts[0].Check(pw) || accts[0].Check(pw+"x") {
		t.Error("Check does not tell the password from another")
	}
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	e := start(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	pw := e.add(t, "d1", "")
	d := hubtest.Connect(t, hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: "d1", Password: pw,
		TLS: &tls.Config{RootCAs: pool, ServerName: "hub.test"}})
	if !d.Connected() {
		t.Fatal("not connected over TLS")
	}
	if _, err := hubtest.Dial(hubtest.DeviceOptions{Broker: "tcp://" + e.b.Addr(), Tenant: tenant, ID: "d1", Password: pw}); err == nil {
		t.Error("plain MQTT on the TLS listener: connected")
	}
	if _, err := e.hubClient(t, "hub-secret"); err != nil {
		t.Errorf("the hub on its loopback listener: %v", err)
	}
}

// selfSigned returns a certificate for hub.test and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hub.test"}, DNSNames: []string{"hub.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func FuzzParseAccounts(f *testing.F) {
	path := filepath.Join(f.TempDir(), "devices.json")
	if _, err := broker.AddDevice(path, "d1", "g"); err != nil {
		f.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add([]byte(`{"version":1,"devices":{"a/b":{}}}`))
	f.Add([]byte(`{"version":1,"devices":{"a":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		accts, err := broker.ParseAccounts(data)
		if err != nil {
			return
		}
		for id, a := range accts {
			if !wire.ValidID(id) || a.Device != id {
				t.Errorf("accepted device %q (%q)", id, a.Device)
			}
		}
	})
}
