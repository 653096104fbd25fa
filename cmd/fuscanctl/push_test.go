package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/boltstore"
	"github.com/fuscan/fuscan/terminal/cose"
)

// testHub is a hub's API with its store, without a broker: what push and
// fleet talk to.
type testHub struct {
	url, tokenFile string
	store          hub.Store
	root           *cose.Signer
}

func newTestHub(t *testing.T) *testHub {
	t.Helper()
	dir := t.TempDir()
	store, err := boltstore.Open(filepath.Join(dir, "hub.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	root := testkeys.New(t, cose.EdDSA)
	roots, err := bundle.ParseRoots(testkeys.PublicPEM(t, root))
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Options{Store: store, Tenant: "fz", Roots: roots, Token: "s3cret", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	tokenFile := filepath.Join(dir, "api-token")
	os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600)
	return &testHub{url: srv.URL, tokenFile: tokenFile, store: store, root: root}
}

// bundleFile signs a bundle into a file and returns its path.
func (h *testHub) bundleFile(t *testing.T, signer *cose.Signer, version uint64, target string) string {
	t.Helper()
	data, err := bundle.Sign(&bundle.Bundle{Kind: bundle.KindPolicy, Version: version, IssuedAt: t0.Add(-time.Hour),
		ExpiresAt: t0.Add(24 * time.Hour), Target: target, Payload: []byte("{}")}, signer)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.bundle")
	os.WriteFile(path, data, 0o600)
	return path
}

func TestPush(t *testing.T) {
	h := newTestHub(t)
	good := h.bundleFile(t, h.root, 3, "group:north")
	forged := h.bundleFile(t, testkeys.New(t, cose.EdDSA), 4, "all")
	wrongToken := filepath.Join(t.TempDir(), "token")
	os.WriteFile(wrongToken, []byte("guess"), 0o600)
	goodData, _ := os.ReadFile(good)
	cases := []struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile, good}, "", exitOK, "policy 3 for group:north on fuscan/v1/fz/group/north/updates/policy\nsha256 "},
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile, "-"}, string(goodData), exitOK, "policy 3 for group:north"},
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile, forged}, "", exitFailure, "400 Bad Request: bundle: ROOT_UNKNOWN"},
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile, h.bundleFile(t, h.root, 2, "all")}, "", exitFailure, "409 Conflict: bundle: NOT_NEWER"},
		{[]string{"push", "--hub", h.url, "--token-file", wrongToken, good}, "", exitFailure, "401 Unauthorized"},
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile}, "", exitUsage, "want one BUNDLE file"},
		{[]string{"push", "--token-file", h.tokenFile, good}, "", exitUsage, "--hub is required"},
		{[]string{"push", "--hub", h.url, good}, "", exitUsage, "--token-file is required"},
		{[]string{"push", "--hub", "127.0.0.1:8080", "--token-file", h.tokenFile, good}, "", exitUsage, "want an http://"},
		{[]string{"push", "--hub", h.url, "--token-file", h.tokenFile, good + ".missing"}, "", exitUsage, "no such file"},
	}
	for _, c := range cases {
		r := fuscanctl(t, c.stdin, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("fuscanctl %q: exit %d, output %q; want exit %d and %q", c.args, r.code, r.stdout+r.stderr, c.code, c.want)
		}
	}
}
