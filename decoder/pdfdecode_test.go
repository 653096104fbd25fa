//go:build cgo

package decoder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"log"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/internal/pdftest"
	"github.com/fuscan/fuscan/decoder/pdf"
	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// pdfT0 is the instant test credentials are issued at.
var pdfT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// testSigners holds the issuer keys of the test credentials, made once:
// Ed25519, SM2 and ES256 for our formats, PS256 (RSA) for EU DCCs.
var testSigners = sync.OnceValues(func() ([]*cose.Signer, error) {
	var signers []*cose.Signer
	for _, alg := range []cose.Algorithm{cose.EdDSA, cose.SM2SM3, cose.ES256, cose.PS256} {
		priv, err := cose.GenerateKey(rand.Reader, alg)
		if err != nil {
			return nil, err
		}
		s, err := cose.NewSigner(priv)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
})

// cards returns n cards holding real credential texts of about 250 to 600
// characters, in turn: a 福码卡, a dynamic code, an EU DCC.
func cards(t testing.TB, n int) []qrcard.Card {
	t.Helper()
	signers, err := testSigners()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]qrcard.Card, n)
	for i := range out {
		card := qrcard.Card{Name: "张*", IDTail: "1234", Color: "green", Issuer: "350000",
			IssuedAt: pdfT0.Add(-time.Hour), ExpiresAt: pdfT0.Add(20 * time.Hour)}
		c := &credential.Claims{
			Kind:      credential.KindDynamic,
			Issuer:    card.Issuer,
			IssuedAt:  card.IssuedAt,
			ExpiresAt: card.ExpiresAt,
			Health: credential.Health{Color: credential.ColorGreen, Name: card.Name, IDTail: card.IDTail, VaxDoses: 3,
				NATAt: pdfT0.Add(-20 * time.Hour), NATResult: credential.NATNegative},
		}
		var text string
		switch i % 3 {
		case 0:
			c.Kind, c.Serial = credential.KindCard, "FSC-"+randomHex(t, 12+i*3)
			c.ExpiresAt = pdfT0.Add(29 * 24 * time.Hour)
			card.Serial, card.ExpiresAt = c.Serial, c.ExpiresAt
			text, err = credential.Issue(signers[i%3], c, nil, pdfT0)
		case 1:
			text, err = credential.Issue(signers[i%3], c, signers[(i+1)%3], pdfT0)
		case 2:
			signer := signers[2+i%2] // ES256 or PS256
			d := &credential.DCC{Type: "v", FamilyName: "Müller", GivenName: "Anna", BirthDate: "1990-01-02",
				ID: "URN:UVCI:01:DE:" + randomHex(t, 20), Country: "DE", Doses: 2, TotalDoses: 2}
			var msg []byte
			msg, err = credential.SignDCC(rand.Reader, signer, []byte("kid12345"), "DE", card.IssuedAt, pdfT0.Add(300*24*time.Hour), d, nil)
			text = credential.Encode(credential.KindDCC, msg)
			card.Color = ""
		}
		if err != nil {
			t.Fatal(err)
		}
		card.Text = text
		out[i] = card
	}
	return out
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))[:n]
}

// mm is a millimetre in PDF points.
const mm = 72 / 25.4

// texts returns the multiset of the texts of codes.
func texts(codes []Code) []string {
	var out []string
	for _, c := range codes {
		out = append(out, c.Text)
	}
	slices.Sort(out)
	return out
}

// checkPoints fails unless every code has at least 3 points, all inside
// the w×h pt page.
func checkPoints(t *testing.T, codes []Code, w, h float64) {
	t.Helper()
	for _, c := range codes {
		if len(c.Points) < 3 {
			t.Errorf("code on page %d: %d points, want at least 3", c.Page, len(c.Points))
		}
		for _, p := range c.Points {
			if !(p.X >= 0 && p.X <= w && p.Y >= 0 && p.Y <= h) {
				t.Errorf("code on page %d: point %v outside the %gx%g pt page", c.Page, p, w, h)
			}
		}
	}
}

// centre returns the mean of a code's points.
func centre(c Code) Point {
	var x, y float64
	for _, p := range c.Points {
		x, y = x+p.X, y+p.Y
	}
	return Point{x / float64(len(c.Points)), y / float64(len(c.Points))}
}

func TestDecodePDFCard(t *testing.T) {
	cs := cards(t, 1)
	codes, err := DecodePDF(pdftest.Cards(t, qrcard.WriteCardPDF, cs), nil)
	if err != nil || len(codes) != 1 || codes[0].Text != cs[0].Text || codes[0].Page != 1 {
		t.Fatalf("got %+v, %v; want the card's text on page 1", codes, err)
	}
	checkPoints(t, codes, 105*mm, 148*mm)
	// The A6 card centres its 70 mm code 4+16+2 mm below the top.
	want := Point{105 * mm / 2, (22 + 35) * mm}
	if got := centre(codes[0]); math.Abs(got.X-want.X) > 3*mm || math.Abs(got.Y-want.Y) > 3*mm {
		t.Errorf("code centre %v pt, want near %v", got, want)
	}
}

func TestDecodePDFSheet(t *testing.T) {
	cs := cards(t, 8)
	codes, err := DecodePDF(pdftest.Cards(t, qrcard.WriteSheetPDF, cs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(codes), texts(codesOf(cs, 1)); !slices.Equal(got, want) {
		t.Fatalf("got %d codes, want all 8:\n got %q\nwant %q", len(codes), got, want)
	}
	checkPoints(t, codes, 210*mm, 297*mm)
	// Card i sits in column i%2 and row i/2 of 99×71.25 mm cells inside a
	// 6 mm margin, its code on the left of the cell.
	for _, c := range codes {
		i := slices.IndexFunc(cs, func(card qrcard.Card) bool { return card.Text == c.Text })
		cx, cy := 6*mm+float64(i%2)*99*mm, 6*mm+float64(i/2)*71.25*mm
		p := centre(c)
		if p.X < cx || p.X > cx+50*mm || p.Y < cy || p.Y > cy+71.25*mm || c.Page != 1 {
			t.Errorf("card %d: code centre %v pt on page %d, want page 1 inside the cell's left half at %v, %v", i, p, c.Page, cx, cy)
		}
	}
}

// codesOf returns the codes that cards should give on page.
func codesOf(cs []qrcard.Card, page int) []Code {
	out := make([]Code, len(cs))
	for i, c := range cs {
		out[i] = Code{Text: c.Text, Page: page}
	}
	return out
}

func TestDecodePDFPages(t *testing.T) {
	cs := cards(t, 3)
	codes, err := DecodePDF(pdftest.Cards(t, qrcard.WriteCardPDF, cs), nil)
	if err != nil || len(codes) != 3 {
		t.Fatalf("got %d codes, %v; want 3", len(codes), err)
	}
	for i, c := range codes {
		if c.Page != i+1 || c.Text != cs[i].Text {
			t.Errorf("code %d: page %d, text %.20q…; want page %d, %.20q…", i, c.Page, c.Text, i+1, cs[i].Text)
		}
	}
	// A sheet of 11 cards has 8 on page 1 and 3 on page 2.
	cs = cards(t, 11)
	codes, err = DecodePDF(pdftest.Cards(t, qrcard.WriteSheetPDF, cs), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(codesOf(cs[:8], 1), codesOf(cs[8:], 2)...)
	for _, page := range []int{1, 2} {
		in := func(c Code) bool { return c.Page != page }
		got, w := slices.DeleteFunc(slices.Clone(codes), in), slices.DeleteFunc(slices.Clone(want), in)
		if !slices.Equal(texts(got), texts(w)) {
			t.Errorf("page %d: got %d codes, want %d", page, len(got), len(w))
		}
	}
}

func TestDecodePDFMaxPages(t *testing.T) {
	cs := cards(t, 5)
	codes, err := DecodePDF(pdftest.Cards(t, qrcard.WriteCardPDF, cs), &PDFOptions{MaxPages: 3})
	if !errors.Is(err, pdf.ErrTooManyPages) || !strings.Contains(err.Error(), "5, read the first 3") {
		t.Errorf("error %v, want pdf.ErrTooManyPages saying 5 and 3", err)
	}
	if got, want := texts(codes), texts(codesOf(cs[:3], 0)); !slices.Equal(got, want) {
		t.Errorf("got the codes of %d pages, want those of the first 3", len(got))
	}

	// A thousand empty pages: the first 50 are read, the rest not even
	// loaded.
	empty := make([]pdftest.Page, 1000)
	for i := range empty {
		empty[i] = pdftest.Page{W: 200, H: 200, Content: "0 0 m"}
	}
	start := time.Now()
	codes, err = DecodePDF(pdftest.Pages(empty), nil)
	if !errors.Is(err, pdf.ErrTooManyPages) || !strings.Contains(err.Error(), "1000, read the first 50") || len(codes) != 0 {
		t.Errorf("got %d codes, %v; want none and pdf.ErrTooManyPages saying 1000 and 50", len(codes), err)
	}
	t.Logf("1000 empty pages: %v", time.Since(start))
}

func TestDecodePDFBudget(t *testing.T) {
	cs := cards(t, 4)
	// A clock that moves a second every time it is read: DecodePDF reads
	// it a few times a page, so 4 s are spent after the first page or two.
	now := pdfT0
	clock := func() time.Time { now = now.Add(time.Second); return now }
	codes, err := DecodePDF(pdftest.Cards(t, qrcard.WriteCardPDF, cs), &PDFOptions{Budget: 4 * time.Second, Now: clock})
	if !errors.Is(err, pdf.ErrBudget) {
		t.Fatalf("error %v, want pdf.ErrBudget", err)
	}
	if len(codes) == 0 || len(codes) >= 4 || codes[0].Text != cs[0].Text {
		t.Errorf("got %d codes, want those of the first pages only", len(codes))
	}
	t.Logf("%d codes, %v", len(codes), err)
}

// TestDecodePDFHugePage draws a code across a 200000 pt page: it is drawn
// at the pixel cap, read, and its points are in points.
func TestDecodePDFHugePage(t *testing.T) {
	const side = 200000.0
	text := cards(t, 1)[0].Text
	data := pdftest.Pages([]pdftest.Page{{W: side, H: side, Content: pdftest.QR(t, text, side/4, side*3/4, side/2)}})
	codes, err := DecodePDF(data, &PDFOptions{MaxPixels: 4_000_000})
	if err != nil || len(codes) != 1 || codes[0].Text != text {
		t.Fatalf("got %+v, %v; want the code", codes, err)
	}
	checkPoints(t, codes, side, side)
	if got := centre(codes[0]); math.Abs(got.X-side/2) > side/20 || math.Abs(got.Y-side/2) > side/20 {
		t.Errorf("code centre %v pt, want near the page's centre", got)
	}
}

// TestDecodePDFHostile feeds DecodePDF what is not a good PDF: each gives
// an error or, where MuPDF repairs the file, the right code, never a wrong
// text, a crash or a hang.
func TestDecodePDFHostile(t *testing.T) {
	cs := cards(t, 1)
	card := pdftest.Cards(t, qrcard.WriteCardPDF, cs)
	random := make([]byte, 4096)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	badStartxref := bytes.Replace(card, []byte("startxref\n"), []byte("startxref\n9"), 1)
	tests := []struct {
		name    string
		data    []byte
		want    error  // nil: no error
		text    string // the code that must be read, if any
		mayRead bool   // the code may be read, or an error given
	}{
		{"empty", nil, pdf.ErrNotPDF, "", false},
		{"random bytes", random, pdf.ErrNotPDF, "", false},
		{"PNG", pngOf(t), pdf.ErrNotPDF, "", false},
		{"header then random bytes", append([]byte("%PDF-1.7\n"), random...), pdf.ErrDamaged, "", false},
		{"header only", []byte("%PDF-1.4\n"), pdf.ErrDamaged, "", false},
		{"broken xref", pdftest.BrokenXref(card), nil, cs[0].Text, false},
		{"startxref past the end", badStartxref, nil, cs[0].Text, false},
		{"encrypted", pdftest.Encrypted, pdf.ErrEncrypted, "", false},
		{"encrypted, no user password", pdftest.EncryptedNoUserPassword, nil, pdftest.FixtureText, false},
		{"no pages", pdftest.Pages(nil), pdf.ErrNoPages, "", false},
		{"negative page count", bytes.Replace(pdftest.Pages([]pdftest.Page{{W: 100, H: 100}}), []byte("/Count 1"), []byte("/Count -1"), 1), pdf.ErrDamaged, "", false},
		{"lying page count", bytes.Replace(pdftest.Pages([]pdftest.Page{{W: 100, H: 100}}), []byte("/Count 1"), []byte("/Count 2147483647"), 1), pdf.ErrTooManyPages, "", false},
		{"empty MediaBox", pdftest.Pages([]pdftest.Page{{}}), nil, "", false}, // MuPDF draws it at a default size
		{"too large", card, pdf.ErrTooLarge, "", false},
		{"poster", pdftest.Image(scene.Poster(1000, 1000, 2), pdf.DefaultDPI), nil, "", false},
	}
	for cut := 1; cut < 10; cut++ {
		tests = append(tests, struct {
			name    string
			data    []byte
			want    error
			text    string
			mayRead bool
		}{fmt.Sprintf("truncated to %d0%%", cut), card[:len(card)*cut/10], nil, cs[0].Text, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &PDFOptions{}
			if tt.name == "too large" {
				opts.MaxBytes = len(card) - 1
			}
			codes, err := DecodePDF(tt.data, opts)
			t.Logf("%d codes, %v", len(codes), err)
			for _, c := range codes {
				if c.Text != tt.text {
					t.Errorf("read %.30q…, want only %.30q…", c.Text, tt.text)
				}
			}
			switch {
			case tt.mayRead:
				if err == nil && len(codes) != 1 {
					t.Errorf("got %d codes and no error, want the code or an error", len(codes))
				}
			case tt.want != nil:
				if !errors.Is(err, tt.want) {
					t.Errorf("error %v, want %v", err, tt.want)
				}
			case err != nil:
				t.Errorf("error %v, want none", err)
			case tt.text != "" && len(codes) != 1:
				t.Errorf("got %d codes, want the one", len(codes))
			}
		})
	}
}

// TestDecodePDFPosters decodes PDFs of a page-sized image of a poster
// (scene.Poster), read at 150 and again at 300 DPI: each must find
// nothing, return within its budget (10 s) and a step (or within
// hangAfter more), and allocate under maxPosterAlloc in Go (MuPDF's
// memory is bounded by package pdf).
func TestDecodePDFPosters(t *testing.T) {
	for _, p := range []poster{{1000, 1000, 2}, {1000, 1000, 3}, {1240, 1754, 1}} {
		t.Run(p.String(), func(t *testing.T) {
			data := pdftest.Image(p.image(), pdf.DefaultDPI)
			var codes []Code
			var err error
			took, alloc := within(t, pdf.DefaultBudget+hangAfter, func() { codes, err = DecodePDF(data, nil) })
			if err != nil || len(codes) != 0 {
				t.Errorf("got %v, %v; want nothing", codes, err)
			}
			if alloc > maxPosterAlloc {
				t.Errorf("allocated %d MB, want under %d", alloc>>20, maxPosterAlloc>>20)
			}
			t.Logf("%v, %d MB allocated", took, alloc>>20)
		})
	}
}

// pngOf returns a PNG of a code, which is no PDF.
func pngOf(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := qrcard.WritePNG(&buf, "FSC1:PNG", nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMinSideIsALowerBound(t *testing.T) {
	for _, text := range []string{"A", "0123456789", "FSC1:" + strings.Repeat("NCF%R", 120), "https://example.com/?q=1", "Müller 张三 ÄÖÜ", strings.Repeat("é", 300)} {
		m, err := qrcard.Matrix(text, qrcard.LevelL)
		if err != nil {
			t.Fatal(err)
		}
		if got := minSide(text); got > len(m) {
			t.Errorf("%.20q: minSide %d, but it fits in %d", text, got, len(m))
		}
	}
}

func BenchmarkDecodePDFSheet(b *testing.B) {
	data := pdftest.Cards(b, qrcard.WriteSheetPDF, cards(b, 8))
	found := 0
	b.ResetTimer()
	for b.Loop() {
		codes, err := DecodePDF(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		found = len(codes)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
	b.ReportMetric(float64(found), "codes/page")
}

// FuzzDecodePDF feeds DecodePDF small documents, seeded with real cards
// and hostile variants; it must return, without a crash, codes on the
// pages it read.
func FuzzDecodePDF(f *testing.F) {
	for _, seed := range pdftest.Seeds(f) {
		f.Add(seed)
	}
	opts := &PDFOptions{DPI: 36, RetryDPI: 72, MaxPages: 3, MaxPixels: 1 << 20, Budget: 2 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip()
		}
		codes, _ := DecodePDF(data, opts)
		for _, c := range codes {
			if c.Page < 1 || c.Page > 3 || c.Text == "" {
				t.Errorf("code %+v", c)
			}
		}
	})
}

// TestCodeAreaPaint checks the row-span painting against contains, pixel
// by pixel, for areas at many angles and sizes, partly off the image.
func TestCodeAreaPaint(t *testing.T) {
	for i := range 200 {
		angle := float64(i) * 0.37
		side := 5 + float64(i%40)*3
		o := Point{float64(i%50) - 10, float64(i%70) - 5}
		u := Point{side * math.Cos(angle), side * math.Sin(angle)}
		v := Point{-side * math.Sin(angle), side * math.Cos(angle)}
		if i%3 == 0 {
			u, v = v, u // mirrored
		}
		a, ok := areaOf(Code{Text: "A", Points: []Point{{o.X + v.X, o.Y + v.Y}, o, {o.X + u.X, o.Y + u.Y}}})
		if !ok {
			t.Fatalf("area %d: not usable", i)
		}
		img := image.NewGray(image.Rect(0, 0, 90, 80))
		a.paint(img)
		for y := range 80 {
			for x := range 90 {
				want := a.contains(Point{float64(x) + 0.5, float64(y) + 0.5})
				if got := img.GrayAt(x, y).Y == 0xff; got != want {
					t.Fatalf("area %d (%+v): pixel %d,%d painted %v, contains %v", i, a, x, y, got, want)
				}
			}
		}
	}
}

// TestDecodePDFConcurrent decodes documents from several goroutines, each
// call with its own MuPDF context.
func TestDecodePDFConcurrent(t *testing.T) {
	cs := cards(t, 4)
	data := pdftest.Cards(t, qrcard.WriteCardPDF, cs)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			codes, err := DecodePDF(data, nil)
			if err != nil || !slices.Equal(texts(codes), texts(codesOf(cs, 0))) {
				t.Errorf("got %d codes, %v; want the 4", len(codes), err)
			}
		})
	}
	wg.Wait()
}

func ExampleDecodePDF() {
	var pdf bytes.Buffer
	cards := []qrcard.Card{{Text: "FSC1:EXAMPLE-CARD-1"}, {Text: "FSC1:EXAMPLE-CARD-2"}}
	if err := qrcard.WriteCardPDF(&pdf, cards); err != nil {
		log.Fatal(err)
	}
	codes, err := DecodePDF(pdf.Bytes(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range codes {
		// Points are in PDF points from the page's top left corner: the
		// top left finder pattern's centre is the least X and Y.
		x, y := c.Points[0].X, c.Points[0].Y
		for _, p := range c.Points {
			x, y = min(x, p.X), min(y, p.Y)
		}
		fmt.Printf("page %d: %s, top left finder pattern at %.0f, %.0f mm\n", c.Page, c.Text, x/mm, y/mm)
	}
	// Output:
	// page 1: FSC1:EXAMPLE-CARD-1, top left finder pattern at 36, 40 mm
	// page 2: FSC1:EXAMPLE-CARD-2, top left finder pattern at 36, 40 mm
}
