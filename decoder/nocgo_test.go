//go:build !cgo

package decoder

import (
	"errors"
	"testing"

	"github.com/fuscan/fuscan/decoder/internal/pdftest"
	"github.com/fuscan/fuscan/decoder/pdf"
)

// TestDecodePDFNoCgo checks that a build without cgo has DecodePDF, and
// that it says why it reads nothing.
func TestDecodePDFNoCgo(t *testing.T) {
	codes, err := DecodePDF(pdftest.Pages([]pdftest.Page{{W: 100, H: 100}}), nil)
	if !errors.Is(err, pdf.ErrNoCgo) || len(codes) != 0 {
		t.Errorf("got %d codes, %v; want none and pdf.ErrNoCgo", len(codes), err)
	}
	if want := "decoder: " + pdf.ErrNoCgo.Error(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
