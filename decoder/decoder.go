package decoder

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// MaxPixels bounds the images Decode accepts (a 48-megapixel photo).
const MaxPixels = 48 << 20

// ErrImage is returned, wrapped, for an image Decode cannot work on: empty,
// or larger than MaxPixels.
var ErrImage = errors.New("decoder: unusable image")

// Point is a position in image (or rendered page) pixel coordinates.
type Point struct{ X, Y float64 }

// Code is a QR code found in an image.
type Code struct {
	Text   string
	Points []Point // the finder patterns (and alignment pattern, if found)
	Page   int     // 1-based page of a PDF; 0 for an image
	Step   string  // the ladder step that read it, for statistics
}

// Options tunes a Decoder; nil means the defaults.
type Options struct {
	// Budget is the time the ladder may take per image; the first step
	// always runs. Zero: DefaultBudget.
	Budget time.Duration
	// Multi finds every code in the image (a sheet of cards) instead of
	// stopping at the first. Zero: stop at the first.
	Multi bool
	// Now is the clock the budget is measured with. Nil: time.Now.
	Now func() time.Time
}

// DefaultBudget is the decode time a camera frame may take by default.
const DefaultBudget = 50 * time.Millisecond

// Decoder decodes images, reusing its buffers from one call to the next.
type Decoder struct {
	opts   Options
	luma   []byte
	reader gozxing.Reader
	hints  map[gozxing.DecodeHintType]any
}

// New returns a Decoder.
func New(opts *Options) *Decoder {
	d := &Decoder{reader: qrcode.NewQRCodeReader(),
		hints: map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}}
	if opts != nil {
		d.opts = *opts
	}
	if d.opts.Budget == 0 {
		d.opts.Budget = DefaultBudget
	}
	if d.opts.Now == nil {
		d.opts.Now = time.Now
	}
	return d
}

// Decode returns the codes found in img: none is an empty result, not an
// error. An error means the image itself is unusable.
func (d *Decoder) Decode(img image.Image) ([]Code, error) {
	src, err := d.luminance(img)
	if err != nil {
		return nil, err
	}
	for _, step := range []struct {
		name string
		src  gozxing.LuminanceSource
	}{{"luma", src}, {"inverted", src.Invert()}} {
		if c, ok := d.read(step.src, step.name); ok {
			return []Code{c}, nil
		}
	}
	return nil, nil
}

func (d *Decoder) read(src gozxing.LuminanceSource, step string) (Code, bool) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return Code{}, false
	}
	res, err := d.reader.Decode(bmp, d.hints)
	if err != nil {
		return Code{}, false
	}
	c := Code{Text: res.GetText(), Step: step}
	for _, p := range res.GetResultPoints() {
		c.Points = append(c.Points, Point{p.GetX(), p.GetY()})
	}
	return c, true
}

// luminance returns img's luma plane as a gozxing source without a per-pixel
// allocation: the Y plane of a camera's YCbCr frame or the pixels of a
// Gray image are used in place; other images are converted once into a
// reused buffer.
func (d *Decoder) luminance(img image.Image) (gozxing.LuminanceSource, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w*h > MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d", ErrImage, w, h)
	}
	switch m := img.(type) {
	case *image.Gray:
		return planar(m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h)
	case *image.YCbCr:
		return planar(m.Y, m.YStride, m.YOffset(b.Min.X, b.Min.Y), w, h)
	}
	if cap(d.luma) < w*h {
		d.luma = make([]byte, w*h)
	}
	d.luma = d.luma[:w*h]
	for y := 0; y < h; y++ {
		row := d.luma[y*w : (y+1)*w]
		for x := range row {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			row[x] = byte((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
		}
	}
	return planar(d.luma, w, 0, w, h)
}

// planar wraps a luma plane that starts at offset and has the given stride.
func planar(pix []byte, stride, offset, w, h int) (gozxing.LuminanceSource, error) {
	rows := (h-1)*stride + w
	if offset+rows > len(pix) {
		return nil, fmt.Errorf("%w: pixel buffer too short", ErrImage)
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(pix[offset:offset+rows], stride, h, 0, 0, w, h, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImage, err)
	}
	return src, nil
}
