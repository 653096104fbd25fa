//go:build !cgo

package pdf

import (
	"image"
	"time"
)

// This build has no MuPDF: the API of document.go, every call failing
// with ErrNoCgo. go-fitz is not imported, as it panics at start without
// cgo.

// A Document is an open PDF document; this build never opens one.
type Document struct{}

// Open returns ErrNoCgo.
func Open([]byte, *Options) (*Document, error) { return nil, ErrNoCgo }

// NumPages returns 0.
func (*Document) NumPages() int { return 0 }

// Deadline returns the zero time.
func (*Document) Deadline() time.Time { return time.Time{} }

// Close does nothing.
func (*Document) Close() {}

// A Page is a loaded page of a Document; this build never loads one.
type Page struct{}

// Page returns ErrNoCgo.
func (*Document) Page(int) (*Page, error) { return nil, ErrNoCgo }

// Each returns ErrNoCgo.
func (*Document) Each(func(*Page) error) error { return ErrNoCgo }

// Number returns 0.
func (*Page) Number() int { return 0 }

// Fit returns ErrNoCgo.
func (*Page) Fit(float64) (Grid, error) { return Grid{}, ErrNoCgo }

// Render returns ErrNoCgo.
func (*Page) Render(float64) (*image.Gray, Grid, error) { return nil, Grid{}, ErrNoCgo }

// Close does nothing.
func (*Page) Close() {}

// Render returns ErrNoCgo without calling page.
func Render([]byte, *Options, func(n int, img *image.Gray) error) error { return ErrNoCgo }
