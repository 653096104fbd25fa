package main

import (
	"fmt"
	"maps"
	"runtime/debug"
	"slices"

	"github.com/fuscan/fuscan/cmd/internal/engine"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/ui"
)

// statusOf is what the kiosk shows of the engine's health h, with t the
// trust data in effect.
func statusOf(h engine.Health, t *terminal.Trust, version string) ui.Status {
	p := t.Policy
	s := ui.Status{Device: h.Device, Venue: h.Venue, Version: version, Backlog: h.Backlog,
		TrustVersion: h.TrustVersion, TrustIssued: t.IssuedAt, TrustExpires: h.TrustExpires, TrustDemo: h.TrustDemo,
		Clock: "ok", Problems: h.Reasons,
		Policy:   ui.PolicySummary{Version: p.Version, NATMaxAge: p.NATMaxAge, MinVaxDoses: p.MinVaxDoses},
		Versions: []string{fmt.Sprintf("trust v%d", h.TrustVersion), fmt.Sprintf("policy v%d", p.Version)}}
	for _, k := range p.Formats {
		s.Policy.Formats = append(s.Policy.Formats, k.String())
	}
	if slices.Contains(h.Reasons, "clock untrusted") {
		s.Clock = "untrusted"
	}
	if h.Sync == nil {
		return s
	}
	s.Linked, s.Online, s.OfflineSince = true, h.Sync.Connected, h.Sync.OfflineSince
	if h.Sync.Clock != "" && s.Clock == "ok" {
		s.Clock = h.Sync.Clock
	}
	s.RevocationsIssued = h.Sync.Updates["revocations"].IssuedAt
	s.Versions = nil
	for _, kind := range slices.Sorted(maps.Keys(h.Sync.Updates)) {
		s.Versions = append(s.Versions, fmt.Sprintf("%s v%d", kind, h.Sync.Updates[kind].Version))
	}
	return s
}

// version is the app's version: the module's, or the commit it was built
// from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "fuscan"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 && (v == "" || v == "(devel)") {
			v = s.Value[:7]
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	return "fuscan " + v
}
