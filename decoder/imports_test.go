package decoder

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoTerminal keeps the decoder and everything under it free of
// the terminal's packages: the terminal uses the decoder, never the
// reverse, and scene draws whatever texts its callers pass it. Tests may
// import terminal/sample for its fixed code texts.
func TestImportsNoTerminal(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list printed %d packages; the check would prove nothing", len(deps))
	}
	const terminal = "github.com/fuscan/fuscan/terminal"
	for _, dep := range deps {
		if dep == terminal || strings.HasPrefix(dep, terminal+"/") {
			t.Errorf("decoder/... depends on %s", dep)
		}
	}
}
