package decoder

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// MaxPixels bounds the images Decode accepts (a 48-megapixel photo).
const MaxPixels = 48 << 20

// ErrImage is returned, wrapped, for an image Decode cannot work on: empty,
// or larger than MaxPixels.
var ErrImage = errors.New("decoder: unusable image")

// Point is a position in image pixel coordinates; for codes from DecodePDF,
// in PDF points (1/72 inch) from the top-left of the page as shown.
type Point struct{ X, Y float64 }

// Code is a QR code found in an image.
type Code struct {
	Text   string
	Points []Point // the finder patterns (and alignment pattern, if found)
	Page   int     // 1-based page of a PDF; 0 for an image
	Step   string  // the ladder step that read it, for statistics
}

// Bounds returns a rectangle around the code with room for it to move a
// little, for DecodeHint on the next frame: the box of its points grown by
// half its size on every side. It is empty for a code without points.
func (c Code) Bounds() image.Rectangle {
	if len(c.Points) == 0 {
		return image.Rectangle{}
	}
	x0, y0, x1, y1 := c.Points[0].X, c.Points[0].Y, c.Points[0].X, c.Points[0].Y
	for _, p := range c.Points[1:] {
		x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
	}
	grow := max(x1-x0, y1-y0) / 2
	return image.Rect(int(x0-grow), int(y0-grow), int(math.Ceil(x1+grow)), int(math.Ceil(y1+grow)))
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
	// Missed is called, before Decode returns, when an image yielded no
	// code but finder patterns outlined one: with what the decoder saw of
	// it, whose Advice says what the person at the camera should do. It
	// costs a pass over the region, on misses only. Nil: none.
	Missed func(Miss)
}

// DefaultBudget is the decode time a camera frame may take by default.
const DefaultBudget = 50 * time.Millisecond

// The ladder's steps, as Code.Step names them.
const (
	StepHint     = "hint"     // the crop around the caller's hint
	StepLuma     = "luma"     // the luma plane, as gozxing would binarize it
	StepInverted = "inverted" // the same, inverted: white-on-black codes
	StepChannel  = "channel"  // a colour image's darkest channel, min(R,G,B)
	StepBorder   = "border"   // the image, or a region at its edge, inside a quiet zone
	StepUpscale  = "upscale"  // a 2–4× bilinear crop around finder patterns
	StepSharpen  = "sharpen"  // a region through an unsharp mask, against blur
	StepPure     = "pure"     // the image is nothing but the code
	StepGlobal   = "global"   // one threshold for a region, from its histogram
)

// Decoder decodes images, reusing its buffers from one call to the next.
type Decoder struct {
	opts    Options
	bin     binarizer
	scanner scanner
	sampler sampler
	luma    []byte // an image's luma when it has no plane to read in place
	half    []byte
	padded  []byte
	scaled  []byte
	blend   []uint32
	sharp   []byte
	sat     []int32
	reader  gozxing.Reader                                   // for the pure step
	trace   func(step string, took time.Duration, codes int) // for tests
}

// New returns a Decoder.
func New(opts *Options) *Decoder {
	d := &Decoder{reader: qrcode.NewQRCodeReader(), sampler: sampler{
		dec:   qrdecoder.NewDecoder(),
		hints: map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true},
	}}
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
	return d.DecodeHint(img, image.Rectangle{})
}

// DecodeHint is Decode for a camera pipeline that knows where the last
// code was, such as the Bounds of the code read from the previous frame:
// it first looks in that part of img, grown by a quarter on every side,
// and only then climbs the ladder over the whole image. An empty hint, or
// one outside img, is Decode.
func (d *Decoder) DecodeHint(img image.Image, hint image.Rectangle) ([]Code, error) {
	start := d.opts.Now()
	luma, err := d.lumaPlane(img)
	if err != nil {
		return nil, err
	}
	p := &pass{d: d, img: img, luma: luma, origin: img.Bounds().Min, start: start}
	type step struct {
		name string
		run  func()
	}
	steps := []step{
		{StepLuma, p.lumaSteps},
		{StepChannel, p.channelStep},
		{StepBorder, p.borderStep},
		{StepUpscale, p.upscaleStep},
		{StepSharpen, p.sharpenStep},
		{StepPure, p.pureStep},
		{StepGlobal, p.globalStep},
	}
	if !hint.Empty() {
		steps = append([]step{{StepHint, func() { p.hint(hint) }}}, steps...)
	}
	for i, s := range steps {
		// The first step always runs, and the first of the image after the
		// hint's crop too, unless the crop gave the code.
		if s.name == StepLuma && i > 0 && len(p.codes) > 0 && !d.opts.Multi ||
			s.name != StepLuma && i > 0 && !p.more() {
			break
		}
		if d.trace == nil {
			s.run()
			continue
		}
		t0 := time.Now()
		s.run()
		d.trace(s.name, time.Since(t0), len(p.codes))
	}
	if len(p.codes) == 0 && d.opts.Missed != nil {
		if m, ok := p.miss(); ok {
			d.opts.Missed(m)
		}
	}
	return p.codes, nil
}

// checkSize refuses images Decode cannot work on.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxPixels || h > MaxPixels || w*h > MaxPixels {
		return fmt.Errorf("%w: %dx%d", ErrImage, w, h)
	}
	return nil
}
