package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fuscan/fuscan/sync/hub"
)

var fleetCommand = &command{
	name:    "fleet",
	args:    "--hub URL --token-file FILE [--json]",
	summary: "show the fleet a hub knows: online state, backlog, scan log, versions",
	help: `
Fleet prints the devices a hub knows (GET /api/v1/devices), one a line:

  DEVICE     the device id
  GROUP      its group, VENUE its venue
  ONLINE     yes, or no and why: lost (its link broke), stopped, broker restarted
  LAST SEEN  when the hub last heard from it
  BACKLOG    records the device holds that the hub has not acknowledged yet
  RECORDS    records the hub holds, up to MAX SEQ
  MISSING    seqs missing between 1 and MAX SEQ (gaps)
  CHAIN      ok, or BROKEN and how many breaks: records changed, removed or
             out of place in the device's log
  ERRORS     messages of the device the hub refused
  VERSIONS   the update versions the device holds, by kind

With --json it prints the API's JSON as the hub sent it.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &fleetOptions{}
		o.define(fs)
		fs.BoolVar(&o.json, "json", false, "print the API's JSON")
		return o.run
	},
}

type fleetOptions struct {
	hubFlags
	json bool
}

func (o *fleetOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected argument %q", args[0])
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	data, err := c.Do(ctx, http.MethodGet, "/api/v1/devices", nil)
	if err != nil {
		return err
	}
	if o.json {
		_, err := e.stdout.Write(data)
		return err
	}
	var v struct {
		Devices []*hub.Device `json:"devices"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("the hub's answer: %w", err)
	}
	slices.SortFunc(v.Devices, func(a, b *hub.Device) int { return strings.Compare(a.ID, b.ID) })
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "DEVICE\tGROUP\tVENUE\tONLINE\tLAST SEEN\tBACKLOG\tRECORDS\tMAX SEQ\tMISSING\tCHAIN\tERRORS\tVERSIONS")
	for _, d := range v.Devices {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%s\n", d.ID, dash(d.Group), dash(d.Venue), online(d),
			seen(d.LastSeen), d.Backlog, d.Records, d.MaxSeq, d.Gaps.Count(), chain(d), d.Errors, versions(d))
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func online(d *hub.Device) string {
	switch {
	case d.Online:
		return "yes"
	case d.OfflineReason != "":
		return "no (" + d.OfflineReason + ")"
	}
	return "no"
}

func seen(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}

func chain(d *hub.Device) string {
	if d.ChainOK {
		return "ok"
	}
	return fmt.Sprintf("BROKEN (%d)", d.BreakCount)
}

func versions(d *hub.Device) string {
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(d.Versions)) {
		parts = append(parts, fmt.Sprintf("%s=%d", kind, d.Versions[kind].Version))
	}
	return dash(strings.Join(parts, " "))
}
