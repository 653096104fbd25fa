package terminal

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal/credential"
)

// Verdict is what the terminal tells the gate and the person at it.
// The zero value means "not set" in a Policy, where it selects the default.
type Verdict uint8

// The verdicts, in rising severity except Refer, which ranks between Warn
// and Deny: a check that cannot decide never overrides one that denies.
const (
	Pass  Verdict = 1 // enter
	Warn  Verdict = 2 // enter, but staff should look
	Refer Verdict = 3 // the terminal cannot decide: staff decide
	Deny  Verdict = 4 // do not enter
)

var verdictNames = [...]string{Pass: "pass", Warn: "warn", Refer: "refer", Deny: "deny"}

// String returns pass, warn, refer or deny.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) && verdictNames[v] != "" {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// ParseVerdict returns the verdict named s (as String writes it).
func ParseVerdict(s string) (Verdict, error) {
	if i := slices.Index(verdictNames[:], s); i > 0 {
		return Verdict(i), nil
	}
	return 0, fmt.Errorf("terminal: unknown verdict %q (want pass, warn, refer or deny)", s)
}

// MarshalText writes the verdict's name.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads a verdict's name.
func (v *Verdict) UnmarshalText(b []byte) error {
	p, err := ParseVerdict(string(b))
	*v = p
	return err
}

// Decision is the outcome of verifying one code text. Its holder fields are
// masked; the raw code text is not kept.
type Decision struct {
	Verdict Verdict
	Reason  Reason
	Detail  string // for logs: what exactly failed; never shown to travellers

	At        time.Time       // the verification clock
	Format    credential.Kind // zero when the text is not a known format
	KID       []byte
	Issuer    string
	IssuedAt  time.Time
	ExpiresAt time.Time // the effective expiry, policy caps applied
	Color     credential.Color
	Name      string // masked: 张*
	IDTail    string // at most the last 4 characters of the ID
	NATAt     time.Time
	NATResult credential.NATResult
	VaxDoses  int
	Travel    bool // the travel record touches a risk area

	// Serial is the card serial or DCC identifier, kept for the log's keyed
	// hash and revocation checks; it is never displayed.
	Serial string

	PolicyVersion uint64
	TrustVersion  uint64
}

// Message returns the operator-safe text for the decision's reason in lang
// ("zh" or "en"; anything else gives English).
func (d Decision) Message(lang string) string { return d.Reason.Message(lang) }

// Summary is the decision as a person reads it, in loc's time: a line of
// verdict, reason, format, holder, issuer and validity; the message in
// English and Chinese; and the detail of a failed check when there is one.
// Each line ends in a newline.
func (d Decision) Summary(loc *time.Location) string {
	fields := []string{strings.ToUpper(d.Verdict.String()), string(d.Reason)}
	if d.Format != 0 {
		fields = append(fields, d.Format.String())
	}
	if holder := d.Holder(); holder != "" {
		fields = append(fields, holder)
	}
	if d.Issuer != "" {
		fields = append(fields, "issuer "+d.Issuer)
	}
	if !d.ExpiresAt.IsZero() {
		fields = append(fields, d.validity(loc))
	}
	s := fmt.Sprintf("%s\n  %s / %s\n", strings.Join(fields, "  "), d.Message("en"), d.Message("zh"))
	if d.Detail != "" {
		s += fmt.Sprintf("  detail: %s\n", d.Detail)
	}
	return s
}

// Holder returns the masked name and ID tail, such as "张* ****1234".
func (d Decision) Holder() string {
	s := d.Name
	if d.IDTail != "" {
		s = strings.TrimSpace(s + " ****" + d.IDTail)
	}
	return s
}

// validity says until when d's code is valid: a date for codes that last
// days, a time for those that last hours or minutes.
func (d Decision) validity(loc *time.Location) string {
	layout := "2006-01-02 15:04 MST"
	if d.ExpiresAt.Sub(d.IssuedAt) >= 48*time.Hour {
		layout = time.DateOnly
	}
	when := d.ExpiresAt.In(loc).Format(layout)
	if !d.At.IsZero() && !d.At.Before(d.ExpiresAt) {
		return "expired " + when
	}
	return "valid until " + when
}

// MarshalJSON writes the decision in the form `fuscanctl verify --json`
// prints (docs/credential-format.md lists the fields). Serial is left out:
// it is never shown.
func (d Decision) MarshalJSON() ([]byte, error) {
	type out struct {
		Verdict       string `json:"verdict"`
		Reason        Reason `json:"reason"`
		Format        string `json:"format"`
		KID           string `json:"kid"`
		Issuer        string `json:"issuer"`
		Color         string `json:"color"`
		Name          string `json:"name"`
		IDTail        string `json:"id_tail"`
		IssuedAt      string `json:"issued_at"`
		ExpiresAt     string `json:"expires_at"`
		NATAt         string `json:"nat_at,omitempty"`
		NATResult     string `json:"nat_result,omitempty"`
		VaxDoses      int    `json:"vax_doses"`
		TravelRisk    bool   `json:"travel_risk"`
		At            string `json:"at"`
		MessageZH     string `json:"message_zh"`
		MessageEN     string `json:"message_en"`
		Detail        string `json:"detail,omitempty"`
		PolicyVersion uint64 `json:"policy_version"`
		TrustVersion  uint64 `json:"trust_version"`
	}
	format := ""
	if d.Format != 0 {
		format = d.Format.String()
	}
	return json.Marshal(out{
		Verdict: d.Verdict.String(), Reason: d.Reason, Format: format,
		KID: fmt.Sprintf("%x", d.KID), Issuer: d.Issuer, Color: d.Color.String(),
		Name: d.Name, IDTail: d.IDTail,
		IssuedAt: rfc3339(d.IssuedAt), ExpiresAt: rfc3339(d.ExpiresAt),
		NATAt: rfc3339(d.NATAt), NATResult: d.NATResult.String(),
		VaxDoses: d.VaxDoses, TravelRisk: d.Travel, At: rfc3339(d.At),
		MessageZH: d.Message("zh"), MessageEN: d.Message("en"), Detail: d.Detail,
		PolicyVersion: d.PolicyVersion, TrustVersion: d.TrustVersion,
	})
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
