package qrcard

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	fitz "github.com/gen2brain/go-fitz"
)

// Rendering the PDFs with MuPDF prints "cannot find builtin CJK font" to
// stderr: the go-fitz build carries no Chinese font, so it cannot show
// STSong-Light. The QR codes and the Latin text are unaffected.

// Pages are rendered at 150 dpi, cards at about 4.4 pixels a module. A
// sheet's smaller modules are rendered at 200 dpi: at 150, about 4 pixels a
// module, gozxing's detector misjudges the size of some symbols (79 modules
// for 81), which a phone, seeing a printed module over many more pixels,
// does not.
const (
	cardDPI  = 150
	sheetDPI = 200
)

// testCards returns n cards with texts from 300 to 700 characters, cycling
// through the colours.
func testCards(n int) []Card {
	// Early morning in China is the previous day in UTC: dates must be
	// printed in the times' own location.
	cst := time.FixedZone("CST", 8*3600)
	colors := []string{"green", "yellow", "red", ""}
	cards := make([]Card, n)
	for i := range cards {
		cards[i] = Card{
			Text:      codeText(300 + i*400/max(n-1, 1)),
			Name:      "张*",
			IDTail:    "1234",
			Color:     colors[i%len(colors)],
			Issuer:    "350000",
			Serial:    fmt.Sprintf("SN%06d", i+1),
			IssuedAt:  time.Date(2026, 11, 23, 1, 30, 0, 0, cst),
			ExpiresAt: time.Date(2026, 12, 23, 1, 30, 0, 0, cst),
		}
	}
	return cards
}

// openPDF opens b with MuPDF, closing it when the test ends.
func openPDF(t *testing.T, b []byte) *fitz.Document {
	t.Helper()
	doc, err := fitz.NewFromMemory(b)
	if err != nil {
		t.Fatalf("open pdf: %v", err)
	}
	t.Cleanup(func() { doc.Close() })
	return doc
}

// checkPage checks a page's size, in points as MuPDF truncates them and in
// pixels as rendered, and returns the rendering.
func checkPage(t *testing.T, doc *fitz.Document, page int, dpi, wantW, wantH float64) *image.RGBA {
	t.Helper()
	bound, err := doc.Bound(page)
	if err != nil {
		t.Fatalf("bound of page %d: %v", page, err)
	}
	if want := image.Rect(0, 0, int(wantW), int(wantH)); bound != want {
		t.Errorf("page %d bound %v, want %v", page, bound, want)
	}
	img, err := doc.ImageDPI(page, dpi)
	if err != nil {
		t.Fatalf("render page %d: %v", page, err)
	}
	size := img.Bounds().Size()
	pxW, pxH := wantW*dpi/72, wantH*dpi/72
	if math.Abs(float64(size.X)-pxW) > 1 || math.Abs(float64(size.Y)-pxH) > 1 {
		t.Errorf("page %d rendered at %v px, want %.1f×%.1f", page, size, pxW, pxH)
	}
	return img
}

// checkText checks that page's text holds each of want.
func checkText(t *testing.T, doc *fitz.Document, page int, want ...string) {
	t.Helper()
	text, err := doc.Text(page)
	if err != nil {
		t.Fatalf("text of page %d: %v", page, err)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page %d text %q lacks %q", page, text, w)
		}
	}
}

func TestCardPDF(t *testing.T) {
	cards := testCards(3)
	var buf bytes.Buffer
	if err := WriteCardPDF(&buf, cards); err != nil {
		t.Fatalf("WriteCardPDF: %v", err)
	}
	checkStructure(t, buf.Bytes())
	checkQPDF(t, buf.Bytes())

	doc := openPDF(t, buf.Bytes())
	if got, want := doc.NumPage(), len(cards); got != want {
		t.Fatalf("got %d pages, want %d", got, want)
	}
	for i, c := range cards {
		img := checkPage(t, doc, i, cardDPI, 297.64, 419.53)
		if got := decodeQR(t, img); got != c.Text {
			t.Errorf("page %d: decoded %q, want %q", i, got, c.Text)
		}
		checkText(t, doc, i, "Offline Health Card", "ID ****1234",
			"Valid 2026-11-23 – 2026-12-23", "Issuer 350000", c.Serial)
	}
}

func TestSheetPDF(t *testing.T) {
	cards := testCards(11) // a full page and a partial one
	var buf bytes.Buffer
	if err := WriteSheetPDF(&buf, cards); err != nil {
		t.Fatalf("WriteSheetPDF: %v", err)
	}
	checkStructure(t, buf.Bytes())
	checkQPDF(t, buf.Bytes())

	doc := openPDF(t, buf.Bytes())
	if got, want := doc.NumPage(), 2; got != want {
		t.Fatalf("got %d pages, want %d", got, want)
	}
	l := a4Sheets
	cellW := (l.width - 2*l.margin) / float64(l.cols)
	cellH := (l.height - 2*l.margin) / float64(l.rows)
	px := func(pt float64) int { return int(math.Round(pt * sheetDPI / 72)) }
	for page := range 2 {
		img := checkPage(t, doc, page, sheetDPI, 595.28, 841.89)
		checkText(t, doc, page, "Offline Health Card", "ID ****1234", "Valid 2026-11-23 –")
		for slot := range 8 {
			i := page*8 + slot
			if i >= len(cards) {
				break
			}
			x := l.margin + float64(slot%l.cols)*cellW
			y := l.margin + float64(slot/l.cols)*cellH
			cell := img.SubImage(image.Rect(px(x), px(y), px(x+cellW), px(y+cellH)))
			if got := decodeQR(t, cell); got != cards[i].Text {
				t.Errorf("page %d cell %d: decoded %q, want %q", page, slot, got, cards[i].Text)
			}
		}
	}
}

// TestCardContent checks what a viewer without MuPDF's limits would show:
// the fonts as declared and the Chinese title in UTF-16BE.
func TestCardContent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCardPDF(&buf, testCards(1)); err != nil {
		t.Fatal(err)
	}
	b := buf.String()
	for _, want := range []string{
		"/BaseFont /Helvetica /Encoding /WinAnsiEncoding",
		"/Subtype /Type0 /BaseFont /STSong-Light-UniGB-UTF16-H /Encoding /UniGB-UTF16-H",
		"/Subtype /CIDFontType0 /BaseFont /STSong-Light",
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >>",
		"/Type /FontDescriptor /FontName /STSong-Light",
		"/MediaBox [0 0 297.638 419.528]",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("pdf lacks %q", want)
		}
	}
	if strings.Contains(b, "/FontFile") {
		t.Errorf("pdf embeds a font file, want none")
	}
	content := contentStreams(t, buf.Bytes())[0]
	for _, want := range []string{
		"/F2 15 Tf <798F78015361> Tj /F1 15 Tf ( Offline Health Card) Tj", // 福码卡
		"/F2 16 Tf <5F20> Tj /F1 16 Tf (*) Tj",                            // 张*
		"(Valid 2026-11-23 \\226 2026-12-23) Tj",                          // en dash in WinAnsi
		" re\n",
	} {
		if !strings.Contains(content, want) {
			t.Errorf("content stream lacks %q", want)
		}
	}
}

func TestCardErrors(t *testing.T) {
	withCard := func(i int, edit func(*Card)) []Card {
		cards := testCards(4)
		edit(&cards[i])
		return cards
	}
	tests := []struct {
		name    string
		cards   []Card
		wantIs  error
		wantMsg string
	}{
		{"no cards", nil, nil, "qrcard: no cards"},
		{"empty text", withCard(2, func(c *Card) { c.Text = "" }), ErrEmptyText, "qrcard: card 3: empty code text"},
		{"too long", withCard(0, func(c *Card) { c.Text = codeText(4000) }), ErrTooLong, ""},
		{"colour", withCard(1, func(c *Card) { c.Color = "blue" }), nil,
			`qrcard: card 2: unknown color "blue", want green, yellow or red`},
		{"id tail", withCard(3, func(c *Card) { c.IDTail = "350100199001011234" }), nil,
			"qrcard: card 4: id tail has 18 characters, want at most 4"},
	}
	writers := []struct {
		name  string
		write func(io.Writer, []Card) error
	}{{"card", WriteCardPDF}, {"sheet", WriteSheetPDF}}
	for _, w := range writers {
		for _, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				err := w.write(&buf, tt.cards)
				if err == nil {
					t.Fatal("got nil error, want one")
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("got error %v, want one wrapping %v", err, tt.wantIs)
				}
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Errorf("got error %q, want %q", err, tt.wantMsg)
				}
				if buf.Len() != 0 {
					t.Errorf("wrote %d bytes before failing, want 0", buf.Len())
				}
			})
		}
		t.Run(w.name+"/write fails", func(t *testing.T) {
			if err := w.write(failingWriter{}, testCards(1)); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

// TestCardDates checks that times print as dates in their own location and
// that missing fields leave their lines out.
func TestCardDates(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		card Card
		want []string
		not  []string
	}{
		{"own location", Card{Text: "FSC1:A", IssuedAt: time.Date(2026, 11, 23, 0, 5, 0, 0, cst),
			ExpiresAt: time.Date(2026, 12, 23, 23, 55, 0, 0, time.UTC)},
			[]string{"Valid 2026-11-23 \\226 2026-12-23"}, nil},
		{"bare", Card{Text: "FSC1:A"}, nil, []string{"Valid", "ID ****", "Issuer", "Serial"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCardPDF(&buf, []Card{tt.card}); err != nil {
				t.Fatal(err)
			}
			content := contentStreams(t, buf.Bytes())[0]
			for _, w := range tt.want {
				if !strings.Contains(content, w) {
					t.Errorf("content lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(content, n) {
					t.Errorf("content has %q, want it left out", n)
				}
			}
		})
	}
}

var (
	startxrefRE = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`)
	streamRE    = regexp.MustCompile(`(?s)<< /Length (\d+) /Filter /FlateDecode >>\nstream\n`)
	trailerRE   = regexp.MustCompile(`trailer\n<< /Size (\d+) /Root (\d+) 0 R >>`)
)

// checkStructure checks what qpdf --check would: the header, that every
// cross-reference entry points at its object, the trailer and the stream
// lengths.
func checkStructure(t testing.TB, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.7\n")) {
		t.Fatalf("pdf starts %q, want %%PDF-1.7", b[:min(len(b), 9)])
	}
	m := startxrefRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("pdf ends %q, want startxref and %%%%EOF", b[max(0, len(b)-40):])
	}
	xref, _ := strconv.Atoi(string(m[1]))
	var count int
	if _, err := fmt.Sscanf(string(b[xref:]), "xref\n0 %d\n", &count); err != nil {
		t.Fatalf("no xref table at %d: %v", xref, err)
	}
	entries := b[bytes.IndexByte(b[xref+5:], '\n')+xref+6:]
	if got, want := string(entries[:20]), "0000000000 65535 f \n"; got != want {
		t.Errorf("xref entry 0 is %q, want %q", got, want)
	}
	for i := 1; i < count; i++ {
		e := string(entries[i*20 : (i+1)*20])
		var off int
		if _, err := fmt.Sscanf(e, "%010d 00000 n \n", &off); err != nil {
			t.Fatalf("xref entry %d %q: %v", i, e, err)
		}
		if want := fmt.Sprintf("%d 0 obj\n", i); !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q, want %q", i, b[off:min(len(b), off+len(want))], want)
		}
	}
	tr := trailerRE.FindSubmatch(entries[count*20:])
	if tr == nil {
		t.Fatalf("no trailer after the xref table")
	}
	if got := string(tr[1]); got != strconv.Itoa(count) {
		t.Errorf("trailer /Size %s, want %d", got, count)
	}
	for _, loc := range streamRE.FindAllSubmatchIndex(b, -1) {
		n, _ := strconv.Atoi(string(b[loc[2]:loc[3]]))
		if end := loc[1] + n; !bytes.HasPrefix(b[end:], []byte("\nendstream\nendobj\n")) {
			t.Errorf("stream at %d: /Length %d does not end at endstream", loc[0], n)
		}
	}
}

// contentStreams returns the inflated streams of b, in file order.
func contentStreams(t testing.TB, b []byte) []string {
	t.Helper()
	var out []string
	for _, loc := range streamRE.FindAllSubmatchIndex(b, -1) {
		n, _ := strconv.Atoi(string(b[loc[2]:loc[3]]))
		zr, err := zlib.NewReader(bytes.NewReader(b[loc[1] : loc[1]+n]))
		if err != nil {
			t.Fatalf("stream at %d: %v", loc[0], err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("stream at %d: %v", loc[0], err)
		}
		out = append(out, string(data))
	}
	if len(out) == 0 {
		t.Fatal("pdf has no streams")
	}
	return out
}

// checkQPDF runs qpdf --check on b when qpdf is installed.
func checkQPDF(t *testing.T, b []byte) {
	t.Run("qpdf", func(t *testing.T) {
		qpdf, err := exec.LookPath("qpdf")
		if err != nil {
			t.Skip("qpdf not installed; checkStructure covers the cross-reference table")
		}
		path := filepath.Join(t.TempDir(), "card.pdf")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(qpdf, "--check", path).CombinedOutput()
		if err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	})
}

func BenchmarkWriteCardPDF(b *testing.B) {
	cards := []Card{testCards(5)[2]} // 500 characters
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteCardPDF(&buf, cards); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

func BenchmarkWriteSheetPDF(b *testing.B) {
	cards := testCards(8)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteSheetPDF(&buf, cards); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// FuzzWriteCardPDF checks that any name and code text either fail cleanly or
// give a well-formed PDF.
func FuzzWriteCardPDF(f *testing.F) {
	f.Add("FSC1:ABC", "张*")
	f.Add(codeText(450), "Zoë (O'Brien) \\ “quoted” 𝄞 \x00\n")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, text, name string) {
		var buf bytes.Buffer
		if err := WriteCardPDF(&buf, []Card{{Text: text, Name: name, Color: "red"}}); err != nil {
			return
		}
		checkStructure(t, buf.Bytes())
		contentStreams(t, buf.Bytes())
	})
}
