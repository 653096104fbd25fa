// Package pdftest makes PDF documents for the tests of decoder and
// decoder/pdf: minimal hand-written ones whose pages hold any content
// stream, card PDFs, encrypted fixtures and the seeds of their fuzz
// targets.
package pdftest

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"fmt"
	"image"
	"io"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
)

// Encrypted is a card PDF with a user password: it cannot be opened.
//
//go:embed testdata/encrypted.pdf
var Encrypted []byte

// EncryptedNoUserPassword is a card PDF encrypted with an empty user
// password: any reader opens it and reads FixtureText.
//
//go:embed testdata/encrypted-no-user-password.pdf
var EncryptedNoUserPassword []byte

// FixtureText is the code text on the card of both encrypted fixtures.
const FixtureText = "FSC1:ENCRYPTED-FIXTURE-0123456789"

// Page is a page of Pages: its size in points and content stream.
type Page struct {
	W, H    float64
	Content string
}

// Pages returns a minimal PDF of pages with a correct xref table.
func Pages(pages []Page) []byte {
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 3+2*i)
	}
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))}
	for i, p := range pages {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R >>", p.W, p.H, 4+2*i),
			stream("", p.Content))
	}
	return document(objs)
}

// Image returns a one-page PDF whose page is img at dpi, an 8-bit
// DeviceGray image compressed with Flate: a scan, or a poster, as a
// document.
func Image(img *image.Gray, dpi float64) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		zw.Write(img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)])
	}
	zw.Close()
	w, h := float64(b.Dx())*72/dpi, float64(b.Dy())*72/dpi
	return document([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>", w, h),
		stream("", fmt.Sprintf("q %g 0 0 %g 0 0 cm /Im0 Do Q", w, h)),
		stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", b.Dx(), b.Dy()), z.String()),
	})
}

// stream returns a stream object of data, its dictionary holding entries
// besides /Length.
func stream(entries, data string) string {
	if entries != "" {
		entries += " "
	}
	return fmt.Sprintf("<< %s/Length %d >>\nstream\n%s\nendstream", entries, len(data), data)
}

// document returns the PDF of objs, numbered from 1, the first the
// catalog, with a correct xref table.
func document(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// QR returns a content stream drawing text's QR code, without its quiet
// zone, as a square of the given side with its top left corner at x, y
// (points, from the page's bottom left).
func QR(tb testing.TB, text string, x, y, side float64) string {
	tb.Helper()
	m, err := qrcard.Matrix(text, qrcard.LevelM)
	if err != nil {
		tb.Fatal(err)
	}
	unit := side / float64(len(m))
	var b strings.Builder
	fmt.Fprintf(&b, "q 0 g %g 0 0 %g %g %g cm\n", unit, -unit, x, y)
	for row, dark := range m {
		for col, on := range dark {
			if on {
				fmt.Fprintf(&b, "%d %d 1 1 re\n", col, row)
			}
		}
	}
	b.WriteString("f Q")
	return b.String()
}

// Cards returns the PDF that write, qrcard.WriteCardPDF or
// qrcard.WriteSheetPDF, makes of cards.
func Cards(tb testing.TB, write func(io.Writer, []qrcard.Card) error, cards []qrcard.Card) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := write(&buf, cards); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BrokenXref returns doc with the offsets of its last xref table
// changed, as a careless edit leaves them: readers repair it.
func BrokenXref(doc []byte) []byte {
	out := bytes.Clone(doc)
	xref := bytes.LastIndex(out, []byte("xref\n"))
	for i := xref; i >= 0 && i < len(out) && !bytes.HasPrefix(out[i:], []byte("trailer")); i++ {
		if out[i] >= '0' && out[i] <= '9' {
			out[i] = '0' + (out[i]-'0'+3)%10
		}
	}
	return out
}

// Seeds returns the seeds of the PDF fuzz targets: a card, half of it,
// hand-written pages with and without a code, the encrypted fixtures, and
// an image of a poster of finder patterns (scene.Poster).
func Seeds(tb testing.TB) [][]byte {
	card := Cards(tb, qrcard.WriteCardPDF, []qrcard.Card{{Text: "FSC1:FUZZ"}})
	return [][]byte{
		card,
		card[:len(card)/2],
		Pages([]Page{{100, 100, "0 0 m 10 10 l S"}, {50, 80, ""}}),
		Pages([]Page{{120, 120, QR(tb, "FSC1:FUZZ", 10, 110, 100)}}),
		Encrypted,
		EncryptedNoUserPassword,
		Image(scene.Poster(400, 400, 2), 72),
	}
}
