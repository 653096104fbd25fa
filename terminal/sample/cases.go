package sample

import (
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// A Case is one sample code and what a terminal trusting Snapshot, with
// the default policy and its clock at the instant the case was made for,
// decides about it.
type Case struct {
	Label   string // the situation, such as "yellow live code"
	Text    string // the code text
	Verdict terminal.Verdict
	Reason  terminal.Reason
}

// Cases returns the sample codes issued around the instant at, in this
// order: a green card, green, yellow and red live codes, an expired card,
// the revoked card, a card signed by a key nobody trusts, a tampered card
// text, a dynamic code presented at at, one presented two minutes before,
// an EU DCC and a URL. Each is decided as labelled at any instant from at
// to 30 seconds later (a terminal that remembers dynamic codes denies the
// second presentation of one as REPLAYED).
func Cases(at time.Time) []Case {
	cs, err := cases(at)
	if err != nil {
		// Every key is fixed and every claim within its limits: only a
		// failing random source can fail.
		panic(fmt.Sprintf("sample: cases: %v", err))
	}
	return cs
}

func cases(at time.Time) ([]Case, error) {
	k := keys()
	var firstErr error
	// code issues a code, or does nothing after an error.
	code := func(s *cose.Signer, kind credential.Kind, color credential.Color, name, serial string, age, ttl time.Duration) string {
		if firstErr != nil {
			return ""
		}
		c := claims(kind, color, name, serial, at.Add(-age), ttl)
		text, err := credential.Issue(s, &c, nil, at)
		firstErr = err
		return text
	}
	present := func(signed []byte, when time.Time) string {
		if firstErr != nil {
			return ""
		}
		text, err := credential.Present(nil, k.holder, signed, credential.StepAt(when))
		firstErr = err
		return text
	}
	dynamic, err := dynamicCredential(at)
	if err != nil {
		return nil, err
	}
	dcc, err := dccText(at)
	if err != nil {
		return nil, err
	}

	const day = 24 * time.Hour
	card := code(k.sm2, credential.KindCard, credential.ColorGreen, "张三", "FSC-DEMO00000001", 3*day, 30*day)
	live := func(c credential.Color, name string) string {
		return code(k.sm2, credential.KindLive, c, name, "", time.Minute, 5*time.Minute)
	}
	pass, warn, deny, refer := terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer
	cs := []Case{
		{"green card", card, pass, terminal.OK},
		{"green live code", live(credential.ColorGreen, "吴十"), pass, terminal.OK},
		{"yellow live code", code(k.ed25519, credential.KindLive, credential.ColorYellow, "李四", "", time.Minute, 5*time.Minute), warn, terminal.ColorYellow},
		{"red live code", live(credential.ColorRed, "王五"), deny, terminal.ColorRed},
		{"expired card", code(k.sm2, credential.KindCard, credential.ColorGreen, "赵六", "FSC-DEMO00000004", 31*day, 30*day), deny, terminal.Expired},
		{"revoked card", code(k.sm2, credential.KindCard, credential.ColorGreen, "钱七", revokedSerial, 3*day, 30*day), deny, terminal.Revoked},
		{"forged card (unknown key)", code(k.forger, credential.KindCard, credential.ColorGreen, "孙八", "FSC-DEMO00000006", day, 30*day), deny, terminal.KeyUnknown},
		{"tampered card text", Tamper(card), deny, terminal.Malformed},
		{"dynamic code", present(dynamic, at), pass, terminal.OK},
		{"dynamic code, 2 min old", present(dynamic, at.Add(-2*time.Minute)), deny, terminal.StaleCode},
		{"EU DCC, ES256", dcc, pass, terminal.OK},
		{"a URL, not a health code", "https://example.com/menu", refer, terminal.FormatUnknown},
	}
	return cs, firstErr
}

// claims returns the claims of a sample code, masked as issuers mask them.
func claims(kind credential.Kind, color credential.Color, name, serial string, iat time.Time, ttl time.Duration) credential.Claims {
	return credential.Claims{
		Kind: kind, Issuer: issuer, IssuedAt: iat, ExpiresAt: iat.Add(ttl), Serial: serial,
		Health: credential.Health{Color: color, Name: terminal.MaskName(name), IDTail: "1234",
			NATAt: iat.Add(-20 * time.Hour), NATResult: credential.NATNegative, VaxDoses: 3},
	}
}

// dynamicCredential returns a green dynamic credential issued two hours
// before at, binding the demo holder's key, ready to be presented.
func dynamicCredential(at time.Time) ([]byte, error) {
	k := keys()
	c := claims(credential.KindDynamic, credential.ColorGreen, "周九", "", at.Add(-2*time.Hour), 24*time.Hour)
	spki, err := smx509.MarshalPKIXPublicKey(k.holder.Public())
	if err != nil {
		return nil, err
	}
	c.HolderKey = spki
	return credential.Sign(nil, k.sm2, &c)
}

// dccText returns an EU DCC vaccination certificate issued two days
// before at, valid a year, signed by the demo DCC signer.
func dccText(at time.Time) (string, error) {
	d := &credential.DCC{Type: "v", FamilyName: "Mustermann", GivenName: "Erika", BirthDate: "1964-08-12",
		ID: "URN:UVCI:01:CN:DEMO00000011", Country: dccCountry, Doses: 2, TotalDoses: 2}
	msg, err := signDCC(d, at.Add(-48*time.Hour), at.Add(365*24*time.Hour))
	if err != nil {
		return "", err
	}
	return credential.Encode(credential.KindDCC, msg), nil
}

// signDCC returns the COSE message of d issued at iat, expiring at exp,
// signed by the demo DCC signer.
func signDCC(d *credential.DCC, iat, exp time.Time) ([]byte, error) {
	k := keys()
	return credential.SignDCC(nil, k.dcc, cose.KeyIDOf(k.certDER), dccCountry, iat, exp, d, nil)
}

// base45Alphabet is the character set of Base45 (RFC 9285).
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// Tamper returns text with its middle character replaced by the next one
// of the Base45 alphabet: what a forger editing a code, or a damaged
// print, gives.
func Tamper(text string) string {
	if text == "" {
		return ""
	}
	i := len(text) / 2
	j := strings.IndexByte(base45Alphabet, text[i])
	return text[:i] + string(base45Alphabet[(j+1)%len(base45Alphabet)]) + text[i+1:]
}
