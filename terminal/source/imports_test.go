package source

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the decoder out of the sources: dir: renders PDF
// pages with package decoder/pdf alone, and the pipeline decodes.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/fuscan/fuscan/decoder/pdf") {
		t.Fatalf("go list printed %d packages, without decoder/pdf; the check would prove nothing", len(deps))
	}
	if slices.Contains(deps, "github.com/fuscan/fuscan/decoder") {
		t.Error("source depends on github.com/fuscan/fuscan/decoder")
	}
}
