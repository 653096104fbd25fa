package terminal

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fuscan/fuscan/terminal/credential"
)

// MinTrustedYear is the year before which a clock counts as never set.
const MinTrustedYear = 2024

// Options tunes a Verifier; nil means the defaults.
type Options struct {
	// Now is the verification clock. Nil: time.Now.
	Now func() time.Time
	// Replays remembers dynamic-code presentations. Nil: replays are not
	// detected (one-shot tools such as fuscanctl verify).
	Replays Replays
	// Floor returns the latest time this terminal has trusted; a clock
	// below it is untrusted. Nil: only clocks before MinTrustedYear are.
	Floor func() time.Time
	// Explicit says that the instants this verifier decides at are given
	// on purpose by an operator, "as at this time" (fuscanctl verify --at:
	// an audit of last month's scans, a conformance suite, reproducing a
	// decision), not read from the terminal's clock. The clock-trust rules
	// (MinTrustedYear and Floor), which catch a clock that was never set or
	// was set back, are then not applied. Zero: the instants are clock
	// readings and the rules apply, as a terminal needs.
	Explicit bool
}

// Verifier decides code texts under a Trust snapshot. It is safe for
// concurrent use; SetTrust swaps the snapshot atomically.
type Verifier struct {
	trust    atomic.Pointer[Trust]
	now      func() time.Time
	replays  Replays
	floor    func() time.Time
	explicit bool
}

// NewVerifier returns a verifier for trust (nil: trust nothing).
func NewVerifier(trust *Trust, opts *Options) *Verifier {
	if opts == nil {
		opts = &Options{}
	}
	v := &Verifier{now: opts.Now, replays: opts.Replays, floor: opts.Floor, explicit: opts.Explicit}
	if v.now == nil {
		v.now = time.Now
	}
	v.SetTrust(trust)
	return v
}

// SetTrust replaces the trust snapshot; decisions under way finish with the
// old one.
func (v *Verifier) SetTrust(t *Trust) {
	if t == nil {
		t = &Trust{}
	}
	v.trust.Store(t)
}

// Trust returns the current trust snapshot.
func (v *Verifier) Trust() *Trust { return v.trust.Load() }

// Verify decides text at the verifier's clock.
func (v *Verifier) Verify(text string) Decision { return v.VerifyAt(text, v.now()) }

// VerifyBatch decides many texts at one instant using every core, for
// batch checks (a school's morning list). Decisions come in texts' order.
func (v *Verifier) VerifyBatch(texts []string, now time.Time) []Decision {
	out := make([]Decision, len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(texts)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(texts)); i = next.Add(1) - 1 {
				out[i] = v.VerifyAt(texts[i], now)
			}
		})
	}
	wg.Wait()
	return out
}

// VerifyAt decides text at the instant now. The checks run in this order,
// and the first that fails decides: format and structure, acceptance by
// the venue, issuer key and signatures, revocation, clock trust (unless
// Options.Explicit), validity times, replay; then the health checks of the
// policy, of which the most severe decides; then the staleness of the
// trust data.
func (v *Verifier) VerifyAt(text string, now time.Time) Decision {
	t := v.trust.Load()
	d := Decision{At: now, PolicyVersion: t.Policy.Version, TrustVersion: t.Version}
	u, err := credential.Parse(text)
	if errors.Is(err, credential.ErrFormatUnknown) {
		return d.decide(Refer, FormatUnknown, "")
	}
	if err != nil {
		return d.decide(Deny, Malformed, err.Error())
	}
	d.Format, d.KID = u.Kind, u.Sign1.KID
	if !t.Policy.accepts(u.Kind) {
		return d.decide(Deny, FormatNotAccepted, "")
	}
	if r, detail := checkSignatures(t, u); r != "" {
		return d.decide(Deny, r, detail)
	}
	d.fill(u)
	if d.Serial != "" && t.IsRevoked(d.Serial) {
		return d.decide(Deny, Revoked, "")
	}
	if detail := v.checkClock(now, cmp.Or(t.Policy.ClockSkew, DefaultClockSkew)); detail != "" {
		return d.decide(Refer, ClockUntrusted, detail)
	}
	var r Reason
	var detail string
	if d.ExpiresAt, r, detail = checkTimes(&t.Policy, u, now); r != "" {
		return d.decide(Deny, r, detail)
	}
	if verdict, r, detail := v.checkReplay(u, now); r != "" {
		return d.decide(verdict, r, detail)
	}
	d.Verdict, d.Reason = checkHealth(&t.Policy, &u.Claims.Health, now)
	if !t.ExpiresAt.IsZero() && now.After(t.ExpiresAt) {
		// Stale trust data weakens a favourable decision; it never turns a
		// denial into something softer. The log keeps the staleness either way.
		d.Detail = fmt.Sprintf("trust data expired %s", t.ExpiresAt.UTC().Format(time.RFC3339))
		if stale := cmp.Or(t.Policy.StaleTrust, Warn); d.Verdict < stale {
			d.Verdict, d.Reason = stale, TrustStale
		}
	}
	return d
}

func (d Decision) decide(v Verdict, r Reason, detail string) Decision {
	d.Verdict, d.Reason, d.Detail = v, r, detail
	return d
}

// fill copies the holder data of a credential whose signature holds.
func (d *Decision) fill(u *credential.Unverified) {
	c := &u.Claims
	d.Issuer, d.IssuedAt, d.ExpiresAt, d.Serial = c.Issuer, c.IssuedAt, c.ExpiresAt, c.Serial
	h := &c.Health
	d.Color, d.Name, d.IDTail = h.Color, MaskName(h.Name), IDTail(h.IDTail)
	d.NATAt, d.NATResult, d.VaxDoses, d.Travel = h.NATAt, h.NATResult, h.VaxDoses, h.TravelRisk
}

// checkSignatures finds the issuer key, verifies the issuer's signature (and
// a dynamic code's holder signature) and checks what the key may sign.
func checkSignatures(t *Trust, u *credential.Unverified) (Reason, string) {
	keys := t.Keys(u.Sign1.KID)
	var key *Key
	tried := 0
	for _, k := range keys {
		if k.Verifier.Alg != u.Sign1.Alg {
			continue
		}
		tried++
		if u.Sign1.Verify(k.Verifier) == nil {
			key = k
			break
		}
	}
	switch {
	case tried == 0:
		return KeyUnknown, fmt.Sprintf("no trusted %v key with kid %x", u.Sign1.Alg, u.Sign1.KID)
	case key == nil:
		return SigInvalid, "issuer signature does not verify"
	}
	if !credential.AlgorithmAllowed(u.Kind, key.Verifier.Alg) {
		return KeyNotAllowed, fmt.Sprintf("%v may not sign %v credentials", key.Verifier.Alg, u.Kind)
	}
	if why := key.allows(&u.Claims, u.DCC); why != "" {
		return KeyNotAllowed, why
	}
	if u.Kind == credential.KindDynamic {
		if err := u.VerifyHolder(); err != nil {
			return SigInvalid, fmt.Sprintf("holder signature: %v", err)
		}
	}
	return "", ""
}

// checkClock reports why the clock reading now is not trusted, or "". A
// reading up to skew below the floor is trusted: the floor is the newest
// decision's time, and a frame captured just before it, or a scan on
// another lane, is decided a moment later. The floor is there to catch a
// clock set back by hours or years. An explicit instant is not a clock
// reading, and is trusted.
func (v *Verifier) checkClock(now time.Time, skew time.Duration) string {
	if v.explicit {
		return ""
	}
	if now.Year() < MinTrustedYear {
		return fmt.Sprintf("clock reads %s, before %d: never set", now.UTC().Format(time.RFC3339), MinTrustedYear)
	}
	if v.floor == nil {
		return ""
	}
	if floor := v.floor(); now.Before(floor.Add(-skew)) {
		return fmt.Sprintf("clock reads %s, more than %v before the trusted floor %s", now.UTC().Format(time.RFC3339), skew, floor.UTC().Format(time.RFC3339))
	}
	return ""
}

// checkTimes applies the validity rules of each kind and returns the
// effective expiry: the credential's own, capped by the policy.
func checkTimes(p *Policy, u *credential.Unverified, now time.Time) (time.Time, Reason, string) {
	c := &u.Claims
	exp := c.ExpiresAt
	var maxAge time.Duration
	switch u.Kind {
	case credential.KindCard:
		maxAge = cmp.Or(p.CardMaxAge, DefaultCardMaxAge)
	case credential.KindDynamic:
		maxAge = cmp.Or(p.DynamicMaxAge, DefaultDynamicMaxAge)
	}
	if capped := c.IssuedAt.Add(maxAge); maxAge > 0 && (exp.IsZero() || capped.Before(exp)) {
		exp = capped
	}
	late := now.Add(cmp.Or(p.ClockSkew, DefaultClockSkew))
	switch {
	case c.IssuedAt.After(late):
		return exp, NotYetValid, "issued in the future"
	case !c.NotBefore.IsZero() && c.NotBefore.After(late):
		return exp, NotYetValid, "not valid before " + c.NotBefore.UTC().Format(time.RFC3339)
	case u.Kind == credential.KindLive && now.Sub(c.IssuedAt) > cmp.Or(p.LiveMaxAge, DefaultLiveMaxAge):
		// Checked before expiry: an old live code is a screenshot, and the
		// traveller should be told to show the live one.
		return exp, StaleCode, fmt.Sprintf("live code issued %v ago", now.Sub(c.IssuedAt).Round(time.Second))
	case !exp.IsZero() && expired(u.Kind, exp, now):
		return exp, Expired, "expired " + exp.UTC().Format(time.RFC3339)
	}
	if u.Kind != credential.KindDynamic {
		return exp, "", ""
	}
	switch cur := credential.StepAt(now); {
	case u.Step < cur-1:
		return exp, StaleCode, fmt.Sprintf("time step %d, now %d", u.Step, cur)
	case u.Step > cur+1:
		return exp, NotYetValid, fmt.Sprintf("time step %d, now %d", u.Step, cur)
	}
	return exp, "", ""
}

// expired reports whether a credential of kind whose effective expiry is
// exp has expired at now. Our formats are invalid from their exp on; an EU
// DCC is valid up to and including its exp, as the EU reference verifiers
// have it (expired only once now is after exp).
func expired(kind credential.Kind, exp, now time.Time) bool {
	if kind == credential.KindDCC {
		return now.After(exp)
	}
	return !now.Before(exp)
}

// checkReplay remembers a dynamic code's presentation and denies a second
// one. The presentation is named by the signed credential payload and the
// step, not by the signature bytes: an ECDSA signature can be altered into
// another valid one, a payload cannot.
func (v *Verifier) checkReplay(u *credential.Unverified, now time.Time) (Verdict, Reason, string) {
	if v.replays == nil || u.Kind != credential.KindDynamic {
		return 0, "", ""
	}
	h := sha256.New()
	h.Write([]byte("fuscan replay v1\x00"))
	h.Write(u.Sign1.Payload)
	fmt.Fprintf(h, "\x00%d", u.Step)
	seen, err := v.replays.Seen(h.Sum(nil), credential.StepTime(u.Step+2), now)
	switch {
	case err != nil:
		return Refer, TerminalFault, fmt.Sprintf("replay memory: %v", err)
	case seen:
		return Deny, Replayed, fmt.Sprintf("time step %d presented before", u.Step)
	}
	return 0, "", ""
}

// checkHealth applies the venue policy to the holder's health data; the
// most severe outcome wins, and among equals the first in the order colour,
// test result, test age, vaccination, travel.
func checkHealth(p *Policy, h *credential.Health, now time.Time) (Verdict, Reason) {
	verdict, reason := p.colorVerdict(h.Color)
	worse := func(v Verdict, r Reason) {
		if v > verdict {
			verdict, reason = v, r
		}
	}
	if h.NATResult == credential.NATPositive {
		worse(Deny, NATPositive)
	}
	if p.NATMaxAge > 0 && (h.NATAt.IsZero() || now.Sub(h.NATAt) > p.NATMaxAge) {
		worse(cmp.Or(p.NATVerdict, Deny), NATTooOld)
	}
	if p.MinVaxDoses > 0 && h.VaxDoses < p.MinVaxDoses {
		worse(cmp.Or(p.VaxVerdict, Deny), VaxMissing)
	}
	if h.TravelRisk {
		worse(cmp.Or(p.TravelRisk, Warn), TravelRisk)
	}
	return verdict, reason
}
