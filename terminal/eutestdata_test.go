package terminal

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal/credential"
)

// euTestFile is a test file of the EU's dgc-testdata repository: an HC1
// text, the signing certificate and clock to verify it with, and what the
// EU reference verifiers make of it.
type euTestFile struct {
	Prefix string `json:"PREFIX"`
	Ctx    struct {
		Certificate string `json:"CERTIFICATE"`
		Clock       string `json:"VALIDATIONCLOCK"`
		Description string `json:"DESCRIPTION"`
	} `json:"TESTCTX"`
	Expected map[string]any `json:"EXPECTEDRESULTS"`
}

// euStages are the expected results that make up technical validity, in
// the order a verifier meets them, with the reasons fuscan gives when the
// stage fails. Schema validation is not among them (see readEUTestFiles);
// business rules (a positive test) are a separate layer.
var euStages = []struct {
	key     string
	reasons []Reason
}{
	{"EXPECTEDUNPREFIX", []Reason{FormatUnknown, Malformed}},
	{"EXPECTEDB45DECODE", []Reason{Malformed}},
	{"EXPECTEDCOMPRESSION", []Reason{Malformed}},
	{"EXPECTEDDECODE", []Reason{Malformed}},
	{"EXPECTEDVERIFY", []Reason{KeyUnknown, SigInvalid, KeyNotAllowed}},
	{"EXPECTEDKEYUSAGE", []Reason{KeyNotAllowed}},
	{"EXPECTEDEXPIRATIONCHECK", []Reason{Expired, NotYetValid}},
}

// technical are the reasons that say a certificate is not technically
// valid; any other reason is a decision of the venue's policy.
var technical = []Reason{FormatUnknown, Malformed, FormatNotAccepted, KeyUnknown, SigInvalid, KeyNotAllowed,
	Revoked, ClockUntrusted, Expired, NotYetValid}

// euOutcome is how fuscan's decision on one file compares with the EU's.
type euOutcome struct {
	path, state string
	failing     string // the first expected result that is false; "" when valid
	d           Decision
	agree       bool
}

// decideEU verifies f's text with only its certificate trusted, as at its
// validation clock (explicit, as fuscanctl verify --at). Without a clock
// it decides at the certificate's own iat, so that only the other stages
// count, as the reference tests do.
func decideEU(f *euTestFile) Decision {
	tr := &Trust{}
	if der, err := base64.StdEncoding.DecodeString(f.Ctx.Certificate); err == nil {
		if keys, err := ParseKeys(der); err == nil {
			tr.AddKey(keys[0])
		}
	}
	at, err := time.Parse(time.RFC3339, f.Ctx.Clock)
	if err != nil { // some files give the clock without a zone: UTC
		at, err = time.Parse("2006-01-02T15:04:05", f.Ctx.Clock)
	}
	if err != nil {
		at = time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)
		if u, err := credential.Parse(f.Prefix); err == nil {
			at = u.Claims.IssuedAt
		}
	}
	return NewVerifier(tr, &Options{Explicit: true}).VerifyAt(f.Prefix, at)
}

func expectedFalse(f *euTestFile) string {
	for _, s := range euStages {
		if v, ok := f.Expected[s.key]; ok && (v == false || v == "false") {
			return s.key
		}
	}
	return ""
}

// readEUTestFiles returns the outcomes of the test files under root, a
// checkout of dgc-testdata or a part of it: every JSON file with a PREFIX
// and a certificate.
func readEUTestFiles(t *testing.T, root string) []euOutcome {
	var out []euOutcome
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var f euTestFile
		if json.Unmarshal(data, &f) != nil || f.Prefix == "" || f.Ctx.Certificate == "" || len(f.Expected) == 0 {
			return nil // not a test file, or one without a certificate to verify with
		}
		rel, _ := filepath.Rel(root, path)
		o := euOutcome{path: rel, state: strings.Split(filepath.ToSlash(rel), "/")[0], failing: expectedFalse(&f), d: decideEU(&f)}
		valid := !slices.Contains(technical, o.d.Reason)
		o.agree = (o.failing == "") == valid
		if v, ok := f.Expected["EXPECTEDSCHEMAVALIDATION"]; ok && (v == false || v == "false") && o.failing == "" {
			// Invalid by the schema only: fuscan reads the fields it needs,
			// so accepting is right; refusing what it reads as malformed
			// (entries of several types) is right too.
			o.failing, o.agree = "EXPECTEDSCHEMAVALIDATION", valid || o.d.Reason == Malformed
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reportEU logs the agreement per member state and overall, and every
// disagreement.
func reportEU(t *testing.T, outcomes []euOutcome) {
	type tally struct{ files, agree int }
	states := map[string]*tally{}
	var all tally
	for _, o := range outcomes {
		s := states[o.state]
		if s == nil {
			s = &tally{}
			states[o.state] = s
		}
		s.files++
		all.files++
		if o.agree {
			s.agree++
			all.agree++
			continue
		}
		want := "valid"
		if o.failing != "" {
			want = o.failing + " false"
		}
		t.Logf("disagree %s: EU %s, fuscan %v %v (%s)", o.path, want, o.d.Verdict, o.d.Reason, o.d.Detail)
	}
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-4s %3d/%-3d %5.1f%%\n", n, states[n].agree, states[n].files, 100*float64(states[n].agree)/float64(states[n].files))
	}
	pct := 100 * float64(all.agree) / float64(cmp.Or(all.files, 1))
	t.Logf("agreement with the EU expected results, technical validity:\n%s  all  %d/%d %.1f%%", b.String(), all.agree, all.files, pct)
}

// knownEUDisagreements are the EU test files fuscan decides otherwise on
// purpose, and why.
var knownEUDisagreements = map[string]string{
	// The common test CO20 ("kid in both headers, both correct") has an
	// empty protected header: alg and kid are both unprotected. The
	// reference verifiers take alg from there; fuscan does not verify a
	// signature whose algorithm the signature does not cover (RFC 9052
	// §3.1: alg must be protected where it can be).
	"common/CO20.json": "alg in the unprotected header",
}

// TestEUTestdata measures fuscan against the EU's published test
// certificates: a sample of member states' files is kept in
// testdata/dgc-testdata (Apache-2.0, see its README); set DGC_TESTDATA to a
// checkout of github.com/eu-digital-green-certificates/dgc-testdata to
// measure all of them. On the sample, fuscan disagrees only where
// knownEUDisagreements says it means to.
func TestEUTestdata(t *testing.T) {
	sample := readEUTestFiles(t, filepath.Join("testdata", "dgc-testdata"))
	if len(sample) == 0 {
		t.Fatal("no test file in testdata/dgc-testdata")
	}
	reportEU(t, sample)
	for _, o := range sample {
		if _, known := knownEUDisagreements[filepath.ToSlash(o.path)]; o.agree == known {
			t.Errorf("%s: agreement with the EU expected results %v, want %v (knownEUDisagreements)", o.path, o.agree, !known)
		}
	}
	if root := os.Getenv("DGC_TESTDATA"); root != "" {
		t.Logf("the whole of %s:", root)
		reportEU(t, readEUTestFiles(t, root))
	}
}
