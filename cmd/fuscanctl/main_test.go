package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixed instants the tests issue and verify at; never the wall clock.
var (
	t0   = time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	t0s  = t0.Format(time.RFC3339)
	atOf = func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
)

// result is what one run of fuscanctl gave.
type result struct {
	code           int
	stdout, stderr string
}

// fuscanctl runs the tool in-process with stdin as its input.
func fuscanctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// mustRun runs the tool and fails the test unless it exits 0; it returns
// stdout.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := fuscanctl(t, stdin, args...)
	if r.code != exitOK {
		t.Fatalf("fuscanctl %s: exit %d, want 0\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// keygen makes a key pair in dir and returns the file prefix and the kid
// printed.
func keygen(t *testing.T, dir, name, alg string, extra ...string) (prefix, kid string) {
	t.Helper()
	prefix = filepath.Join(dir, name)
	out := mustRun(t, "", append([]string{"keygen", "--alg", alg, "--out", prefix}, extra...)...)
	return prefix, field(t, out, "kid")
}

// field returns the value of the line "name VALUE" of out.
func field(t *testing.T, out, name string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no %q line in output:\n%s", name, out)
	return ""
}

// issue runs fuscanctl issue and returns the code text.
func issue(t *testing.T, args ...string) string {
	t.Helper()
	out := mustRun(t, "", append([]string{"issue"}, args...)...)
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("issue printed %q, want one line", out)
	}
	return strings.TrimSpace(out)
}

// decision is the JSON object verify --json prints.
type decision struct {
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason"`
	Format    string `json:"format"`
	KID       string `json:"kid"`
	Issuer    string `json:"issuer"`
	Color     string `json:"color"`
	Name      string `json:"name"`
	IDTail    string `json:"id_tail"`
	IssuedAt  string `json:"issued_at"`
	ExpiresAt string `json:"expires_at"`
	At        string `json:"at"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
	Detail    string `json:"detail"`
}

// verifyJSON runs verify --json on the code texts of stdin and returns the
// decisions.
func verifyJSON(t *testing.T, stdin string, args ...string) []decision {
	t.Helper()
	out := mustRun(t, stdin, append([]string{"verify", "--json"}, args...)...)
	var ds []decision
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var d decision
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("verify output %q: %v", out, err)
		}
		ds = append(ds, d)
	}
	if got := strings.Count(out, "\n"); got != len(ds) {
		t.Errorf("verify printed %d lines for %d decisions, want one a line", got, len(ds))
	}
	return ds
}

// verifyOne verifies one code text and returns its decision.
func verifyOne(t *testing.T, text string, args ...string) decision {
	t.Helper()
	ds := verifyJSON(t, text+"\n", args...)
	if len(ds) != 1 {
		t.Fatalf("got %d decisions, want 1", len(ds))
	}
	return ds[0]
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"usage: fuscanctl COMMAND", "keygen", "issue", "verify", "demo"}},
		{[]string{"-h"}, []string{"usage: fuscanctl COMMAND"}},
		{[]string{"--help"}, []string{"usage: fuscanctl COMMAND"}},
		{[]string{"help", "issue"}, []string{"usage: fuscanctl issue", "Data minimisation", "张**", "--holder-key"}},
		{[]string{"issue", "-h"}, []string{"usage: fuscanctl issue", "--pdf file"}},
		{[]string{"keygen", "--help"}, []string{"usage: fuscanctl keygen", "--dcc-types TYPES", "(default v,t,r)"}},
		{[]string{"verify", "-h"}, []string{"usage: fuscanctl verify", "--keys files"}},
		{[]string{"demo", "-h"}, []string{"usage: fuscanctl demo"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := fuscanctl(t, "", tt.args...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help does not contain %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	holder, _ := keygen(t, dir, "holder", "ed25519")
	garbage := writeFile(t, dir, "garbage.pub", "not a key\n")
	card := []string{"issue", "--kind", "card", "--key", issuer + ".key", "--issuer", "350000",
		"--name", "张三", "--id", "350102199001011234", "--color", "green", "--iat", t0s}
	text := issue(t, card[1:]...)

	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // in stderr
	}{
		{"no command", nil, "", "no command given"},
		{"unknown command", []string{"frobnicate"}, "", `unknown command "frobnicate"`},
		{"help of unknown command", []string{"help", "frobnicate"}, "", `unknown command "frobnicate"`},
		{"unknown flag", append(card, "--bogus"), "", "flag provided but not defined: -bogus"},
		{"bad flag value", append(card, "--vax", "two"), "", "invalid value"},
		{"bad time", append(card, "--iat", "yesterday"), "", "RFC 3339"},
		{"missing --kind", []string{"issue", "--key", issuer + ".key"}, "", "missing --kind"},
		{"unknown --kind", append(card, "--kind", "sticker"), "", `unknown kind "sticker"`},
		{"missing --key", []string{"issue", "--kind", "card", "--issuer", "350000", "--name", "张三", "--id", "1234", "--color", "green"}, "", "missing --key"},
		{"unreadable --key", append(card, "--key", filepath.Join(dir, "nope.key")), "", "nope.key"},
		{"public key as --key", append(card, "--key", issuer+".pub"), "", "PRIVATE KEY"},
		{"missing --color", []string{"issue", "--kind", "live", "--key", issuer + ".key", "--issuer", "350000", "--name", "张三", "--id", "1234"}, "", "missing --color"},
		{"unknown colour", append(card, "--color", "blue"), "", `unknown colour "blue"`},
		{"card ttl over 30 days", append(card, "--ttl", "721h"), "", "at most 30 days"},
		{"dynamic ttl over 24h", append(card, "--kind", "dynamic", "--holder-key", holder+".key", "--ttl", "25h"), "", "at most 24 hours"},
		{"negative ttl", append(card, "--ttl", "-1h"), "", "positive duration"},
		{"dynamic without holder", append(card, "--kind", "dynamic"), "", "missing --holder-key"},
		{"holder key on a card", append(card, "--holder-key", holder+".key"), "", "--holder-key does not apply to --kind card"},
		{"pdf of a live code", append(card, "--kind", "live", "--pdf", filepath.Join(dir, "x.pdf")), "", "--pdf does not apply to --kind live"},
		{"nat result without nat", append(card, "--nat-result", "positive"), "", "--nat-result needs --nat"},
		{"unknown nat result", append(card, "--nat", t0s, "--nat-result", "maybe"), "", `unknown result "maybe"`},
		{"too many doses", append(card, "--vax", "21"), "", "0 to 20"},
		{"dcc without cert", []string{"issue", "--kind", "dcc", "--key", issuer + ".key", "--issuer", "CN", "--name", "Muster"}, "", "missing --cert"},
		{"cert on a card", append(card, "--cert", issuer+".pub"), "", "--cert does not apply"},
		{"issue argument", append(card, "extra"), "", `unexpected argument "extra"`},
		{"keygen unknown alg", []string{"keygen", "--alg", "rsa1024", "--out", filepath.Join(dir, "k")}, "", `unknown algorithm "rsa1024"`},
		{"keygen missing --out", []string{"keygen", "--alg", "sm2"}, "", "missing --out"},
		{"keygen unknown dcc type", []string{"keygen", "--out", filepath.Join(dir, "k"), "--cert", "--dcc-types", "v,x"}, "", `unknown type "x"`},
		{"verify without keys", []string{"verify", text}, "", "missing --keys"},
		{"verify unreadable keys", []string{"verify", "--keys", filepath.Join(dir, "nope.pub"), text}, "", "nope.pub: no such file"},
		{"verify garbage keys", []string{"verify", "--keys", garbage, text}, "", "garbage.pub"},
		{"verify bad policy", []string{"verify", "--keys", issuer + ".pub", "--policy", writeFile(t, dir, "p.json", `{"nat_max_age": "two days"}`), text}, "", "nat_max_age"},
		{"verify unreadable revocations", []string{"verify", "--keys", issuer + ".pub", "--revoked", filepath.Join(dir, "nope.txt"), text}, "", "nope.txt"},
		{"verify no text", []string{"verify", "--keys", issuer + ".pub"}, "", "no code text"},
		{"verify blank stdin", []string{"verify", "--keys", issuer + ".pub", "-"}, "\n  \n\t\n", "no code text"},
		{"verify empty argument", []string{"verify", "--keys", issuer + ".pub", "  "}, "", "empty code text"},
		{"demo argument", []string{"demo", "now"}, "", `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fuscanctl(t, tt.stdin, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "fuscanctl: ") {
				t.Errorf("stderr %q does not start with \"fuscanctl: \"", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.want)
			}
			if !strings.Contains(r.stderr, "usage: fuscanctl ") {
				t.Errorf("stderr %q has no usage", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// TestNoGUI checks that the admin tool links no GUI toolkit: it must run on
// servers and in CI without OpenGL. (It links MuPDF for `decode` of PDFs.)
func TestNoGUI(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "fyne.io") {
			t.Errorf("fuscanctl depends on %s", pkg)
		}
	}
}
