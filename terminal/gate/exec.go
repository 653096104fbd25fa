package gate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/fuscan/fuscan/terminal"
)

// Exec runs Command with /bin/sh -c for every decision. Its environment
// adds FUSCAN_VERDICT, FUSCAN_REASON, FUSCAN_SEQ, FUSCAN_FORMAT,
// FUSCAN_OPEN (1 to open, 0 to stay closed) and FUSCAN_PULSE_MS to the
// terminal's own, from which every other FUSCAN_ variable is removed, so that
// the command sees only the decision's. A command that exits non-zero or
// outlives the timeout is an error.
type Exec struct {
	Command string
	Options
}

// Show implements terminal.Output.
func (g *Exec) Show(ctx context.Context, d *terminal.Decision, r *terminal.Record) error {
	ctx, cancel := context.WithTimeout(ctx, g.timeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", g.Command)
	open := "0"
	if g.Opens(d) {
		open = "1"
	}
	cmd.Env = append(inherited(),
		"FUSCAN_VERDICT="+d.Verdict.String(),
		"FUSCAN_REASON="+string(d.Reason),
		"FUSCAN_SEQ="+strconv.FormatUint(r.Seq, 10),
		"FUSCAN_FORMAT="+r.Format,
		"FUSCAN_OPEN="+open,
		"FUSCAN_PULSE_MS="+strconv.FormatInt(g.pulse().Milliseconds(), 10),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A child the shell left behind may hold the output open: do not wait
	// for it past the timeout.
	cmd.WaitDelay = g.timeout()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), g.timeout())
		}
		return fmt.Errorf("gate: exec: %w: %s", err, tail(out.String()))
	}
	return nil
}

// tail returns the end of a command's output, enough to say why it failed.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = "…" + s[len(s)-200:]
	}
	return s
}

// inherited is the terminal's environment without its FUSCAN_ variables.
func inherited() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FUSCAN_") {
			env = append(env, kv)
		}
	}
	return env
}
