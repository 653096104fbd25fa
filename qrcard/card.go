package qrcard

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Card is what a printed 福码卡 shows. Empty fields other than Text leave
// their line off the card.
type Card struct {
	// Text is the code text encoded in the QR code, at level M.
	Text string

	// Name is the holder's name, already masked by the caller, such as
	// "张*"; it is printed as given.
	Name string

	// IDTail is the last characters of the holder's ID number, at most
	// four; it is printed as "ID ****1234".
	IDTail string

	// Color is the code's colour, "green", "yellow" or "red", which the
	// card's frame and title band are drawn in. Empty means a black outline
	// and no band.
	Color string

	// Issuer is the issuer's id, such as "350000".
	Issuer string

	// Serial is the card's serial number.
	Serial string

	// IssuedAt and ExpiresAt bound the card's validity. They are printed as
	// dates in their own locations, such as "Valid 2026-11-23 – 2026-12-23";
	// a zero time prints as nothing.
	IssuedAt, ExpiresAt time.Time
}

// WriteCardPDF writes cards to w as a PDF of A6 portrait pages, one card to
// a page, for printing one 福码卡 at a time. The QR code is 70 mm wide with
// its quiet zone.
//
// The cards are checked and the whole PDF built before anything is written:
// an invalid card, which the error names counting from 1, leaves w
// untouched, as does an empty cards, since a PDF needs a page.
func WriteCardPDF(w io.Writer, cards []Card) error {
	return a6Pages.write(w, cards)
}

// WriteSheetPDF writes cards to w as a PDF of A4 portrait pages holding up to
// eight cards each, in two columns of four, with dashed guides to cut along.
// The QR code of each card is 62 mm wide with its quiet zone. Errors are as
// for WriteCardPDF.
func WriteSheetPDF(w io.Writer, cards []Card) error {
	return a4Sheets.write(w, cards)
}

// quietModules is the white border drawn around every QR code on a card.
const quietModules = 4

// bandColors are the printed shades of the code colours.
var bandColors = map[string]rgb{
	"green":  {0.0, 0.6, 0.32},
	"yellow": {0.98, 0.8, 0.0},
	"red":    {0.85, 0.1, 0.1},
}

// face is a Card checked and turned into what gets drawn.
type face struct {
	qr   [][]bool
	band *rgb // nil: no band
	ink  rgb  // for the title, which sits on the band

	name, id, issuer, serial string
	from, to                 string
}

func newFace(c *Card) (*face, error) {
	m, err := encode(c.Text, LevelM)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(c.IDTail); n > 4 {
		// More would print most of an ID number the caller meant to mask.
		return nil, fmt.Errorf("id tail has %d characters, want at most 4", n)
	}
	f := &face{qr: m, ink: black, name: c.Name}
	if c.Color != "" {
		col, ok := bandColors[c.Color]
		if !ok {
			return nil, fmt.Errorf("unknown color %q, want green, yellow or red", c.Color)
		}
		f.band = &col
		if c.Color != "yellow" {
			f.ink = white
		}
	}
	if c.IDTail != "" {
		f.id = "ID ****" + c.IDTail
	}
	if c.Issuer != "" {
		f.issuer = "Issuer " + c.Issuer
	}
	if c.Serial != "" {
		f.serial = "Serial " + c.Serial
	}
	f.from, f.to = date(c.IssuedAt), date(c.ExpiresAt)
	return f, nil
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// details returns the lines under the title: name, ID, validity, issuer
// and serial, leaving out empty ones. A narrow layout splits the validity
// over two lines.
func (f *face) details(big, medium, small float64, narrow bool) []line {
	var ls []line
	add := func(text string, size float64) {
		if strings.TrimSpace(text) != "" {
			ls = append(ls, line{text: text, size: size, col: black})
		}
	}
	add(f.name, big)
	add(f.id, medium)
	if f.from != "" || f.to != "" {
		if narrow {
			add("Valid "+f.from+" –", small)
			add(f.to, small)
		} else {
			add("Valid "+f.from+" – "+f.to, small)
		}
	}
	add(f.issuer, small)
	add(f.serial, small)
	return ls
}

// frame draws the card's outline: with a band colour, a frame of the given
// thickness around a white window; without, a hairline.
func (f *face) frame(c *canvas, thickness, x, y, w, h float64) {
	if f.band == nil {
		c.strokeRect(black, 0.5, x, y, w, h)
		return
	}
	c.fillRect(*f.band, x, y, w, h)
	c.fillRect(white, x+thickness, y+thickness, w-2*thickness, h-2*thickness)
}

// A pageLayout places cards in a grid of cells on pages of one size.
type pageLayout struct {
	width, height float64 // page size in points
	margin        float64 // around the grid, in points
	cols, rows    int
	cutGuides     bool
	draw          func(c *canvas, f *face, x, y, w, h float64)
}

var (
	a6Pages  = pageLayout{width: 105 * mm, height: 148 * mm, cols: 1, rows: 1, draw: drawA6}
	a4Sheets = pageLayout{width: 210 * mm, height: 297 * mm, margin: 6 * mm, cols: 2, rows: 4,
		cutGuides: true, draw: drawCell}
)

// drawA6 draws a card filling a portrait page: the title on the colour band,
// the QR code, then the details, all centred.
func drawA6(c *canvas, f *face, x, y, w, h float64) {
	const inset, thickness, bandH, side, titleSize = 4 * mm, 2.5 * mm, 16 * mm, 70 * mm, 15
	x, y, w, h = x+inset, y+inset, w-2*inset, h-2*inset
	f.frame(c, thickness, x, y, w, h)
	if f.band != nil {
		c.fillRect(*f.band, x, y, w, bandH)
	}
	inner, innerW := x+thickness, w-2*thickness
	title := []line{{text: "福码卡 Offline Health Card", size: titleSize, col: f.ink}}
	// Centre the capitals, about 0.72 of the size, in the band.
	c.lines(title, inner, y+bandH/2+0.36*titleSize, innerW, true)

	qrY := y + bandH + 2*mm
	c.qr(f.qr, x+(w-side)/2, qrY, side, quietModules)
	c.lines(f.details(16, 12, 10, false), inner, qrY+side+12*mm, innerW, true)
}

// drawCell draws a card into one cell of a sheet: the QR code as high as
// the cell allows on the left, the title band and details in a column on
// its right.
func drawCell(c *canvas, f *face, x, y, w, h float64) {
	const inset, thickness, pad, bandH, titleSize = 2 * mm, 2 * mm, 0.5 * mm, 13 * mm, 13
	x, y, w, h = x+inset, y+inset, w-2*inset, h-2*inset
	f.frame(c, thickness, x, y, w, h)
	side := h - 2*thickness - 2*pad
	qrX, qrY := x+thickness+pad, y+thickness+pad
	c.qr(f.qr, qrX, qrY, side, quietModules)

	colX := qrX + side + pad
	colW := x + w - thickness - colX
	if f.band != nil {
		c.fillRect(*f.band, colX, y+thickness, colW, bandH)
	}
	textX, textW := colX+mm, colW-2*mm
	title := []line{
		{text: "福码卡", size: titleSize, col: f.ink},
		{text: "Offline Health Card", size: titleSize / 2, col: f.ink},
	}
	c.lines(title, textX, y+thickness+2*mm+0.72*titleSize, textW, true)
	c.lines(f.details(12, 10, 8, true), textX, y+thickness+bandH+5*mm, textW, false)
}

// write checks cards, lays them out and writes the PDF to w.
func (l *pageLayout) write(w io.Writer, cards []Card) error {
	if len(cards) == 0 {
		return errors.New("qrcard: no cards")
	}
	faces := make([]*face, len(cards))
	for i := range cards {
		f, err := newFace(&cards[i])
		if err != nil {
			return fmt.Errorf("qrcard: card %d: %w", i+1, err)
		}
		faces[i] = f
	}

	pdf := newPDFFile()
	catalog, pages, resources := pdf.alloc(), pdf.alloc(), pdf.alloc()
	latin, cjk, cid, desc := pdf.alloc(), pdf.alloc(), pdf.alloc(), pdf.alloc()
	latinSrc, cjkSrc, cidSrc, descSrc := fontObjects(cid, desc)
	pdf.object(latin, latinSrc)
	pdf.object(cjk, cjkSrc)
	pdf.object(cid, cidSrc)
	pdf.object(desc, descSrc)
	pdf.object(resources, fmt.Sprintf("<< /Font << %s %s %s %s >> >>", fontLatin, ref(latin), fontCJK, ref(cjk)))

	perPage := l.cols * l.rows
	cellW := (l.width - 2*l.margin) / float64(l.cols)
	cellH := (l.height - 2*l.margin) / float64(l.rows)
	var kids []string
	for first := 0; first < len(faces); first += perPage {
		c := &canvas{height: l.height}
		for i, f := range faces[first:min(first+perPage, len(faces))] {
			x := l.margin + float64(i%l.cols)*cellW
			y := l.margin + float64(i/l.cols)*cellH
			if l.cutGuides {
				c.dashedRect(grey, x, y, cellW, cellH)
			}
			l.draw(c, f, x, y, cellW, cellH)
		}
		page, content := pdf.alloc(), pdf.alloc()
		pdf.stream(content, c.b.Bytes())
		pdf.object(page, fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %s %s] /Resources %s /Contents %s >>",
			ref(pages), num(l.width), num(l.height), ref(resources), ref(content)))
		kids = append(kids, ref(page))
	}
	pdf.object(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	pdf.object(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %s >>", ref(pages)))

	b, err := pdf.bytes(catalog)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("qrcard: write pdf: %w", err)
	}
	return nil
}
