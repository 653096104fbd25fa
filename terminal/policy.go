package terminal

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/fuscan/fuscan/terminal/credential"
)

// Policy is a venue's rules. The zero value is the default policy: green
// passes, yellow warns, red denies; no nucleic-acid or vaccine requirement;
// a travel risk warns; every format is accepted; live codes are fresh for 5
// minutes, cards last at most 30 days and dynamic credentials 24 hours;
// clocks may differ by 2 minutes; stale trust data warns.
type Policy struct {
	Version uint64

	Green, Yellow, Red Verdict // zero: pass, warn, deny

	NATMaxAge   time.Duration // zero: no nucleic-acid test required
	NATVerdict  Verdict       // for a missing or too old test; zero: deny
	MinVaxDoses int           // zero: no vaccine requirement
	VaxVerdict  Verdict       // for too few doses; zero: deny
	TravelRisk  Verdict       // for a travel record with a risk area; zero: warn

	Formats []credential.Kind // accepted formats; nil: all

	LiveMaxAge    time.Duration // how old a live code's iat may be; zero: 5 minutes
	CardMaxAge    time.Duration // cap on a card's life from issue; zero: 30 days
	DynamicMaxAge time.Duration // cap on a dynamic credential's life; zero: 24 hours
	ClockSkew     time.Duration // tolerance for times in the future, and for a clock below the floor; zero: 2 minutes

	StaleTrust Verdict // when trust data is past its expiry: Warn or Refer; zero: Warn
}

// Policy defaults, applied where a field is zero.
const (
	DefaultLiveMaxAge    = 5 * time.Minute
	DefaultCardMaxAge    = 30 * 24 * time.Hour
	DefaultDynamicMaxAge = 24 * time.Hour
	DefaultClockSkew     = 2 * time.Minute
)

// colorVerdict returns what a colour gives under p.
func (p *Policy) colorVerdict(c credential.Color) (Verdict, Reason) {
	switch c {
	case credential.ColorGreen:
		return cmp.Or(p.Green, Pass), OK
	case credential.ColorYellow:
		return cmp.Or(p.Yellow, Warn), ColorYellow
	case credential.ColorRed:
		return cmp.Or(p.Red, Deny), ColorRed
	}
	return Pass, OK // no colour: an EU DCC
}

func (p *Policy) accepts(k credential.Kind) bool {
	return len(p.Formats) == 0 || slices.Contains(p.Formats, k)
}

// policyFile is the JSON form of a Policy (docs/policy.md).
type policyFile struct {
	Version       uint64            `json:"version"`
	Colors        map[string]string `json:"colors,omitempty"`
	NATMaxAge     string            `json:"nat_max_age,omitempty"`
	NATVerdict    Verdict           `json:"nat_verdict,omitempty"`
	MinVaxDoses   int               `json:"min_vax_doses,omitempty"`
	VaxVerdict    Verdict           `json:"vax_verdict,omitempty"`
	TravelRisk    Verdict           `json:"travel_risk,omitempty"`
	Formats       []string          `json:"formats,omitempty"`
	LiveMaxAge    string            `json:"live_max_age,omitempty"`
	CardMaxAge    string            `json:"card_max_age,omitempty"`
	DynamicMaxAge string            `json:"dynamic_max_age,omitempty"`
	ClockSkew     string            `json:"clock_skew,omitempty"`
	StaleTrust    Verdict           `json:"stale_trust,omitempty"`
}

// ParsePolicy reads a policy from its JSON form. Unknown fields, unknown
// names and out-of-range values are errors: a typo must not silently relax
// a venue's rules.
func ParsePolicy(data []byte) (*Policy, error) {
	var f policyFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p := &Policy{Version: f.Version, NATVerdict: f.NATVerdict, MinVaxDoses: f.MinVaxDoses,
		VaxVerdict: f.VaxVerdict, TravelRisk: f.TravelRisk, StaleTrust: f.StaleTrust}
	for name, v := range f.Colors {
		verdict, err := ParseVerdict(v)
		if err != nil {
			return nil, fmt.Errorf("policy: colors.%s: %w", name, err)
		}
		switch name {
		case "green":
			p.Green = verdict
		case "yellow":
			p.Yellow = verdict
		case "red":
			p.Red = verdict
		default:
			return nil, fmt.Errorf("policy: unknown colour %q", name)
		}
	}
	for _, name := range f.Formats {
		k, err := credential.ParseKind(name)
		if err != nil {
			return nil, fmt.Errorf("policy: formats: %w", err)
		}
		p.Formats = append(p.Formats, k)
	}
	durations := []struct {
		name string
		text string
		dst  *time.Duration
	}{
		{"nat_max_age", f.NATMaxAge, &p.NATMaxAge},
		{"live_max_age", f.LiveMaxAge, &p.LiveMaxAge},
		{"card_max_age", f.CardMaxAge, &p.CardMaxAge},
		{"dynamic_max_age", f.DynamicMaxAge, &p.DynamicMaxAge},
		{"clock_skew", f.ClockSkew, &p.ClockSkew},
	}
	for _, d := range durations {
		if d.text == "" || d.text == "off" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("policy: %s: %q is not a duration such as \"48h\"", d.name, d.text)
		}
		*d.dst = v
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the limits a policy may not exceed: a venue may tighten
// the format caps, never extend them.
func (p *Policy) Validate() error {
	switch {
	case p.MinVaxDoses < 0 || p.MinVaxDoses > 10:
		return fmt.Errorf("policy: min_vax_doses %d is outside 0..10", p.MinVaxDoses)
	case p.CardMaxAge > DefaultCardMaxAge:
		return fmt.Errorf("policy: card_max_age %v exceeds the 30-day card limit", p.CardMaxAge)
	case p.DynamicMaxAge > DefaultDynamicMaxAge:
		return fmt.Errorf("policy: dynamic_max_age %v exceeds the 24-hour limit", p.DynamicMaxAge)
	case p.ClockSkew > time.Hour:
		return fmt.Errorf("policy: clock_skew %v exceeds one hour", p.ClockSkew)
	case p.StaleTrust != 0 && p.StaleTrust != Warn && p.StaleTrust != Refer:
		return fmt.Errorf("policy: stale_trust must be warn or refer")
	}
	return nil
}
