package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
)

var demoCommand = &command{
	name:    "demo",
	args:    "[--at TIME]",
	summary: "show a sample code of each common situation and its verdict; needs no files",
	help: `
Demo issues one sample code of each common situation with fuscan's
published demo keys (SM2 and Ed25519 issuer keys, an ES256 EU DCC signing
certificate, a holder key for dynamic codes, and a forger's key nobody
trusts), verifies them all at one instant with one terminal that trusts
the demo trust snapshot (firmware-config/trust/demo.json) and prints what
it decides. Nothing is written. The demo keys are valid from 2024 to 2035;
anyone can sign with them, so no production terminal may trust them.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &demoOptions{}
		fs.Var(&o.at, "at", "the instant the codes are issued around and verified at, RFC 3339 `time` (default now)")
		return o.run
	},
}

type demoOptions struct {
	at timeFlag
}

func (o *demoOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	at := o.at.or(now())
	cases := demoCases(at)
	v := terminal.NewVerifier(sample.Trust(), &terminal.Options{
		Now:     func() time.Time { return at },
		Replays: &terminal.MemoryReplays{},
	})
	decisions := make([]terminal.Decision, len(cases))
	for i, c := range cases {
		decisions[i] = v.VerifyAt(c.Text, at)
	}
	fmt.Fprintf(e.stdout, "fuscan demo: %d sample codes, verified offline at %s.\n", len(cases), at.Format("2006-01-02 15:04 MST"))
	fmt.Fprint(e.stdout, "The codes are signed with fuscan's published demo keys, which no production\nterminal may trust; nothing was written to disk.\n\n")
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

// demoCases returns the sample cases made at the instant at, with the
// dynamic code shown a second time right after the first: the terminal
// remembers it and denies the replay.
func demoCases(at time.Time) []sample.Case {
	cases := sample.Cases(at)
	i := slices.IndexFunc(cases, func(c sample.Case) bool { return c.Label == "dynamic code" })
	if i < 0 {
		return cases
	}
	again := sample.Case{Label: "same dynamic code again", Text: cases[i].Text, Verdict: terminal.Deny, Reason: terminal.Replayed}
	return slices.Insert(cases, i+1, again)
}

// writeDemoTable writes one row a case: its situation, the verdict, reason,
// format and holder, then the message on a line of its own. The holder
// (which may be Chinese, two columns wide) ends the row, so padding counts
// only ASCII.
func writeDemoTable(w io.Writer, cases []sample.Case, ds []terminal.Decision) {
	rows := [][]string{{"#", "SITUATION", "VERDICT", "REASON", "FORMAT", "HOLDER"}}
	for i, d := range ds {
		format := "-"
		if d.Format != 0 {
			format = d.Format.String()
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), cases[i].Label,
			strings.ToUpper(d.Verdict.String()), string(d.Reason), format, d.Holder()})
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
