package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

var issueCommand = &command{
	name: "issue",
	args: "--kind live|card|dynamic --key ISSUER.key --issuer ID --name NAME --id NUMBER --color green|yellow|red [flags]\n" +
		"       fuscanctl issue --kind dcc --key DSC.key --cert DSC.crt --issuer COUNTRY --name NAME [flags]",
	summary: "issue a sample code; print its text, write its QR image or a printable 福码卡",
	help: `
Issue signs a sample code with --key and prints its text on stdout, one line,
ready for "fuscanctl verify".

Required: --kind, --key, --issuer and --name; for live, card and dynamic
also --id and --color, which has no default (the issuing platform decides
the colour, so the tool does not guess one); for dynamic also --holder-key;
for dcc also --cert.

Kinds:
  live     live health code (亮码, FSL1:): fresh for minutes; --ttl default 5m
  card     福码卡 offline card (FSC1:): --ttl default and at most 720h (30 days);
           carries a --serial that a revocation list can name
  dynamic  dynamic offline code (FSD1:): a credential of --ttl (default and at
           most 24h) binding --holder-key, which signs the 30-second time step
           that contains --at; any other step is a screenshot (STALE_CODE)
  dcc      EU Digital COVID Certificate (HC1:) signed with --key under the
           signing certificate --cert (made by "keygen --cert")

Data minimisation: --name and --id never enter the code. The name is masked
before signing (张三 is signed as 张**) and only the last 4 characters of the
ID number are signed, which is all a checkpoint shows. For dcc, --name is
the family name and is signed as given, as the EU DCC standard has it
(terminals show it masked); there is no --id.

--png writes the code's QR image, for any kind. --pdf writes a printable A6
福码卡 with the QR code, masked name, ID tail and validity dates; it is for
--kind card only, as a printed live or dynamic code is stale in minutes.
A card's serial, when not given, is random ("FSC-" and 12 hex digits) and
is reported on stderr.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &issueOptions{fs: fs}
		fs.StringVar(&o.kind, "kind", "", "`kind` of code: live, card, dynamic or dcc")
		fs.StringVar(&o.key, "key", "", "issuer private key `file` (PEM, from keygen); its algorithm is the code's")
		fs.StringVar(&o.issuer, "issuer", "", "issuer `id`, such as the GB/T 2260 code 350000 (dcc: a country code)")
		fs.StringVar(&o.name, "name", "", "holder's `name`; signed masked (张三 → 张**). dcc: the family name")
		fs.StringVar(&o.id, "id", "", "holder's ID `number`; only its last 4 characters are signed; required for live, card and dynamic")
		fs.StringVar(&o.color, "color", "", "health-code `colour`: green, yellow or red; required for live, card and dynamic, no default")
		fs.Var(&o.iat, "iat", "issue `time`, RFC 3339 (default --at)")
		fs.DurationVar(&o.ttl, "ttl", 0, "`duration` of validity from --iat (default: live 5m, card 720h, dynamic 24h, dcc 8760h)")
		fs.Var(&o.nat, "nat", "sample `time` of the latest nucleic-acid test, RFC 3339")
		fs.StringVar(&o.natResult, "nat-result", "", "`result` of that test: negative or positive (default negative)")
		fs.IntVar(&o.vax, "vax", 0, "vaccine `doses` received, 0 to 20 (dcc: dose number and total)")
		fs.BoolVar(&o.travelRisk, "travel-risk", false, "the 14-day travel record (行程码) touches a risk area")
		fs.StringVar(&o.serial, "serial", "", "card `serial` (dcc: the UVCI); default: a random one for card and dcc")
		fs.StringVar(&o.holderKey, "holder-key", "", "dynamic: the holder's private key `file` (PEM, from keygen)")
		fs.Var(&o.at, "at", "RFC 3339 `time` of issue when --iat is not given; dynamic: the time step presented (default now)")
		fs.StringVar(&o.png, "png", "", "write the QR code to `file` as PNG")
		fs.StringVar(&o.pdf, "pdf", "", "card: write a printable A6 福码卡 to `file` as PDF")
		fs.StringVar(&o.cert, "cert", "", "dcc: the signing certificate `file` of --key (PEM or DER, from keygen --cert)")
		fs.StringVar(&o.dccType, "dcc-type", "v", "dcc: certificate `type`: v (vaccination, needs --vax), t (test, needs --nat) or r (recovery)")
		fs.StringVar(&o.given, "given", "", "dcc: the holder's given `name`")
		fs.StringVar(&o.dob, "dob", "", "dcc: the holder's `date` of birth, YYYY-MM-DD")
		fs.StringVar(&o.country, "country", "CN", "dcc: `country` of vaccination, test or recovery")
		return o.run
	},
}

type issueOptions struct {
	fs *flag.FlagSet

	kind, key, issuer, name, id, color string
	iat, at, nat                       timeFlag
	ttl                                time.Duration
	natResult                          string
	vax                                int
	travelRisk                         bool
	serial, holderKey, png, pdf        string
	cert, dccType, given, dob, country string
}

// kindRules are the per-kind defaults and limits of issue.
var kindRules = map[credential.Kind]struct {
	ttl, maxTTL time.Duration // maxTTL zero: no limit
	limit       string        // maxTTL in words
}{
	credential.KindLive:    {ttl: terminal.DefaultLiveMaxAge},
	credential.KindCard:    {ttl: terminal.DefaultCardMaxAge, maxTTL: terminal.DefaultCardMaxAge, limit: "30 days (720h)"},
	credential.KindDynamic: {ttl: terminal.DefaultDynamicMaxAge, maxTTL: terminal.DefaultDynamicMaxAge, limit: "24 hours"},
	credential.KindDCC:     {ttl: 365 * 24 * time.Hour},
}

var (
	ownKinds = []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic}
	dccOnly  = []credential.Kind{credential.KindDCC}
)

// flagKinds names the flags that apply to some kinds only.
var flagKinds = map[string][]credential.Kind{
	"id":          ownKinds,
	"color":       ownKinds,
	"travel-risk": ownKinds,
	"holder-key":  {credential.KindDynamic},
	"pdf":         {credential.KindCard},
	"cert":        dccOnly,
	"dcc-type":    dccOnly,
	"given":       dccOnly,
	"dob":         dccOnly,
	"country":     dccOnly,
}

// issued is a code and what a printed card shows of it.
type issued struct {
	text string
	card qrcard.Card
}

func (o *issueOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	kind, err := o.checkFlags()
	if err != nil {
		return err
	}
	issuer, err := readSigner("key", o.key)
	if err != nil {
		return err
	}
	ttl := kindRules[kind].ttl
	if isSet(o.fs, "ttl") {
		if ttl, err = checkTTL(kind, o.ttl); err != nil {
			return err
		}
	}
	at := o.at.or(now())
	iat := o.iat.or(at)
	var out *issued
	if kind == credential.KindDCC {
		out, err = o.issueDCC(issuer, iat, ttl)
	} else {
		out, err = o.issueOwn(kind, issuer, iat, ttl, at)
	}
	if err != nil {
		return err
	}
	if o.serial == "" && out.card.Serial != "" {
		fmt.Fprintf(e.stderr, "serial %s\n", out.card.Serial)
	}
	if err := o.writeFiles(out); err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, out.text)
	return err
}

// checkFlags returns the kind, having checked that the flags it needs are
// given and no flag of another kind is.
func (o *issueOptions) checkFlags() (credential.Kind, error) {
	if o.kind == "" {
		return 0, usagef("missing --kind (live, card, dynamic or dcc)")
	}
	kind, err := credential.ParseKind(o.kind)
	if err != nil {
		return 0, usagef("--kind: unknown kind %q (want live, card, dynamic or dcc)", o.kind)
	}
	var wrong error
	o.fs.Visit(func(f *flag.Flag) {
		if kinds, ok := flagKinds[f.Name]; ok && wrong == nil && !slices.Contains(kinds, kind) {
			wrong = usagef("--%s does not apply to --kind %v", f.Name, kind)
		}
	})
	if wrong != nil {
		return 0, wrong
	}
	required := []string{"key", "issuer", "name"}
	switch kind {
	case credential.KindDCC:
		required = append(required, "cert")
	case credential.KindDynamic:
		required = append(required, "id", "color", "holder-key")
	default:
		required = append(required, "id", "color")
	}
	for _, name := range required {
		if strings.TrimSpace(o.fs.Lookup(name).Value.String()) == "" {
			return 0, usagef("missing --%s", name)
		}
	}
	if o.vax < 0 || o.vax > 20 {
		return 0, usagef("--vax %d: want 0 to 20 doses", o.vax)
	}
	if isSet(o.fs, "nat-result") && !o.nat.set {
		return 0, usagef("--nat-result needs --nat, the sample time of the test")
	}
	return kind, nil
}

// checkTTL returns ttl if a code of kind may last that long.
func checkTTL(kind credential.Kind, ttl time.Duration) (time.Duration, error) {
	r := kindRules[kind]
	switch {
	case ttl <= 0:
		return 0, usagef("--ttl %v: want a positive duration such as 30m or 720h", ttl)
	case r.maxTTL > 0 && ttl > r.maxTTL:
		return 0, usagef("--ttl %v: a %v code may last at most %s", ttl, kind, r.limit)
	}
	return ttl, nil
}

// natResultOf returns the test time and result the flags give.
func (o *issueOptions) natResultOf() (time.Time, credential.NATResult, error) {
	if !o.nat.set {
		return time.Time{}, credential.NATNone, nil
	}
	switch o.natResult {
	case "", "negative":
		return o.nat.t, credential.NATNegative, nil
	case "positive":
		return o.nat.t, credential.NATPositive, nil
	}
	return time.Time{}, 0, usagef("--nat-result: unknown result %q (want negative or positive)", o.natResult)
}

// issueOwn issues a live, card or dynamic code.
func (o *issueOptions) issueOwn(kind credential.Kind, issuer *cose.Signer, iat time.Time, ttl time.Duration, at time.Time) (*issued, error) {
	color, err := credential.ParseColor(o.color)
	if err != nil {
		return nil, usagef("--color: unknown colour %q (want green, yellow or red)", o.color)
	}
	natAt, natResult, err := o.natResultOf()
	if err != nil {
		return nil, err
	}
	var holder *cose.Signer
	if kind == credential.KindDynamic {
		if holder, err = readSigner("holder-key", o.holderKey); err != nil {
			return nil, err
		}
	}
	serial := o.serial
	if serial == "" && kind == credential.KindCard {
		serial = "FSC-" + randomHex(6)
	}
	c := &credential.Claims{
		Kind:      kind,
		Issuer:    o.issuer,
		IssuedAt:  iat,
		ExpiresAt: iat.Add(ttl),
		Serial:    serial,
		Health: credential.Health{
			Color:      color,
			Name:       terminal.MaskName(strings.TrimSpace(o.name)),
			IDTail:     terminal.IDTail(strings.TrimSpace(o.id)),
			NATAt:      natAt,
			NATResult:  natResult,
			VaxDoses:   o.vax,
			TravelRisk: o.travelRisk,
		},
	}
	text, err := credential.Issue(issuer, c, holder, at)
	if err != nil {
		return nil, err
	}
	return &issued{text: text, card: qrcard.Card{
		Text: text, Name: c.Health.Name, IDTail: c.Health.IDTail, Color: color.String(),
		Issuer: c.Issuer, Serial: serial, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
	}}, nil
}

// issueDCC issues an EU DCC signed under the certificate of --cert.
func (o *issueOptions) issueDCC(issuer *cose.Signer, iat time.Time, ttl time.Duration) (*issued, error) {
	cert, err := readCertificate("cert", o.cert)
	if err != nil {
		return nil, err
	}
	if !samePublicKey(cert.PublicKey, issuer.Public()) {
		return nil, usagef("--cert: %s is not a certificate of --key %s", o.cert, o.key)
	}
	natAt, natResult, err := o.natResultOf()
	if err != nil {
		return nil, err
	}
	serial := o.serial
	if serial == "" {
		serial = "URN:UVCI:01:" + strings.ToUpper(o.country) + ":" + randomHex(6)
	}
	d := &credential.DCC{Type: o.dccType, FamilyName: strings.TrimSpace(o.name), GivenName: o.given,
		BirthDate: o.dob, ID: serial, Country: o.country}
	switch o.dccType {
	case "v":
		if o.vax < 1 || o.nat.set {
			return nil, usagef("--dcc-type v needs --vax N (N ≥ 1) and takes no --nat")
		}
		d.Doses, d.TotalDoses = o.vax, o.vax
	case "t":
		if !o.nat.set || o.vax != 0 {
			return nil, usagef("--dcc-type t needs --nat, the sample time, and takes no --vax")
		}
		d.TestAt, d.TestResult = natAt, natResult
	case "r":
		if o.nat.set || o.vax != 0 {
			return nil, usagef("--dcc-type r takes neither --nat nor --vax")
		}
	default:
		return nil, usagef("--dcc-type: unknown type %q (want v, t or r)", o.dccType)
	}
	msg, err := credential.SignDCC(rand.Reader, issuer, cose.KeyIDOf(cert.Raw), o.issuer, iat, iat.Add(ttl), d, nil)
	if err != nil {
		return nil, err
	}
	text := credential.Encode(credential.KindDCC, msg)
	return &issued{text: text, card: qrcard.Card{Text: text, Serial: serial}}, nil
}

// writeFiles writes the QR image and the card the flags ask for. Both are
// made before either is written.
func (o *issueOptions) writeFiles(out *issued) error {
	var pngData, pdfData bytes.Buffer
	if o.png != "" {
		if err := qrcard.WritePNG(&pngData, out.text, nil); err != nil {
			return err
		}
	}
	if o.pdf != "" {
		if err := qrcard.WriteCardPDF(&pdfData, []qrcard.Card{out.card}); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{o.png, pngData.Bytes()}, {o.pdf, pdfData.Bytes()}} {
		if f.path == "" {
			continue
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return unwrapPath(err)
		}
	}
	return nil
}

// readSigner reads the private key file named by a flag.
func readSigner(flagName, path string) (*cose.Signer, error) {
	data, err := readInput(flagName, path)
	if err != nil {
		return nil, err
	}
	s, err := cose.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, usagef("--%s: %s: %v", flagName, path, err)
	}
	return s, nil
}

// readCertificate reads the X.509 certificate, PEM or DER, named by a flag.
func readCertificate(flagName, path string) (*smx509.Certificate, error) {
	data, err := readInput(flagName, path)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, usagef("--%s: %s: PEM block %q is not a CERTIFICATE", flagName, path, block.Type)
		}
		data = block.Bytes
	}
	cert, err := smx509.ParseCertificate(data)
	if err != nil {
		return nil, usagef("--%s: %s: %v", flagName, path, err)
	}
	return cert, nil
}

// samePublicKey reports whether a and b are the same public key.
func samePublicKey(a, b crypto.PublicKey) bool {
	da, errA := smx509.MarshalPKIXPublicKey(a)
	db, errB := smx509.MarshalPKIXPublicKey(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// randomHex returns n random bytes as uppercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
