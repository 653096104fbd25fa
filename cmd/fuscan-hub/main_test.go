package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal/cose"
)

// TestMain lets tests and benchmarks run this binary as fuscan-hub
// itself, in a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("FUSCAN_HUB_TEST_CHILD") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// hubcmd runs fuscan-hub in-process and returns its exit code and
// output.
func hubcmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, exitOK, "--broker URL"},
		{[]string{"-h"}, exitOK, "device add --data DIR --device ID [--group G]"},
		{[]string{"--help"}, exitOK, "Authorization: Bearer TOKEN"},
		{nil, exitUsage, "no data directory (--data)"},
		{[]string{"--data", dir, "--mqtt", ":1883", "--broker", "tcp://h:1883"}, exitUsage, "give one"},
		{[]string{"--data", dir, "--tls-cert", "c.pem"}, exitUsage, "go together"},
		{[]string{"--data", dir, "--tenant", "a/b"}, exitUsage, `--tenant "a/b"`},
		{[]string{"--data", dir, "--bogus"}, exitUsage, "--bogus"},
		{[]string{"--data", dir, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--data", dir, "--log-level", "loud"}, exitUsage, "--log-level"},
		{[]string{"--data", dir, "--broker", "not a url"}, exitFailure, "--broker"},
		{[]string{"--data", dir, "--tls-cert", "c.pem", "--tls-key", "k.pem", "--mqtt", "127.0.0.1:0", "--http", "127.0.0.1:0"}, exitFailure, "--tls-cert, --tls-key"},
		{[]string{"--data", dir, "--broker", "tcp://127.0.0.1:1", "--broker-ca", "ca.pem"}, exitFailure, "--broker-ca"},
		{[]string{"--data", dir, "--roots", filepath.Join(dir, "none.pem"), "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"}, exitFailure, "no such file"},
		{[]string{"device"}, exitUsage, "want add, list or remove"},
		{[]string{"device", "rename", "--data", dir}, exitUsage, `unknown command "rename"`},
		{[]string{"device", "add", "--data", dir}, exitUsage, "no device (--device)"},
		{[]string{"device", "add", "--device", "d1"}, exitUsage, "no data directory"},
		{[]string{"device", "remove", "--data", dir, "--device", "d1", "--group", "g"}, exitUsage, "--group is for add"},
		{[]string{"device", "add", "--data", dir, "--device", "a/b"}, exitFailure, `device "a/b"`},
		{[]string{"device", "--help"}, exitOK, "device list --data DIR"},
	}
	for _, c := range cases {
		code, stdout, stderr := hubcmd(c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("fuscan-hub %q: exit %d, output %q; want exit %d and %q", c.args, code, stdout+stderr, c.code, c.want)
		}
	}
}

func TestDeviceCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := hubcmd("device", "add", "--data", dir, "--device", "gate-07", "--group", "north")
	pw, ok := strings.CutPrefix(lines(out)[2], "password ")
	if code != exitOK || lines(out)[0] != "device gate-07" || lines(out)[1] != "group north" || !ok || len(pw) < 32 {
		t.Fatalf("device add: exit %d, output %q", code, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, fileAccounts))
	if bytes.Contains(data, []byte(pw)) {
		t.Error("devices.json holds the password")
	}
	if code, _, stderr := hubcmd("device", "add", "--data", dir, "--device", "gate-07"); code != exitFailure || !strings.Contains(stderr, "already") {
		t.Errorf("adding it again: exit %d %q", code, stderr)
	}
	if code, out, _ := hubcmd("device", "list", "--data", dir); code != exitOK || !regexp.MustCompile(`(?m)^gate-07 +north +20`).MatchString(out) {
		t.Errorf("device list: exit %d %q", code, out)
	}
	if code, _, _ := hubcmd("device", "remove", "--data", dir, "--device", "gate-07"); code != exitOK {
		t.Errorf("device remove: exit %d", code)
	}
	if code, _, stderr := hubcmd("device", "remove", "--data", dir, "--device", "gate-07"); code != exitFailure || !strings.Contains(stderr, "no such device") {
		t.Errorf("removing it again: exit %d %q", code, stderr)
	}
}

func lines(s string) []string { return append(strings.Split(strings.TrimSpace(s), "\n"), "", "", "") }

// running is a fuscan-hub started by a test.
type running struct {
	mqtt, http string // addresses, from its log
	stderr     *hubtest.Buffer
	stop       func() int // stops it and returns its exit code
}

var runningLine = regexp.MustCompile(`msg="hub running" mqtt=(\S+) http=(\S+)`)

// start runs fuscan-hub in-process with args and waits until it serves.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stderr: &hubtest.Buffer{}}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, args, &bytes.Buffer{}, r.stderr) }()
	var once sync.Once
	code := 0
	r.stop = func() int {
		once.Do(func() { cancel(); code = <-exited })
		return code
	}
	t.Cleanup(func() { r.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := runningLine.FindStringSubmatch(r.stderr.String()); m != nil {
			r.mqtt, r.http = m[1], m[2]
			return r
		}
		select {
		case code := <-exited:
			exited <- code
			t.Fatalf("fuscan-hub exited %d:\n%s", code, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("fuscan-hub is not running after 10s:\n%s", r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// addDevice runs "device add" and returns the password.
func addDevice(t testing.TB, dir, id, group string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"device", "add", "--data", dir, "--device", id, "--group", group}, &stdout, &stderr); code != exitOK {
		t.Fatalf("device add: %s", stderr.String())
	}
	pw, _ := strings.CutPrefix(lines(stdout.String())[2], "password ")
	return pw
}

// TestRun runs the hub with its embedded broker from the command line:
// a device added before the start logs in, its batch is stored and
// acknowledged, the API answers with the token from DIR/api-token, and
// a second start on the same DIR keeps the token and the records.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	root := testkeys.New(t, cose.SM2SM3)
	if err := os.WriteFile(filepath.Join(dir, fileRoots), testkeys.PublicPEM(t, root), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := addDevice(t, dir, "gate-07", "north")
	args := []string{"--data", dir, "--mqtt", "127.0.0.1:0", "--http", "127.0.0.1:0", "--tenant", "fz"}
	r := start(t, args...)

	info, err := os.Stat(filepath.Join(dir, fileToken))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("api-token: %v %v, want mode 0600", info, err)
	}
	token, _ := os.ReadFile(filepath.Join(dir, fileToken))
	if len(token) < 32 {
		t.Fatalf("api-token %q: want a long random token", token)
	}

	d := hubtest.Connect(t, hubtest.DeviceOptions{Broker: "tcp://" + r.mqtt, Tenant: "fz", ID: "gate-07", Password: pw, Venue: "hall", Group: "north"})
	if a, err := d.NextAck(10 * time.Second); err != nil || a.Last != 0 {
		t.Fatalf("greeting: %+v %v", a, err)
	}
	log := hubtest.NewLog("gate-07", "hall")
	if err := d.Send([][]byte{hubtest.Batch(t, "gate-07", log.Next(300))}, []uint64{300}, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	client := &hub.Client{URL: "http://" + r.http, Token: string(token)}
	ctx := context.Background()
	devs, err := client.Devices(ctx)
	if err != nil || len(devs) != 1 || devs[0].Records != 300 || !devs[0].Online || devs[0].Group != "north" {
		t.Fatalf("devices %+v %v", devs, err)
	}
	b, err := bundle.Sign(&bundle.Bundle{Kind: bundle.KindPolicy, Version: 1, IssuedAt: time.Now().Add(-time.Hour).Truncate(time.Second),
		ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Second), Target: "group:north", Payload: []byte("{}")}, root)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := client.Push(ctx, b); err != nil || p.Topic != "fuscan/v1/fz/group/north/updates/policy" || !p.Published {
		t.Errorf("push: %+v %v", p, err)
	}
	var ae *hub.APIError
	if _, err := (&hub.Client{URL: client.URL, Token: "guess"}).Devices(ctx); !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("a wrong token: %v, want 401", err)
	}
	if code := r.stop(); code != exitOK {
		t.Fatalf("stop: exit %d\n%s", code, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), `msg="hub stopped" batches=1 records=300`) {
		t.Errorf("no summary at the stop:\n%s", r.stderr)
	}

	r = start(t, args...)
	again, _ := os.ReadFile(filepath.Join(dir, fileToken))
	if !bytes.Equal(again, token) {
		t.Error("the token changed at the second start")
	}
	client.URL = "http://" + r.http
	if devs, err := client.Devices(ctx); err != nil || len(devs) != 1 || devs[0].Records != 300 || devs[0].Online || devs[0].OfflineReason != "broker restarted" {
		t.Errorf("after a restart: %+v %v, want 300 records, offline (its link went with the broker)", devs[0], err)
	}

	// One hub per DIR.
	code, _, stderr := hubcmd(args...)
	if code != exitFailure || !strings.Contains(stderr, "another fuscan-hub runs on") {
		t.Errorf("a second hub on the same DIR: exit %d %q", code, stderr)
	}
}

// TestExternalBroker runs the hub on Mosquitto with --broker.
func TestExternalBroker(t *testing.T) {
	url := hubtest.Mosquitto(t)
	dir := t.TempDir()
	r := start(t, "--data", dir, "--broker", url, "--http", "127.0.0.1:0")
	token, _ := os.ReadFile(filepath.Join(dir, fileToken))
	client := &hub.Client{URL: "http://" + r.http, Token: string(token)}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.stderr.String(), "connected to the broker") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	d := hubtest.Connect(t, hubtest.DeviceOptions{Broker: url, Tenant: hub.DefaultTenant, ID: "d1"})
	if a, err := d.NextAck(10 * time.Second); err != nil || a.Last != 0 {
		t.Fatalf("greeting: %+v %v", a, err)
	}
	if err := d.Publish(wire.LeafScans, hubtest.Batch(t, "d1", hubtest.NewLog("d1", "v").Next(50))); err != nil {
		t.Fatal(err)
	}
	if a, err := d.NextAck(10 * time.Second); err != nil || a.Held != 50 {
		t.Fatalf("ack %+v %v", a, err)
	}
	if devs, err := client.Devices(context.Background()); err != nil || len(devs) != 1 || devs[0].Records != 50 {
		t.Errorf("devices %+v %v", devs, err)
	}
	if !strings.Contains(r.stderr.String(), "shared=true") {
		t.Errorf("the hub does not share its subscriptions on --broker:\n%s", r.stderr)
	}
}

// TestSIGTERM runs fuscan-hub as a process of its own and stops it with
// SIGTERM.
func TestSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "--data", dir, "--mqtt", "127.0.0.1:0", "--http", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "FUSCAN_HUB_TEST_CHILD=1")
	stderr := &hubtest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !runningLine.MatchString(stderr.String()) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("not running after 10s:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "hub stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr)
	}
}
