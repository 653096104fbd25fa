package scene

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// Timeline of a sequence, in frames (at 30 a second): each visitor's
// cycle is an empty entrance, the phone or card coming up into view, held
// with a trembling hand, then taken away, and the entrance empty again.
const (
	seqEnter  = 45  // the code starts coming into view
	seqHold   = 60  // and is held still (as a hand holds still)
	seqLeave  = 120 // until it is taken away
	seqGone   = 132 // and out of view
	seqPeriod = 150 // until the next visitor's cycle
)

// seqClutter is how many things lie around the entrance, and seqBlur
// the camera's blur, in pixels.
const (
	seqClutter = 25
	seqBlur    = 0.6
)

// Sequence returns the frames of a fixed camera at an entrance, at 30
// frames a second: frame t is func(t) for any t ≥ 0. Visitors come one
// after another, every 5 seconds: for 1.5 s the entrance is empty, then a
// phone (or, for one in four, a printed card) comes up into view in half a
// second, smeared by its motion, is held for 2 s with the small drift and
// tremor of a hand, and is taken away to one side, leaving the entrance
// empty again. The visitors show the texts in turn, from one the seed
// picks, at 3 to 5 px a module, turned and tilted a little, now and then
// in a colour; without texts they show nothing. The texts must fit QR
// codes at level M (see SequenceOf).
//
// A frame's Text is the code's when its whole symbol is in view, else
// empty. A size of zero means 1280×720. The same seed and texts give the
// same frames, and Render(Text, Params) of a frame with a code draws it
// again. The returned function is safe for concurrent use; it renders the
// background once and keeps it.
func Sequence(seed uint64, size image.Point, texts []string) func(t int) Sample {
	texts = slices.Clone(texts)
	return SequenceOf(seed, size, func(visitor int) string {
		if len(texts) == 0 {
			return ""
		}
		return texts[(int(seed%97)+visitor)%len(texts)]
	})
}

// SequenceOf is Sequence with texts of the caller's choice: visitor c,
// seen in frames 150c to 150c+149, shows text(c). An empty text is a
// visitor who shows nothing: the entrance stays empty for that cycle. The
// text must fit a QR code at level M; one that does not makes the frame
// function panic.
//
// text is called when the visitor's code first comes into view, at most
// once a cycle while the frames of that cycle and the few before and
// after are asked for (their texts are kept), and never concurrently for
// one visitor; it may be called concurrently for different visitors. The
// poses do not depend on the texts: SequenceOf and Sequence with one seed
// move their codes alike.
func SequenceOf(seed uint64, size image.Point, text func(visitor int) string) func(t int) Sample {
	if size == (image.Point{}) {
		size = image.Pt(defaultWidth, defaultHeight)
	}
	var mu sync.Mutex
	backgrounds := map[int]*canvas{} // by channel count
	background := func(channels int) *canvas {
		mu.Lock()
		defer mu.Unlock()
		if bg, ok := backgrounds[channels]; ok {
			return bg
		}
		bg := newCanvas(size.X, size.Y, channels)
		paintBackground(bg, seed, seqClutter)
		backgrounds[channels] = bg
		return bg
	}
	frame := sequenceOf(seed, size, text, func(code string, p Params, _ *image.Gray) (*frame, error) {
		return render(code, p, background(inkChannels(p.Ink, false)), nil)
	})
	return func(t int) Sample { return frame(t, nil) }
}

// GraySequenceOf is SequenceOf in gray levels, a coloured code drawn as
// its luma, rendering frame t into dst when dst is a gray image of the
// sequence's size (else into a new image): a camera's frames without a
// third of the memory and time of colour, nor an allocation per frame. It
// paints, blurs and exposes the still background once, and renders only
// the region around the code in each frame (see still), so its frames are
// close to what Render draws for their Params but not equal to it.
func GraySequenceOf(seed uint64, size image.Point, text func(visitor int) string) func(t int, dst *image.Gray) Sample {
	if size == (image.Point{}) {
		size = image.Pt(defaultWidth, defaultHeight)
	}
	still := sync.OnceValue(func() *still {
		p, _, _ := sequenceFrame(seed, size, 0)
		p, _ = p.resolved() // sequenceFrame's are valid
		return newStill(seed, size, seqClutter, seqBlur, p)
	})
	return sequenceOf(seed, size, text, func(code string, p Params, dst *image.Gray) (*frame, error) {
		p, pl, h, err := lay(code, p)
		if err != nil {
			return nil, err
		}
		if dst == nil || dst.Rect.Size() != size {
			dst = image.NewGray(image.Rect(0, 0, size.X, size.Y))
		}
		return still().render(pl, h, &p, dst), nil
	})
}

// sequenceOf is SequenceOf, drawing each frame with draw.
func sequenceOf(seed uint64, size image.Point, text func(visitor int) string,
	draw func(code string, p Params, dst *image.Gray) (*frame, error)) func(t int, dst *image.Gray) Sample {
	texts := &textCache{text: text, cycles: map[int]func() string{}}
	return func(t int, dst *image.Gray) Sample {
		if t < 0 {
			panic(fmt.Sprintf("scene: sequence frame %d", t))
		}
		p, held, inView := sequenceFrame(seed, size, t)
		code := ""
		if inView {
			if code = texts.get(t / seqPeriod); code != "" {
				p = held
			}
		}
		f, err := draw(code, p, dst)
		if err != nil {
			// Every parameter is bounded by sequenceFrame: the text is at fault.
			panic(fmt.Sprintf("scene: sequence frame %d: %v", t, err))
		}
		s := Sample{Image: f.img, Text: code, Version: f.version, Corners: f.corners, Params: p}
		if !inside(f.corners, size) {
			// Coming or going: no code can be read until all of it shows.
			s.Text, s.Version, s.Corners = "", 0, [4][2]float64{}
		}
		return s
	}
}

// textCacheSize is how many visitors' texts a sequence keeps.
const textCacheSize = 4

// A textCache calls a sequence's text function once a visitor, keeping
// the texts of the visitors asked for last.
type textCache struct {
	text   func(visitor int) string
	mu     sync.Mutex
	cycles map[int]func() string
}

func (c *textCache) get(visitor int) string {
	c.mu.Lock()
	f, ok := c.cycles[visitor]
	if !ok {
		if len(c.cycles) >= textCacheSize {
			// Forget the visitor farthest from this one: frames are
			// asked for mostly in order.
			far := visitor
			for v := range c.cycles {
				if abs(v-visitor) > abs(far-visitor) {
					far = v
				}
			}
			delete(c.cycles, far)
		}
		f = sync.OnceValue(func() string { return c.text(visitor) })
		c.cycles[visitor] = f
	}
	c.mu.Unlock()
	return f()
}

func abs(n int) int { return max(n, -n) }

// inside reports whether the corners all lie within a frame of size.
func inside(corners [4][2]float64, size image.Point) bool {
	for _, c := range corners {
		if c[0] < 0 || c[1] < 0 || c[0] > float64(size.X) || c[1] > float64(size.Y) {
			return false
		}
	}
	return true
}

// A visitor is what one cycle of a sequence shows.
type visitor struct {
	carrier               Carrier
	ink                   Ink
	modulePx              float64
	angle, tiltX, tiltY   float64
	holdX, holdY          float64 // where the code is held, from the centre
	fromX, fromY          float64 // where it comes from
	toX, toY              float64 // where it goes
	tremor                float64 // px
	phase1, phase2, drift float64
}

// visitorOf returns the visitor of cycle c.
func visitorOf(seed uint64, size image.Point, c int) visitor {
	r := rand.New(rand.NewPCG(seed, uint64(c)))
	w, h := float64(size.X), float64(size.Y)
	v := visitor{
		carrier:  CarrierPhone,
		modulePx: uniform(r, 3, 5) * h / defaultHeight,
		angle:    signed(r, 0, 12),
		tiltX:    signed(r, 0, 15),
		tiltY:    signed(r, 0, 15),
		holdX:    uniform(r, -0.15, 0.15) * w,
		holdY:    uniform(r, -0.1, 0.1) * h,
		tremor:   uniform(r, 1.5, 5),
		phase1:   uniform(r, 0, 2*math.Pi),
		phase2:   uniform(r, 0, 2*math.Pi),
		drift:    signed(r, 5, 20),
	}
	if r.IntN(4) == 0 {
		v.carrier = CarrierCard
	}
	if r.IntN(4) == 0 {
		v.ink = InkGreen + Ink(r.IntN(3))
	}
	// Up from below the frame, away to the left, the right or down.
	v.fromX, v.fromY = v.holdX+signed(r, 0, 0.2)*w, 1.2*h
	switch r.IntN(3) {
	case 0:
		v.toX, v.toY = -1.3*w, v.holdY
	case 1:
		v.toX, v.toY = 1.3*w, v.holdY
	default:
		v.toX, v.toY = v.holdX, 1.2*h
	}
	return v
}

// sequenceFrame returns the parameters of frame t with the entrance empty,
// and with the visitor's code where it is held, if it is (at least partly)
// in view.
func sequenceFrame(seed uint64, size image.Point, t int) (empty, held Params, inView bool) {
	v := visitorOf(seed, size, t/seqPeriod)
	p := Params{
		Width: size.X, Height: size.Y, Seed: seed, Frame: t, Clutter: seqClutter,
		Carrier: CarrierNone, Ink: v.ink, Blur: seqBlur, Noise: 2.5,
		ModulePx: v.modulePx, TiltY: v.tiltY,
	}
	x, y, angle, tiltX, inView := v.pose(t)
	if !inView {
		return p, p, false
	}
	empty = p
	p.Carrier, p.OffsetX, p.OffsetY, p.Angle, p.TiltX = v.carrier, x, y, angle, tiltX
	// The motion in the half of a frame's time that the shutter is open.
	px, py, _, _, _ := v.pose(max(t-1, 0))
	dx, dy := x-px, y-py
	if d := math.Hypot(dx, dy) / 2; d > 0.5 {
		p.MotionPx, p.MotionAngle = min(d, 120), math.Atan2(dy, dx)*180/math.Pi
	}
	return empty, p, true
}

// pose returns where v holds the code in frame t, from the frame's centre,
// how it is turned and tilted, and whether it is in view at all.
func (v *visitor) pose(t int) (x, y, angle, tiltX float64, inView bool) {
	k := t % seqPeriod
	switch {
	case k < seqEnter:
		return v.fromX, v.fromY, v.angle, v.tiltX, false
	case k >= seqGone:
		return v.toX, v.toY, v.angle, v.tiltX, false
	}
	// The hand: a slow drift and a faster tremor, in pixels and degrees.
	ft := float64(t)
	hx := v.tremor * (math.Sin(ft*0.21+v.phase1) + 0.5*math.Sin(ft*0.83+v.phase2))
	hy := v.tremor * (math.Cos(ft*0.17+v.phase2) + 0.5*math.Sin(ft*0.71+v.phase1))
	x = v.holdX + hx + v.drift*math.Sin(ft*0.05+v.phase1)
	y = v.holdY + hy
	angle = v.angle + 0.3*v.tremor*math.Sin(ft*0.13+v.phase2)
	tiltX = v.tiltX
	switch {
	case k < seqHold: // coming up, raised from a tilt, slowing down
		s := easeOut(float64(k-seqEnter) / (seqHold - seqEnter))
		x, y = lerp(v.fromX, x, s), lerp(v.fromY, y, s)
		tiltX += 30 * (1 - s)
	case k >= seqLeave: // going away, speeding up
		s := easeIn(float64(k-seqLeave) / (seqGone - seqLeave))
		x, y = lerp(x, v.toX, s), lerp(y, v.toY, s)
		angle += 20 * s
	}
	return x, y, angle, tiltX, true
}

func lerp(a, b, s float64) float64 { return a + (b-a)*s }
func easeOut(s float64) float64    { return 1 - (1-s)*(1-s) }
func easeIn(s float64) float64     { return s * s }
