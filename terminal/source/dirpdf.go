package source

import (
	"fmt"
	"image"
	"io"
	"os"

	"github.com/fuscan/fuscan/decoder/pdf"
)

// renderPDF passes each page of PDF file name to page, rendered at
// dirPDFDPI within package pdf's default bounds. A build without cgo
// renders nothing and returns an error wrapping pdf.ErrNoCgo.
func renderPDF(name string, page func(*image.Gray) error) error {
	data, err := readPDF(name)
	if err != nil {
		return err
	}
	return pdf.Render(data, &pdf.Options{DPI: dirPDFDPI}, func(_ int, img *image.Gray) error {
		return page(img)
	})
}

// readPDF reads a PDF file, up to package pdf's bound of a document.
func readPDF(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, pdf.DefaultMaxBytes+1))
	if err == nil && len(data) > pdf.DefaultMaxBytes {
		err = fmt.Errorf("%w: over %d bytes", pdf.ErrTooLarge, pdf.DefaultMaxBytes)
	}
	return data, err
}
