package main

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/terminal/sample"
)

func TestDemo(t *testing.T) {
	r := fuscanctl(t, "", "demo", "--at", t0s)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	tests := []struct{ situation, verdict, reason string }{
		{"green card", "PASS", "OK"},
		{"green live code", "PASS", "OK"},
		{"yellow live code", "WARN", "COLOR_YELLOW"},
		{"red live code", "DENY", "COLOR_RED"},
		{"expired card", "DENY", "EXPIRED"},
		{"revoked card", "DENY", "REVOKED"},
		{"forged card (unknown key)", "DENY", "KEY_UNKNOWN"},
		{"tampered card text", "DENY", "MALFORMED"},
		{"dynamic code", "PASS", "OK"},
		{"same dynamic code again", "DENY", "REPLAYED"},
		{"dynamic code, 2 min old", "DENY", "STALE_CODE"},
		{"EU DCC, ES256", "PASS", "OK"},
		{"a URL, not a health code", "REFER", "FORMAT_UNKNOWN"},
	}
	for i, tt := range tests {
		row := regexp.MustCompile(`(?m)^ *` + strconv.Itoa(i+1) +
			`  ` + regexp.QuoteMeta(tt.situation) + ` +` + tt.verdict + ` +` + tt.reason + ` `)
		if !row.MatchString(r.stdout) {
			t.Errorf("no row %d %q %s %s in\n%s", i+1, tt.situation, tt.verdict, tt.reason, r.stdout)
		}
	}
	for _, want := range []string{"张** ****1234", "核验通过，请通行", "Verified. Please go ahead.", "fuscanctl keygen", "fuscanctl verify"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

// The demo at a fixed instant. The SM2 and ECDSA signatures differ from run
// to run, but nothing shown depends on them.
func Example_demo() {
	run(context.Background(), []string{"demo", "--at", "2026-03-01T09:00:00+08:00"}, os.Stdin, os.Stdout, os.Stderr)
	// Output:
	// fuscan demo: 13 sample codes, verified offline at 2026-03-01 09:00 +0800.
	// The codes are signed with fuscan's published demo keys, which no production
	// terminal may trust; nothing was written to disk.
	//
	//   #  SITUATION                  VERDICT  REASON          FORMAT   HOLDER
	//   1  green card                 PASS     OK              card     张** ****1234
	//      Verified. Please go ahead. / 核验通过，请通行
	//   2  green live code            PASS     OK              live     吴** ****1234
	//      Verified. Please go ahead. / 核验通过，请通行
	//   3  yellow live code           WARN     COLOR_YELLOW    live     李** ****1234
	//      Yellow code: staff will check with you. / 黄码：请工作人员核查
	//   4  red live code              DENY     COLOR_RED       live     王** ****1234
	//      Red code: entry not allowed. Please speak to staff. / 红码：禁止通行，请联系工作人员
	//   5  expired card               DENY     EXPIRED         card     赵** ****1234
	//      Code expired. Please refresh it or get a new one. / 码已过期，请刷新或重新申领
	//   6  revoked card               DENY     REVOKED         card     钱** ****1234
	//      This code has been revoked. Please get a new one. / 此码已被撤销，请重新申领
	//   7  forged card (unknown key)  DENY     KEY_UNKNOWN     card
	//      Issuer not recognised. Please show another health code. / 无法识别签发机构，请出示其他健康码
	//   8  tampered card text         DENY     MALFORMED       -
	//      Code could not be read, or it has been altered. / 码无法读取或已被篡改
	//   9  dynamic code               PASS     OK              dynamic  周** ****1234
	//      Verified. Please go ahead. / 核验通过，请通行
	//  10  same dynamic code again    DENY     REPLAYED        dynamic  周** ****1234
	//      This code was already used. Please refresh it and try again. / 此码已使用过，请刷新后重试
	//  11  dynamic code, 2 min old    DENY     STALE_CODE      dynamic  周** ****1234
	//      Code out of date (screenshots don't work). Please show the live code. / 码已失效（截图无效），请打开实时码
	//  12  EU DCC, ES256              PASS     OK              dcc      M**
	//      Verified. Please go ahead. / 核验通过，请通行
	//  13  a URL, not a health code   REFER    FORMAT_UNKNOWN  -
	//      Not a recognised health code. Please show your health code. / 无法识别的二维码，请出示健康码
	//
	// Try it yourself:
	//   fuscanctl keygen --alg sm2 --out issuer
	//   fuscanctl issue --kind card --key issuer.key --issuer 350000 --name 张三 \
	//       --id 350102199001011234 --color green --png card.png --pdf card.pdf > code.txt
	//   fuscanctl verify --keys issuer.pub < code.txt
	// Run "fuscanctl help" for every command and flag.
}

// base45Alphabet is the character set of Base45 (RFC 9285), for tests that
// alter code texts.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// tamper returns text altered as a forger, or a damaged print, alters it.
func tamper(text string) string { return sample.Tamper(text) }
