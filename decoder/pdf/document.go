//go:build cgo

package pdf

// #include "mupdf.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
	"unsafe"

	// The MuPDF library that mupdf.c links with: go-fitz's static build.
	_ "github.com/gen2brain/go-fitz"
)

// Bounds of MuPDF's own memory for one document, apart from the input and
// the rendered page: enough for any honest document of cards, and an
// error, not an exhausted machine, for a hostile one.
const (
	contextMemory = 512 << 20
	storeMemory   = 64 << 20
)

// A Document is an open PDF document with its own MuPDF context, bounded
// to 512 MiB besides the input and the page image, and its own budget.
type Document struct {
	p        *C.fuscan_pdf // nil once closed
	o        Options
	n        int
	deadline time.Time
	open     map[*Page]struct{}
}

// Open checks data, opens it and counts its pages; the budget starts
// when it returns. A document that cannot be read at all gives an error
// wrapping ErrNotPDF, ErrTooLarge, ErrEncrypted, ErrDamaged or ErrNoPages.
// A damaged file that MuPDF can repair is opened as repaired; a file
// encrypted with an empty user password is opened as any reader opens it.
// Open copies data. The caller closes the Document.
func Open(data []byte, opts *Options) (*Document, error) {
	o := opts.resolved()
	if err := check(data, o.MaxBytes); err != nil {
		return nil, err
	}
	p := C.fuscan_new(unsafe.Pointer(&data[0]), C.size_t(len(data)), contextMemory)
	if p == nil {
		return nil, fmt.Errorf("%w: out of memory for %d bytes", ErrDamaged, len(data))
	}
	d := &Document{p: p, o: o, open: map[*Page]struct{}{}}
	switch C.fuscan_open(p, C.size_t(len(data)), storeMemory) {
	case 0:
	case 1:
		d.Close()
		return nil, ErrEncrypted
	default:
		return nil, d.fail(fmt.Errorf("%w: %s", ErrDamaged, d.err()))
	}
	d.n = int(C.fuscan_count(p))
	if d.n < 0 {
		return nil, d.fail(fmt.Errorf("%w: %s", ErrDamaged, d.err()))
	}
	if d.n == 0 {
		return nil, d.fail(ErrNoPages)
	}
	d.deadline = o.Now().Add(o.Budget)
	return d, nil
}

// fail closes d and returns err.
func (d *Document) fail(err error) error {
	d.Close()
	return err
}

// err returns MuPDF's message for the last failure.
func (d *Document) err() string { return C.GoString(&d.p.err[0]) }

// NumPages returns the number of pages of the document, MaxPages or not.
func (d *Document) NumPages() int { return d.n }

// Deadline returns the instant, on the Options.Now clock, at which the
// budget is spent.
func (d *Document) Deadline() time.Time { return d.deadline }

// Close closes the pages left open and frees the document. A Document or
// Page used after Close gives ErrClosed.
func (d *Document) Close() {
	if d.p == nil {
		return
	}
	for pg := range d.open {
		pg.Close()
	}
	C.fuscan_close(d.p)
	d.p = nil
}

// A Page is a loaded page of a Document, valid until either is closed.
type Page struct {
	d *Document
	p *C.fz_page // nil once closed
	n int
	b bounds
}

// Page loads page n, counting from 1, of NumPages; MaxPages does not
// bound it. A page that cannot be loaded gives an error wrapping
// ErrDamaged. The caller closes the Page.
func (d *Document) Page(n int) (*Page, error) {
	if d.p == nil {
		return nil, ErrClosed
	}
	if n < 1 || n > d.n {
		return nil, fmt.Errorf("pdf: no page %d in a document of %d", n, d.n)
	}
	var r C.fz_rect
	p := C.fuscan_load(d.p, C.int(n-1), &r)
	if p == nil {
		return nil, fmt.Errorf("%w: page %d: %s", ErrDamaged, n, d.err())
	}
	pg := &Page{d: d, p: p, n: n, b: bounds{x0: float64(r.x0), y0: float64(r.y0),
		width: float64(r.x1) - float64(r.x0), height: float64(r.y1) - float64(r.y0)}}
	d.open[pg] = struct{}{}
	if w, h := pg.b.width, pg.b.height; !(w >= 1 && h >= 1) || math.IsInf(w*h, 0) {
		pg.Close()
		return nil, fmt.Errorf("%w: page %d: unusable size %gx%g pt", ErrDamaged, n, w, h)
	}
	return pg, nil
}

// Each calls fn with each page in order, up to MaxPages, while the budget
// lasts, and closes the page after. An error of fn wrapping ErrDamaged
// leaves its page out and goes on; one wrapping ErrBudget, such as
// Page.Render's, ends the pages; any other ends them and is returned as
// it is. Otherwise Each returns nil, or an error wrapping ErrDamaged,
// ErrBudget or ErrTooManyPages, joined, that says what was left out.
func (d *Document) Each(fn func(*Page) error) error {
	if d.p == nil {
		return ErrClosed
	}
	pages := min(d.n, d.o.MaxPages)
	var errs, failed []error
	for n := 1; n <= pages; n++ {
		if !d.o.Now().Before(d.deadline) {
			errs = append(errs, fmt.Errorf("%w: %v, after %d of %d pages", ErrBudget, d.o.Budget, n-1, pages))
			break
		}
		err := d.visit(n, fn)
		if errors.Is(err, ErrBudget) {
			errs = append(errs, fmt.Errorf("%w: %v, during page %d of %d", ErrBudget, d.o.Budget, n, pages))
			break
		} else if errors.Is(err, ErrDamaged) {
			failed = append(failed, err)
		} else if err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		err := failed[0]
		if more := len(failed) - 1; more > 0 {
			err = fmt.Errorf("%w (and %d more pages)", err, more)
		}
		errs = append(errs, err)
	}
	if d.n > pages {
		errs = append(errs, fmt.Errorf("%w: %d, read the first %d", ErrTooManyPages, d.n, pages))
	}
	return join(errs)
}

// visit loads page n, calls fn with it and closes it.
func (d *Document) visit(n int, fn func(*Page) error) error {
	pg, err := d.Page(n)
	if err != nil {
		return err
	}
	defer pg.Close()
	return fn(pg)
}

// Number returns the page's number, counting from 1.
func (p *Page) Number() int { return p.n }

// Fit returns the grid the page is drawn on at dpi, or at a lower DPI so
// as to make at most MaxPixels; a page that cannot be drawn within the
// cap gives an error.
func (p *Page) Fit(dpi float64) (Grid, error) {
	return fit(p.b, dpi, p.d.o.MaxPixels)
}

// Render draws the page at dpi, lowered as Fit says, into a new gray image
// whose pixel 0, 0 is the grid's Box.Min. A drawing stopped by the budget
// gives an error wrapping ErrBudget; a page that cannot be drawn, one
// wrapping ErrDamaged.
func (p *Page) Render(dpi float64) (*image.Gray, Grid, error) {
	if p.p == nil {
		return nil, Grid{}, ErrClosed
	}
	g, err := p.Fit(dpi)
	if err != nil {
		return nil, Grid{}, fmt.Errorf("%w: page %d: %v", ErrDamaged, p.n, err)
	}
	img := image.NewGray(image.Rect(0, 0, g.Box.Dx(), g.Box.Dy()))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d, doc := p.d, p.d.p
	doc.cookie.abort = 0
	aborted := make(chan struct{})
	timer := time.AfterFunc(d.deadline.Sub(d.o.Now()), func() {
		C.fuscan_abort(doc)
		close(aborted)
	})
	box := C.fz_irect{x0: C.int(g.Box.Min.X), y0: C.int(g.Box.Min.Y), x1: C.int(g.Box.Max.X), y1: C.int(g.Box.Max.Y)}
	rc := C.fuscan_render(doc, p.p, C.float(g.Scale), box, (*C.uchar)(unsafe.Pointer(&img.Pix[0])))
	if !timer.Stop() {
		<-aborted // doc must outlive the abort
	}
	switch rc {
	case 0:
		return img, g, nil
	case -2:
		return nil, Grid{}, fmt.Errorf("%w: drawing of page %d stopped", ErrBudget, p.n)
	}
	return nil, Grid{}, fmt.Errorf("%w: page %d: %s", ErrDamaged, p.n, d.err())
}

// Close frees the page.
func (p *Page) Close() {
	if p.p == nil || p.d.p == nil {
		return
	}
	C.fuscan_drop_page(p.d.p, p.p)
	p.p = nil
	delete(p.d.open, p)
}

// Render renders the pages of the PDF document data in order, each to a
// gray image at opts.DPI (lowered for a page larger than MaxPixels there),
// and calls page with its number, counting from 1, and the image, which
// page may keep. Only one page image is held at a time.
//
// The limits and errors are Open's and Each's: a document that cannot be
// read at all is rendered not at all, and a document rendered in part —
// pages over MaxPages, a spent budget, a damaged page — gives an error
// saying what was left out once the pages that could be rendered were.
// The budget counts the rendering only, not the time spent in page. An
// error of page ends the rendering, and Render returns it as it is.
//
// Render is safe for concurrent use.
func Render(data []byte, opts *Options, page func(n int, img *image.Gray) error) error {
	d, err := Open(data, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	err = d.Each(func(pg *Page) error {
		img, _, err := pg.Render(d.o.DPI)
		if err != nil {
			return err
		}
		start := d.o.Now()
		err = page(pg.n, img)
		d.deadline = d.deadline.Add(d.o.Now().Sub(start))
		if err != nil {
			return &stop{err}
		}
		return nil
	})
	if s := (*stop)(nil); errors.As(err, &s) {
		return s.err
	}
	return err
}

// stop carries an error of Render's page through Each, whatever it wraps.
type stop struct{ err error }

func (e *stop) Error() string { return e.err.Error() }
