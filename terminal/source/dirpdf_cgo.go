//go:build cgo

package source

import (
	"fmt"
	"image"
	"io"
	"os"

	"github.com/fuscan/fuscan/decoder"
)

// renderPDF passes each page of PDF file name to page, rendered at
// dirPDFDPI within the decoder's default bounds.
func renderPDF(name string, page func(*image.Gray) error) error {
	data, err := readPDF(name)
	if err != nil {
		return err
	}
	return decoder.RenderPDF(data, &decoder.PDFOptions{DPI: dirPDFDPI}, func(_ int, img *image.Gray) error {
		return page(img)
	})
}

// readPDF reads a PDF file, up to the decoder's bound of a document.
func readPDF(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, decoder.DefaultPDFMaxBytes+1))
	if err == nil && len(data) > decoder.DefaultPDFMaxBytes {
		err = fmt.Errorf("%w: over %d bytes", decoder.ErrPDFTooLarge, decoder.DefaultPDFMaxBytes)
	}
	return data, err
}
