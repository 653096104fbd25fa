package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/terminal"
)

var verifyCommand = &command{
	name:    "verify",
	args:    "(--keys FILE[,FILE...] | --trust FILE) [--revoked FILE] [--policy FILE] [--at TIME] [--json] [--replay] [TEXT... | -]",
	summary: "verify code texts offline, as a terminal would, and print the verdicts",
	help: `
Verify decides code texts as a terminal does, offline: format, issuer key
and signatures, revocation, validity times, then the venue policy. It prints
one verdict per code: pass, warn, refer or deny, a stable reason code and the
message a terminal shows, in English and Chinese.

The code texts are the arguments; with none, or with "-", they are read
from stdin, one a line (blank lines are skipped), so that a file of codes or
a keyboard-wedge scanner can be fed in. Surrounding whitespace is ignored.

--keys names the trusted keys: PEM public keys (from keygen) and EU DCC
signing certificates, PEM or DER. --trust names a trust snapshot
(docs/trust-snapshot.md), what a terminal is provisioned with: keys with
their restrictions (issuer, validity window, kinds, DCC types), revoked
serials, a policy and an expiry, after which decisions are TRUST_STALE.
Give --keys, --trust or both: --keys and --revoked add to the snapshot.
--revoked names a file of revoked card serials or DCC identifiers, one a
line (# starts a comment). --policy names a venue policy in JSON
(docs/policy.md), such as {"nat_max_age": "48h"}; it replaces the
snapshot's.

--at decides as at that instant, an RFC 3339 time such as
2021-07-19T15:09:29+02:00 or 2021-06-08T20:17:27.9906293Z: an operator's
deliberate "as at this time", to re-check last month's scans, run a
conformance suite or reproduce a decision. The terminal's rules against a
clock that was never set (before 2024) or was set back do not apply to it.
Without --at the machine's clock is read, and they do.

Without --json the output is a summary line, the message, and the detail
of a failed check when there is one. With --json it is one JSON object a
line, holding the decision's fields: verdict, reason, format, kid, issuer,
color, name, id_tail, issued_at, expires_at, message_zh, message_en...

The exit status is 0 whenever verdicts were printed, deny included; 2 for
a wrong command line, unreadable --keys, --trust, --revoked or --policy
files, or no code text; 1 for other failures.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &verifyOptions{}
		fs.Var(&o.keys, "keys", "trusted key `files`, comma-separated or repeated: PEM public keys, X.509 certificates (PEM or DER)")
		fs.StringVar(&o.trustFile, "trust", "", "trust snapshot `file` (JSON): keys and their restrictions, revocations, policy, expiry")
		fs.StringVar(&o.revoked, "revoked", "", "revocation list `file`: one serial a line")
		fs.StringVar(&o.policy, "policy", "", "venue policy `file` (JSON); default: the default policy")
		fs.Var(&o.at, "at", "decide as at this RFC 3339 `time`, trusted as given (default: the machine's clock)")
		fs.BoolVar(&o.json, "json", false, "print one JSON object a code instead of the summary")
		fs.BoolVar(&o.replay, "replay", false, "remember dynamic codes across the codes of this run and deny a second presentation (REPLAYED)")
		return o.run
	},
}

type verifyOptions struct {
	keys                       cli.List
	trustFile, revoked, policy string
	at                         timeFlag
	json, replay               bool
}

// maxLine bounds a line of stdin; a code text has at most
// credential.MaxTextLen characters, so this leaves ample room.
const maxLine = 1 << 20

func (o *verifyOptions) run(ctx context.Context, e *env, args []string) error {
	trust, err := o.trust()
	if err != nil {
		return err
	}
	// An --at instant is the operator's, not a clock reading: the
	// clock-trust rules are for the terminal's own clock.
	opts := &terminal.Options{Now: func() time.Time { return o.at.or(time.Now()) }, Explicit: o.at.set}
	if o.replay {
		opts.Replays = &terminal.MemoryReplays{}
	}
	v := terminal.NewVerifier(trust, opts)
	emit := func(d *terminal.Decision) error { return writeHuman(e.stdout, d, time.Local) }
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		emit = func(d *terminal.Decision) error { return enc.Encode(d) }
	}

	n := 0
	decide := func(text string) error {
		n++
		d := v.Verify(text)
		return emit(&d)
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	for _, arg := range args {
		if arg == "-" {
			err = eachLine(ctx, e.stdin, decide)
		} else if text := strings.TrimSpace(arg); text != "" {
			err = decide(text)
		} else {
			err = usagef("empty code text argument")
		}
		if err != nil {
			return err
		}
	}
	if n == 0 {
		return usagef("no code text: give it as an argument or on stdin")
	}
	return nil
}

// trust builds the trust snapshot from the files the flags name.
func (o *verifyOptions) trust() (*terminal.Trust, error) {
	if len(o.keys.Values) == 0 && o.trustFile == "" {
		return nil, usagef("missing --keys FILE (a public key from keygen or a DCC signing certificate) or --trust FILE (a trust snapshot)")
	}
	t := &terminal.Trust{}
	if o.trustFile != "" {
		data, err := readInput("trust", o.trustFile)
		if err != nil {
			return nil, err
		}
		if t, err = terminal.ParseSnapshot(data); err != nil {
			return nil, usagef("--trust: %s: %v", o.trustFile, err)
		}
	}
	for _, path := range o.keys.Values {
		data, err := readInput("keys", path)
		if err != nil {
			return nil, err
		}
		keys, err := terminal.ParseKeys(data)
		if err != nil {
			return nil, usagef("--keys: %s: %v", path, err)
		}
		for _, k := range keys {
			t.AddKey(k)
		}
	}
	if o.revoked != "" {
		data, err := readInput("revoked", o.revoked)
		if err != nil {
			return nil, err
		}
		hashes, err := terminal.ParseRevocations(data)
		if err != nil {
			return nil, usagef("--revoked: %s: %v", o.revoked, err)
		}
		for _, h := range hashes {
			t.RevokeHash(h)
		}
	}
	if o.policy != "" {
		data, err := readInput("policy", o.policy)
		if err != nil {
			return nil, err
		}
		p, err := terminal.ParsePolicy(data)
		if err != nil {
			return nil, usagef("--policy: %s: %v", o.policy, err)
		}
		t.Policy = *p
	}
	return t, nil
}

// eachLine calls fn with every non-blank line of r, trimmed, as it is read:
// codes typed by a scanner are decided at once.
func eachLine(ctx context.Context, r io.Reader, fn func(string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for line := 1; sc.Scan(); line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // a byte-order mark from some editors
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if err := fn(text); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("stdin: a line is longer than %d bytes", maxLine)
	} else if err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}

// writeHuman writes the summary of d: a line of its verdict, reason and the
// verified holder data, the message in English and Chinese, and the detail
// of a failed check. Times are shown in loc.
func writeHuman(w io.Writer, d *terminal.Decision, loc *time.Location) error {
	_, err := io.WriteString(w, d.Summary(loc))
	return err
}
