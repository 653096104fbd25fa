package decoder

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/qrcard"
)

// rendered is a page RenderPDF passed on.
type rendered struct {
	n   int
	img *image.Gray
}

// renderAll renders data and returns the pages and the error.
func renderAll(data []byte, opts *PDFOptions) ([]rendered, error) {
	var pages []rendered
	err := RenderPDF(data, opts, func(n int, img *image.Gray) error {
		pages = append(pages, rendered{n, img})
		return nil
	})
	return pages, err
}

func TestRenderPDF(t *testing.T) {
	cs := cards(t, 3)
	pages, err := renderAll(pdfOf(t, qrcard.WriteCardPDF, cs), nil)
	if err != nil || len(pages) != 3 {
		t.Fatalf("got %d pages, %v; want 3", len(pages), err)
	}
	for i, p := range pages {
		// An A6 page, 105×148 mm, at 150 DPI.
		if got := p.img.Bounds(); p.n != i+1 || got.Min != (image.Point{}) || absInt(got.Dx()-620) > 1 || absInt(got.Dy()-874) > 1 {
			t.Errorf("page %d: got number %d, %v; want %d and about 620×874 pixels from 0, 0", i, p.n, got, i+1)
		}
		codes, err := New(nil).Decode(p.img)
		if err != nil || len(codes) != 1 || codes[0].Text != cs[i].Text {
			t.Errorf("page %d: decoded %d codes, %v; want the card's", i+1, len(codes), err)
		}
	}
	// The images are the callers': each page has its own.
	if &pages[0].img.Pix[0] == &pages[1].img.Pix[0] {
		t.Error("pages 1 and 2 share their pixels")
	}

	pages, err = renderAll(pdfOf(t, qrcard.WriteCardPDF, cs[:1]), &PDFOptions{DPI: 72})
	if err != nil || len(pages) != 1 || absInt(pages[0].img.Bounds().Dx()-298) > 1 {
		t.Errorf("at 72 DPI: got %d pages, %v; want one about 298 pixels wide", len(pages), err)
	}
}

// TestRenderPDFStop checks that an error of the callback ends the
// rendering and is returned as it is.
func TestRenderPDFStop(t *testing.T) {
	stop := errors.New("consumer gone")
	calls := 0
	err := RenderPDF(pdfOf(t, qrcard.WriteCardPDF, cards(t, 3)), nil, func(n int, _ *image.Gray) error {
		calls++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("got %d calls and %v, want 2 and the callback's error itself", calls, err)
	}
}

func TestRenderPDFErrors(t *testing.T) {
	cs := cards(t, 3)
	empty := make([]handPage, 60)
	for i := range empty {
		empty[i] = handPage{w: 200, h: 100, content: "0 0 m"}
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		opts  *PDFOptions
		pages int
		want  error
		msg   string
	}{
		{"not a PDF", []byte("GIF89a"), nil, 0, ErrNotPDF, "no %PDF- header"},
		{"too large", pdfOf(t, qrcard.WriteCardPDF, cs), &PDFOptions{MaxBytes: 100}, 0, ErrPDFTooLarge, "over the limit of 100"},
		{"damaged", []byte("%PDF-1.4\n"), nil, 0, ErrPDFDamaged, ""},
		{"max pages", pdfOf(t, qrcard.WriteCardPDF, cs), &PDFOptions{MaxPages: 2}, 2, ErrPDFTooManyPages, "3, read the first 2"},
		{"default max pages", handPDF(empty), nil, DefaultPDFMaxPages, ErrPDFTooManyPages, "60, read the first 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := renderAll(tc.data, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || len(pages) != tc.pages {
				t.Errorf("got %d pages, %v; want %d and an error wrapping %v containing %q", len(pages), err, tc.pages, tc.want, tc.msg)
			}
		})
	}
}

// TestRenderPDFBudget checks that the budget counts the rendering, not the
// time the callback takes.
func TestRenderPDFBudget(t *testing.T) {
	data := pdfOf(t, qrcard.WriteCardPDF, cards(t, 3))
	now := pdfT0
	clock := func() time.Time { return now }
	calls := 0
	err := RenderPDF(data, &PDFOptions{Budget: time.Minute, Now: clock}, func(int, *image.Gray) error {
		calls++
		now = now.Add(time.Hour) // a consumer taking its time
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("with an hour in each callback: got %d pages, %v; want 3 and no error", calls, err)
	}

	// A clock that moves a second at every reading spends a 3 s budget
	// within the first pages.
	now = pdfT0
	ticking := func() time.Time { now = now.Add(time.Second); return now }
	pages, err := renderAll(data, &PDFOptions{Budget: 3 * time.Second, Now: ticking})
	if !errors.Is(err, ErrPDFBudget) || len(pages) == 0 || len(pages) >= 3 {
		t.Errorf("with a ticking clock: got %d pages, %v; want the first pages and ErrPDFBudget", len(pages), err)
	}
}

// TestRenderPDFHugePage checks that a page too large for MaxPixels at the
// DPI asked for is rendered at a lower one.
func TestRenderPDFHugePage(t *testing.T) {
	const side = 200000.0
	text := cards(t, 1)[0].Text
	data := handPDF([]handPage{{w: side, h: side, content: qrContent(t, text, side/4, side*3/4, side/2)}})
	pages, err := renderAll(data, &PDFOptions{MaxPixels: 1_000_000})
	if err != nil || len(pages) != 1 {
		t.Fatalf("got %d pages, %v; want 1", len(pages), err)
	}
	b := pages[0].img.Bounds()
	if b.Dx()*b.Dy() > 1_000_000 || b.Dx() < 900 {
		t.Errorf("got %v, want the page at most 1000000 pixels but not much fewer", b)
	}
	if codes, err := New(nil).Decode(pages[0].img); err != nil || len(codes) != 1 || codes[0].Text != text {
		t.Errorf("decoded %d codes, %v; want the page's", len(codes), err)
	}
}

// RenderPDF hands each page of a PDF to a camera-like consumer as a gray
// frame.
func ExampleRenderPDF() {
	var pdf bytes.Buffer
	if err := qrcard.WriteCardPDF(&pdf, []qrcard.Card{{Text: "FSC1:EXAMPLE-1"}, {Text: "FSC1:EXAMPLE-2"}}); err != nil {
		log.Fatal(err)
	}
	err := RenderPDF(pdf.Bytes(), &PDFOptions{DPI: 150}, func(n int, img *image.Gray) error {
		codes, err := New(nil).Decode(img)
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
