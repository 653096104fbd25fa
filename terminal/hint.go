package terminal

import (
	"fmt"
	"slices"
)

// A Hint tells the person at the camera what to do when a code is seen
// but not read.
type Hint uint8

// The hints.
const (
	HintNone      Hint = 0
	HintHoldStill Hint = 1 // blurred: the code or the camera moves
	HintCloser    Hint = 2 // the code's modules are too small to read
	HintLessGlare Hint = 3 // a reflection washes the code out
)

var hintNames = [...]string{HintNone: "", HintHoldStill: "hold_still", HintCloser: "closer", HintLessGlare: "less_glare"}

// String returns hold_still, closer, less_glare, or "" for HintNone.
func (h Hint) String() string {
	if int(h) < len(hintNames) {
		return hintNames[h]
	}
	return fmt.Sprintf("hint(%d)", uint8(h))
}

// ParseHint returns the hint named s (as String writes it).
func ParseHint(s string) (Hint, error) {
	if i := slices.Index(hintNames[:], s); i > 0 {
		return Hint(i), nil
	}
	return 0, fmt.Errorf("terminal: unknown hint %q (want hold_still, closer or less_glare)", s)
}
