//go:build cgo

package decoder

import (
	"errors"
	"fmt"
	"image"
)

// RenderPDF renders the pages of the PDF document data in order, each to
// a gray image at opts.DPI (lowered for a page larger than MaxPixels
// there), and calls page with its number, counting from 1, and the image,
// which page may keep. Only one page image is held at a time.
//
// The limits and errors are DecodePDF's: a document that cannot be read
// at all is rendered not at all, and a document rendered in part — pages
// over MaxPages, a spent budget, a damaged page — gives an error saying
// what was left out once the pages that could be rendered were. The
// budget counts the rendering only, not the time spent in page. RetryDPI
// is not used. An error of page ends the rendering, and RenderPDF returns
// it as it is.
//
// RenderPDF is safe for concurrent use.
func RenderPDF(data []byte, opts *PDFOptions, page func(n int, img *image.Gray) error) error {
	r, n, err := pdfStart(data, opts)
	if err != nil {
		return err
	}
	defer r.doc.close()
	return r.each(n, func(i int) error {
		img, err := r.render(i)
		if err != nil {
			return err
		}
		start := r.o.Now()
		err = page(i+1, img)
		r.deadline = r.deadline.Add(r.o.Now().Sub(start))
		if err != nil {
			return &pdfStop{err}
		}
		return nil
	})
}

// render renders page i at DPI.
func (r *pdfReader) render(i int) (*image.Gray, error) {
	pg, err := r.doc.load(i)
	if err != nil {
		return nil, err
	}
	defer r.doc.drop(pg)
	rd, err := r.doc.render(pg, r.o.DPI, r.o.MaxPixels, r.deadline, r.o.Now)
	if errors.Is(err, errPDFAborted) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: page %d: %v", ErrPDFDamaged, i+1, err)
	}
	return rd.img, nil
}

// pdfStop carries an error that ends a document's pages early.
type pdfStop struct{ err error }

func (e *pdfStop) Error() string { return e.err.Error() }
