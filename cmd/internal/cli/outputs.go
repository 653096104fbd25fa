package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// DecisionLine is the JSON line --json prints for a decision (docs/fuscand.md).
type DecisionLine struct {
	Seq       uint64    `json:"seq"`
	Logged    bool      `json:"logged"` // false: the log failed, the decision is refer TERMINAL_FAULT
	Verdict   string    `json:"verdict"`
	Reason    string    `json:"reason"`
	Format    string    `json:"format"`
	Time      time.Time `json:"time"`
	Device    string    `json:"device"`
	Issuer    string    `json:"issuer,omitempty"`
	Color     string    `json:"color,omitempty"`
	Name      string    `json:"name,omitempty"` // masked: 张*
	LatencyMS float64   `json:"latency_ms"`
	Message   string    `json:"message_en"`
}

// jsonOutput prints a line per decision. The pipeline shows decisions one
// at a time, so lines never interleave; each is one Write, so a reader
// never sees half a line of a decision that was logged.
type jsonOutput struct {
	enc    *json.Encoder
	device string
}

// JSONOutput returns the output of --json: a JSON line per decision on w,
// after it is committed (docs/fuscand.md).
func JSONOutput(w io.Writer, device string) terminal.Output {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonOutput{enc: enc, device: device}
}

func (o *jsonOutput) Show(_ context.Context, d *terminal.Decision, r *terminal.Record) error {
	return o.enc.Encode(DecisionLine{
		Seq: r.Seq, Logged: r.Seq != 0, Verdict: d.Verdict.String(), Reason: string(d.Reason),
		Format: r.Format, Time: r.Time().UTC(), Device: o.device, Issuer: r.Issuer, Color: r.Color,
		Name: r.Name, LatencyMS: float64(r.LatencyUS) / 1000, Message: d.Reason.Message("en"),
	})
}

// printOutput prints each decision as a person reads it: the time, the
// seq, then the decision's summary.
type printOutput struct {
	w   io.Writer
	loc *time.Location
}

// PrintOutput returns the output of --print: each decision on w as a
// person reads it, times in loc.
func PrintOutput(w io.Writer, loc *time.Location) terminal.Output { return printOutput{w, loc} }

func (o printOutput) Show(_ context.Context, d *terminal.Decision, r *terminal.Record) error {
	seq := fmt.Sprintf("#%d", r.Seq)
	if r.Seq == 0 {
		seq = "not logged"
	}
	_, err := fmt.Fprintf(o.w, "%s  %s  %s", d.At.In(o.loc).Format(time.TimeOnly), seq, d.Summary(o.loc))
	return err
}
