package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

var demoCommand = &command{
	name:    "demo",
	args:    "[--at TIME]",
	summary: "show a sample code of each common situation and its verdict; needs no files",
	help: `
Demo makes throwaway keys in memory (SM2 and Ed25519 issuer keys, an ES256
EU DCC signing certificate, a holder key for dynamic codes), issues one
sample code of each common situation, verifies them all with one terminal
at one instant and prints what the terminal decides. Nothing is written.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &demoOptions{}
		fs.Var(&o.at, "at", "the instant the codes are issued around and verified at, RFC 3339 `time` (default now)")
		return o.run
	},
}

type demoOptions struct {
	at timeFlag
}

// A demoCase is one sample code and the situation it shows.
type demoCase struct {
	situation string
	text      string
}

// demoIssuer is the issuer id of the demo's codes.
const demoIssuer = "350000"

func (o *demoOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	at := o.at.or(now())
	trust, cases, err := demoCases(at)
	if err != nil {
		return err
	}
	v := terminal.NewVerifier(trust, &terminal.Options{
		Now:     func() time.Time { return at },
		Replays: &terminal.MemoryReplays{},
	})
	decisions := make([]terminal.Decision, len(cases))
	for i, c := range cases {
		decisions[i] = v.VerifyAt(c.text, at)
	}
	fmt.Fprintf(e.stdout, "fuscan demo: %d sample codes, verified offline at %s.\n", len(cases), at.Format("2006-01-02 15:04 MST"))
	fmt.Fprint(e.stdout, "The keys were made for this run and are gone; nothing was written to disk.\n\n")
	writeDemoTable(e.stdout, cases, decisions)
	fmt.Fprint(e.stdout, `
Try it yourself:
  fuscanctl keygen --alg sm2 --out issuer
  fuscanctl issue --kind card --key issuer.key --issuer 350000 --name 张三 \
      --id 350102199001011234 --color green --png card.png --pdf card.pdf > code.txt
  fuscanctl verify --keys issuer.pub < code.txt
Run "fuscanctl help" for every command and flag.
`)
	return nil
}

// writeDemoTable writes one row a case: its situation, the verdict, reason,
// format and holder, then the message on a line of its own. The holder
// (which may be Chinese, two columns wide) ends the row, so padding counts
// only ASCII.
func writeDemoTable(w io.Writer, cases []demoCase, ds []terminal.Decision) {
	rows := [][]string{{"#", "SITUATION", "VERDICT", "REASON", "FORMAT", "HOLDER"}}
	for i, d := range ds {
		format := "-"
		if d.Format != 0 {
			format = d.Format.String()
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), cases[i].situation,
			strings.ToUpper(d.Verdict.String()), string(d.Reason), format, holderOf(&d)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, cell := range r {
			widths[j] = max(widths[j], len(cell))
		}
	}
	indent := strings.Repeat(" ", widths[0]+3)
	for i, r := range rows {
		line := fmt.Sprintf(" %*s", widths[0], r[0])
		for j := 1; j < len(r)-1; j++ {
			line += fmt.Sprintf("  %-*s", widths[j], r[j])
		}
		fmt.Fprintln(w, strings.TrimRight(line+"  "+r[len(r)-1], " "))
		if i > 0 {
			d := &ds[i-1]
			fmt.Fprintf(w, "%s%s / %s\n", indent, d.Message("en"), d.Message("zh"))
		}
	}
}

// demoCases makes the demo's keys and codes around the instant at, and the
// trust of a terminal that knows every key but the forger's.
func demoCases(at time.Time) (*terminal.Trust, []demoCase, error) {
	algs := []cose.Algorithm{cose.SM2SM3, cose.EdDSA, cose.EdDSA, cose.SM2SM3, cose.ES256}
	privs := make([]crypto.Signer, len(algs))
	signers := make([]*cose.Signer, len(algs))
	for i, alg := range algs {
		var err error
		if privs[i], err = cose.GenerateKey(rand.Reader, alg); err != nil {
			return nil, nil, err
		}
		if signers[i], err = cose.NewSigner(privs[i]); err != nil {
			return nil, nil, err
		}
	}
	sm2, ed, holder, forger, dsc := signers[0], signers[1], signers[2], signers[3], signers[4]
	certDER, err := dccCertificate(cose.ES256, privs[4], "fuscan demo DCC signer", "CN", at.Add(-30*24*time.Hour), []string{"v", "t", "r"})
	if err != nil {
		return nil, nil, err
	}
	trust, err := demoTrust(certDER, sm2, ed)
	if err != nil {
		return nil, nil, err
	}
	const revoked = "FSC-DEMO00000005"
	trust.Revoke(revoked)

	// Each helper records the first error and then does nothing.
	var firstErr error
	code := func(issuer *cose.Signer, kind credential.Kind, color credential.Color, name, serial string, age, ttl time.Duration) string {
		if firstErr != nil {
			return ""
		}
		c := demoClaims(kind, color, name, serial, at.Add(-age), ttl)
		text, err := credential.Issue(issuer, &c, nil, at)
		firstErr = err
		return text
	}
	present := func(signed []byte, when time.Time) string {
		if firstErr != nil {
			return ""
		}
		text, err := credential.Present(rand.Reader, holder, signed, credential.StepAt(when))
		firstErr = err
		return text
	}

	const day = 24 * time.Hour
	card := code(sm2, credential.KindCard, credential.ColorGreen, "张三", "FSC-DEMO00000001", 3*day, 30*day)
	dynamic, err := demoDynamic(sm2, holder, at)
	if err != nil {
		return nil, nil, err
	}
	dcc, err := demoDCC(dsc, certDER, at)
	if err != nil {
		return nil, nil, err
	}
	shown := present(dynamic, at)
	cases := []demoCase{
		{"green card", card},
		{"yellow live code", code(ed, credential.KindLive, credential.ColorYellow, "李四", "", time.Minute, 5*time.Minute)},
		{"red live code", code(ed, credential.KindLive, credential.ColorRed, "王五", "", time.Minute, 5*time.Minute)},
		{"expired card", code(sm2, credential.KindCard, credential.ColorGreen, "赵六", "FSC-DEMO00000004", 31*day, 30*day)},
		{"revoked card", code(sm2, credential.KindCard, credential.ColorGreen, "钱七", revoked, 3*day, 30*day)},
		{"forged card (unknown key)", code(forger, credential.KindCard, credential.ColorGreen, "孙八", "FSC-DEMO00000006", day, 30*day)},
		{"tampered card text", tamper(card)},
		{"dynamic code", shown},
		{"same dynamic code again", shown},
		{"dynamic code, 2 min old", present(dynamic, at.Add(-2*time.Minute))},
		{"EU DCC, ES256", dcc},
		{"a URL, not a health code", "https://example.com/menu"},
	}
	return trust, cases, firstErr
}

// demoTrust returns trust in the issuer keys, for issuer demoIssuer, and
// in the DCC signing certificate, read as "verify --keys" reads them.
func demoTrust(certDER []byte, issuers ...*cose.Signer) (*terminal.Trust, error) {
	files := [][]byte{certDER}
	for _, s := range issuers {
		pub, err := cose.MarshalPublicKeyPEM(s.Public())
		if err != nil {
			return nil, err
		}
		files = append(files, pub)
	}
	trust := &terminal.Trust{}
	for i, data := range files {
		keys, err := terminal.ParseKeys(data)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if i > 0 {
				k.Issuer = demoIssuer
			}
			trust.AddKey(k)
		}
	}
	return trust, nil
}

// demoClaims returns the claims of a sample code, masked as issue masks
// them.
func demoClaims(kind credential.Kind, color credential.Color, name, serial string, iat time.Time, ttl time.Duration) credential.Claims {
	return credential.Claims{
		Kind: kind, Issuer: demoIssuer, IssuedAt: iat, ExpiresAt: iat.Add(ttl), Serial: serial,
		Health: credential.Health{Color: color, Name: terminal.MaskName(name), IDTail: "1234",
			NATAt: iat.Add(-20 * time.Hour), NATResult: credential.NATNegative, VaxDoses: 3},
	}
}

// demoDynamic returns a dynamic credential issued two hours before at,
// binding holder's key, ready to be presented.
func demoDynamic(issuer, holder *cose.Signer, at time.Time) ([]byte, error) {
	spki, err := smx509.MarshalPKIXPublicKey(holder.Public())
	if err != nil {
		return nil, err
	}
	c := demoClaims(credential.KindDynamic, credential.ColorGreen, "周九", "", at.Add(-2*time.Hour), 24*time.Hour)
	c.HolderKey = spki
	return credential.Sign(rand.Reader, issuer, &c)
}

// demoDCC returns an EU DCC vaccination certificate signed under certDER.
func demoDCC(dsc *cose.Signer, certDER []byte, at time.Time) (string, error) {
	d := &credential.DCC{Type: "v", FamilyName: "Mustermann", GivenName: "Erika", BirthDate: "1964-08-12",
		ID: "URN:UVCI:01:CN:DEMO00000011", Country: "CN", Doses: 2, TotalDoses: 2}
	msg, err := credential.SignDCC(rand.Reader, dsc, cose.KeyIDOf(certDER), "CN", at.Add(-48*time.Hour), at.Add(365*24*time.Hour), d, nil)
	if err != nil {
		return "", err
	}
	return credential.Encode(credential.KindDCC, msg), nil
}

// base45Alphabet is the character set of Base45 (RFC 9285).
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// tamper returns text with its middle character replaced by the next one of
// the Base45 alphabet: what a forger editing a code, or a damaged print,
// gives.
func tamper(text string) string {
	if text == "" {
		return ""
	}
	i := len(text) / 2
	j := strings.IndexByte(base45Alphabet, text[i])
	return text[:i] + string(base45Alphabet[(j+1)%len(base45Alphabet)]) + text[i+1:]
}
