package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// fuscanctl runs the admin tool and returns its output; it fails the
// test unless the tool exits 0.
func fuscanctl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(bin, "fuscanctl"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("fuscanctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// signBundle writes a bundle signed by the root key prefix and returns
// its path.
func signBundle(t testing.TB, root, kind, version, in string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), kind+"-"+version+".bundle")
	fuscanctl(t, append([]string{"bundle", "--kind", kind, "--version", version, "--sign", root + ".key",
		"--in", in, "--out", out}, extra...)...)
	return out
}

type report struct {
	Kind    string `json:"kind"`
	Version uint64 `json:"version"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func (h *hub) reports(t testing.TB, device string) []report {
	t.Helper()
	var out struct{ Reports []report }
	h.get(t, "/api/v1/reports?device="+device, &out)
	return out.Reports
}

func hasReport(rs []report, kind string, version uint64, reason string) bool {
	for _, r := range rs {
		if r.Kind == kind && r.Version == version && r.Reason == reason {
			return true
		}
	}
	return false
}

// TestUpdates: an administrator revokes a card with fuscanctl bundle and
// push; the running fuscand denies it REVOKED at the next sighting, with
// no restart. Bundles a terminal must refuse, published straight to its
// topics on Mosquitto (which, unlike the hub's broker, lets anyone
// publish there), are refused with their reason and reported to the hub.
func TestUpdates(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	fuscanctl(t, "keygen", "--alg", "sm2", "--out", root)
	stranger := filepath.Join(dir, "stranger")
	fuscanctl(t, "keygen", "--alg", "ed25519", "--out", stranger)

	m := newMosquitto(t)
	m.start(t)
	h := newHub(t, "--broker", m.url(), "--roots", root+".pub")
	h.start(t)
	d := newTerminal(t, "gate-9", m.url(), writeTemp(t, "pw"), "--roots", root+".pub", "--json")
	d.start(t)
	waitFor(t, "gate-9 online", func() bool { return h.device(t, "gate-9").Online })
	d.feed(t, 1)
	waitFor(t, "the card decided", func() bool { return strings.Contains(d.p.out.String(), `"reason":"OK"`) })

	list := writeTemp(t, "FSC-DEMO00000001\n")
	fuscanctl(t, "push", "--hub", "http://"+h.http, "--token-file", filepath.Join(h.data, "api-token"),
		signBundle(t, root, "revocations", "3", list))
	waitFor(t, "the revocation applied", func() bool { return hasReport(h.reports(t, "gate-9"), "revocations", 3, "APPLIED") })
	d.feed(t, 1)
	waitFor(t, "the card denied REVOKED", func() bool { return strings.Contains(d.p.out.String(), `"reason":"REVOKED"`) })

	policy := writeTemp(t, `{"version": 4, "colors": {"yellow": "deny"}}`)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	expiredAt := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	delta := writeTemp(t, "-FSC-DEMO00000001\n")
	bad := []struct {
		topic, file, kind string
		version           uint64
		reason            string
	}{
		{"updates/policy", signBundle(t, stranger, "policy", "4", policy), "", 0, "ROOT_UNKNOWN"},
		{"updates/revocations", signBundle(t, root, "revocations", "2", list), "revocations", 2, "NOT_NEWER"},
		{"dev/gate-9/updates/policy", signBundle(t, root, "policy", "4", policy, "--target", "device:gate-8"), "policy", 4, "WRONG_TARGET"},
		{"group/north/updates/policy", signBundle(t, root, "policy", "4", policy, "--at", expiredAt, "--expires", past), "", 0, ""},
		{"dev/gate-9/updates/revocations", signBundle(t, root, "revocations", "6", delta, "--base", "5", "--target", "device:gate-9"), "revocations", 6, "BASE_MISSING"},
		{"updates/policy", signBundle(t, root, "policy", "4", policy, "--at", expiredAt, "--expires", past), "policy", 4, "EXPIRED"},
	}
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(m.url()).SetClientID("intruder"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer pub.Disconnect(100)
	for _, b := range bad {
		data, err := os.ReadFile(b.file)
		if err != nil {
			t.Fatal(err)
		}
		tok := pub.Publish("fuscan/v1/default/"+b.topic, 1, false, data)
		tok.WaitTimeout(10 * time.Second)
	}
	for _, b := range bad {
		if b.reason == "" {
			continue // another group's topic: the terminal never sees it
		}
		waitFor(t, b.reason+" reported", func() bool {
			for _, r := range h.reports(t, "gate-9") {
				if r.Reason == b.reason && (b.kind == "" || r.Kind == b.kind && r.Version == b.version) {
					return true
				}
			}
			return false
		})
	}
	// None of them changed anything: the card is still revoked.
	d.feed(t, 1)
	waitFor(t, "the card denied again", func() bool { return strings.Count(d.p.out.String(), `"reason":"REVOKED"`) == 2 })
	d.stop(t)
}
