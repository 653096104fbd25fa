package gate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

var (
	pass  = &terminal.Decision{Verdict: terminal.Pass, Reason: terminal.OK}
	deny  = &terminal.Decision{Verdict: terminal.Deny, Reason: terminal.ColorRed}
	fault = &terminal.Decision{Verdict: terminal.Refer, Reason: terminal.TerminalFault}
	rec   = &terminal.Record{Seq: 42, Format: "card"}
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		want terminal.Output
	}{
		{"none", None{}},
		{"exec:open-door", &Exec{Command: "open-door"}},
		{"exec:open-door --relay 2?pulse=800ms&fail=open", &Exec{Command: "open-door --relay 2", Options: Options{Pulse: 800 * time.Millisecond, FailOpen: true}}},
		{"exec:ls *.txt?", &Exec{Command: "ls *.txt?"}},
		{"exec:curl http://x/?a=1", &Exec{Command: "curl http://x/?a=1"}},
		{"http:http://10.0.0.5/relay", &HTTP{URL: "http://10.0.0.5/relay"}},
		{"http:http://10.0.0.5/relay?ch=1?timeout=1s&method=GET&fail=closed", &HTTP{URL: "http://10.0.0.5/relay?ch=1", Method: "GET", Options: Options{Timeout: time.Second}}},
		{"http:https://relay/open?ch=1", &HTTP{URL: "https://relay/open?ch=1"}},
		{"gpio:gpiochip0:17", &GPIO{Chip: "/dev/gpiochip0", Line: 17}},
		{"gpio:1:4?pulse=1s&fail=open", &GPIO{Chip: "/dev/gpiochip1", Line: 4, Options: Options{Pulse: time.Second, FailOpen: true}}},
		{"gpio:/dev/gpiochip2:0", &GPIO{Chip: "/dev/gpiochip2", Line: 0}},
	}
	for _, tc := range tests {
		got, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if g, w := describe(got), describe(tc.want); g != w {
			t.Errorf("Parse(%q): got %s, want %s", tc.spec, g, w)
		}
	}
}

func describe(g terminal.Output) string { return fmt.Sprintf("%T%+v", g, g) }

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", `unknown gate kind ""`},
		{"gpi:chip0:3", `unknown gate kind "gpi"`},
		{"none:x", "none takes no target"},
		{"exec:", "exec needs a command"},
		{"exec:  ?pulse=1s", "exec needs a command"},
		{"exec:x?pulse=fast", "pulse=fast: want a duration"},
		{"exec:x?pulse=-1s", "pulse=-1s: want a duration"},
		{"exec:x?timeout=2h", "timeout=2h: want a duration"},
		{"exec:x?fail=maybe", "fail=maybe: want open or closed"},
		{"exec:x?pulse=1s&pulse=2s", "option pulse given 2 times"},
		{"exec:x?method=GET", "method applies to http gates only"},
		{"http:", "http needs an http:// or https:// URL"},
		{"http:ftp://relay/x", "http needs an http:// or https:// URL"},
		{"http:/relay", "http needs an http:// or https:// URL"},
		{"http:http://relay/x?method=PUT", "method=PUT: want GET or POST"},
		{"gpio:gpiochip0", "gpio needs a chip and a line"},
		{"gpio::3", "gpio needs a chip and a line"},
		{"gpio:gpiochip0:x", `gpio line "x": want a line number`},
		{"gpio:gpiochip0:-1", `gpio line "-1": want a line number`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.spec)
		if err == nil || !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): got %v, want an ErrSpec containing %q", tc.spec, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"none", "exec:x?pulse=1s&fail=open", "http:http://h/p?q=1?method=GET", "http:", "exec:a?b?c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, err := Parse(spec)
		if (g == nil) == (err == nil) {
			t.Fatalf("Parse(%q): got %v, %v: want exactly one of a gate and an error", spec, g, err)
		}
	})
}

func TestOpens(t *testing.T) {
	clock := &terminal.Decision{Verdict: terminal.Refer, Reason: terminal.ClockUntrusted}
	unknown := &terminal.Decision{Verdict: terminal.Refer, Reason: terminal.FormatUnknown}
	warn := &terminal.Decision{Verdict: terminal.Warn, Reason: terminal.ColorYellow}
	for _, tc := range []struct {
		d              *terminal.Decision
		closed, opened bool
	}{
		{pass, true, true}, {warn, true, true}, {deny, false, false},
		{fault, false, true}, {clock, false, true}, {unknown, false, false},
	} {
		if got := (Options{}).Opens(tc.d); got != tc.closed {
			t.Errorf("fail=closed, %v %v: got open %v, want %v", tc.d.Verdict, tc.d.Reason, got, tc.closed)
		}
		if got := (Options{FailOpen: true}).Opens(tc.d); got != tc.opened {
			t.Errorf("fail=open, %v %v: got open %v, want %v", tc.d.Verdict, tc.d.Reason, got, tc.opened)
		}
	}
}

func TestExec(t *testing.T) {
	t.Setenv("FUSCAN_STALE", "1") // the terminal's own FUSCAN_ variables do not reach the command
	out := filepath.Join(t.TempDir(), "env")
	g, err := Parse(`exec:env | grep ^FUSCAN_ | sort > '` + out + `'?pulse=800ms`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    *terminal.Decision
		want string
	}{
		{pass, "FUSCAN_FORMAT=card FUSCAN_OPEN=1 FUSCAN_PULSE_MS=800 FUSCAN_REASON=OK FUSCAN_SEQ=42 FUSCAN_VERDICT=pass"},
		{deny, "FUSCAN_FORMAT=card FUSCAN_OPEN=0 FUSCAN_PULSE_MS=800 FUSCAN_REASON=COLOR_RED FUSCAN_SEQ=42 FUSCAN_VERDICT=deny"},
	} {
		if err := g.Show(context.Background(), tc.d, rec); err != nil {
			t.Fatalf("Show: %v", err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(strings.Fields(string(b)), " "); got != tc.want {
			t.Errorf("%v: got environment %q, want %q", tc.d.Verdict, got, tc.want)
		}
	}
}

func TestExecFails(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"exec:echo relay stuck >&2; exit 3", "exit status 3: relay stuck"},
		{"exec:sleep 10?timeout=50ms", "context deadline exceeded after 50ms"},
	} {
		g, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Show(context.Background(), pass, rec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}

// relay is a relay board on the loopback interface that records requests.
func relay(t *testing.T, status int) (*httptest.Server, chan *http.Request, chan []byte) {
	t.Helper()
	reqs, bodies := make(chan *http.Request, 10), make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs <- r
		bodies <- b
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, reqs, bodies
}

func TestHTTP(t *testing.T) {
	srv, reqs, bodies := relay(t, http.StatusOK)
	g, err := Parse("http:" + srv.URL + "/relay/0?pulse=800ms")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*terminal.Decision{deny, fault} {
		if err := g.Show(context.Background(), d, rec); err != nil {
			t.Errorf("%v %v: %v", d.Verdict, d.Reason, err)
		}
	}
	if len(reqs) != 0 {
		t.Fatalf("got %d requests for decisions that keep the gate closed, want 0", len(reqs))
	}
	if err := g.Show(context.Background(), pass, rec); err != nil {
		t.Fatal(err)
	}
	r, body := <-reqs, <-bodies
	want := `{"verdict":"pass","reason":"OK","seq":42,"format":"card","pulse_ms":800}`
	if r.Method != http.MethodPost || r.URL.Path != "/relay/0" || string(body) != want {
		t.Errorf("got %s %s %s, want POST /relay/0 %s", r.Method, r.URL.Path, body, want)
	}

	g, err = Parse("http:" + srv.URL + "/open?ch=2?method=GET&fail=open")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Show(context.Background(), fault, rec); err != nil {
		t.Fatal(err)
	}
	if r := <-reqs; r.Method != http.MethodGet || r.URL.RequestURI() != "/open?ch=2" {
		t.Errorf("fail=open on TERMINAL_FAULT: got %s %s, want GET /open?ch=2", r.Method, r.URL.RequestURI())
	}
}

func TestHTTPFails(t *testing.T) {
	srv, _, _ := relay(t, http.StatusServiceUnavailable)
	g, err := Parse("http:" + srv.URL + "/relay")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Show(context.Background(), pass, rec); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("relay answering 503: got %v, want an error naming 503", err)
	}
	srv.Close()
	if err := g.Show(context.Background(), pass, rec); err == nil {
		t.Errorf("relay gone: got nil error")
	}
}

func TestGPIOMissingChip(t *testing.T) {
	chip := filepath.Join(t.TempDir(), "gpiochip9")
	g, err := Parse("gpio:" + chip + ":3")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Show(context.Background(), deny, rec); err != nil {
		t.Errorf("deny on a missing chip: got %v, want nil (the gate stays closed)", err)
	}
	err = g.Show(context.Background(), pass, rec)
	if err == nil || !strings.Contains(err.Error(), "gpiochip9") {
		t.Errorf("pass on a missing chip: got %v, want an error naming the chip", err)
	}
}
