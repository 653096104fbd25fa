// Package fuscan_test holds the repository-wide rules of the code base: one
// package comment per package, and a domain core that imports no adapter.
package fuscan_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// packages returns the directories holding Go files, and their non-test files.
func packages(t *testing.T) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestOnePackageComment(t *testing.T) {
	for dir, files := range packages(t) {
		var with []string
		for _, path := range files {
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name == "sync" {
				t.Errorf("%s: a package named sync shadows the standard library", dir)
			}
			if f.Doc != nil {
				with = append(with, path)
				if want := "Package " + f.Name.Name + " "; f.Name.Name != "main" && !strings.HasPrefix(f.Doc.Text(), want) {
					t.Errorf("%s: package comment starts %q, want %q", path, strings.SplitN(f.Doc.Text(), "\n", 2)[0], want)
				}
			}
		}
		if len(with) != 1 {
			t.Errorf("%s: %d files have a package comment (%v), want exactly 1", dir, len(with), with)
		}
	}
}

// module is the module path, which go list prints in front of our packages.
const module = "github.com/fuscan/fuscan/"

// deps returns the packages the packages matching patterns depend on,
// test files left out; nil when no package matches (a folder not built
// yet).
func deps(t *testing.T, patterns ...string) []string {
	t.Helper()
	args := append([]string{"list", "-e", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, patterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", patterns, err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "pattern ") {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// TestLayout keeps dependencies pointing inward: cmd/ composes the
// terminal core, the adapters and the UI; nothing below cmd/ imports the
// composition root, the decoder knows nothing of the terminal, and the UI
// only presents (no store, no sync).
func TestLayout(t *testing.T) {
	rules := []struct {
		patterns  []string
		forbidden []string
		why       string
	}{
		{[]string{"./terminal/...", "./decoder/...", "./ui/...", "./firmware-config/...", "./qrcard/..."},
			[]string{module + "cmd/"}, "only cmd/ composes the terminal"},
		{[]string{"./sync/..."}, []string{module + "cmd/", module + "ui"}, "sync is an adapter: it serves cmd/"},
		{[]string{"./decoder/..."}, []string{module + "terminal/", module + "terminal"}, "the decoder reads images, it decides nothing"},
		{[]string{"./terminal/source"}, []string{module + "decoder"}, "sources give frames; dir: renders PDF pages with decoder/pdf alone, and the pipeline decodes"},
		{[]string{"./ui/..."}, []string{module + "terminal/boltstore", module + "sync/", "go.etcd.io/bbolt",
			"github.com/eclipse/paho", "github.com/mochi-mqtt", "fyne.io/fyne/v2/app"}, "the UI presents; cmd/ wires it"},
	}
	for _, r := range rules {
		for _, dep := range deps(t, r.patterns...) {
			for _, bad := range r.forbidden {
				if dep == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad) {
					t.Errorf("%v depends on %s: %s", r.patterns, dep, r.why)
				}
			}
		}
	}
	if len(deps(t, "./terminal/...", "./decoder/...")) < 10 {
		t.Fatal("go list found too few packages: the rules would prove nothing")
	}
}

// TestCoreImportsNoAdapter keeps the terminal core free of GUI, storage,
// network and image-decoding libraries; adapters depend on it, never the
// reverse.
func TestCoreImportsNoAdapter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./terminal").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"fyne.io/", "go.etcd.io/bbolt", "github.com/eclipse/paho", "github.com/gen2brain/go-fitz",
		"github.com/makiuchi-d/gozxing", "github.com/mochi-mqtt", "net/http", "database/sql", "os/exec"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list printed %d packages; the check would prove nothing", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("terminal depends on %s", dep)
			}
		}
	}
}
