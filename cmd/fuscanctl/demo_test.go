package main

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	r := fuscanctl(t, "", "demo", "--at", t0s)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	tests := []struct{ situation, verdict, reason string }{
		{"green card", "PASS", "OK"},
		{"yellow live code", "WARN", "COLOR_YELLOW"},
		{"red live code", "DENY", "COLOR_RED"},
		{"expired card", "DENY", "EXPIRED"},
		{"revoked card", "DENY", "REVOKED"},
		{"forged card (unknown key)", "DENY", "KEY_UNKNOWN"},
		{"tampered card text", "(DENY|REFER)", `\S+`},
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
	for _, want := range []string{"张* ****1234", "核验通过，请通行", "Verified. Please go ahead.", "fuscanctl keygen", "fuscanctl verify"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

// The demo at a fixed instant. Its keys are new on every run, but nothing
// shown depends on them.
func Example_demo() {
	run(context.Background(), []string{"demo", "--at", "2026-03-01T09:00:00+08:00"}, os.Stdin, os.Stdout, os.Stderr)
	// Output:
	// fuscan demo: 12 sample codes, verified offline at 2026-03-01 09:00 +0800.
	// The keys were made for this run and are gone; nothing was written to disk.
	//
	//   #  SITUATION                  VERDICT  REASON          FORMAT   HOLDER
	//   1  green card                 PASS     OK              card     张* ****1234
	//      Verified. Please go ahead. / 核验通过，请通行
	//   2  yellow live code           WARN     COLOR_YELLOW    live     李* ****1234
	//      Yellow code: staff will check with you. / 黄码：请工作人员核查
	//   3  red live code              DENY     COLOR_RED       live     王* ****1234
	//      Red code: entry not allowed. Please speak to staff. / 红码：禁止通行，请联系工作人员
	//   4  expired card               DENY     EXPIRED         card     赵* ****1234
	//      Code expired. Please refresh it or get a new one. / 码已过期，请刷新或重新申领
	//   5  revoked card               DENY     REVOKED         card     钱* ****1234
	//      This code has been revoked. Please get a new one. / 此码已被撤销，请重新申领
	//   6  forged card (unknown key)  DENY     KEY_UNKNOWN     card
	//      Issuer not recognised. Please show another health code. / 无法识别签发机构，请出示其他健康码
	//   7  tampered card text         DENY     MALFORMED       -
	//      Code could not be read, or it has been altered. / 码无法读取或已被篡改
	//   8  dynamic code               PASS     OK              dynamic  周* ****1234
	//      Verified. Please go ahead. / 核验通过，请通行
	//   9  same dynamic code again    DENY     REPLAYED        dynamic  周* ****1234
	//      This code was already used. Please refresh it and try again. / 此码已使用过，请刷新后重试
	//  10  dynamic code, 2 min old    DENY     STALE_CODE      dynamic  周* ****1234
	//      Code out of date (screenshots don't work). Please show the live code. / 码已失效（截图无效），请打开实时码
	//  11  EU DCC, ES256              PASS     OK              dcc      M*********
	//      Verified. Please go ahead. / 核验通过，请通行
	//  12  a URL, not a health code   REFER    FORMAT_UNKNOWN  -
	//      Not a recognised health code. Please show your health code. / 无法识别的二维码，请出示健康码
	//
	// Try it yourself:
	//   fuscanctl keygen --alg sm2 --out issuer
	//   fuscanctl issue --kind card --key issuer.key --issuer 350000 --name 张三 \
	//       --id 350102199001011234 --color green --png card.png --pdf card.pdf > code.txt
	//   fuscanctl verify --keys issuer.pub < code.txt
	// Run "fuscanctl help" for every command and flag.
}
