package scene

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/fuscan/fuscan/qrcard"
)

// Params says how a code is seen: the camera's frame, where the code is and
// how it is turned, what it is shown on, and what the light, lens and
// sensor do to it. The zero value is a crisp black code at 4 pixels a
// module, axis-aligned on a white card in the middle of a 1280×720 frame,
// on a plain background, without blur or noise.
type Params struct {
	// Width and Height are the frame's size in pixels; zero means 1280×720.
	// Either both are given or neither, each at most 8192.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`

	// Level is the QR error-correction level; zero means M, as on cards.
	Level qrcard.Level `json:"level,omitempty"`

	// ModulePx is the side of a module in pixels where the code's centre
	// is; zero means 4. It may be any value from 1 to 64: 2.2 renders a
	// module over 2.2 pixels, with the edges of modules shared between
	// pixels as a camera sensor shares them, not rounded to whole pixels.
	ModulePx float64 `json:"module_px,omitempty"`

	// QuietZone is the light border around the symbol, in modules; zero
	// means 4, the standard's minimum. Phones' apps often show less.
	QuietZone float64 `json:"quiet_zone,omitempty"`

	// Angle turns the code in the image plane, in degrees clockwise; any
	// value.
	Angle float64 `json:"angle,omitempty"`

	// TiltX and TiltY tilt the code away from the camera, in degrees about
	// the horizontal and the vertical axis: its far side then looks smaller
	// (perspective). Zero faces the camera; keep them within ±70.
	TiltX float64 `json:"tilt_x,omitempty"`
	TiltY float64 `json:"tilt_y,omitempty"`

	// OffsetX and OffsetY move the code's centre from the frame's centre,
	// in pixels, right and down. A code may leave the frame in part.
	OffsetX float64 `json:"offset_x,omitempty"`
	OffsetY float64 `json:"offset_y,omitempty"`

	// Carrier is what shows the code: zero means a printed card.
	Carrier Carrier `json:"carrier,omitempty"`

	// Ink is the colour of the dark modules. Zero means black, and the
	// image is an *image.Gray; any other ink gives an *image.RGBA.
	Ink Ink `json:"ink,omitempty"`

	// Inverted draws light modules on a dark background (a phone's dark
	// mode, a negative print).
	Inverted bool `json:"inverted,omitempty"`

	// Blur is the standard deviation, in pixels, of the lens's Gaussian
	// blur (out of focus); zero means a perfectly sharp lens.
	Blur float64 `json:"blur,omitempty"`

	// MotionPx and MotionAngle smear the carrier and its code along a line
	// of MotionPx pixels at MotionAngle degrees clockwise from the x axis,
	// as a hand moving during the exposure does before a fixed camera (the
	// background stays sharp); zero MotionPx means no motion.
	MotionPx    float64 `json:"motion_px,omitempty"`
	MotionAngle float64 `json:"motion_angle,omitempty"`

	// Noise is the standard deviation of the sensor's Gaussian noise, in
	// gray levels (0–255); zero means none.
	Noise float64 `json:"noise,omitempty"`

	// Brightness is the gray level of a mid-gray surface, and Contrast the
	// difference in gray levels between a white surface and a black one,
	// as the exposure maps them. Zero means 128 and 220: black ink comes
	// out near 30 and white paper near 220. Low light is a low brightness
	// and a low contrast, such as 40 and 40.
	Brightness float64 `json:"brightness,omitempty"`
	Contrast   float64 `json:"contrast,omitempty"`

	// Shading darkens the frame along a random direction, from nothing on
	// one side to this share of the light on the other, as uneven light
	// does; zero means even light, 1 leaves one side black.
	Shading float64 `json:"shading,omitempty"`

	// Glare is a reflection of a lamp on the code; its zero value means
	// none.
	Glare Glare `json:"glare,omitzero"`

	// Moire is the strength, from 0 to 1, of the interference fringes a
	// camera sees on a phone's screen between its pixel grid and the
	// screen's; zero means none. It applies to CarrierPhone only.
	Moire float64 `json:"moire,omitempty"`

	// ScreenPx is how many screen pixels a module spans on a phone; with
	// ModulePx it sets the fringes' spacing. Zero means 9.
	ScreenPx float64 `json:"screen_px,omitempty"`

	// Clutter is how many random shapes, text lines, stripes and decoy
	// squares are drawn on the background; zero means a plain gradient.
	Clutter int `json:"clutter,omitempty"`

	// JPEGQuality, from 1 to 100, re-encodes the frame as a JPEG of that
	// quality and decodes it again, as a camera or a messaging app does;
	// zero means no re-encoding.
	JPEGQuality int `json:"jpeg_quality,omitempty"`

	// Seed seeds the background, the clutter, the shading's direction and
	// the noise: the same text and Params give the same pixels.
	Seed uint64 `json:"seed,omitempty"`

	// Frame numbers a frame of a sequence: it changes the sensor's noise
	// and nothing else, as from one frame of a video to the next.
	Frame int `json:"frame,omitempty"`
}

// Glare is a bright elliptical reflection over part of the code: its core,
// out to about 0.8 of its radius, saturates to white, wiping out the
// modules under it, and it fades out quickly around. Its zero value means
// no glare.
type Glare struct {
	// X and Y place the reflection's centre, in modules from the code's
	// centre in the code's own plane (so it moves and tilts with the code).
	X float64 `json:"x,omitempty"`
	Y float64 `json:"y,omitempty"`

	// Radius is the reflection's larger radius in modules; zero means 8.
	Radius float64 `json:"radius,omitempty"`

	// Aspect is the smaller radius over the larger one; zero means 0.5.
	Aspect float64 `json:"aspect,omitempty"`

	// Angle turns the ellipse, in degrees clockwise in the image.
	Angle float64 `json:"angle,omitempty"`

	// Strength is the light added at the centre, as a share of full white:
	// from about 0.9 the core saturates even over black modules. Zero means
	// no glare.
	Strength float64 `json:"strength,omitempty"`
}

// Carrier is what the code is shown on.
type Carrier int

// The carriers.
const (
	// CarrierCard is a printed 福码卡: a white card with a coloured band
	// above the code and lines of text below it.
	CarrierCard Carrier = iota

	// CarrierPhone is a phone showing the code in a health-code app: a
	// bright screen, with a coloured header and lines of text, inside a
	// dark body. The screen emits its light: see Params.Moire.
	CarrierPhone

	// CarrierBare is the symbol and its quiet zone only, as on a sticker.
	CarrierBare

	// CarrierNone draws nothing over the background: a frame with nobody
	// in it. It takes no text.
	CarrierNone
)

// String returns the carrier's name: "card", "phone", "bare" or "none".
func (c Carrier) String() string {
	switch c {
	case CarrierCard:
		return "card"
	case CarrierPhone:
		return "phone"
	case CarrierBare:
		return "bare"
	case CarrierNone:
		return "none"
	}
	return fmt.Sprintf("Carrier(%d)", int(c))
}

// MarshalText returns the carrier's name.
func (c Carrier) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText sets c to the carrier named by text.
func (c *Carrier) UnmarshalText(text []byte) error {
	for k := CarrierCard; k <= CarrierNone; k++ {
		if k.String() == string(text) {
			*c = k
			return nil
		}
	}
	return fmt.Errorf("scene: unknown carrier %q", text)
}

// Ink is the colour of a code's dark modules.
type Ink int

// The inks: black, and the three health-code colours as apps show them.
const (
	InkBlack  Ink = iota // #000000-ish: black print or a black screen pixel
	InkGreen             // #1AAD19
	InkYellow            // #F7B500: light, so of low contrast in plain luma
	InkRed               // #E64340
)

// String returns the ink's name: "black", "green", "yellow" or "red".
func (k Ink) String() string {
	switch k {
	case InkBlack:
		return "black"
	case InkGreen:
		return "green"
	case InkYellow:
		return "yellow"
	case InkRed:
		return "red"
	}
	return fmt.Sprintf("Ink(%d)", int(k))
}

// MarshalText returns the ink's name.
func (k Ink) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText sets k to the ink named by text.
func (k *Ink) UnmarshalText(text []byte) error {
	for i := InkBlack; i <= InkRed; i++ {
		if i.String() == string(text) {
			*k = i
			return nil
		}
	}
	return fmt.Errorf("scene: unknown ink %q", text)
}

// rgb is a colour as display values from 0 (black) to 1 (full white).
type rgb [3]float32

// inkColors are the inks' colours; black is what black ink reflects.
var inkColors = [...]rgb{
	InkBlack:  {0.05, 0.05, 0.05},
	InkGreen:  {0x1a / 255.0, 0xad / 255.0, 0x19 / 255.0},
	InkYellow: {0xf7 / 255.0, 0xb5 / 255.0, 0},
	InkRed:    {0xe6 / 255.0, 0x43 / 255.0, 0x40 / 255.0},
}

// luma returns the BT.601 luma of c, as a camera's gray plane has it.
func luma(c rgb) float32 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }

// Defaults and bounds of Params.
const (
	defaultWidth      = 1280
	defaultHeight     = 720
	defaultModulePx   = 4
	defaultQuietZone  = 4
	defaultBrightness = 128
	defaultContrast   = 220
	defaultScreenPx   = 9
	defaultGlareR     = 8
	defaultGlareAsp   = 0.5
	maxSide           = 8192
	maxTilt           = 80
)

// emptyModules is the symbol size assumed for placing a carrier that shows
// no code: version 10's.
const emptyModules = 57

// resolved returns p with its zero fields set to their defaults, or an
// error for a field no default can repair.
func (p Params) resolved() (Params, error) {
	if p.Width == 0 && p.Height == 0 {
		p.Width, p.Height = defaultWidth, defaultHeight
	}
	switch {
	case p.Width < 16 || p.Height < 16 || p.Width > maxSide || p.Height > maxSide:
		return p, fmt.Errorf("frame %d×%d px out of range 16..%d", p.Width, p.Height, maxSide)
	case p.ModulePx < 0 || p.ModulePx > 0 && p.ModulePx < 1 || p.ModulePx > 64:
		return p, fmt.Errorf("module size %g px out of range 1..64", p.ModulePx)
	case p.QuietZone < 0 || p.QuietZone > 40:
		return p, fmt.Errorf("quiet zone %g modules out of range 0..40", p.QuietZone)
	case math.Abs(p.TiltX) > maxTilt || math.Abs(p.TiltY) > maxTilt:
		return p, fmt.Errorf("tilt %g°, %g° beyond ±%d°", p.TiltX, p.TiltY, maxTilt)
	case p.Blur < 0 || p.Blur > 50 || p.MotionPx < 0 || p.MotionPx > 200:
		return p, fmt.Errorf("blur %g px or motion %g px out of range", p.Blur, p.MotionPx)
	case p.Noise < 0 || p.Brightness < 0 || p.Contrast < 0 || p.Shading < 0 || p.Shading > 1:
		return p, errors.New("negative noise, brightness or contrast, or shading beyond 0..1")
	case p.Moire < 0 || p.Moire > 1 || p.ScreenPx < 0:
		return p, fmt.Errorf("moire %g out of range 0..1 or negative screen pixels", p.Moire)
	case p.Clutter < 0 || p.Clutter > 10000 || p.JPEGQuality < 0 || p.JPEGQuality > 100 || p.Frame < 0:
		return p, fmt.Errorf("clutter %d or jpeg quality %d out of range", p.Clutter, p.JPEGQuality)
	case p.Carrier < CarrierCard || p.Carrier > CarrierNone || p.Ink < InkBlack || p.Ink > InkRed:
		return p, fmt.Errorf("unknown carrier %v or ink %v", p.Carrier, p.Ink)
	case p.Glare.Strength < 0 || p.Glare.Radius < 0 || p.Glare.Aspect < 0:
		return p, errors.New("negative glare")
	}
	for _, v := range []float64{p.Angle, p.OffsetX, p.OffsetY, p.MotionAngle, p.Glare.X, p.Glare.Y, p.Glare.Angle} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return p, errors.New("angle, offset or glare position not finite")
		}
	}
	if p.ModulePx == 0 {
		p.ModulePx = defaultModulePx
	}
	if p.QuietZone == 0 {
		p.QuietZone = defaultQuietZone
	}
	if p.Brightness == 0 {
		p.Brightness = defaultBrightness
	}
	if p.Contrast == 0 {
		p.Contrast = defaultContrast
	}
	if p.ScreenPx == 0 {
		p.ScreenPx = defaultScreenPx
	}
	if p.Glare.Radius == 0 {
		p.Glare.Radius = defaultGlareR
	}
	if p.Glare.Aspect == 0 {
		p.Glare.Aspect = defaultGlareAsp
	}
	return p, nil
}

// Render draws text as a QR code seen as p says, in a frame: an
// *image.Gray for black ink, an *image.RGBA for a coloured one. An empty
// text draws the scene without a code: the carrier shows a blank space
// where the code would be.
func Render(text string, p Params) (image.Image, error) {
	f, err := render(text, p, nil, nil)
	if err != nil {
		return nil, err
	}
	return f.img, nil
}

// A frame is a rendered image and where its symbol is.
type frame struct {
	img     image.Image
	version int           // QR version; 0 without a code
	corners [4][2]float64 // the symbol's corners in the image: TL, TR, BR, BL
}

// render is Render, drawing on a copy of bg when it is not nil (bg must
// match the frame's size and channels). With into not nil it renders in
// gray levels, a coloured code as its luma, into into when it is a whole
// image of the frame's size, else into a new gray image.
func render(text string, p Params, bg *canvas, into *image.Gray) (*frame, error) {
	p, pl, h, err := lay(text, p)
	if err != nil {
		return nil, err
	}
	channels := inkChannels(p.Ink, into != nil)
	var c *canvas
	if bg != nil {
		c = bg.clone()
	} else {
		c = newCanvas(p.Width, p.Height, channels)
		paintBackground(c, p.Seed, p.Clutter)
	}

	var drawn image.Rectangle
	if p.Carrier != CarrierNone {
		drawn = composite(c, pl, h, &p)
	}
	if p.Blur > 0 {
		c.gaussian(p.Blur)
	}
	if p.MotionPx > 0 {
		c.motion(p.MotionPx, p.MotionAngle, drawn)
	}
	if p.Glare.Strength > 0 && p.Carrier != CarrierNone {
		glare(c, h, pl, &p)
	}
	img := c.image(&p, into)
	c.release()
	if p.JPEGQuality > 0 {
		if img, err = jpegRoundTrip(img, p.JPEGQuality); err != nil {
			return nil, fmt.Errorf("scene: %w", err)
		}
	}
	return located(img, pl, h), nil
}

// lay resolves p and lays out text's symbol on its carrier: the plane, and
// the homography from the plane to the frame.
func lay(text string, p Params) (Params, *plane, mat3, error) {
	p, err := p.resolved()
	if err != nil {
		return p, nil, mat3{}, fmt.Errorf("scene: %w", err)
	}
	var modules [][]bool
	if text != "" && p.Carrier == CarrierNone {
		return p, nil, mat3{}, errors.New("scene: a code needs a carrier other than CarrierNone")
	}
	if text != "" {
		if modules, err = matrix(text, p.Level); err != nil {
			return p, nil, mat3{}, fmt.Errorf("scene: %w", err)
		}
	}
	pl := newPlane(modules, &p)
	return p, pl, homography(&p, pl.n), nil
}

// located returns the frame of img, with where pl's symbol is, if it has
// one, through h.
func located(img image.Image, pl *plane, h mat3) *frame {
	f := &frame{img: img}
	if pl.modules != nil {
		n := float64(pl.n)
		f.version = (pl.n - 17) / 4
		for i, pt := range [4][2]float64{{0, 0}, {n, 0}, {n, n}, {0, n}} {
			f.corners[i][0], f.corners[i][1], _ = h.apply(pt[0], pt[1])
		}
	}
	return f
}

// inkChannels is the channels of a frame with a code in ink: one for black
// ink or when gray is asked for, three for coloured ink.
func inkChannels(ink Ink, gray bool) int {
	if ink == InkBlack || gray {
		return 1
	}
	return 3
}

// Independent random streams, so that turning one effect on does not
// change what another draws.
const (
	streamBackground = iota + 1
	streamNoise
	streamShading
)

// matrices caches the module matrices of the texts rendered last: the
// encoder's mask selection costs more than rendering a small frame, and a
// corpus renders each text many times.
var matrices struct {
	sync.Mutex
	m map[matrixKey][][]bool
}

type matrixKey struct {
	text  string
	level qrcard.Level
}

// maxCachedMatrices bounds the cache; past it, it starts over.
const maxCachedMatrices = 64

// matrix returns qrcard.Matrix(text, level), from the cache when it can.
// The matrix is shared: callers must not modify it.
func matrix(text string, level qrcard.Level) ([][]bool, error) {
	key := matrixKey{text, level}
	matrices.Lock()
	m, ok := matrices.m[key]
	matrices.Unlock()
	if ok {
		return m, nil
	}
	m, err := qrcard.Matrix(text, level)
	if err != nil {
		return nil, err
	}
	matrices.Lock()
	if matrices.m == nil || len(matrices.m) >= maxCachedMatrices {
		matrices.m = map[matrixKey][][]bool{}
	}
	matrices.m[key] = m
	matrices.Unlock()
	return m, nil
}
