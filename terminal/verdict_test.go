package terminal

import (
	"slices"
	"testing"
)

// TestVerdictNames: each verdict round-trips through String and
// ParseVerdict (policy files use the names), and no other value has a name.
func TestVerdictNames(t *testing.T) {
	named := []Verdict{Pass, Warn, Refer, Deny}
	for i := range 256 {
		v := Verdict(i)
		got, err := ParseVerdict(v.String())
		if slices.Contains(named, v) != (err == nil) || err == nil && got != v {
			t.Errorf("ParseVerdict(%q) = %v, %v; want %v named: %v", v, got, err, v, slices.Contains(named, v))
		}
		var u Verdict
		if err := u.UnmarshalText([]byte(v.String())); err == nil && u != v {
			t.Errorf("UnmarshalText(%q) = %v, want %v", v, u, v)
		}
	}
}

func TestHintNames(t *testing.T) {
	named := []Hint{HintHoldStill, HintCloser, HintLessGlare}
	for i := range 256 {
		h := Hint(i)
		got, err := ParseHint(h.String())
		if slices.Contains(named, h) != (err == nil) || err == nil && got != h {
			t.Errorf("ParseHint(%q) = %v, %v", h, got, err)
		}
	}
}
