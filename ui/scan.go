package ui

import (
	"image"
	"image/color"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/fuscan/fuscan/terminal"
)

// scanScreen is the prompt a traveller sees: a guide frame, what to do,
// and a hint when a code is seen but not read. The frame shows the camera
// image when the preview is on.
type scanScreen struct {
	bg        *canvas.Rectangle
	hint      *canvas.Text
	frame     *canvas.Rectangle
	preview   *canvas.Image
	prompt    *canvas.Text
	subprompt *canvas.Text
	col       *column
	root      fyne.CanvasObject
}

func newScanScreen(p *preview) *scanScreen {
	s := &scanScreen{bg: canvas.NewRectangle(colorScan), hint: newText(colorHint, true),
		frame: canvas.NewRectangle(color.Transparent), preview: p.image,
		prompt: newText(colorText, true), subprompt: newText(colorMuted, false)}
	s.frame.StrokeColor, s.frame.StrokeWidth, s.frame.CornerRadius = colorFrame, 6, 18
	s.col = newColumn(16,
		textRow(s.hint, 34),
		boxRow(container.NewStack(s.preview, s.frame), 400, 250),
		textRow(s.prompt, 40),
		textRow(s.subprompt, 24),
	)
	s.root = container.NewStack(s.bg, s.col.box)
	return s
}

// retext writes the screen's texts in lang, with hint h.
func (s *scanScreen) retext(lang string, h terminal.Hint, elderly bool) {
	hint := ""
	if h != terminal.HintNone {
		hint = tr(lang, "hint."+h.String())
	}
	setText(s.prompt, tr(lang, "scan.prompt"), colorText)
	setText(s.subprompt, tr(lang, "scan.subprompt"), colorMuted)
	setText(s.hint, hint, colorHint)
	s.col.scale = 1
	if elderly {
		s.col.scale = elderlyScale
	}
	s.col.relayout()
}

// Size of the preview image: a quarter of 720p is plenty for aiming the
// camera, and cheap to copy and upload.
const previewW, previewH = 320, 180

// preview shows the camera's frames in the scan screen's guide frame. Its
// two buffers are allocated once: a frame is scaled into the back buffer
// on the source's goroutine, and the buffers swap on the UI goroutine, so
// the painter never reads a buffer being written and no image is
// allocated per frame.
type preview struct {
	on      atomic.Bool
	pending atomic.Bool // a swap is queued: frames are dropped until it is done
	front   *image.NRGBA
	back    *image.NRGBA
	image   *canvas.Image
	do      func(func()) // runs on the UI goroutine
}

func newPreview(do func(func()), on bool) *preview {
	p := &preview{front: image.NewNRGBA(image.Rect(0, 0, previewW, previewH)),
		back: image.NewNRGBA(image.Rect(0, 0, previewW, previewH)), do: do}
	p.image = canvas.NewImageFromImage(p.front)
	p.image.FillMode = canvas.ImageFillContain
	p.image.ScaleMode = canvas.ImageScaleFastest
	// The fields, not Show or Hide: the image is in no canvas yet, and
	// Fyne's headless driver cannot repaint one that is in none.
	p.image.Hidden = !on
	p.on.Store(on)
	return p
}

// frame copies f into the back buffer and queues the swap, unless the
// preview is off or the last frame is not shown yet. It returns at once.
func (p *preview) frame(f terminal.Frame) {
	if !p.on.Load() || f.Image == nil || !p.pending.CompareAndSwap(false, true) {
		return
	}
	scaleInto(p.back, f.Image)
	p.do(func() {
		p.front, p.back = p.back, p.front
		p.image.Image = p.front
		p.image.Refresh()
		p.pending.Store(false)
	})
}

// set turns the preview on or off; off, the frame shows nothing.
func (p *preview) set(on bool) {
	p.on.Store(on)
	if on {
		p.image.Show()
	} else {
		p.image.Hide()
	}
}

// scaleInto draws src into dst, nearest neighbour, as grey: the decoder
// only needs luma, and so does a person aiming the camera.
func scaleInto(dst *image.NRGBA, src image.Image) {
	sb, db := src.Bounds(), dst.Bounds()
	luma := lumaOf(src)
	for y := 0; y < db.Dy(); y++ {
		sy := sb.Min.Y + y*sb.Dy()/db.Dy()
		row := dst.Pix[y*dst.Stride:]
		for x := 0; x < db.Dx(); x++ {
			g := luma(sb.Min.X+x*sb.Dx()/db.Dx(), sy)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = g, g, g, 0xFF
		}
	}
}

// lumaOf returns a reader of src's luma, fast for the grey and YCbCr
// frames cameras and the demo source give.
func lumaOf(src image.Image) func(x, y int) uint8 {
	switch s := src.(type) {
	case *image.Gray:
		return func(x, y int) uint8 { return s.Pix[s.PixOffset(x, y)] }
	case *image.YCbCr:
		return func(x, y int) uint8 { return s.Y[s.YOffset(x, y)] }
	}
	return func(x, y int) uint8 { return color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y }
}
