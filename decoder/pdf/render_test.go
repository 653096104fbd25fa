//go:build cgo

package pdf_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/decoder/internal/pdftest"
	"github.com/fuscan/fuscan/decoder/pdf"
	"github.com/fuscan/fuscan/qrcard"
)

// t0 is the instant the test clocks start at.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// cards returns n cards whose texts are as long and dense as real
// credentials (250 to 600 characters of the QR alphanumeric set).
func cards(t testing.TB, n int) []qrcard.Card {
	t.Helper()
	out := make([]qrcard.Card, n)
	for i := range out {
		b := make([]byte, 125+i%3*88)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		out[i] = qrcard.Card{Text: "FSC1:" + strings.ToUpper(hex.EncodeToString(b)), Name: "张*", Color: "green"}
	}
	return out
}

// rendered is a page Render passed on.
type rendered struct {
	n   int
	img *image.Gray
}

// renderAll renders data and returns the pages and the error.
func renderAll(data []byte, opts *pdf.Options) ([]rendered, error) {
	var pages []rendered
	err := pdf.Render(data, opts, func(n int, img *image.Gray) error {
		pages = append(pages, rendered{n, img})
		return nil
	})
	return pages, err
}

func absInt(v int) int { return max(v, -v) }

func TestRender(t *testing.T) {
	cs := cards(t, 3)
	pages, err := renderAll(pdftest.Cards(t, qrcard.WriteCardPDF, cs), nil)
	if err != nil || len(pages) != 3 {
		t.Fatalf("got %d pages, %v; want 3", len(pages), err)
	}
	for i, p := range pages {
		// An A6 page, 105×148 mm, at 150 DPI.
		if got := p.img.Bounds(); p.n != i+1 || got.Min != (image.Point{}) || absInt(got.Dx()-620) > 1 || absInt(got.Dy()-874) > 1 {
			t.Errorf("page %d: got number %d, %v; want %d and about 620×874 pixels from 0, 0", i, p.n, got, i+1)
		}
		codes, err := decoder.New(nil).Decode(p.img)
		if err != nil || len(codes) != 1 || codes[0].Text != cs[i].Text {
			t.Errorf("page %d: decoded %d codes, %v; want the card's", i+1, len(codes), err)
		}
	}
	// The images are the callers': each page has its own.
	if &pages[0].img.Pix[0] == &pages[1].img.Pix[0] {
		t.Error("pages 1 and 2 share their pixels")
	}

	pages, err = renderAll(pdftest.Cards(t, qrcard.WriteCardPDF, cs[:1]), &pdf.Options{DPI: 72})
	if err != nil || len(pages) != 1 || absInt(pages[0].img.Bounds().Dx()-298) > 1 {
		t.Errorf("at 72 DPI: got %d pages, %v; want one about 298 pixels wide", len(pages), err)
	}
}

// TestRenderStop checks that an error of the callback ends the
// rendering and is returned as it is.
func TestRenderStop(t *testing.T) {
	for _, stop := range []error{errors.New("consumer gone"), fmt.Errorf("consumer: %w", pdf.ErrDamaged)} {
		calls := 0
		err := pdf.Render(pdftest.Cards(t, qrcard.WriteCardPDF, cards(t, 3)), nil, func(n int, _ *image.Gray) error {
			calls++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 2 {
			t.Errorf("got %d calls and %v, want 2 and the callback's error itself, %v", calls, err, stop)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	cs := cards(t, 3)
	empty := make([]pdftest.Page, 60)
	for i := range empty {
		empty[i] = pdftest.Page{W: 200, H: 100, Content: "0 0 m"}
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		opts  *pdf.Options
		pages int
		want  error
		msg   string
	}{
		{"not a PDF", []byte("GIF89a"), nil, 0, pdf.ErrNotPDF, "no %PDF- header"},
		{"too large", pdftest.Cards(t, qrcard.WriteCardPDF, cs), &pdf.Options{MaxBytes: 100}, 0, pdf.ErrTooLarge, "over the limit of 100"},
		{"damaged", []byte("%PDF-1.4\n"), nil, 0, pdf.ErrDamaged, ""},
		{"max pages", pdftest.Cards(t, qrcard.WriteCardPDF, cs), &pdf.Options{MaxPages: 2}, 2, pdf.ErrTooManyPages, "3, read the first 2"},
		{"default max pages", pdftest.Pages(empty), nil, pdf.DefaultMaxPages, pdf.ErrTooManyPages, "60, read the first 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := renderAll(tc.data, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || len(pages) != tc.pages {
				t.Errorf("got %d pages, %v; want %d and an error wrapping %v containing %q", len(pages), err, tc.pages, tc.want, tc.msg)
			}
		})
	}
}

// TestRenderBudget checks that the budget counts the rendering, not the
// time the callback takes.
func TestRenderBudget(t *testing.T) {
	data := pdftest.Cards(t, qrcard.WriteCardPDF, cards(t, 3))
	now := t0
	clock := func() time.Time { return now }
	calls := 0
	err := pdf.Render(data, &pdf.Options{Budget: time.Minute, Now: clock}, func(int, *image.Gray) error {
		calls++
		now = now.Add(time.Hour) // a consumer taking its time
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("with an hour in each callback: got %d pages, %v; want 3 and no error", calls, err)
	}

	// A clock that moves a second at every reading spends a 3 s budget
	// within the first pages.
	now = t0
	ticking := func() time.Time { now = now.Add(time.Second); return now }
	pages, err := renderAll(data, &pdf.Options{Budget: 3 * time.Second, Now: ticking})
	if !errors.Is(err, pdf.ErrBudget) || len(pages) == 0 || len(pages) >= 3 {
		t.Errorf("with a ticking clock: got %d pages, %v; want the first pages and ErrBudget", len(pages), err)
	}
}

// TestRenderHugePage checks that a page too large for MaxPixels at the
// DPI asked for is rendered at a lower one.
func TestRenderHugePage(t *testing.T) {
	const side = 200000.0
	text := cards(t, 1)[0].Text
	data := pdftest.Pages([]pdftest.Page{{W: side, H: side, Content: pdftest.QR(t, text, side/4, side*3/4, side/2)}})
	pages, err := renderAll(data, &pdf.Options{MaxPixels: 1_000_000})
	if err != nil || len(pages) != 1 {
		t.Fatalf("got %d pages, %v; want 1", len(pages), err)
	}
	b := pages[0].img.Bounds()
	if b.Dx()*b.Dy() > 1_000_000 || b.Dx() < 900 {
		t.Errorf("got %v, want the page at most 1000000 pixels but not much fewer", b)
	}
	if codes, err := decoder.New(nil).Decode(pages[0].img); err != nil || len(codes) != 1 || codes[0].Text != text {
		t.Errorf("decoded %d codes, %v; want the page's", len(codes), err)
	}
}

// Render hands each page of a PDF to a camera-like consumer as a gray
// frame.
func ExampleRender() {
	var doc bytes.Buffer
	if err := qrcard.WriteCardPDF(&doc, []qrcard.Card{{Text: "FSC1:EXAMPLE-1"}, {Text: "FSC1:EXAMPLE-2"}}); err != nil {
		log.Fatal(err)
	}
	err := pdf.Render(doc.Bytes(), &pdf.Options{DPI: 150}, func(n int, img *image.Gray) error {
		codes, err := decoder.New(nil).Decode(img)
		if err != nil || len(codes) == 0 {
			return fmt.Errorf("page %d: no code: %v", n, err)
		}
		fmt.Printf("page %d: %v pixels, %s\n", n, img.Bounds().Size(), codes[0].Text)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// page 1: (621,875) pixels, FSC1:EXAMPLE-1
	// page 2: (621,875) pixels, FSC1:EXAMPLE-2
}
