package firmwareconfig

import (
	"fmt"
	"time"
)

// Remote is the part of a Config an administrator sets from the hub with
// a config bundle (docs/protocol.md): the settings a running terminal
// takes at once. A field left out keeps the terminal's own value.
type Remote struct {
	// Venue replaces Config.Venue: the terminal moved.
	Venue string `json:"venue,omitempty"`
	// Dedupe replaces Config.Dedupe.
	Dedupe *Duration `json:"dedupe,omitempty"`
	// RetentionDays replaces Config.RetentionDays.
	RetentionDays int `json:"retention_days,omitempty"`
}

// ParseRemote reads a config bundle's payload: a JSON object with fields
// of Remote only, checked as Validate checks a Config.
func ParseRemote(data []byte) (Remote, error) {
	if len(data) > maxFile {
		return Remote{}, fmt.Errorf("remote config: over %d bytes", maxFile)
	}
	var r Remote
	if err := decode(data, &r); err != nil {
		return Remote{}, fmt.Errorf("remote %w", err)
	}
	switch {
	case r.Venue != "" && !idPattern.MatchString(r.Venue):
		return Remote{}, fmt.Errorf("remote config: venue %q: use 1 to 64 of A-Z a-z 0-9 . _ -", r.Venue)
	case r.RetentionDays < 0:
		return Remote{}, fmt.Errorf("remote config: retention_days %d: want a positive number of days", r.RetentionDays)
	case r.Dedupe != nil && time.Duration(*r.Dedupe) == 0:
		return Remote{}, fmt.Errorf("remote config: dedupe 0: leave it out to keep the terminal's, or give a duration")
	}
	return r, nil
}

// WithRemote returns c with the fields r sets.
func (c Config) WithRemote(r Remote) Config {
	if r.Venue != "" {
		c.Venue = r.Venue
	}
	if r.Dedupe != nil {
		c.Dedupe = *r.Dedupe
	}
	if r.RetentionDays != 0 {
		c.RetentionDays = r.RetentionDays
	}
	return c
}
