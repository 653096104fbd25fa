//go:build cgo

package pdf_test

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/internal/pdftest"
	"github.com/fuscan/fuscan/decoder/pdf"
	"github.com/fuscan/fuscan/qrcard"
)

// TestMuPDFVersion opens a document: it fails when go-fitz bundles
// another MuPDF than the one whose declarations mupdf.c copies.
func TestMuPDFVersion(t *testing.T) {
	doc, err := pdf.Open(pdftest.Pages([]pdftest.Page{{W: 100, H: 100}}), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc.Close()
}

// TestOpenHostile feeds Open what is not a good PDF, then draws every
// page of what it opens: each gives its error, or pages, never a crash or
// a hang.
func TestOpenHostile(t *testing.T) {
	card := pdftest.Cards(t, qrcard.WriteCardPDF, cards(t, 1))
	random := make([]byte, 4096)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	var png bytes.Buffer
	if err := qrcard.WritePNG(&png, "FSC1:PNG", nil); err != nil {
		t.Fatal(err)
	}
	onePage := pdftest.Pages([]pdftest.Page{{W: 100, H: 100}})

	tests := []struct {
		name  string
		data  []byte
		open  error // Open's error
		each  error // then Each's; nil: none
		pages int   // the pages drawn
	}{
		{"empty", nil, pdf.ErrNotPDF, nil, 0},
		{"random bytes", random, pdf.ErrNotPDF, nil, 0},
		{"PNG", png.Bytes(), pdf.ErrNotPDF, nil, 0},
		{"header then random bytes", append([]byte("%PDF-1.7\n"), random...), pdf.ErrDamaged, nil, 0},
		{"header only", []byte("%PDF-1.4\n"), pdf.ErrDamaged, nil, 0},
		{"broken xref", pdftest.BrokenXref(card), nil, nil, 1},
		{"startxref past the end", bytes.Replace(card, []byte("startxref\n"), []byte("startxref\n9"), 1), nil, nil, 1},
		{"encrypted", pdftest.Encrypted, pdf.ErrEncrypted, nil, 0},
		{"encrypted, no user password", pdftest.EncryptedNoUserPassword, nil, nil, 1},
		{"no pages", pdftest.Pages(nil), pdf.ErrNoPages, nil, 0},
		{"negative page count", bytes.Replace(onePage, []byte("/Count 1"), []byte("/Count -1"), 1), pdf.ErrDamaged, nil, 0},
		// MuPDF's array for the pages it is told of is over the memory
		// cap: the page cannot be loaded.
		{"lying page count", bytes.Replace(onePage, []byte("/Count 1"), []byte("/Count 2147483647"), 1), nil, pdf.ErrTooManyPages, 0},
		{"empty MediaBox", pdftest.Pages([]pdftest.Page{{}}), nil, nil, 1}, // MuPDF draws it at a default size
		{"too large", card, pdf.ErrTooLarge, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &pdf.Options{}
			if tt.name == "too large" {
				opts.MaxBytes = len(card) - 1
			}
			doc, err := pdf.Open(tt.data, opts)
			if tt.open != nil || err != nil {
				if !errors.Is(err, tt.open) || doc != nil {
					t.Errorf("Open: got %v, %v; want no document and %v", doc, err, tt.open)
				}
				return
			}
			defer doc.Close()
			pages := 0
			err = doc.Each(func(pg *pdf.Page) error {
				_, _, err := pg.Render(72)
				if err == nil {
					pages++
				}
				return err
			})
			if pages != tt.pages || !errors.Is(err, tt.each) || tt.each == nil && err != nil {
				t.Errorf("Each: drew %d pages, %v; want %d and %v", pages, err, tt.pages, tt.each)
			}
		})
	}
	// A truncated file opens as repaired, or not at all, and its pages
	// are drawn or said to be damaged.
	for cut := 1; cut < 10; cut++ {
		doc, err := pdf.Open(card[:len(card)*cut/10], nil)
		if err != nil {
			if !errors.Is(err, pdf.ErrDamaged) && !errors.Is(err, pdf.ErrNoPages) {
				t.Errorf("cut to %d0%%: %v, want it opened, ErrDamaged or ErrNoPages", cut, err)
			}
			continue
		}
		err = doc.Each(func(pg *pdf.Page) error {
			_, _, err := pg.Render(72)
			return err
		})
		if err != nil && !errors.Is(err, pdf.ErrDamaged) {
			t.Errorf("cut to %d0%%: Each: %v, want nil or ErrDamaged", cut, err)
		}
		doc.Close()
	}
}

// TestEachMaxPages visits the first 50 of a thousand pages and does not
// even load the rest.
func TestEachMaxPages(t *testing.T) {
	empty := make([]pdftest.Page, 1000)
	for i := range empty {
		empty[i] = pdftest.Page{W: 200, H: 200, Content: "0 0 m"}
	}
	start := time.Now()
	doc, err := pdf.Open(pdftest.Pages(empty), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	var visited []int
	err = doc.Each(func(pg *pdf.Page) error {
		visited = append(visited, pg.Number())
		return nil
	})
	if !errors.Is(err, pdf.ErrTooManyPages) || !strings.Contains(err.Error(), "1000, read the first 50") || len(visited) != 50 || visited[49] != 50 {
		t.Errorf("visited %d pages, %v; want 1 to 50 and ErrTooManyPages saying 1000 and 50", len(visited), err)
	}
	if doc.NumPages() != 1000 {
		t.Errorf("NumPages %d, want 1000", doc.NumPages())
	}
	t.Logf("1000 empty pages: %v", time.Since(start))
}

// TestEachDamagedPages goes on past pages that fail and says how many
// did.
func TestEachDamagedPages(t *testing.T) {
	doc, err := pdf.Open(pdftest.Pages(make([]pdftest.Page, 4)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	visited := 0
	err = doc.Each(func(pg *pdf.Page) error {
		visited++
		if pg.Number()%2 == 0 {
			return fmt.Errorf("%w: page %d: unreadable", pdf.ErrDamaged, pg.Number())
		}
		return nil
	})
	if !errors.Is(err, pdf.ErrDamaged) || err.Error() != "pdf: damaged: page 2: unreadable (and 1 more pages)" || visited != 4 {
		t.Errorf("visited %d pages, %v; want 4 and ErrDamaged for pages 2 and 4", visited, err)
	}
}

// TestRenderSlowPage stops drawing a page whose content, a 300 KB stream
// that inflates to 10 million fills, would take many seconds.
func TestRenderSlowPage(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	fills := bytes.Repeat([]byte("0 0 9 9 re f\n"), 1000)
	for range 10_000 {
		zw.Write(fills)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := pdftest.Pages([]pdftest.Page{{W: 200, H: 200}})
	stream := fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
	// Point the page at the compressed stream, appended as object 5 and
	// found by MuPDF's repair of the now stale xref.
	data = bytes.Replace(data, []byte("/Contents 4 0 R"), []byte("/Contents 5 0 R"), 1)
	data = append(data, fmt.Sprintf("5 0 obj\n%s\nendobj\n", stream)...)
	start := time.Now()
	pages, err := renderAll(data, &pdf.Options{Budget: 300 * time.Millisecond})
	if !errors.Is(err, pdf.ErrBudget) || !strings.Contains(err.Error(), "during page 1 of 1") || len(pages) != 0 {
		t.Errorf("got %d pages, %v; want ErrBudget during page 1", len(pages), err)
	}
	t.Logf("%d bytes: %v in %v", len(data), err, time.Since(start))
}

// TestGrid draws a code at a known place and finds it there through the
// grid, at a DPI lowered to the pixel cap too.
func TestGrid(t *testing.T) {
	data := pdftest.Pages([]pdftest.Page{{W: 400, H: 300, Content: "0 g 100 50 20 10 re f"}})
	for _, maxPixels := range []int{0, 30_000} {
		doc, err := pdf.Open(data, &pdf.Options{MaxPixels: maxPixels})
		if err != nil {
			t.Fatal(err)
		}
		pg, err := doc.Page(1)
		if err != nil {
			t.Fatal(err)
		}
		img, g, err := pg.Render(300)
		doc.Close()
		if err != nil {
			t.Fatal(err)
		}
		lowered := g.Scale < 300.0/72 && g.Box.Dx()*g.Box.Dy() <= maxPixels
		if img.Bounds().Size() != g.Box.Size() || maxPixels == 0 && g.Scale != 300.0/72 || maxPixels > 0 && !lowered {
			t.Errorf("cap %d: image %v, grid %+v", maxPixels, img.Bounds(), g)
		}
		// The rectangle's bottom left corner, 100, 50 from the page's
		// bottom left, is 100, 250 from its top left.
		x0, y0, x1, y1 := img.Bounds().Max.X, img.Bounds().Max.Y, 0, 0
		for y := range img.Bounds().Dy() {
			for x := range img.Bounds().Dx() {
				if img.GrayAt(x, y).Y < 128 {
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
				}
			}
		}
		px, py := g.Point(float64(x0), float64(y0))
		qx, qy := g.Point(float64(x1), float64(y1))
		if tol := 1.5 / g.Scale; abs(px-100) > tol || abs(py-240) > tol || abs(qx-120) > tol || abs(qy-250) > tol {
			t.Errorf("scale %g: rectangle from %g, %g to %g, %g pt, want 100, 240 to 120, 250", g.Scale, px, py, qx, qy)
		}
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestClose checks that closing a document closes its pages and that
// both then refuse to work instead of touching freed memory.
func TestClose(t *testing.T) {
	doc, err := pdf.Open(pdftest.Pages(make([]pdftest.Page, 2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := doc.Page(2)
	if err != nil || pg.Number() != 2 {
		t.Fatalf("Page(2): %v, %v", pg, err)
	}
	if _, err := doc.Page(3); err == nil {
		t.Error("Page(3) of 2: no error")
	}
	doc.Close()
	if _, _, err := pg.Render(72); !errors.Is(err, pdf.ErrClosed) {
		t.Errorf("Render after Close: %v, want ErrClosed", err)
	}
	if _, err := doc.Page(1); !errors.Is(err, pdf.ErrClosed) {
		t.Errorf("Page after Close: %v, want ErrClosed", err)
	}
	if err := doc.Each(func(*pdf.Page) error { return nil }); !errors.Is(err, pdf.ErrClosed) {
		t.Errorf("Each after Close: %v, want ErrClosed", err)
	}
	pg.Close()
	doc.Close()
}

// TestRenderConcurrent renders documents from several goroutines, each
// call with its own MuPDF context.
func TestRenderConcurrent(t *testing.T) {
	data := pdftest.Cards(t, qrcard.WriteCardPDF, cards(t, 4))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if pages, err := renderAll(data, nil); err != nil || len(pages) != 4 {
				t.Errorf("got %d pages, %v; want the 4", len(pages), err)
			}
		})
	}
	wg.Wait()
}

// FuzzRender feeds Render small documents, seeded with real cards and
// hostile variants; it must return, without a crash, images within the
// bounds of the pages it drew.
func FuzzRender(f *testing.F) {
	for _, seed := range pdftest.Seeds(f) {
		f.Add(seed)
	}
	const maxPixels = 1 << 20
	opts := &pdf.Options{DPI: 36, MaxPages: 3, MaxPixels: maxPixels, Budget: 2 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip()
		}
		pdf.Render(data, opts, func(n int, img *image.Gray) error {
			if b := img.Bounds(); n < 1 || n > 3 || b.Min != (image.Point{}) || b.Empty() || b.Dx()*b.Dy() > maxPixels {
				t.Errorf("page %d: %v", n, b)
			}
			return nil
		})
	})
}
