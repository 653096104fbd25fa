package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/terminal/sample"
)

func TestBundle(t *testing.T) {
	dir := t.TempDir()
	root, kid := keygen(t, dir, "root", "ed25519")
	list := writeFile(t, dir, "revoked.txt", "FSC-DEMO00000001\n")
	out := filepath.Join(dir, "rev.bundle")
	got := mustRun(t, "", "bundle", "--kind", "revocations", "--version", "3", "--sign", root+".key", "--in", list,
		"--out", out, "--target", "group:north", "--expires", "2027-01-01T00:00:00Z")
	if !strings.Contains(got, "revocations version 3 for group:north") || !strings.Contains(got, kid) {
		t.Errorf("output %q", got)
	}
	pub, err := os.ReadFile(root + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	roots, err := bundle.ParseRoots(pub)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(data, roots)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != "revocations" || b.Version != 3 || b.Target != "group:north" || string(b.Payload) != "FSC-DEMO00000001\n" ||
		b.ExpiresAt.Format("2006-01-02") != "2027-01-01" {
		t.Errorf("bundle %+v", b)
	}
}

func TestBundleRefuses(t *testing.T) {
	dir := t.TempDir()
	root, _ := keygen(t, dir, "root", "sm2")
	key := root + ".key"
	demo := writeFile(t, dir, "demo.json", string(sample.Snapshot()))
	policy := writeFile(t, dir, "policy.json", `{"version": 2}`)
	config := writeFile(t, dir, "config.json", `{"source": "demo:"}`)
	delta := writeFile(t, dir, "delta.txt", "FSC-1\n")
	out := filepath.Join(dir, "x.bundle")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "trust", "--version", "1", "--in", demo}, "demo snapshot"},
		{[]string{"--kind", "policy", "--version", "3", "--in", policy}, "policy version 2, --version 3"},
		{[]string{"--kind", "config", "--version", "1", "--in", config}, `unknown field "source"`},
		{[]string{"--kind", "revocations", "--version", "5", "--base", "4", "--in", delta}, "want + or -"},
		{[]string{"--kind", "firmware", "--version", "1", "--in", policy}, `kind "firmware"`},
		{[]string{"--kind", "policy", "--version", "2", "--in", policy, "--target", "site:9"}, `target "site:9"`},
		{[]string{"--kind", "policy", "--in", policy}, "required"},
	}
	for _, c := range cases {
		args := append([]string{"bundle", "--sign", key, "--out", out}, c.args...)
		r := fuscanctl(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused bundle was written")
	}
}
