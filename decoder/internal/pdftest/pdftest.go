// Package pdftest makes PDF documents for the tests of decoder and
// decoder/pdf: minimal hand-written ones whose pages hold any content
// stream, card PDFs, encrypted fixtures and the seeds of their fuzz
// targets.
package pdftest

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"testing"

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
	var objs []string
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 3+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	for i, p := range pages {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R >>", p.W, p.H, 4+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(p.Content), p.Content))
	}
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
// hand-written pages with and without a code, and the encrypted fixtures.
func Seeds(tb testing.TB) [][]byte {
	card := Cards(tb, qrcard.WriteCardPDF, []qrcard.Card{{Text: "FSC1:FUZZ"}})
	return [][]byte{
		card,
		card[:len(card)/2],
		Pages([]Page{{100, 100, "0 0 m 10 10 l S"}, {50, 80, ""}}),
		Pages([]Page{{120, 120, QR(tb, "FSC1:FUZZ", 10, 110, 100)}}),
		Encrypted,
		EncryptedNoUserPassword,
	}
}
