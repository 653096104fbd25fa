package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/internal/race"
	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
	"github.com/fuscan/fuscan/terminal/sample"
)

// at is the tests' clock.
var at = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func fixed() time.Time { return at }

// recorder is an output that keeps what it was shown.
type recorder struct {
	mu      sync.Mutex
	records []terminal.Record
}

func (r *recorder) Show(_ context.Context, _ *terminal.Decision, rec *terminal.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, *rec)
	return nil
}

func (r *recorder) all() []terminal.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]terminal.Record(nil), r.records...)
}

func config(t testing.TB, src string) firmwareconfig.Config {
	return firmwareconfig.Config{Device: "test-1", Venue: "venue-1", Source: src, Data: t.TempDir()}
}

func open(t *testing.T, opts Options) *Engine {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixed
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// writeCodes writes a QR PNG of each text into a new directory, in order.
func writeCodes(t *testing.T, texts []string) string {
	t.Helper()
	dir := t.TempDir()
	for i, text := range texts {
		var b bytes.Buffer
		if err := qrcard.WritePNG(&b, text, &qrcard.ImageOptions{ModulePx: 3}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.png", i)), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunDir decides every sample code from a dir: source, with the
// built-in trust snapshot, and checks the verdicts, the log and the
// outputs' order.
func TestRunDir(t *testing.T) {
	cases := sample.Cases(at)
	var texts []string
	for _, c := range cases {
		texts = append(texts, c.Text)
	}
	rec := &recorder{}
	e := open(t, Options{Config: config(t, "dir:"+writeCodes(t, texts)+"?fps=max"), Outputs: []terminal.Output{rec}})
	if err := e.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v, want nil once the directory is done", err)
	}
	got := rec.all()
	if len(got) != len(cases) {
		t.Fatalf("%d decisions shown, want %d", len(got), len(cases))
	}
	for i, c := range cases {
		r := got[i]
		if r.Seq != uint64(i+1) || r.Verdict != c.Verdict.String() || r.Reason != c.Reason {
			t.Errorf("%s: seq %d %s %s, want seq %d %v %s", c.Label, r.Seq, r.Verdict, r.Reason, i+1, c.Verdict, c.Reason)
		}
		if r.Device != "test-1" || r.Venue != "venue-1" {
			t.Errorf("%s: device %q venue %q", c.Label, r.Device, r.Venue)
		}
	}
	n, _, err := e.Store().Verify()
	if err != nil || n != uint64(len(cases)) {
		t.Errorf("Verify = %d, %v; want %d records", n, err, len(cases))
	}
	if h := e.Health(); !h.OK || h.SourceState != "finished" || !h.TrustDemo || h.LastSeq != uint64(len(cases)) {
		t.Errorf("Health = %+v, want ok, finished, demo trust, last seq %d", h, len(cases))
	}
}

func TestRunStdin(t *testing.T) {
	cases := sample.Cases(at)
	in := cases[0].Text + "\n\n" + cases[2].Text + "\n" + cases[0].Text + "\n"
	rec := &recorder{}
	e := open(t, Options{Config: config(t, "stdin:"), Stdin: strings.NewReader(in), Outputs: []terminal.Output{rec}})
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The third line repeats the first within the de-duplication window.
	got := rec.all()
	if len(got) != 2 || got[0].Reason != terminal.OK || got[1].Reason != terminal.ColorYellow {
		t.Fatalf("decisions %+v, want pass OK then warn COLOR_YELLOW", got)
	}
	if st := e.Pipeline().Stats(); st.Duplicates != 1 {
		t.Errorf("Duplicates = %d, want 1", st.Duplicates)
	}
}

// TestSourceRetry runs a source that cannot open: the engine keeps
// retrying, says so in Health and the metrics, and stops cleanly.
func TestSourceRetry(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ttyACM9")
	e := open(t, Options{Config: config(t, "scanner:"+missing), Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	h := waitFor(t, e, func(h Health) bool { return h.SourceState == "retrying" })
	if h.OK || len(h.Reasons) == 0 || !strings.Contains(h.Reasons[0], "ttyACM9") {
		t.Errorf("Health = %+v, want not ok, naming the device", h)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	code, body := get(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"source_state": "retrying"`) {
		t.Errorf("/healthz = %d %s, want 503 retrying", code, body)
	}
	if _, m := get(t, srv.URL+"/metrics"); !strings.Contains(m, "fuscan_source_up 0") || !strings.Contains(m, "fuscan_healthy 0") {
		t.Errorf("/metrics lacks fuscan_source_up 0 and fuscan_healthy 0:\n%s", grep(m, "fuscan_"))
	}
	// The device appears, whole (a rename: a retry must not find it
	// empty): the next retry runs it.
	if err := os.WriteFile(missing+".new", []byte("FSC1:NOT A CODE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(missing+".new", missing); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, func(h Health) bool { return h.Decisions == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
}

// waitFor polls Health until ok holds; it fails the test after 10 s.
func waitFor(t *testing.T, e *Engine, ok func(Health) bool) Health {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := e.Health()
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached; health %+v", h)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetrics(t *testing.T) {
	cases := sample.Cases(at)
	e := open(t, Options{Config: config(t, "stdin:")})
	for _, c := range cases {
		e.Pipeline().Submit(context.Background(), c.Text, at)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	code, m := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	want := map[string]int{}
	for _, c := range cases {
		want[fmt.Sprintf(`fuscan_decisions_total{reason=%q,verdict=%q}`, c.Reason, c.Verdict)]++
	}
	for series, n := range want {
		if !strings.Contains(m, fmt.Sprintf("%s %d\n", series, n)) {
			t.Errorf("/metrics lacks %s %d:\n%s", series, n, grep(m, "fuscan_decisions"))
		}
	}
	for _, line := range []string{
		fmt.Sprintf("fuscan_log_last_seq %d", len(cases)),
		fmt.Sprintf("fuscan_log_backlog_records %d", len(cases)),
		"fuscan_trust_demo 1", `fuscan_stage_latency_seconds{quantile="0.99",stage="commit"}`,
		"fuscan_trust_age_seconds", "fuscan_frames_dropped_total 0", "go_goroutines",
	} {
		if !strings.Contains(m, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	_, copyData := get(t, srv.URL+"/backup")
	if err := os.WriteFile(backup, []byte(copyData), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := boltstore.Open(backup, &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("/backup gave no store: %v", err)
	}
	if n, _, err := c.Verify(); err != nil || n != uint64(len(cases)) {
		t.Errorf("/backup: %d records, %v; want %d", n, err, len(cases))
	}
	c.Close()
	code, body := get(t, srv.URL+"/healthz")
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || !h.OK || h.Backlog != uint64(len(cases)) {
		t.Errorf("/healthz = %d %s (%v), want 200 ok with backlog %d", code, body, err, len(cases))
	}
}

// snapshotFile writes the demo snapshot's keys as a snapshot of version
// v, marked demo or not, and returns its path.
func snapshotFile(t *testing.T, v int, demo bool) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(sample.Snapshot(), &m); err != nil {
		t.Fatal(err)
	}
	m["version"], m["demo"] = v, demo
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("trust-v%d.json", v))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrustNoRollback: a provisioned snapshot is kept in the store; an
// older file does not replace it, and neither does a demo snapshot of any
// version.
func TestTrustNoRollback(t *testing.T) {
	cfg := config(t, "stdin:")
	builtin, err := terminal.ParseSnapshot(firmwareconfig.DefaultTrust())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		trust string
		want  uint64
		demo  bool
	}{
		{"", builtin.Version, true},
		{snapshotFile(t, 7, false), 7, false},
		{"", 7, false},
		{snapshotFile(t, 5, false), 7, false},
		{snapshotFile(t, 20, true), 7, false},
		{snapshotFile(t, 9, false), 9, false},
		{"", 9, false},
	}
	for i, s := range steps {
		cfg.Trust = s.trust
		e, err := Open(Options{Config: cfg, Now: fixed, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Trust(); got.Version != s.want || got.Demo != s.demo {
			t.Errorf("step %d (trust %q): version %d demo %v, want %d %v", i, filepath.Base(s.trust), got.Version, got.Demo, s.want, s.demo)
		}
		e.Close()
	}
}

// TestKeysAndPolicy: --keys adds an issuer to the snapshot's, --policy
// replaces its policy.
func TestKeysAndPolicy(t *testing.T) {
	dir := t.TempDir()
	signer := testkeys.New(t, cose.EdDSA)
	pem := testkeys.PublicPEM(t, signer)
	keys := filepath.Join(dir, "extra.pub")
	policy := filepath.Join(dir, "policy.json")
	os.WriteFile(keys, pem, 0o600)
	os.WriteFile(policy, []byte(`{"version": 42, "colors": {"yellow": "deny"}}`), 0o600)
	cfg := config(t, "stdin:")
	cfg.Keys, cfg.Policy = []string{keys}, policy
	rec := &recorder{}
	e := open(t, Options{Config: cfg, Outputs: []terminal.Output{rec}})

	c := credential.Claims{Kind: credential.KindCard, Issuer: "440000", IssuedAt: at.Add(-time.Hour), ExpiresAt: at.Add(24 * time.Hour),
		Serial: "FSC-EXTRA-1", Health: credential.Health{Color: credential.ColorGreen, Name: "陈*", IDTail: "0001"}}
	card, err := credential.Issue(signer, &c, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	e.Pipeline().Submit(context.Background(), card, at)
	e.Pipeline().Submit(context.Background(), sample.Cases(at)[2].Text, at) // yellow
	got := rec.all()
	if len(got) != 2 || got[0].Reason != terminal.OK || got[1].Verdict != "deny" || got[1].Policy != 42 {
		t.Errorf("decisions %+v, want the extra key's card to pass and yellow denied under policy 42", got)
	}
}

func TestPurge(t *testing.T) {
	e := open(t, Options{Config: config(t, "stdin:")})
	old := func(days int) *terminal.Record {
		return &terminal.Record{TimeUS: at.Add(-time.Duration(days) * 24 * time.Hour).UnixMicro(), ClockOK: true, Verdict: "pass", Reason: terminal.OK}
	}
	if err := e.Store().Append(old(40), old(35), old(31), old(29), old(40)); err != nil {
		t.Fatal(err)
	}
	if err := e.Store().Ack(4); err != nil {
		t.Fatal(err)
	}
	e.purge()
	// Records 1-3 are acknowledged and past 30 days; 4 is too young; 5
	// is older but not acknowledged.
	st, err := e.Store().Stats()
	if err != nil || st.Total != 2 {
		t.Errorf("after purge: %+v, %v; want 2 records left", st, err)
	}
	if n, _, err := e.Store().Verify(); err != nil || n != 2 {
		t.Errorf("Verify = %d, %v", n, err)
	}
	if h := e.Health(); h.Purged != 3 {
		t.Errorf("Health().Purged = %d, want 3", h.Purged)
	}
}

func TestOpenErrors(t *testing.T) {
	foreign := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(foreign, 0o700)
	os.WriteFile(filepath.Join(foreign, StoreFile), []byte("not a database, but someone's file"), 0o600)
	badTrust := filepath.Join(t.TempDir(), "trust.json")
	os.WriteFile(badTrust, []byte(`{"fuscan_trust": 2}`), 0o600)
	cases := []struct {
		edit func(*firmwareconfig.Config)
		want string
	}{
		{func(c *firmwareconfig.Config) { c.Device = "" }, "no device"},
		{func(c *firmwareconfig.Config) { c.Gate = "relay:1" }, "gate"},
		{func(c *firmwareconfig.Config) { c.Source = "webcam:0" }, `unknown scheme "webcam"`},
		{func(c *firmwareconfig.Config) { c.Data = foreign }, "not a fuscan store"},
		{func(c *firmwareconfig.Config) { c.Trust = badTrust }, "trust snapshot " + badTrust},
		{func(c *firmwareconfig.Config) { c.Trust = badTrust + ".missing" }, "no such file"},
		{func(c *firmwareconfig.Config) { c.Keys = []string{badTrust} }, "keys " + badTrust},
		{func(c *firmwareconfig.Config) { c.Policy = badTrust }, "policy " + badTrust},
	}
	for _, tc := range cases {
		cfg := config(t, "stdin:")
		tc.edit(&cfg)
		e, err := Open(Options{Config: cfg, Now: fixed, Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			e.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", cfg, err, tc.want)
		}
	}
	// The foreign file is kept as it was.
	if b, _ := os.ReadFile(filepath.Join(foreign, StoreFile)); string(b) != "not a database, but someone's file" {
		t.Errorf("foreign file changed: %q", b)
	}
}

// TestGate: the exec gate runs for every committed decision, opening for
// pass and warn only.
func TestGate(t *testing.T) {
	cases := sample.Cases(at)
	gateLog := filepath.Join(t.TempDir(), "gate.log")
	cfg := config(t, "stdin:")
	cfg.Gate = `exec:echo "$FUSCAN_SEQ $FUSCAN_VERDICT $FUSCAN_OPEN" >> ` + gateLog
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.Text + "\n")
	}
	e := open(t, Options{Config: cfg, Stdin: strings.NewReader(in.String())})
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(gateLog)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i, c := range cases {
		open := 0
		if c.Verdict == terminal.Pass || c.Verdict == terminal.Warn {
			open = 1
		}
		fmt.Fprintf(&want, "%d %v %d\n", i+1, c.Verdict, open)
	}
	if string(b) != want.String() {
		t.Errorf("gate ran:\n%s\nwant:\n%s", b, want.String())
	}
	// Staff's test opens it, with nothing logged.
	last, _ := e.Store().Counters()
	if err := e.TestGate(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(gateLog)
	if !strings.HasSuffix(string(b), "0 pass 1\n") {
		t.Errorf("TestGate: the gate ran as %q, want a pass that opens (seq 0: not logged)", b[strings.LastIndex(strings.TrimSuffix(string(b), "\n"), "\n")+1:])
	}
	if now, _ := e.Store().Counters(); now.LastSeq != last.LastSeq {
		t.Errorf("TestGate logged a record")
	}
}

// TestDemoSource runs the terminal on its demo camera until it has
// logged a pass, a warn, a deny and a refer.
func TestDemoSource(t *testing.T) {
	if race.Enabled {
		t.Skip("renders hundreds of frames: minutes under the race detector")
	}
	rec := &recorder{}
	var previewed atomic.Int64
	e := open(t, Options{Config: config(t, "demo:?fps=max&width=640&height=360"), Outputs: []terminal.Output{rec},
		Frames: func(terminal.Frame) { previewed.Add(1) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	deadline := time.Now().Add(2 * time.Minute)
	seen := map[string]bool{}
	for len(seen) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes, verdicts seen: %v", seen)
		}
		time.Sleep(10 * time.Millisecond)
		for _, r := range rec.all() {
			seen[r.Verdict] = true
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _, err := e.Store().Verify(); err != nil || n != uint64(len(rec.all())) {
		t.Errorf("Verify = %d, %v; want the %d decisions shown", n, err, len(rec.all()))
	}
	// Every frame the pipeline saw passed the preview first.
	if st := e.Pipeline().Stats(); previewed.Load() < int64(st.Frames) || st.Frames == 0 {
		t.Errorf("%d frames previewed, %d reached the pipeline", previewed.Load(), st.Frames)
	}
}

// TestMJPEGCamera runs the terminal on an IP camera: an HTTP server on
// loopback streams the sample codes as multipart MJPEG, each for 150 ms, and then closes the stream, as a camera that reboots does. The
// engine decides each code once and reconnects after the stream ends.
func TestMJPEGCamera(t *testing.T) {
	cases := sample.Cases(at)[:4]
	var parts [][]byte
	for _, c := range cases {
		img, err := qrcard.Image(c.Text, &qrcard.ImageOptions{ModulePx: 4})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, b.Bytes())
	}
	var connects atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		connects.Add(1)
		mw := multipart.NewWriter(w)
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+mw.Boundary())
		for _, p := range parts {
			for range 5 {
				pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"image/jpeg"}})
				if err != nil {
					return
				}
				pw.Write(p)
				w.(http.Flusher).Flush()
				time.Sleep(30 * time.Millisecond)
			}
		}
		mw.Close()
	}))
	defer srv.Close()
	rec := &recorder{}
	e := open(t, Options{Config: config(t, "mjpeg:"+srv.URL+"/video?ch=1"), Outputs: []terminal.Output{rec},
		Backoff: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, e, func(Health) bool { return connects.Load() >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := rec.all()
	if len(got) < len(cases) {
		t.Fatalf("%d decisions, want at least %d", len(got), len(cases))
	}
	for i, c := range cases {
		if got[i].Verdict != c.Verdict.String() || got[i].Reason != c.Reason {
			t.Errorf("%s: %s %s, want %v %s", c.Label, got[i].Verdict, got[i].Reason, c.Verdict, c.Reason)
		}
	}
}

// breakRecord makes record 3 unreadable.
func breakRecord(t *testing.T, path string) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("log")).Put(binary.BigEndian.AppendUint64(nil, 3), []byte("rot"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// breakNewestMeta changes 4 bytes of the meta page of the newest commit:
// bbolt falls back to the older one, a commit behind.
func breakNewestMeta(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int(binary.NativeEndian.Uint32(b[16+8:])) // page 0's page size
	txid := func(i int) uint64 { return binary.NativeEndian.Uint64(b[i*page+16+48:]) }
	newest := 0
	if txid(1) > txid(0) {
		newest = 1
	}
	copy(b[newest*page+16+16:], "\xde\xad\xbe\xef")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedStore: a terminal whose store was damaged while it was off
// starts, says so in Health and the metrics, and keeps deciding without
// reusing a seq.
func TestDamagedStore(t *testing.T) {
	cases := sample.Cases(at)
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, path string) // as a failing disk might
		reason string
		chain  bool // the chain is still whole
	}{
		{"unreadable record", breakRecord, "chain broken at seq 3", false},
		{"newest meta page", breakNewestMeta, "meta page", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(t, "stdin:")
			e := open(t, Options{Config: cfg})
			for _, c := range cases[:6] {
				e.Pipeline().Submit(context.Background(), c.Text, at)
			}
			if h := e.Health(); h.LastSeq != 6 || !h.OK {
				t.Fatalf("before the damage: %+v, want ok with 6 records", h)
			}
			e.Close()
			tt.damage(t, filepath.Join(cfg.Data, StoreFile))

			rec := &recorder{}
			e = open(t, Options{Config: cfg, Outputs: []terminal.Output{rec}})
			h := e.Health()
			if h.OK || !h.StoreDamaged || h.ChainOK != tt.chain || h.StoreCopy == "" ||
				!strings.Contains(strings.Join(h.Reasons, "\n"), tt.reason) {
				t.Errorf("Health = %+v, want not ok, damaged, chain ok %v, a copy, a reason naming %q", h, tt.chain, tt.reason)
			}
			srv := httptest.NewServer(e.Handler())
			defer srv.Close()
			_, m := get(t, srv.URL+"/metrics")
			for _, line := range []string{"fuscan_store_damaged 1", fmt.Sprintf("fuscan_log_chain_ok %v", b2f(tt.chain)), "fuscan_healthy 0"} {
				if !strings.Contains(m, line+"\n") {
					t.Errorf("/metrics lacks %q:\n%s", line, grep(m, "fuscan_"))
				}
			}
			e.Pipeline().Submit(context.Background(), cases[6].Text, at)
			if got := rec.all(); len(got) != 1 || got[0].Seq <= 6 {
				t.Errorf("decisions after the damage %+v, want one logged past seq 6", got)
			}
		})
	}
}
