package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"time"
)

// Errors of Open, Page and Render, returned wrapped with detail, and of
// Each and Render for what they left out.
var (
	ErrNotPDF       = errors.New("pdf: not a PDF")
	ErrTooLarge     = errors.New("pdf: file too large")
	ErrEncrypted    = errors.New("pdf: encrypted, needs a password")
	ErrDamaged      = errors.New("pdf: damaged")
	ErrNoPages      = errors.New("pdf: no pages")
	ErrTooManyPages = errors.New("pdf: too many pages")
	ErrBudget       = errors.New("pdf: time budget spent")
	// ErrNoCgo is what every function returns in a build without cgo,
	// which has no MuPDF.
	ErrNoCgo = errors.New("pdf: this build has no PDF renderer (built with CGO_ENABLED=0)")
	// ErrClosed is returned for a Document or Page used after Close.
	ErrClosed = errors.New("pdf: document or page closed")
)

// Options bounds a document; nil means the defaults.
type Options struct {
	// DPI is the resolution Render draws pages at (Page.Render takes its
	// own). Zero: DefaultDPI, which puts about 4.5 pixels on a module of
	// the densest codes qrcard prints on a sheet of cards.
	DPI float64
	// MaxPages is the number of pages Each and Render visit; the rest are
	// left out, with an error wrapping ErrTooManyPages. Zero: 50.
	MaxPages int
	// MaxPixels bounds a rendered page: a page that would be larger at the
	// DPI asked for is drawn at a lower one. Zero: 40 megapixels (A4 at
	// 600 DPI is 35).
	MaxPixels int
	// MaxBytes bounds the input. Zero: 32 MiB.
	MaxBytes int
	// Budget is the time a document may take from Open. Each starts no
	// page, and Page.Render stops drawing, once it is spent. Zero: 10
	// seconds.
	Budget time.Duration
	// Now is the clock of the budget. Nil: time.Now. (The timer that stops
	// a drawing runs on the wall clock, for what the budget has left.)
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultDPI       = 150
	DefaultMaxPages  = 50
	DefaultMaxPixels = 40_000_000
	DefaultMaxBytes  = 32 << 20
	DefaultBudget    = 10 * time.Second
)

func (o *Options) resolved() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.DPI <= 0 {
		r.DPI = DefaultDPI
	}
	if r.MaxPages <= 0 {
		r.MaxPages = DefaultMaxPages
	}
	if r.MaxPixels <= 0 {
		r.MaxPixels = DefaultMaxPixels
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.Budget <= 0 {
		r.Budget = DefaultBudget
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// check rejects what is not worth handing to MuPDF, which would repair
// any bytes into an empty document.
func check(data []byte, maxBytes int) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty input", ErrNotPDF)
	}
	if len(data) > maxBytes {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrTooLarge, len(data), maxBytes)
	}
	// Readers accept a header anywhere in the first kilobyte.
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return fmt.Errorf("%w: no %%PDF- header", ErrNotPDF)
	}
	return nil
}

// A Grid places a page's rendering on the page. Page positions are in
// PDF points (1/72 inch) from the top left corner of the page as a viewer
// shows it (MediaBox origin, /Rotate and /UserUnit applied), y downwards;
// image positions are in pixels from the image's top left corner.
type Grid struct {
	// Scale is pixels per point: the DPI asked for over 72, or less for a
	// page lowered to the pixel cap.
	Scale float64
	// Box is the pixels the page covers on the page's grid at Scale,
	// rounded outwards as MuPDF rounds: the image is Box.Size(), and its
	// pixel 0, 0 is Box.Min.
	Box image.Rectangle
}

// Point returns the page position, in points, of image position x, y.
func (g Grid) Point(x, y float64) (float64, float64) {
	return (x + float64(g.Box.Min.X)) / g.Scale, (y + float64(g.Box.Min.Y)) / g.Scale
}

// Pixel returns the image position of page position x, y.
func (g Grid) Pixel(x, y float64) (float64, float64) {
	return x*g.Scale - float64(g.Box.Min.X), y*g.Scale - float64(g.Box.Min.Y)
}

// bounds is a page's rectangle in points, as MuPDF bounds it.
type bounds struct{ x0, y0, width, height float64 }

// fit returns the grid that draws a page of bounds b at dpi, or at a lower
// one so as to make at most maxPixels.
func fit(b bounds, dpi float64, maxPixels int) (Grid, error) {
	// Rounding outwards adds at most 2 to each side, so the scale s must
	// have (W·s+2)·(H·s+2) ≤ maxPixels: a quadratic, solved in a form
	// that stays exact for very long, thin pages.
	w, h, m := b.width, b.height, float64(maxPixels)
	scale := min(dpi/72, (m-4)/((w+h)+math.Sqrt((w+h)*(w+h)+w*h*(m-4))))
	x0, y0, x1, y1 := b.x0*scale, b.y0*scale, (b.x0+w)*scale, (b.y0+h)*scale
	if !(scale > 0) || max(math.Abs(x0), math.Abs(y0), math.Abs(x1), math.Abs(y1)) > 1<<30 {
		return Grid{}, fmt.Errorf("a page of %gx%g pt at %g, %g cannot be drawn", w, h, b.x0, b.y0)
	}
	box := image.Rect(int(math.Floor(x0+0.001)), int(math.Floor(y0+0.001)), int(math.Ceil(x1-0.001)), int(math.Ceil(y1-0.001)))
	if box.Dx() <= 0 || box.Dy() <= 0 || box.Dx()*box.Dy() > maxPixels {
		return Grid{}, fmt.Errorf("a page of %gx%g pt cannot be drawn in %d pixels", w, h, maxPixels)
	}
	return Grid{Scale: scale, Box: box}, nil
}

// join joins errs into one error that wraps them all, with the "pdf: "
// prefix said once.
func join(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
		if i > 0 {
			msgs[i] = strings.TrimPrefix(msgs[i], "pdf: ")
		}
	}
	return &joined{msg: strings.Join(msgs, "; "), errs: errs}
}

type joined struct {
	msg  string
	errs []error
}

func (e *joined) Error() string   { return e.msg }
func (e *joined) Unwrap() []error { return e.errs }
