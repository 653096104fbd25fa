package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/wire"
)

func TestFleet(t *testing.T) {
	h := newTestHub(t)
	err := h.store.Update(func(tx hub.Tx) error {
		for _, d := range []*hub.Device{
			{ID: "gate-2", Venue: "hall", Online: false, OfflineReason: "lost", LastSeen: t0, Records: 90, MaxSeq: 100,
				Held: hub.Ranges{{1, 50}, {61, 100}}, Gaps: hub.Ranges{{51, 60}}, BreakCount: 2, Backlog: 12, Errors: 1},
			{ID: "gate-1", Group: "north", Venue: "hall", Online: true, LastSeen: t0, Records: 5, MaxSeq: 5, Held: hub.Ranges{{1, 5}},
				Gaps: hub.Ranges{}, ChainOK: true, Versions: map[string]wire.Applied{"trust": {Version: 7}, "policy": {Version: 3}}},
		} {
			if err := tx.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "", "fleet", "--hub", h.url, "--token-file", h.tokenFile)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := [][]string{
		{"DEVICE", "GROUP", "VENUE", "ONLINE", "LAST", "SEEN", "BACKLOG", "RECORDS", "MAX", "SEQ", "MISSING", "CHAIN", "ERRORS", "VERSIONS"},
		{"gate-1", "north", "hall", "yes", t0s, "0", "5", "5", "0", "ok", "0", "policy=3", "trust=7"},
		{"gate-2", "-", "hall", "no", "(lost)", t0s, "12", "90", "100", "10", "BROKEN", "(2)", "1", "-"},
	}
	if len(lines) != len(want) {
		t.Fatalf("fleet printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d: %q, want %q", i, got, w)
		}
	}

	var v struct {
		Devices []map[string]any `json:"devices"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "fleet", "--hub", h.url, "--token-file", h.tokenFile, "--json")), &v); err != nil || len(v.Devices) != 2 {
		t.Fatalf("--json: %v %+v", err, v)
	}
	if r := fuscanctl(t, "", "fleet", "--hub", h.url+"/nowhere", "--token-file", h.tokenFile); r.code != exitFailure || !strings.Contains(r.stderr, "404") {
		t.Errorf("a wrong URL: exit %d %q", r.code, r.stderr)
	}
}
