package ui

import (
	_ "embed"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/fuscan/fuscan/terminal"
)

// Colours of the screens. The verdict colours are those travellers know
// from their health codes; each verdict also has its own shape (mark), so
// that colour-blind people read it too.
var (
	colorPass     = color.NRGBA{0x2E, 0x7D, 0x32, 0xFF}
	colorWarn     = color.NRGBA{0xF9, 0xA8, 0x25, 0xFF}
	colorDeny     = color.NRGBA{0xC6, 0x28, 0x28, 0xFF}
	colorRefer    = color.NRGBA{0x54, 0x6E, 0x7A, 0xFF}
	colorScan     = color.NRGBA{0x0F, 0x1E, 0x26, 0xFF}
	colorBar      = color.NRGBA{0x08, 0x11, 0x16, 0xFF}
	colorText     = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colorDark     = color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF}
	colorMuted    = color.NRGBA{0xB0, 0xBE, 0xC5, 0xFF}
	colorHint     = color.NRGBA{0xFF, 0xCA, 0x28, 0xFF}
	colorFrame    = color.NRGBA{0x4D, 0xD0, 0xE1, 0xFF}
	colorAmber    = color.NRGBA{0xFF, 0xB3, 0x00, 0xFF}
	colorRed      = color.NRGBA{0xFF, 0x52, 0x52, 0xFF}
	colorGood     = color.NRGBA{0x66, 0xBB, 0x6A, 0xFF}
	colorPanel    = color.NRGBA{0x16, 0x2A, 0x33, 0xFF}
	colorVeilDark = color.NRGBA{0x00, 0x00, 0x00, 0xC0}
)

// verdictColors returns the background and text colours of a verdict.
func verdictColors(v terminal.Verdict) (bg, fg color.Color) {
	switch v {
	case terminal.Pass:
		return colorPass, colorText
	case terminal.Warn:
		return colorWarn, colorDark
	case terminal.Deny:
		return colorDeny, colorText
	}
	return colorRefer, colorText
}

// The screens are designed for 1024×600 and scale with the window: a
// size in these units is multiplied by unit().
const designW, designH = 1024, 600

// unitFor returns the scale of design units in a box of size s.
func unitFor(s fyne.Size) float32 { return min(s.Width/designW, s.Height/designH) }

// Elderly mode scales the text by this much (at least 1.5, as issue and
// seeds ask).
const elderlyScale = 1.5

// row is one line of a column: a text of em design units, or a box of w×h
// design units.
type row struct {
	text   *canvas.Text
	obj    fyne.CanvasObject
	em     float32 // text size; for a box, its height
	w      float32 // a box's width; 0 for a text
	scaled bool    // text scaled by the column's text scale (elderly mode)
}

// column stacks rows top to bottom, centred in its area. Texts are sized
// in design units and shrunk to fit the width; when the rows are taller
// than the area, everything shrinks together. It is a layout rather than
// a widget so that changing one text repaints that text alone: refreshing
// a container makes Fyne draw every text in it again, and large Chinese
// text is what costs most between a decision and its pixels.
type column struct {
	rows  []row
	scale float32 // the text scale: 1, or elderlyScale
	gap   float32 // design units between rows
	box   *fyne.Container
}

func newColumn(gap float32, rows ...row) *column {
	c := &column{rows: rows, scale: 1, gap: gap}
	objs := make([]fyne.CanvasObject, len(rows))
	for i, r := range rows {
		objs[i] = r.obj
	}
	c.box = container.New(c, objs...)
	return c
}

func textRow(t *canvas.Text, em float32) row { return row{text: t, obj: t, em: em, scaled: true} }

func boxRow(o fyne.CanvasObject, w, h float32) row { return row{obj: o, em: h, w: w} }

// relayout lays the rows out again once their texts have changed.
func (c *column) relayout() { c.Layout(c.box.Objects, c.box.Size()) }

// Layout implements fyne.Layout.
func (c *column) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	unit := unitFor(size)
	height := func(u float32) float32 {
		h, n := float32(0), 0
		for _, row := range c.rows {
			if row.obj.Visible() {
				h += c.rowHeight(row, u)
				n++
			}
		}
		return h + float32(max(n-1, 0))*c.gap*u
	}
	if h := height(unit); h > size.Height && h > 0 {
		unit *= size.Height / h
	}
	y := (size.Height - height(unit)) / 2
	for _, row := range c.rows {
		if !row.obj.Visible() {
			continue
		}
		h := c.rowHeight(row, unit)
		if row.text != nil {
			setTextSize(row.text, c.textSize(row, unit), size.Width*0.94)
			w := row.text.MinSize().Width
			row.text.Move(fyne.NewPos((size.Width-w)/2, y))
			row.text.Resize(fyne.NewSize(w, h))
		} else {
			w := row.w * unit
			row.obj.Move(fyne.NewPos((size.Width-w)/2, y))
			row.obj.Resize(fyne.NewSize(w, h))
		}
		y += h + c.gap*unit
	}
}

// MinSize implements fyne.Layout: a column fits any area.
func (c *column) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(100, 100) }

func (c *column) textSize(row row, unit float32) float32 {
	if row.scaled {
		return row.em * unit * c.scale
	}
	return row.em * unit
}

func (c *column) rowHeight(row row, unit float32) float32 {
	if row.text != nil {
		if row.text.Text == "" {
			return 0
		}
		return c.textSize(row, unit) * 1.3
	}
	return row.em * unit
}

// setTextSize sets t's size to size, or smaller so that it fits width.
func setTextSize(t *canvas.Text, size, width float32) {
	if t.Text == "" {
		return
	}
	m := measure(t, size)
	if m.Width > width {
		size *= width / m.Width
	}
	if t.TextSize != size {
		t.TextSize = size
		t.Refresh()
	}
}

// measure returns the size of t's text at size, in t's font.
func measure(t *canvas.Text, size float32) fyne.Size {
	m, _ := fyne.CurrentApp().Driver().RenderedTextSize(t.Text, size, t.TextStyle, t.FontSource)
	return m
}

// setText gives t text and colour c, repainting it only if either changed.
func setText(t *canvas.Text, text string, c color.Color) {
	if t.Text == text && t.Color == c {
		return
	}
	t.Text, t.Color = text, c
	t.Refresh()
}

// newText returns a centred text of colour fg in the kiosk's font, bold
// when asked.
func newText(fg color.Color, bold bool) *canvas.Text {
	t := canvas.NewText("", fg)
	t.Alignment = fyne.TextAlignCenter
	t.TextStyle.Bold = bold
	t.FontSource = kioskFont(bold)
	return t
}

// Theme returns the kiosk's theme: Fyne's own, always dark, so that the
// admin panel sits well on the dark scan screen whatever the system
// prefers; its text fonts are the kiosk's (kioskFont) before Fyne's.
func Theme() fyne.Theme { return darkTheme{} }

// The kiosk's fonts hold the glyphs of Noto Sans CJK SC, regular and bold,
// that its screens show, Latin and Chinese (scripts/font.sh). The screens'
// texts name them as their FontSource, so that Fyne parses these two small
// fonts and nothing else: through the theme, it also parses its own fonts
// and a system font for every style, 11 MB in memory, and the system's CJK
// fonts would be 40 MB. A rarer character falls back to the system's
// fonts.
var (
	//go:embed font/kiosk-sc.otf
	fontRegularData []byte
	//go:embed font/kiosk-sc-bold.otf
	fontBoldData []byte

	fontRegular = fyne.NewStaticResource("kiosk-sc.otf", fontRegularData)
	fontBold    = fyne.NewStaticResource("kiosk-sc-bold.otf", fontBoldData)
)

// kioskFont returns the kiosk's font, bold or regular.
func kioskFont(bold bool) fyne.Resource {
	if bold {
		return fontBold
	}
	return fontRegular
}

type darkTheme struct{}

func (darkTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, theme.VariantDark)
}

func (darkTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Italic || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	return kioskFont(s.Bold)
}

func (darkTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (darkTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }
