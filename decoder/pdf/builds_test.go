package pdf

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSameAPIWithoutCgo checks that the build without cgo declares the
// same exported names, with the same signatures, as the build with it,
// so that no caller needs build tags of its own.
func TestSameAPIWithoutCgo(t *testing.T) {
	with, without := exported(t, true), exported(t, false)
	if len(with) < 10 {
		t.Fatalf("found %d exported names with cgo; the check would prove nothing", len(with))
	}
	for _, name := range slices.Sorted(maps.Keys(with)) {
		if with[name] != without[name] {
			t.Errorf("%s: with cgo %q, without %q", name, with[name], without[name])
		}
	}
	for name := range without {
		if _, ok := with[name]; !ok {
			t.Errorf("%s: declared without cgo only", name)
		}
	}
}

// TestNoFitzWithoutCgo checks that the build without cgo does not link
// go-fitz, which panics at start without cgo.
func TestNoFitzWithoutCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "image") {
		t.Fatalf("go list printed %d packages, without image; the check would prove nothing", len(deps))
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/gen2brain/") {
			t.Errorf("without cgo, pdf depends on %s", dep)
		}
	}
}

// exported returns the exported names of the package's non-test files
// in a build with or without cgo, each with its signature (its kind for
// types, constants and variables).
func exported(t *testing.T, cgo bool) map[string]string {
	t.Helper()
	ctx := build.Default
	ctx.CgoEnabled = cgo
	pkg, err := ctx.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]string{}
	typeString := func(e ast.Expr) string {
		var b strings.Builder
		printer.Fprint(&b, fset, e)
		return b.String()
	}
	for _, name := range append(pkg.GoFiles, pkg.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				key := d.Name.Name
				if d.Recv != nil {
					recv := d.Recv.List[0].Type
					if star, ok := recv.(*ast.StarExpr); ok {
						recv = star.X
					}
					if !recv.(*ast.Ident).IsExported() {
						continue
					}
					key = typeString(d.Recv.List[0].Type) + "." + key
				}
				if !d.Name.IsExported() {
					continue
				}
				// Parameter names differ between builds; types must not.
				ft := *d.Type
				ft.Params, ft.Results = unnamed(ft.Params), unnamed(ft.Results)
				out[key] = typeString(&ft)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							out[s.Name.Name] = d.Tok.String()
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								out[n.Name] = d.Tok.String()
							}
						}
					}
				}
			}
		}
	}
	return out
}

// unnamed returns fields with one unnamed entry a value.
func unnamed(fields *ast.FieldList) *ast.FieldList {
	if fields == nil {
		return nil
	}
	out := &ast.FieldList{}
	for _, f := range fields.List {
		for range max(len(f.Names), 1) {
			out.List = append(out.List, &ast.Field{Type: f.Type})
		}
	}
	return out
}
