package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/sample"
)

// bin is the directory of the binaries under test, built once.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fuscan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", dir, "../cmd/fuscand", "../cmd/fuscan-hub", "../cmd/fuscanctl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binaries:", err)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// buffer is a goroutine-safe bytes.Buffer for a process's output.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a process under test.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *buffer // stdout and stderr
	exited chan error
}

func start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, out: &buffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(bin, name), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil { // an OS pipe: nothing to copy after a kill
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL, as a power cut would.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		<-p.exited
		p.exited <- nil
	}
}

// stop ends the process with SIGTERM and waits for it.
func (p *proc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Errorf("%s stopped with %v:\n%s", p.name, err, p.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop on SIGTERM:\n%s", p.name, p.out.String())
	}
}

// hub is a fuscan-hub process with its embedded broker (or on an external
// one), its data directory kept across restarts.
type hub struct {
	data, mqtt, http string
	extra            []string
	p                *proc
}

func newHub(t testing.TB, extra ...string) *hub {
	t.Helper()
	h := &hub{data: t.TempDir(), mqtt: freeAddr(t), http: freeAddr(t), extra: extra}
	return h
}

// addDevice creates a device's login and returns the password file for
// fuscand.
func (h *hub) addDevice(t testing.TB, device, group string) string {
	t.Helper()
	args := []string{"device", "add", "--data", h.data, "--device", device}
	if group != "" {
		args = append(args, "--group", group)
	}
	out, err := exec.Command(filepath.Join(bin, "fuscan-hub"), args...).Output()
	if err != nil {
		t.Fatalf("device add: %v\n%s", err, out)
	}
	var password string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "password "); ok {
			password = strings.TrimSpace(v)
		}
	}
	if password == "" {
		t.Fatalf("device add printed no password:\n%s", out)
	}
	path := filepath.Join(t.TempDir(), device+".pw")
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (h *hub) start(t testing.TB) {
	t.Helper()
	args := append([]string{"--data", h.data, "--http", h.http, "--log-level", "warn"}, h.extra...)
	if !contains(h.extra, "--broker") {
		args = append(args, "--mqtt", h.mqtt)
	}
	h.p = start(t, "fuscan-hub", args...)
	waitFor(t, "the hub's API", func() bool {
		resp, err := http.Get("http://" + h.http + "/api/v1/devices")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (h *hub) url() string { return "tcp://" + h.mqtt }

// device is the fleet state the hub's API gives for one device.
type device struct {
	Device  string     `json:"device"`
	Online  bool       `json:"online"`
	Records uint64     `json:"records"`
	MaxSeq  uint64     `json:"max_seq"`
	Gaps    [][]uint64 `json:"gaps"`
	ChainOK bool       `json:"chain_ok"`
}

func (h *hub) get(t testing.TB, path string, v any) {
	t.Helper()
	token, err := os.ReadFile(filepath.Join(h.data, "api-token"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+h.http+path, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func (h *hub) device(t testing.TB, id string) device {
	t.Helper()
	var out struct{ Devices []device }
	h.get(t, "/api/v1/devices", &out)
	for _, d := range out.Devices {
		if d.Device == id {
			return d
		}
	}
	return device{}
}

// terminal is a fuscand process deciding the code texts written to its
// stdin, with a link to a hub.
type terminal struct {
	id, data, listen string
	args             []string
	p                *proc
	fed              atomic.Int64
}

func newTerminal(t testing.TB, id, broker, password string, extra ...string) *terminal {
	t.Helper()
	d := &terminal{id: id, data: t.TempDir()}
	d.args = append([]string{"--device", id, "--venue", "v1", "--data", d.data, "--source", "stdin:", "--dedupe", "-1s",
		"--broker", broker, "--mqtt-password-file", password, "--log-level", "warn"}, extra...)
	return d
}

func (d *terminal) start(t testing.TB) {
	t.Helper()
	d.listen = freeAddr(t)
	d.p = start(t, "fuscand", append(d.args, "--listen", d.listen)...)
	waitFor(t, "fuscand's /healthz", func() bool { _, ok := d.health(); return ok })
}

// feed writes n copies of a valid card's text: every one is decided and
// logged (--dedupe -1s).
func (d *terminal) feed(t testing.TB, n int) {
	t.Helper()
	card := sample.Cases(time.Now())[0].Text
	w := bufio.NewWriter(d.p.stdin)
	for range n {
		fmt.Fprintln(w, card)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	d.fed.Add(int64(n))
}

type health struct {
	LastSeq uint64 `json:"last_seq"`
	Backlog uint64 `json:"backlog"`
	Sync    *struct {
		Connected bool `json:"connected"`
	} `json:"sync"`
}

func (d *terminal) health() (health, bool) {
	var h health
	resp, err := http.Get("http://" + d.listen + "/healthz")
	if err != nil {
		return h, false
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h) == nil
}

func (d *terminal) lastSeq() uint64 { h, _ := d.health(); return h.LastSeq }

// waitFor polls cond every 20 ms for up to two minutes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 2 minutes", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkSynced is how every fault test ends: the hub holds every record of
// the terminal exactly once, with no seq gap and a whole chain, and the
// terminal's cursor equals the hub's count.
func checkSynced(t *testing.T, h *hub, d *terminal, want uint64) {
	t.Helper()
	waitFor(t, d.id+" logged everything", func() bool { return d.lastSeq() >= want })
	waitFor(t, "the hub holds "+d.id+"'s log", func() bool { return h.device(t, d.id).Records >= want })
	waitFor(t, d.id+"'s backlog drained", func() bool { hl, ok := d.health(); return ok && hl.Backlog == 0 })
	d.stop(t)
	s, err := boltstore.Open(filepath.Join(d.data, "terminal.db"), &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	got := h.device(t, d.id)
	switch {
	case c.LastSeq != want:
		t.Errorf("%s logged %d records, want %d", d.id, c.LastSeq, want)
	case got.Records != want || got.MaxSeq != want:
		t.Errorf("hub holds %d records of %s up to seq %d, want %d", got.Records, d.id, got.MaxSeq, want)
	case len(got.Gaps) != 0 || !got.ChainOK:
		t.Errorf("hub: %s gaps %v chain_ok %v", d.id, got.Gaps, got.ChainOK)
	case c.AckedSeq != got.Records:
		t.Errorf("%s's cursor %d, the hub holds %d", d.id, c.AckedSeq, got.Records)
	}
}

func (d *terminal) stop(t testing.TB) {
	d.p.stdin.Close()
	d.p.stop(t)
}

// cutter is a loopback TCP proxy that cuts each connection after a random
// number of bytes while cutting is on.
type cutter struct {
	ln      net.Listener
	target  string
	cutting atomic.Bool
	cuts    atomic.Int64
}

func newCutter(t testing.TB, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target}
	c.cutting.Store(true)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	return c
}

func (c *cutter) url() string { return "tcp://" + c.ln.Addr().String() }

func (c *cutter) serve(down net.Conn) {
	up, err := net.Dial("tcp", c.target)
	if err != nil {
		down.Close()
		return
	}
	var left atomic.Int64
	left.Store(-1)
	if c.cutting.Load() {
		left.Store(100 + rand.Int64N(200_000))
	}
	// Either direction ending, or the cut, closes both at once: a cut
	// connection dies as a pulled cable does, for both ends.
	var once sync.Once
	closeBoth := func() { once.Do(func() { down.Close(); up.Close() }) }
	pipe := func(dst, src net.Conn) {
		defer closeBoth()
		buf := make([]byte, 8192)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if left.Load() >= 0 && left.Add(-int64(n)) < 0 {
					c.cuts.Add(1)
					return
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(up, down)
	pipe(down, up)
}

// writeTemp writes content to a new file and returns its path.
func writeTemp(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mosquitto is Debian's Mosquitto as a separate process on a fixed
// loopback port, so that it can be killed and started again.
type mosquitto struct {
	addr, conf string
	p          *exec.Cmd
	exited     chan error
}

const mosquittoPath = "/usr/sbin/mosquitto"

func newMosquitto(t testing.TB) *mosquitto {
	t.Helper()
	if _, err := os.Stat(mosquittoPath); err != nil {
		t.Skipf("Mosquitto is not installed (scripts/deps.sh installs it): %v", err)
	}
	m := &mosquitto{addr: freeAddr(t), conf: filepath.Join(t.TempDir(), "mosquitto.conf")}
	host, port, _ := net.SplitHostPort(m.addr)
	conf := fmt.Sprintf("listener %s %s\nallow_anonymous true\npersistence false\nmax_queued_messages 10000\nlog_dest stderr\n", port, host)
	if os.Getuid() == 0 {
		conf += "user root\n" // else it switches to user mosquitto, who cannot read the test's files
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.kill)
	return m
}

func (m *mosquitto) url() string { return "tcp://" + m.addr }

func (m *mosquitto) start(t testing.TB) {
	t.Helper()
	m.p = exec.Command(mosquittoPath, "-c", m.conf)
	out := &buffer{}
	m.p.Stdout, m.p.Stderr = out, out
	if err := m.p.Start(); err != nil {
		t.Fatal(err)
	}
	m.exited = make(chan error, 1)
	go func() { m.exited <- m.p.Wait() }()
	waitFor(t, "mosquitto listening", func() bool {
		c, err := net.Dial("tcp", m.addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (m *mosquitto) kill() {
	if m.p != nil && m.p.ProcessState == nil {
		m.p.Process.Kill()
		<-m.exited
	}
}
