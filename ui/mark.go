package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/fuscan/fuscan/terminal"
)

// mark is a verdict's shape and sign, so that the verdict reads without
// its colour: a circle with ✓ for pass, a triangle with ! for warn, an
// octagon (a stop sign) with ✕ for deny, a diamond with ? for refer. The
// signs are drawn, not typed, so no font can lack them.
type mark struct {
	widget.BaseWidget
	verdict terminal.Verdict
	fill    color.Color // the shape's colour
	sign    color.Color // the sign's colour
}

func newMark() *mark {
	m := &mark{verdict: terminal.Pass, fill: colorText, sign: colorPass}
	m.ExtendBaseWidget(m)
	return m
}

// set shows verdict v's mark in the colours of its screen.
func (m *mark) set(v terminal.Verdict) {
	bg, fg := verdictColors(v)
	m.verdict, m.fill, m.sign = v, fg, bg
	m.Refresh()
}

func (m *mark) CreateRenderer() fyne.WidgetRenderer {
	r := &markRenderer{m: m,
		circle:  &canvas.Circle{},
		polygon: &canvas.Polygon{},
		line1:   &canvas.Line{},
		line2:   &canvas.Line{},
		text:    newText(color.Black, true),
	}
	r.objs = []fyne.CanvasObject{r.circle, r.polygon, r.line1, r.line2, r.text}
	r.Refresh()
	return r
}

type markRenderer struct {
	m            *mark
	circle       *canvas.Circle
	polygon      *canvas.Polygon
	line1, line2 *canvas.Line
	text         *canvas.Text
	objs         []fyne.CanvasObject
}

func (r *markRenderer) Layout(size fyne.Size) {
	s := min(size.Width, size.Height)
	origin := fyne.NewPos((size.Width-s)/2, (size.Height-s)/2)
	at := func(x, y float32) fyne.Position { return origin.AddXY(x*s, y*s) }
	r.circle.Move(origin)
	r.circle.Resize(fyne.NewSquareSize(s))
	r.polygon.Move(origin)
	r.polygon.Resize(fyne.NewSquareSize(s))
	stroke := s * 0.11
	r.line1.StrokeWidth, r.line2.StrokeWidth = stroke, stroke
	switch r.m.verdict {
	case terminal.Pass: // ✓
		r.line1.Position1, r.line1.Position2 = at(0.27, 0.52), at(0.44, 0.69)
		r.line2.Position1, r.line2.Position2 = at(0.44, 0.69), at(0.75, 0.34)
	case terminal.Deny: // ✕
		r.line1.Position1, r.line1.Position2 = at(0.32, 0.32), at(0.68, 0.68)
		r.line2.Position1, r.line2.Position2 = at(0.68, 0.32), at(0.32, 0.68)
	}
	r.text.TextSize = s * 0.55
	ts := r.text.MinSize()
	y := float32(0.5)
	if r.m.verdict == terminal.Warn {
		y = 0.6 // the triangle's centre of mass is low
	}
	r.text.Move(at(0.5, y).SubtractXY(ts.Width/2, ts.Height/2))
	r.text.Resize(ts)
}

func (r *markRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(32) }

func (r *markRenderer) Refresh() {
	m := r.m
	r.circle.FillColor, r.polygon.FillColor = m.fill, m.fill
	r.line1.StrokeColor, r.line2.StrokeColor = m.sign, m.sign
	r.text.Color = m.sign
	r.circle.Hidden = m.verdict != terminal.Pass
	r.polygon.Hidden = m.verdict == terminal.Pass
	lines := m.verdict == terminal.Pass || m.verdict == terminal.Deny
	r.line1.Hidden, r.line2.Hidden = !lines, !lines
	r.text.Hidden = lines
	switch m.verdict {
	case terminal.Warn:
		r.polygon.Sides, r.polygon.Angle, r.polygon.CornerRadius, r.text.Text = 3, 0, 6, "!"
	case terminal.Deny:
		r.polygon.Sides, r.polygon.Angle, r.polygon.CornerRadius = 8, 22.5, 4
	default:
		r.polygon.Sides, r.polygon.Angle, r.polygon.CornerRadius, r.text.Text = 4, 0, 6, "?"
	}
	r.Layout(m.Size())
	for _, o := range r.objs {
		o.Refresh()
	}
}

func (r *markRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *markRenderer) Destroy()                     {}
