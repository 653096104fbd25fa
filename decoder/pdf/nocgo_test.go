//go:build !cgo

package pdf

import (
	"errors"
	"image"
	"testing"

	"github.com/fuscan/fuscan/decoder/internal/pdftest"
)

// TestNoCgo checks that a build without cgo says it cannot render, for
// a good PDF as for any bytes.
func TestNoCgo(t *testing.T) {
	for _, data := range [][]byte{pdftest.Pages([]pdftest.Page{{W: 100, H: 100}}), nil, []byte("GIF89a")} {
		if doc, err := Open(data, nil); doc != nil || !errors.Is(err, ErrNoCgo) {
			t.Errorf("Open: got %v, %v; want ErrNoCgo", doc, err)
		}
		called := false
		err := Render(data, nil, func(int, *image.Gray) error { called = true; return nil })
		if !errors.Is(err, ErrNoCgo) || called {
			t.Errorf("Render: got %v, called %v; want ErrNoCgo and no call", err, called)
		}
	}
	if got, want := ErrNoCgo.Error(), "pdf: this build has no PDF renderer (built with CGO_ENABLED=0)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
