package decoder

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"

	"github.com/fuscan/fuscan/decoder/pdf"
)

// PDFOptions bounds and tunes DecodePDF; nil means the defaults.
type PDFOptions struct {
	// DPI is the resolution pages are rendered at. Zero: pdf.DefaultDPI,
	// 150, which puts about 4.5 pixels on a module of the densest codes
	// qrcard prints on a sheet of cards.
	DPI float64
	// RetryDPI is the resolution a page is rendered again at when nothing
	// was read on it at DPI, or when finder patterns are left once the
	// codes read are painted out. Zero: DefaultPDFRetryDPI. A RetryDPI not
	// above DPI turns the retry off.
	RetryDPI float64
	// MaxPages is the number of pages decoded; the rest are skipped, with
	// an error wrapping pdf.ErrTooManyPages. Zero: 50.
	MaxPages int
	// MaxPixels bounds a rendered page: a page that would be larger at the
	// DPI asked for is rendered at a lower one. Zero, or more than the
	// package's MaxPixels: 40 megapixels (A4 at 600 DPI is 35).
	MaxPixels int
	// MaxBytes bounds the input. Zero: 32 MiB.
	MaxBytes int
	// Budget is the time the whole document may take. Pages are not
	// started, and a page being drawn is stopped, once it is spent; the
	// codes found so far are returned with an error wrapping
	// pdf.ErrBudget. Zero: 10 seconds.
	Budget time.Duration
	// Now is the clock of the budget. Nil: time.Now. (The ladder measures
	// a page's share of the budget with time.Now.)
	Now func() time.Time
}

// DefaultPDFRetryDPI is the RetryDPI of PDFOptions left zero.
const DefaultPDFRetryDPI = 300

// resolved returns o with its defaults, and the options of its document.
func (o *PDFOptions) resolved() (PDFOptions, *pdf.Options) {
	var r PDFOptions
	if o != nil {
		r = *o
	}
	if r.DPI <= 0 {
		r.DPI = pdf.DefaultDPI
	}
	if r.RetryDPI == 0 {
		r.RetryDPI = DefaultPDFRetryDPI
	}
	if r.MaxPixels > MaxPixels {
		r.MaxPixels = 0 // the decoder could not take it: the default
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r, &pdf.Options{DPI: r.DPI, MaxPages: r.MaxPages, MaxPixels: r.MaxPixels,
		MaxBytes: r.MaxBytes, Budget: r.Budget, Now: r.Now}
}

// DecodePDF renders each page of the PDF document data with package pdf
// and returns the codes found on them, page by page. A code's Page counts
// from 1 and its Points are in PDF points (1/72 inch) from the top left
// corner of the page as a viewer shows it (MediaBox origin, /Rotate and
// /UserUnit applied), y downwards, whatever the resolution the page was
// read at.
//
// A document that cannot be read at all gives no codes and an error
// wrapping pdf.ErrNotPDF, pdf.ErrTooLarge, pdf.ErrEncrypted,
// pdf.ErrDamaged, pdf.ErrNoPages or, in a build without cgo,
// pdf.ErrNoCgo. A document read in part — pages over MaxPages, a spent
// budget, a damaged page — gives the codes of the pages read and an error
// wrapping pdf.ErrTooManyPages, pdf.ErrBudget or pdf.ErrDamaged that says
// what was left out. A damaged file that MuPDF can repair is read as
// repaired. A code read at RetryDPI has its Step prefixed with "300dpi:".
//
// DecodePDF is safe for concurrent use: each call has its own MuPDF
// context, bounded to 512 MiB of memory besides the input and the page
// image.
func DecodePDF(data []byte, opts *PDFOptions) ([]Code, error) {
	o, po := opts.resolved()
	doc, err := pdf.Open(data, po)
	if err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	defer doc.Close()
	r := &pdfReader{doc: doc, o: o}
	if err := doc.Each(r.page); err != nil {
		return r.codes, fmt.Errorf("decoder: %w", err)
	}
	return r.codes, nil
}

// pdfReader reads the pages of one document.
type pdfReader struct {
	doc   *pdf.Document
	o     PDFOptions
	codes []Code
}

// page decodes pg at DPI, then again at RetryDPI when nothing was found
// or finder patterns are left unread, with the codes already read painted
// out.
func (r *pdfReader) page(pg *pdf.Page) error {
	codes, unread, err := r.decode(pg, r.o.DPI, nil, true)
	r.codes = append(r.codes, codes...)
	if err != nil || len(codes) > 0 && !unread {
		return err
	}
	// A page as large as the pixel cap is drawn no finer at RetryDPI.
	first, _ := pg.Fit(r.o.DPI)
	if again, _ := pg.Fit(r.o.RetryDPI); again.Scale < first.Scale*1.1 {
		return nil
	}
	more, _, err := r.decode(pg, r.o.RetryDPI, codes, false)
	for j := range more {
		more[j].Step = fmt.Sprintf("%gdpi:%s", r.o.RetryDPI, more[j].Step)
	}
	r.codes = append(r.codes, more...)
	return err
}

// decode renders pg at dpi, paints out the codes read already, and returns
// the codes it finds, in page points. With check, unread reports finder
// patterns left on the page once they are painted out too.
func (r *pdfReader) decode(pg *pdf.Page, dpi float64, read []Code, check bool) (codes []Code, unread bool, err error) {
	img, grid, err := pg.Render(dpi)
	if err != nil {
		return nil, false, err
	}
	var painted []codeArea
	for _, c := range read {
		c.Points = slices.Clone(c.Points)
		for j, p := range c.Points {
			c.Points[j].X, c.Points[j].Y = grid.Pixel(p.X, p.Y)
		}
		if a, ok := areaOf(c); ok {
			a.paint(img)
			painted = append(painted, a)
		}
	}
	codes, err = pdfDecodeAll(img, painted, r.doc.Deadline(), r.o.Now)
	if err != nil {
		return nil, false, fmt.Errorf("%w: page %d: %v", pdf.ErrDamaged, pg.Number(), err)
	}
	if check && len(codes) > 0 {
		unread = pdfFinderPatterns(img)
	}
	for j := range codes {
		codes[j].Page = pg.Number()
		for k, p := range codes[j].Points {
			codes[j].Points[k].X, codes[j].Points[k].Y = grid.Point(p.X, p.Y)
		}
	}
	return codes, unread, nil
}

// pdfFinderPatterns reports whether img holds three finder patterns that
// may be a code's, as gozxing's SelectBestPatterns sees them: a code that
// the ladder saw but could not read, when the codes it read are painted
// out. Like the ladder, it looks at the strongest maxCenters patterns
// only.
func pdfFinderPatterns(img *image.Gray) bool {
	d := New(nil)
	pl, err := d.lumaPlane(img)
	if err != nil || pl.w < minDim || pl.h < minDim {
		return false
	}
	d.bin.stats(pl)
	s := d.scanner.scan(d.bin.matrix(pl, false, slotLuma))
	_, ok := selectBest(bySize(s.strongest(s.found, maxCenters)))
	return ok
}

// pdfMaxPasses bounds the passes of pdfDecodeAll over one image.
const pdfMaxPasses = 64

// pdfDecodeAll decodes img with the ladder in Multi mode, pass after pass
// until one finds nothing new or the deadline passes. Before each pass the
// codes read so far are painted white, so that every code of a sheet is
// read even by a pass that returns only some of them (or only the first).
// painted are areas painted already; img is changed.
func pdfDecodeAll(img *image.Gray, painted []codeArea, deadline time.Time, now func() time.Time) ([]Code, error) {
	var all []Code
	for pass := 0; pass < pdfMaxPasses; pass++ {
		budget := deadline.Sub(now())
		if pass > 0 && budget <= 0 {
			break
		}
		// The ladder measures its share of the budget on the wall clock.
		codes, err := New(&Options{Multi: true, Budget: max(budget, time.Millisecond)}).Decode(img)
		if err != nil {
			return all, err
		}
		more := false
		for _, c := range codes {
			a, ok := areaOf(c)
			if !ok {
				// Unpaintable, it would be read again in the next pass.
				return append(all, c), nil
			}
			if slices.ContainsFunc(painted, func(p codeArea) bool { return p.contains(a.centre()) }) {
				continue // read again through the paint: not new
			}
			all, painted, more = append(all, c), append(painted, a), true
			a.paint(img)
		}
		if !more {
			break
		}
	}
	return all, nil
}

// A codeArea is the area of a code in an image: the parallelogram
// o + a·u + b·v for a and b in [-margin, 1+margin], where o is the centre
// of the finder pattern at the corner and u and v go to the centres of
// the other two.
type codeArea struct {
	o, u, v Point
	margin  float64
}

// areaOf returns the area of c from its first three points, which are
// the centres of its finder patterns; it reports false when they do not
// make a usable triangle.
func areaOf(c Code) (codeArea, bool) {
	if len(c.Points) < 3 {
		return codeArea{}, false
	}
	p := c.Points[:3]
	// The corner is the vertex opposite the longest side.
	corner := 0
	longest := -1.0
	for i := range 3 {
		a, b := p[(i+1)%3], p[(i+2)%3]
		if d := math.Hypot(a.X-b.X, a.Y-b.Y); d > longest {
			corner, longest = i, d
		}
	}
	o, a, b := p[corner], p[(corner+1)%3], p[(corner+2)%3]
	r := codeArea{o: o, u: Point{a.X - o.X, a.Y - o.Y}, v: Point{b.X - o.X, b.Y - o.Y}}
	if math.Abs(r.u.X*r.v.Y-r.u.Y*r.v.X) < 1 || math.IsNaN(longest) || math.IsInf(longest, 0) {
		return codeArea{}, false
	}
	// The finder centres are 3.5 modules in from the symbol's edge, and a
	// symbol of dimension n has n-7 modules between them. Going 4.5
	// modules out takes in the finder patterns and a module of quiet zone;
	// the smallest symbol that can hold the text bounds the module size.
	r.margin = 4.5 / float64(minSide(c.Text)-7)
	return r, true
}

// centre returns the centre of the code.
func (r codeArea) centre() Point {
	return Point{r.o.X + (r.u.X+r.v.X)/2, r.o.Y + (r.u.Y+r.v.Y)/2}
}

// coords returns a and b such that p = o + a·u + b·v.
func (r codeArea) coords(p Point) (a, b float64) {
	det := r.u.X*r.v.Y - r.u.Y*r.v.X
	dx, dy := p.X-r.o.X, p.Y-r.o.Y
	return (dx*r.v.Y - dy*r.v.X) / det, (r.u.X*dy - r.u.Y*dx) / det
}

func (r codeArea) contains(p Point) bool {
	a, b := r.coords(p)
	lo, hi := -r.margin, 1+r.margin
	return a >= lo && a <= hi && b >= lo && b <= hi
}

// paint whitens the area in img: the pixels whose centres it contains.
func (r codeArea) paint(img *image.Gray) {
	lo, hi := -r.margin, 1+r.margin
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, ab := range [][2]float64{{lo, lo}, {lo, hi}, {hi, lo}, {hi, hi}} {
		y := r.o.Y + ab[0]*r.u.Y + ab[1]*r.v.Y
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	b := img.Bounds()
	y0, y1 := max(b.Min.Y, int(math.Floor(minY))), min(b.Max.Y, int(math.Ceil(maxY))+1)
	det := r.u.X*r.v.Y - r.u.Y*r.v.X
	for y := y0; y < y1; y++ {
		// Along the row's centre line a and b (see coords) are linear in
		// x: a = a0 + da·x, b = b0 + db·x.
		dy := float64(y) + 0.5 - r.o.Y
		a0, da := (-r.o.X*r.v.Y-dy*r.v.X)/det, r.v.Y/det
		b0, db := (r.u.X*dy+r.o.X*r.u.Y)/det, -r.u.Y/det
		ax0, ax1, aok := span(a0, da, lo, hi)
		bx0, bx1, bok := span(b0, db, lo, hi)
		// Pixel x is painted when its centre x+0.5 is in both spans.
		from := math.Max(math.Max(ax0, bx0)-0.5, float64(b.Min.X))
		to := math.Min(math.Min(ax1, bx1)-0.5, float64(b.Max.X-1))
		if !aok || !bok || !(math.Ceil(from) <= math.Floor(to)) {
			continue
		}
		row := img.Pix[img.PixOffset(int(math.Ceil(from)), y) : img.PixOffset(int(math.Floor(to)), y)+1]
		for i := range row {
			row[i] = 0xff
		}
	}
}

// span returns the x for which lo ≤ c + d·x ≤ hi; ok is false when
// there are none.
func span(c, d, lo, hi float64) (x0, x1 float64, ok bool) {
	if d == 0 {
		return math.Inf(-1), math.Inf(1), c >= lo && c <= hi
	}
	x0, x1 = (lo-c)/d, (hi-c)/d
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	return x0, x1, true
}

// minSide returns the side, in modules, of the smallest QR symbol
// that can hold text: digits at 10/3 bits, the alphanumeric set at 5.5,
// other ASCII at 8 and other characters at 4 bits per UTF-8 byte (Kanji
// mode's 13 bits for a 3-byte character, or a Latin-1 byte), at level L.
func minSide(text string) int {
	bits := 0.0
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			bits += 10.0 / 3
		case c < 0x80 && strings.ContainsRune(alphanumeric, c):
			bits += 5.5
		case c < 0x80:
			bits += 8
		default:
			bits += 4 * float64(utf8.RuneLen(c))
		}
	}
	need := int(math.Ceil(bits / 8))
	for n := 1; n <= 40; n++ {
		v, err := qrdecoder.Version_GetVersionForNumber(n)
		if err != nil {
			break
		}
		if v.GetTotalCodewords()-v.GetECBlocksForLevel(qrdecoder.ErrorCorrectionLevel_L).GetTotalECCodewords() >= need {
			return v.GetDimensionForVersion()
		}
	}
	return 177
}

// alphanumeric is the QR alphanumeric character set.
const alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
