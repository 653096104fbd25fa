package engine

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/sample"
)

// rooted returns a config whose engine accepts bundles signed by the
// returned root. The broker is one nobody listens on: the link keeps
// trying, and these tests hand bundles to the updater directly.
func rooted(t *testing.T) (Options, *cose.Signer) {
	t.Helper()
	root := testkeys.New(t, cose.EdDSA)
	path := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(path, testkeys.PublicPEM(t, root), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config(t, "stdin:")
	cfg.Dedupe = -1
	cfg.MQTT.Broker, cfg.MQTT.Tenant, cfg.MQTT.Roots = "tcp://127.0.0.1:1", "t1", []string{path}
	return Options{Config: cfg, Now: fixed}, root
}

func signed(t *testing.T, root *cose.Signer, kind string, version, base uint64, payload string) (string, []byte) {
	t.Helper()
	b := &bundle.Bundle{Kind: kind, Version: version, Base: base, IssuedAt: at.Add(-time.Hour), ExpiresAt: at.Add(24 * time.Hour),
		Target: "all", Payload: []byte(payload)}
	data, err := bundle.Sign(b, root)
	if err != nil {
		t.Fatal(err)
	}
	topic, err := wire.UpdateTopic("t1", "all", kind)
	if err != nil {
		t.Fatal(err)
	}
	return topic, data
}

// decide submits text and returns the decision's record.
func decide(t *testing.T, e *Engine, rec *recorder, text string) terminal.Record {
	t.Helper()
	e.Pipeline().Submit(context.Background(), text, at)
	all := rec.all()
	return all[len(all)-1]
}

func caseOf(label string) sample.Case {
	for _, c := range sample.Cases(at) {
		if c.Label == label {
			return c
		}
	}
	panic("no sample case " + label)
}

// TestUpdatesTakeEffect: bundles applied while the terminal runs change
// the next decision, survive a restart, and bad ones are refused with
// their reason.
func TestUpdatesTakeEffect(t *testing.T) {
	opts, root := rooted(t)
	rec := &recorder{}
	opts.Outputs = []terminal.Output{rec}
	e := open(t, opts)
	card := caseOf("green card").Text
	yellow := caseOf("yellow live code").Text
	if r := decide(t, e, rec, card); r.Verdict != "pass" {
		t.Fatalf("before any update: %s %s, want pass", r.Verdict, r.Reason)
	}

	steps := []struct {
		name          string
		kind          string
		version, base uint64
		payload       string
		reason        bundle.Reason
	}{
		{"revoke the card", bundle.KindRevocations, 3, 0, "FSC-DEMO00000001\n", bundle.Applied},
		{"a delta on a version not held", bundle.KindRevocations, 5, 4, "-FSC-DEMO00000001\n", bundle.BaseMissing},
		{"policy: yellow denies", bundle.KindPolicy, 7, 0, `{"version": 7, "colors": {"yellow": "deny"}}`, bundle.Applied},
		{"policy whose version disagrees", bundle.KindPolicy, 8, 0, `{"version": 2}`, bundle.Malformed},
		{"a demo trust snapshot", bundle.KindTrust, 50, 0, string(demoSnapshot(t, 50)), bundle.DemoTrust},
		{"config: moved", bundle.KindConfig, 1, 0, `{"venue": "hall-2"}`, bundle.Applied},
		{"config with a field a hub may not set", bundle.KindConfig, 2, 0, `{"source": "demo:"}`, bundle.Malformed},
	}
	for _, s := range steps {
		topic, data := signed(t, root, s.kind, s.version, s.base, s.payload)
		r, ok := e.update(topic, data)
		if !ok || r.Reason != string(s.reason) {
			t.Errorf("%s: report %+v, want %s", s.name, r, s.reason)
		}
	}
	if r := decide(t, e, rec, card); r.Verdict != "deny" || r.Reason != terminal.Revoked || r.Venue != "hall-2" {
		t.Errorf("the card after the revocation: %s %s at %s, want deny REVOKED at hall-2", r.Verdict, r.Reason, r.Venue)
	}
	if r := decide(t, e, rec, yellow); r.Verdict != "deny" {
		t.Errorf("a yellow code under policy 7: %s, want deny", r.Verdict)
	}
	// A delta on the version held lifts the revocation.
	topic, data := signed(t, root, bundle.KindRevocations, 4, 3, "-FSC-DEMO00000001\n")
	if r, _ := e.update(topic, data); r.Reason != string(bundle.Applied) {
		t.Fatalf("delta: %+v", r)
	}
	if r := decide(t, e, rec, card); r.Verdict != "pass" {
		t.Errorf("the card after the delta: %s %s, want pass", r.Verdict, r.Reason)
	}
	e.Close()

	// What was applied is kept.
	e2 := open(t, opts)
	if v, _ := e2.Held(bundle.KindRevocations); v != 4 {
		t.Errorf("after a restart: revocations version %d, want 4", v)
	}
	if p := e2.Trust().Policy.Version; p != 7 {
		t.Errorf("after a restart: policy version %d, want 7", p)
	}
	if v := e2.Config().Venue; v != "hall-2" {
		t.Errorf("after a restart: venue %q, want hall-2", v)
	}
	st := e2.status()
	if st.Versions["revocations"].Version != 4 || st.Versions["config"].Version != 1 || st.Versions["policy"].Version != 7 {
		t.Errorf("status versions %+v", st.Versions)
	}
}

// TestTrustBundle: a provisioned snapshot replaces the demo one at once;
// an older one is refused.
func TestTrustBundle(t *testing.T) {
	opts, root := rooted(t)
	e := open(t, opts)
	snap := strings.Replace(string(sample.Snapshot()), `"demo": true`, `"demo": false`, 1)
	snap = strings.Replace(snap, `"version": 1`, `"version": 9`, 1)
	topic, data := signed(t, root, bundle.KindTrust, 9, 0, snap)
	if r, _ := e.update(topic, data); r.Reason != string(bundle.Applied) {
		t.Fatalf("trust 9: %+v", r)
	}
	if tr := e.Trust(); tr.Version != 9 || tr.Demo {
		t.Errorf("trust in use: version %d demo %v, want 9 false", tr.Version, tr.Demo)
	}
	if h := e.Health(); h.TrustDemo {
		t.Errorf("health still says demo")
	}
	if r, _ := e.update(topic, data); r.Outcome != "" {
		t.Errorf("the same bundle again: %+v, want no report", r)
	}
	older := strings.Replace(snap, `"version": 9`, `"version": 8`, 1)
	topic, data = signed(t, root, bundle.KindTrust, 8, 0, older)
	if r, _ := e.update(topic, data); r.Reason != string(bundle.NotNewer) {
		t.Errorf("trust 8 after 9: %+v, want NOT_NEWER", r)
	}
}

func demoSnapshot(t *testing.T, version int) []byte {
	t.Helper()
	s := strings.Replace(string(sample.Snapshot()), `"version": 1`, `"version": `+strconv.Itoa(version), 1)
	if !strings.Contains(s, `"demo": true`) {
		t.Fatal("the sample snapshot is not marked demo")
	}
	return []byte(s)
}

// TestHubWitness: an ack saying the hub holds more of this device's log
// than the log itself makes the log skip past it, never reuse those seqs,
// and report it.
func TestHubWitness(t *testing.T) {
	opts, _ := rooted(t)
	rec := &recorder{}
	opts.Outputs = []terminal.Output{rec}
	e := open(t, opts)
	card := caseOf("green card").Text
	decide(t, e, rec, card)
	e.acked(wire.Ack{Held: 1, Time: at})
	if h := e.Health(); !h.OK {
		t.Fatalf("a hub that holds what the log holds: health %v", h.Reasons)
	}
	e.acked(wire.Ack{Held: 50, Time: at})
	if r := decide(t, e, rec, card); r.Seq != 51 {
		t.Errorf("next record seq %d, want 51", r.Seq)
	}
	h := e.Health()
	if h.OK || h.SkippedSeqs != 49 || !strings.Contains(strings.Join(h.Reasons, "; "), "the hub holds records up to 50") {
		t.Errorf("health %+v, want a gap 2-50 reported", h)
	}
}
