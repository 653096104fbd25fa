package bundle

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal/cose"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// rootOf returns a root signer and the Roots holding its public key.
func rootOf(t testing.TB, alg cose.Algorithm) (*cose.Signer, *Roots) {
	t.Helper()
	s := testkeys.New(t, alg)
	r, err := ParseRoots(testkeys.PublicPEM(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

func bundleOf(kind string, version uint64, target string) *Bundle {
	return &Bundle{Kind: kind, Version: version, IssuedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
		Target: target, Payload: []byte("data")}
}

func sign(t testing.TB, b *Bundle, root *cose.Signer) []byte {
	t.Helper()
	data, err := Sign(b, root)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSignOpen(t *testing.T) {
	for _, alg := range []cose.Algorithm{cose.SM2SM3, cose.EdDSA, cose.ES256} {
		root, roots := rootOf(t, alg)
		want := bundleOf(KindRevocations, 7, "group:north")
		want.Base = 5
		data := sign(t, want, root)
		got, err := Open(data, roots)
		if err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
		if got.Kind != want.Kind || got.Version != 7 || got.Base != 5 || got.Target != want.Target ||
			!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) || string(got.Payload) != "data" {
			t.Errorf("%v: Open = %+v, want %+v", alg, got, want)
		}
		if got.Digest != sha256.Sum256(data) {
			t.Errorf("%v: digest is not SHA-256 of the bundle", alg)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	root, roots := rootOf(t, cose.EdDSA)
	other, _ := rootOf(t, cose.EdDSA)
	good := sign(t, bundleOf(KindPolicy, 3, "all"), root)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-70] ^= 1 // in the payload, before the signature
	cases := []struct {
		name string
		data []byte
		want Reason
	}{
		{"garbage", []byte("not a bundle"), Malformed},
		{"empty", nil, Malformed},
		{"another root", sign(t, bundleOf(KindPolicy, 3, "all"), other), RootUnknown},
		{"payload changed", flipped, SigInvalid},
		{"truncated", good[:len(good)-1], Malformed},
	}
	for _, c := range cases {
		_, err := Open(c.data, roots)
		if got := ReasonOf(err); got != c.want {
			t.Errorf("%s: reason %s (%v), want %s", c.name, got, err, c.want)
		}
	}
}

func TestSignRefusesBadFields(t *testing.T) {
	root, _ := rootOf(t, cose.EdDSA)
	cases := []func(b *Bundle){
		func(b *Bundle) { b.Kind = "firmware" },
		func(b *Bundle) { b.Version = 0 },
		func(b *Bundle) { b.ExpiresAt = b.IssuedAt },
		func(b *Bundle) { b.Target = "group:" },
		func(b *Bundle) { b.Target = "device:a/b" },
		func(b *Bundle) { b.Base = 1 }, // a policy delta
		func(b *Bundle) { b.Kind, b.Base = KindRevocations, 3 },
	}
	for i, mod := range cases {
		b := bundleOf(KindPolicy, 3, "all")
		mod(b)
		if _, err := Sign(b, root); ReasonOf(err) != Malformed {
			t.Errorf("case %d: Sign = %v, want MALFORMED", i, err)
		}
	}
}

// holder is a device's updates in memory.
type holder struct {
	held    map[string]uint64
	digests map[string][sha256.Size]byte
	refuse  error // Apply's error, when set
	applied []*Bundle
}

func newHolder() *holder {
	return &holder{held: map[string]uint64{}, digests: map[string][sha256.Size]byte{}}
}

func (h *holder) Held(kind string) (uint64, [sha256.Size]byte) { return h.held[kind], h.digests[kind] }

func (h *holder) Apply(b *Bundle) error {
	if h.refuse != nil {
		return h.refuse
	}
	h.held[b.Kind], h.digests[b.Kind] = b.Version, b.Digest
	h.applied = append(h.applied, b)
	return nil
}

func topic(target, kind string) string {
	tp, err := wire.UpdateTopic("t1", target, kind)
	if err != nil {
		panic(err)
	}
	return tp
}

// TestUpdater runs bundles through one device's Updater in order, each
// step checking the report.
func TestUpdater(t *testing.T) {
	root, roots := rootOf(t, cose.SM2SM3)
	stranger, _ := rootOf(t, cose.SM2SM3)
	next, nextRoots := rootOf(t, cose.EdDSA)
	h := newHolder()
	u := NewUpdater(UpdaterOptions{Device: "d1", Group: "north", Roots: roots, Holder: h, Now: func() time.Time { return t0 }})

	policy5 := sign(t, bundleOf(KindPolicy, 5, "all"), root)
	expired := bundleOf(KindPolicy, 9, "all")
	expired.ExpiresAt = t0.Add(-time.Second)
	delta := bundleOf(KindRevocations, 12, "device:d1")
	delta.Base = 11
	rotate := bundleOf(KindRoots, 1, "all")
	rotate.Payload = testkeys.PublicPEM(t, next)

	steps := []struct {
		name    string
		topic   string
		data    []byte
		outcome string // "" for no report
		reason  Reason
	}{
		{"valid", topic("all", KindPolicy), policy5, wire.OutcomeApplied, Applied},
		{"same bundle again (retained)", topic("all", KindPolicy), policy5, "", ""},
		{"replayed old version", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 4, "all"), root), wire.OutcomeRejected, NotNewer},
		{"same version, other content", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 5, "all"), root), wire.OutcomeRejected, NotNewer},
		{"forged", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 6, "all"), stranger), wire.OutcomeRejected, RootUnknown},
		{"expired", topic("all", KindPolicy), sign(t, expired, root), wire.OutcomeRejected, Expired},
		{"another device", topic("device:d2", KindPolicy), sign(t, bundleOf(KindPolicy, 6, "device:d2"), root), wire.OutcomeRejected, WrongTarget},
		{"another group", topic("group:south", KindPolicy), sign(t, bundleOf(KindPolicy, 6, "group:south"), root), wire.OutcomeRejected, WrongTarget},
		{"device bundle on the all topic", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 6, "device:d2"), root), wire.OutcomeRejected, WrongTarget},
		{"kind not of the topic", topic("all", KindConfig), sign(t, bundleOf(KindPolicy, 6, "all"), root), wire.OutcomeRejected, WrongTarget},
		{"group", topic("group:north", KindPolicy), sign(t, bundleOf(KindPolicy, 6, "group:north"), root), wire.OutcomeApplied, Applied},
		{"delta without base", topic("device:d1", KindRevocations), sign(t, delta, root), wire.OutcomeWaiting, BaseMissing},
		{"full list", topic("all", KindRevocations), sign(t, bundleOf(KindRevocations, 11, "all"), root), wire.OutcomeApplied, Applied},
		{"delta on its base", topic("device:d1", KindRevocations), sign(t, delta, root), wire.OutcomeApplied, Applied},
		{"root rotation", topic("all", KindRoots), sign(t, rotate, root), wire.OutcomeApplied, Applied},
		{"old root retired", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 7, "all"), root), wire.OutcomeRejected, RootUnknown},
		{"new root signs", topic("all", KindPolicy), sign(t, bundleOf(KindPolicy, 7, "all"), next), wire.OutcomeApplied, Applied},
		{"garbage", topic("all", KindPolicy), []byte{0xd2, 0x84}, wire.OutcomeRejected, Malformed},
		{"not an update topic", "fuscan/v1/t1/dev/d1/scans", policy5, wire.OutcomeRejected, WrongTarget},
	}
	for _, s := range steps {
		r, ok := u.Offer(s.topic, s.data)
		if !ok {
			if s.outcome != "" {
				t.Errorf("%s: no report, want %s %s", s.name, s.outcome, s.reason)
			}
			continue
		}
		if r.Outcome != s.outcome || r.Reason != string(s.reason) || r.Topic != s.topic || !r.Time.Equal(t0) {
			t.Errorf("%s: report %+v, want %s %s", s.name, r, s.outcome, s.reason)
		}
	}
	if got := u.Roots().Len(); got != nextRoots.Len() {
		t.Errorf("roots after rotation: %d keys, want %d", got, nextRoots.Len())
	}
	if h.held[KindPolicy] != 7 || h.held[KindRevocations] != 12 || h.held[KindRoots] != 1 {
		t.Errorf("held %v, want policy 7, revocations 12, roots 1", h.held)
	}
}

// TestUpdaterStoreFails: a bundle the device cannot store or that its
// holder refuses is reported with the holder's reason, and applied when
// sent again once the holder takes it.
func TestUpdaterStoreFails(t *testing.T) {
	root, roots := rootOf(t, cose.EdDSA)
	h := newHolder()
	u := NewUpdater(UpdaterOptions{Device: "d1", Roots: roots, Holder: h, Now: func() time.Time { return t0 }})
	data := sign(t, bundleOf(KindTrust, 2, "all"), root)
	for _, c := range []struct {
		err  error
		want Reason
	}{
		{errors.New("disk full"), StoreFailed},
		{refuse(DemoTrust, "demo"), DemoTrust},
		{nil, Applied},
	} {
		h.refuse = c.err
		if r, _ := u.Offer(topic("all", KindTrust), data); r.Reason != string(c.want) {
			t.Errorf("holder error %v: reason %s, want %s", c.err, r.Reason, c.want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	root, roots := rootOf(f, cose.EdDSA)
	f.Add(sign(f, bundleOf(KindPolicy, 3, "all"), root))
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Open(data, roots)
		if err == nil && (b.Version == 0 || b.Kind == "") {
			t.Fatalf("Open accepted %+v", b)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("Open error %v is not an *Error", err)
		}
	})
}
