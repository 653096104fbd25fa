package qrcard

import (
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The two fonts of every page, by resource name. Neither is embedded: see
// the package caveats.
const (
	fontLatin = "/F1" // Helvetica, WinAnsiEncoding
	fontCJK   = "/F2" // STSong-Light through the UniGB-UTF16-H CMap
)

// fontObjects returns the PDF source of the Latin font, the CJK Type0 font,
// its CIDFont and the CIDFont's descriptor, given their object numbers.
func fontObjects(cidFont, descriptor int) (latin, cjk, cid, desc string) {
	latin = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
	// A Type0 font over a predefined CMap is named CIDFont-CMap.
	cjk = "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UTF16-H" +
		" /Encoding /UniGB-UTF16-H /DescendantFonts [" + ref(cidFont) + "] >>"
	// UniGB-UTF16-H covers GB 18030-2000, which Adobe-GB1 reached in
	// supplement 4, the collection STSong-Light implements. All glyphs
	// drawn with it are full-width, hence DW 1000 and no W array.
	cid = "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light" +
		" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >>" +
		" /FontDescriptor " + ref(descriptor) + " /DW 1000 >>"
	// Flags 6: serif, and symbolic because the glyphs go beyond Latin.
	desc = "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6" +
		" /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120" +
		" /CapHeight 880 /StemV 93 >>"
	return latin, cjk, cid, desc
}

// A textRun is part of a line shown in one font: WinAnsi bytes for
// Helvetica, UTF-16BE for STSong-Light.
type textRun struct {
	font string
	code []byte
}

// operand returns the run as a PDF string operand.
func (r textRun) operand() string {
	if r.font == fontCJK {
		return "<" + strings.ToUpper(hex.EncodeToString(r.code)) + ">"
	}
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range r.code {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x80:
			// Octal keeps the content stream 7-bit and readable.
			b.WriteByte('\\')
			b.WriteByte('0' + c>>6)
			b.WriteByte('0' + c>>3&7)
			b.WriteByte('0' + c&7)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// width returns the run's advance in thousandths of the font size.
func (r textRun) width() float64 {
	if r.font == fontCJK {
		return float64(len(r.code) / 2 * 1000)
	}
	w := 0
	for _, c := range r.code {
		w += int(helveticaWidths[c])
	}
	return float64(w)
}

// splitRuns splits s into runs of Latin and CJK text. A character
// Windows-1252 has goes to Helvetica; any other printable character of the
// Basic Multilingual Plane goes to STSong-Light; the rest become "?".
func splitRuns(s string) []textRun {
	var runs []textRun
	for _, r := range s {
		font, code := fontLatin, []byte{'?'}
		if c, ok := winAnsi(r); ok {
			code[0] = c
		} else if r <= 0xffff && r != utf8.RuneError && !unicode.IsControl(r) {
			font, code = fontCJK, []byte{byte(r >> 8), byte(r)}
		}
		if n := len(runs); n > 0 && runs[n-1].font == font {
			runs[n-1].code = append(runs[n-1].code, code...)
			continue
		}
		runs = append(runs, textRun{font: font, code: code})
	}
	return runs
}

// textWidth returns the advance of s in thousandths of the font size.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range splitRuns(s) {
		w += r.width()
	}
	return w
}

// winAnsi returns the WinAnsiEncoding code of r, if it has one.
func winAnsi(r rune) (byte, bool) {
	switch {
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xff:
		return byte(r), true
	}
	c, ok := winAnsiHigh[r]
	return c, ok
}

// winAnsiHigh maps the characters WinAnsiEncoding puts at 0x80–0x9F.
var winAnsiHigh = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
}

// helveticaWidths holds Helvetica's advance widths from its AFM by
// WinAnsiEncoding code; codes winAnsi never returns are zero.
var helveticaWidths = [256]uint16{
	0x20: 278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
	0x80: 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
	0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
	278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
	400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
	667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
	722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
	556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
}
