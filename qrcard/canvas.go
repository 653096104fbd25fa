package qrcard

import (
	"bytes"
	"fmt"
)

// mm is one millimetre in PDF points.
const mm = 72 / 25.4

// rgb is a colour with components from 0 to 1.
type rgb struct{ r, g, b float64 }

// set returns the operation making col the current colour: operator is
// "rg" for filling, "RG" for stroking.
func (col rgb) set(operator string) string {
	return num(col.r) + " " + num(col.g) + " " + num(col.b) + " " + operator
}

var (
	black = rgb{0, 0, 0}
	white = rgb{1, 1, 1}
	grey  = rgb{0.6, 0.6, 0.6}
)

// canvas builds one page's content stream. Its methods take coordinates in
// points from the page's top-left corner, as layouts are written, and turn
// them into PDF's bottom-up ones.
type canvas struct {
	b      bytes.Buffer
	height float64
}

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

// y turns a top-down y into PDF's bottom-up one.
func (c *canvas) y(top float64) string { return num(c.height - top) }

// fillRect fills the rectangle with top-left corner x, y.
func (c *canvas) fillRect(col rgb, x, y, w, h float64) {
	c.printf("%s %s %s %s %s re f\n", col.set("rg"), num(x), c.y(y+h), num(w), num(h))
}

// strokeRect outlines the rectangle with a line of the given width.
func (c *canvas) strokeRect(col rgb, width, x, y, w, h float64) {
	c.printf("%s %s w %s %s %s %s re S\n", col.set("RG"), num(width), num(x), c.y(y+h), num(w), num(h))
}

// dashedRect outlines the rectangle with a thin dashed line, as a guide for
// cutting.
func (c *canvas) dashedRect(col rgb, x, y, w, h float64) {
	c.printf("q [3 3] 0 d ")
	c.strokeRect(col, 0.3, x, y, w, h)
	c.printf("Q\n")
}

// qr draws the modules m with a white quiet zone of quiet modules into the
// square at x, y of the given side.
func (c *canvas) qr(m [][]bool, x, y, side float64, quiet int) {
	c.fillRect(white, x, y, side, side)
	unit := side / float64(len(m)+2*quiet)
	margin := float64(quiet) * unit
	// From here on one unit is one module, with the origin at the symbol's
	// top-left corner and y growing downwards, so modules have integer
	// coordinates. All runs form one path filled once, so no seams show
	// between touching rectangles.
	c.printf("q 0 g %s 0 0 %s %s %s cm\n", num(unit), num(-unit), num(x+margin), c.y(y+margin))
	for row, dark := range m {
		for col := 0; col < len(dark); {
			if !dark[col] {
				col++
				continue
			}
			start := col
			for col < len(dark) && dark[col] {
				col++
			}
			c.printf("%d %d %d 1 re\n", start, row, col-start)
		}
	}
	c.printf("f Q\n")
}

// text shows s with its baseline starting at x, y.
func (c *canvas) text(col rgb, size, x, y float64, s string) {
	c.printf("%s BT %s %s Td", col.set("rg"), num(x), c.y(y))
	font := ""
	for _, r := range splitRuns(s) {
		if r.font != font {
			font = r.font
			c.printf(" %s %s Tf", font, num(size))
		}
		c.printf(" %s Tj", r.operand())
	}
	c.printf(" ET\n")
}

// A line is one line of text on a card.
type line struct {
	text string
	size float64 // font size in points, before any shrinking to fit
	col  rgb
}

// lines shows ls one below the other, the first with its baseline at y and
// each following one 1.45 times its font size lower. Each line is shrunk to
// fit width, and centred in it if center is set.
func (c *canvas) lines(ls []line, x, y, width float64, center bool) {
	for i, l := range ls {
		if i > 0 {
			y += l.size * 1.45
		}
		size := l.size
		w := textWidth(l.text) * size / 1000
		if w > width {
			size *= width / w
			w = width
		}
		lx := x
		if center {
			lx += (width - w) / 2
		}
		c.text(l.col, size, lx, y, l.text)
	}
}
