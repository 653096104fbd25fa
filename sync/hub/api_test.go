package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	"github.com/fuscan/fuscan/terminal/cose"
)

func TestAPIAuth(t *testing.T) {
	e := embedded(t, settings{})
	for _, path := range []string{"/api/v1/devices", "/api/v1/scans", "/api/v1/reports", "/api/v1/nothing"} {
		for _, tok := range []string{"", "wrong", token + "x", token[:4]} {
			var body struct{ Error string }
			if code := e.call(t, http.MethodGet, path, tok, nil, &body); code != http.StatusUnauthorized || body.Error == "" {
				t.Errorf("GET %s with token %q: %d %q, want 401 with an error", path, tok, code, body.Error)
			}
		}
	}
	if code := e.call(t, http.MethodPost, "/api/v1/bundles", "", []byte("x"), nil); code != http.StatusUnauthorized {
		t.Errorf("POST a bundle without a token: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, e.api.URL+"/api/v1/devices", nil)
	req.SetBasicAuth("admin", token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic auth: %v %v, want 401", resp.Status, err)
	}
	if code := e.call(t, http.MethodGet, "/api/v1/devices", token, nil, nil); code != http.StatusOK {
		t.Errorf("with the token: %d, want 200", code)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "since=yesterday", "until=2026-13-01T00:00:00Z", "after=!!"} {
		var body struct{ Error string }
		if code := e.call(t, http.MethodGet, "/api/v1/scans?"+q, token, nil, &body); code != http.StatusBadRequest || body.Error == "" {
			t.Errorf("scans?%s: %d %q, want 400 with an error", q, code, body.Error)
		}
	}
}

// TestScansPaging walks every page and checks order, completeness and
// the filters.
func TestScansPaging(t *testing.T) {
	e := embedded(t, settings{})
	logs := map[string]*hubtest.Log{}
	for _, id := range []string{"d1", "d2"} {
		d := e.connect(t, id, "")
		logs[id] = hubtest.NewLog(id, "venue-"+id)
		for range 3 {
			send(t, d, logs[id].Next(47))
		}
	}
	type key struct {
		device string
		seq    uint64
	}
	all := func(query string, limit int) []hub.Scan {
		var out []hub.Scan
		after := ""
		for pages := 0; ; pages++ {
			if pages > 1000 {
				t.Fatalf("%s: more than 1000 pages", query)
			}
			var page struct {
				Scans []hub.Scan
				Next  string
			}
			e.get(t, fmt.Sprintf("/api/v1/scans?%s&limit=%d&after=%s", query, limit, url.QueryEscape(after)), &page)
			if len(page.Scans) > limit {
				t.Fatalf("%s: a page of %d scans, limit %d", query, len(page.Scans), limit)
			}
			out = append(out, page.Scans...)
			if after = page.Next; after == "" {
				return out
			}
		}
	}
	got := all("", 40)
	seen := map[key]bool{}
	for i, s := range got {
		if seen[key{s.Device, s.Seq}] {
			t.Errorf("scan %s/%d twice", s.Device, s.Seq)
		}
		seen[key{s.Device, s.Seq}] = true
		if i > 0 && s.Time.After(got[i-1].Time) {
			t.Errorf("scan %d (%v) is newer than the one before (%v)", i, s.Time, got[i-1].Time)
		}
		if s.Name != "张*" || s.IDTail == "" || s.Verdict == "" || s.Venue != "venue-"+s.Device {
			t.Errorf("scan %+v: want masked fields filled", s)
		}
	}
	if len(seen) != 2*3*47 {
		t.Errorf("%d scans, want %d", len(seen), 2*3*47)
	}
	at := func(seq int) string { return hubtest.T0.Add(time.Duration(seq) * time.Second).Format(time.RFC3339) }
	for _, c := range []struct {
		query string
		want  int
	}{
		{"device=d2", 141},
		{"device=d2&verdict=deny", 28}, // seq%5 == 3
		{"verdict=refer&reason=FORMAT_UNKNOWN", 56},
		{"venue=venue-d1", 141},
		{"venue=nowhere", 0},
		{"since=" + url.QueryEscape(at(101)), 2 * 41},
		{"until=" + url.QueryEscape(at(11)), 2 * 10},
		{"device=d1&since=" + url.QueryEscape(at(11)) + "&until=" + url.QueryEscape(at(21)), 10},
	} {
		for _, limit := range []int{7, 1000} {
			if n := len(all(c.query, limit)); n != c.want {
				t.Errorf("scans?%s (limit %d): %d, want %d", c.query, limit, n, c.want)
			}
		}
	}
}

// TestBundles: a bundle posted is published retained on its topic and
// again by a hub that starts on the same store; refused ones say why.
func TestBundles(t *testing.T) {
	root := testkeys.New(t, cose.EdDSA)
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "hub.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() }) // after the hubs stop
	e := embedded(t, settings{root: root, store: store})
	stranger := testkeys.New(t, cose.EdDSA)
	mk := func(kind string, version uint64, target string, signer *cose.Signer) []byte {
		data, err := bundle.Sign(&bundle.Bundle{Kind: kind, Version: version, IssuedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
			Target: target, Payload: []byte(`{"v":1}`)}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	policy3 := mk(bundle.KindPolicy, 3, "all", root)
	tampered := bytes.Clone(policy3)
	tampered[len(tampered)-70] ^= 1
	expired, _ := bundle.Sign(&bundle.Bundle{Kind: bundle.KindPolicy, Version: 9, IssuedAt: t0.Add(-48 * time.Hour), ExpiresAt: t0.Add(-time.Hour),
		Target: "all", Payload: []byte("{}")}, root)

	d := e.connect(t, "d1", "north")
	code, updates, err := d.Subscribe(wire.UpdateFilters(tenant, "north", "d1")[0])
	if err != nil || code >= 0x80 {
		t.Fatalf("subscribe: %#x %v", code, err)
	}
	client := &hub.Client{URL: e.api.URL, Token: token}
	ctx := context.Background()
	p, err := client.Push(ctx, policy3)
	if err != nil || p.Topic != "fuscan/v1/t1/updates/policy" || p.Version != 3 || !p.Published {
		t.Fatalf("Push = %+v %v", p, err)
	}
	select {
	case m := <-updates:
		if m.Topic() != p.Topic || !bytes.Equal(m.Payload(), policy3) {
			t.Errorf("received %s %d bytes, want the bundle on %s", m.Topic(), len(m.Payload()), p.Topic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber got no bundle")
	}

	for _, c := range []struct {
		name   string
		data   []byte
		status int
		reason bundle.Reason
	}{
		{"another root's", mk(bundle.KindPolicy, 4, "all", stranger), 400, bundle.RootUnknown},
		{"tampered", tampered, 400, bundle.SigInvalid},
		{"garbage", []byte("not a bundle"), 400, bundle.Malformed},
		{"expired", expired, 400, bundle.Expired},
		{"an older version", mk(bundle.KindPolicy, 2, "all", root), 409, bundle.NotNewer},
		{"the same version for a group", mk(bundle.KindPolicy, 3, "group:north", root), 409, bundle.NotNewer},
	} {
		_, err := client.Push(ctx, c.data)
		var ae *hub.APIError
		if !errors.As(err, &ae) || ae.Status != c.status || ae.Reason != string(c.reason) {
			t.Errorf("%s: %v, want %d %s", c.name, err, c.status, c.reason)
		}
	}
	if p, err := client.Push(ctx, policy3); err != nil || !p.Published {
		t.Errorf("the same bundle again: %+v %v", p, err)
	}
	if p, err := client.Push(ctx, mk(bundle.KindConfig, 1, "group:north", root)); err != nil || p.Topic != "fuscan/v1/t1/group/north/updates/config" {
		t.Errorf("group bundle: %+v %v", p, err)
	}

	// A hub that starts on the same store, on a new broker, publishes the
	// bundles again.
	e2 := embedded(t, settings{root: root, store: store})
	pw, err := broker.AddDevice(e2.accounts, "d2", "north")
	if err != nil {
		t.Fatal(err)
	}
	d2 := hubtest.Connect(t, hubtest.DeviceOptions{Broker: e2.broker, Tenant: tenant, ID: "d2", Password: pw, Group: "north"})
	got := map[string]int{}
	for _, f := range wire.UpdateFilters(tenant, "north", "d2") {
		_, msgs, err := d2.Subscribe(f)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-msgs:
			got[m.Topic()] = len(m.Payload())
		case <-time.After(2 * time.Second):
		}
	}
	if len(got) != 2 || got["fuscan/v1/t1/updates/policy"] != len(policy3) {
		t.Errorf("retained after a restart: %v, want the policy and the group's config", got)
	}
}

// TestBundlesWithoutRoots: a hub without root keys refuses every bundle.
func TestBundlesWithoutRoots(t *testing.T) {
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "hub.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() }) // after the hubs stop
	h, err := hub.New(hub.Options{Store: store, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	root := testkeys.New(t, cose.EdDSA)
	data, _ := bundle.Sign(&bundle.Bundle{Kind: bundle.KindPolicy, Version: 1, IssuedAt: time.Now().Add(-time.Hour),
		ExpiresAt: time.Now().Add(time.Hour), Target: "all", Payload: []byte("{}")}, root)
	_, err = h.PublishBundle(data)
	if bundle.ReasonOf(err) != bundle.RootUnknown {
		t.Errorf("PublishBundle without roots: %v, want ROOT_UNKNOWN", err)
	}
}
