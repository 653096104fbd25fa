package scene

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"

	"github.com/fuscan/fuscan/qrcard"
)

// A Sample is one rendered frame and the truth about it.
type Sample struct {
	// Image is the frame: an *image.Gray, or an *image.RGBA when the code
	// is coloured.
	Image image.Image

	// Text is the code's text; empty when the frame shows no code, where
	// a decoder must find nothing.
	Text string

	// Version is the code's QR version (1 to 40); 0 without a code.
	Version int

	// Corners are the symbol's corners in the image, in pixels, without
	// the quiet zone: top-left, top-right, bottom-right, bottom-left of
	// the code as printed (turned with it). Zero without a code.
	Corners [4][2]float64

	// Params are how the frame was rendered: Render(Text, Params) draws
	// the same Image again.
	Params Params
}

// A Category is a family of samples that stresses one thing a decoder
// must cope with, such as blur or glare.
type Category struct {
	// Name is the category's name: lowercase letters and digits.
	Name string

	// N is how many samples the category has by design. Make accepts any
	// i ≥ 0, so a caller may take more or fewer.
	N int

	// Make renders sample i. The same i always gives the same pixels.
	// The parameters of every category are fixed and tested, so Make does
	// not fail, given the texts Categories asks for.
	Make func(i int) Sample
}

// Categories returns the corpus's categories, in a fixed order:
//
//   - clean: black codes axis-aligned on white cards, 2 to 8 px a module
//     (less where a large symbol would not fit the frame), sharp and
//     noiseless
//   - dense: QR versions 10 and up at 2.2 to 4.8 px a module, within 5° of
//     upright and 10° of facing the camera, soft (σ 0.5 to 0.9 px)
//   - rotated: turned by 90°, 180° and 270° (a third) or by any angle at
//     least 5° from those
//   - perspective: tilted by 15° to 45° about one axis and up to 45° about
//     the other
//   - blur: out of focus by σ 1 to 2.6 px at 3.5 to 8 px a module; every
//     third instead moving 3 to 10 px during the exposure
//   - noise: sensor noise of σ 8 to 30 gray levels
//   - lowlight: dark (brightness 25 to 60) and flat (contrast 18 to 50),
//     noisy, unevenly lit
//   - glare: a saturating reflection, its radius 12% to 35% of the code's
//     side, mostly on phones
//   - moire: phone screens whose pixel grid interferes with the camera's
//     (strength 0.3 to 0.8), turned and tilted up to 15°
//   - colored: green, yellow and red codes (RGBA images)
//   - inverted: light modules on dark (dark-mode phones, negative prints)
//   - clutter: 40 to 120 shapes, text, barcodes and decoy finder squares
//     around a smaller code
//   - jpeg: re-encoded as JPEG of quality 30 to 80
//   - 1080p: 1920×1080 frames, 3 to 7 px a module, turned and tilted up to
//     15° and 20°, with some clutter
//   - empty: no code at all (cards and phones without one, clutter)
//   - dense720: what a kiosk's camera sees first, the frames a decoder
//     must be quick on: QR versions 10 to 25 (a 福码卡 to a large EU
//     DCC) at 2.5 to 4.5 px a module, turned up to 10° and tilted up to
//     4°, in 1280×720 frames
//   - dense1080: the same in 1920×1080 frames
//
// Sample i of a category shows texts[i%len(texts)] (dense: of the texts
// of QR version 10 and up, or of all if none is), so that a category of
// as many samples as texts shows each once; dense720 and dense1080 make
// their own texts instead, as DenseText does, of every version from 10 to
// 25 in turn. Unless a category says
// otherwise its codes are at 3 to 6 px a module, lightly blurred (σ 0.5
// px) and noisy (σ 2), on cards and phones in 1280×720 frames.
//
// The texts must fit QR codes at level M, and a category that shows codes
// needs at least one: Make panics otherwise. Categories(nil) serves to
// list the categories, and its empty category makes its samples.
func Categories(texts []string) []Category {
	t := newTextSet(texts)
	var cats []Category
	for _, d := range categoryDefs {
		cats = append(cats, Category{Name: d.name, N: d.n, Make: d.maker(t)})
	}
	return cats
}

// A categoryDef makes the text and parameters of a category's sample i
// from r, a random source of its own, and t, the texts it draws.
type categoryDef struct {
	name string
	n    int
	gen  func(r *rand.Rand, i, n int, t *textSet) (string, Params)
}

// maker returns the category's Make, drawing the texts of t.
func (d categoryDef) maker(t *textSet) func(int) Sample {
	h := fnv.New64a()
	h.Write([]byte(d.name))
	seed := h.Sum64()
	return func(i int) Sample {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		text, p := d.gen(r, i, d.n, t)
		p.Seed = r.Uint64()
		f, err := render(text, p, nil, nil)
		if err != nil {
			panic(fmt.Sprintf("scene: category %s sample %d: %v", d.name, i, err))
		}
		return Sample{Image: f.img, Text: text, Version: f.version, Corners: f.corners, Params: p}
	}
}

// uniform returns a value drawn uniformly from [a, b).
func uniform(r *rand.Rand, a, b float64) float64 { return a + (b-a)*r.Float64() }

// spread returns the value for sample i of n spread evenly over [a, b],
// jittered within its share: a category covers its whole range.
func spread(r *rand.Rand, i, n int, a, b float64) float64 {
	if n < 2 {
		return uniform(r, a, b)
	}
	step := (b - a) / float64(n)
	return a + step*(float64(i%n)+r.Float64())
}

// signed returns a value of magnitude in [a, b) and random sign.
func signed(r *rand.Rand, a, b float64) float64 {
	v := uniform(r, a, b)
	if r.IntN(2) == 0 {
		return -v
	}
	return v
}

// A textSet is the texts a corpus's samples show.
type textSet struct {
	all   []string
	dense func() []string // those of QR version 10 and up, or all if none is
}

func newTextSet(texts []string) *textSet {
	all := slices.Clone(texts)
	return &textSet{all: all, dense: sync.OnceValue(func() []string {
		var dense []string
		for _, t := range all {
			if len(mustMatrix(t)) >= 57 {
				dense = append(dense, t)
			}
		}
		if len(dense) == 0 {
			return all
		}
		return dense
	})}
}

// at returns the text of sample i: the texts in turn.
func (s *textSet) at(i int) string { return inTurn(s.all, i) }

// denseAt returns the text of sample i of the dense category.
func (s *textSet) denseAt(i int) string { return inTurn(s.dense(), i) }

// inTurn returns texts[i%len(texts)].
func inTurn(texts []string, i int) string {
	if len(texts) == 0 {
		panic("scene: no texts for a category that shows codes")
	}
	return texts[i%len(texts)]
}

// camera returns the parameters most categories share: the text's code at
// 3 to 6 px a module on a card or a phone, placed at random where it fits
// the frame, slightly turned, lightly blurred and noisy.
func camera(r *rand.Rand, text string) Params {
	p := Params{
		ModulePx: uniform(r, 3, 6),
		Angle:    signed(r, 0, 8),
		TiltX:    signed(r, 0, 8),
		TiltY:    signed(r, 0, 8),
		Blur:     0.5,
		Noise:    2,
		Carrier:  Carrier(r.IntN(2)),
	}
	place(r, &p, text)
	return p
}

// place shrinks the code if its symbol and quiet zone, as turned, would
// not fit the frame, then moves it to a random position where they stay in
// the frame.
func place(r *rand.Rand, p *Params, text string) {
	w, h := p.Width, p.Height
	if w == 0 {
		w, h = defaultWidth, defaultHeight
	}
	n := emptyModules
	if text != "" {
		n = len(mustMatrix(text))
	}
	if p.ModulePx == 0 {
		p.ModulePx = defaultModulePx
	}
	q := p.QuietZone
	if q == 0 {
		q = defaultQuietZone
	}
	s, c := math.Sincos(p.Angle * math.Pi / 180)
	turn := math.Abs(s) + math.Abs(c) // the turned square's extent over its side
	p.ModulePx = min(p.ModulePx, 0.92*float64(min(w, h))/((float64(n)+2*q)*turn))
	half := (float64(n) + 2*q) * p.ModulePx * turn / 2
	mx, my := max(float64(w)/2-half, 0), max(float64(h)/2-half, 0)
	p.OffsetX, p.OffsetY = uniform(r, -mx, mx), uniform(r, -my, my)
}

var categoryDefs = []categoryDef{
	{"clean", 32, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := Params{ModulePx: spread(r, i, n, 2, 8), Carrier: CarrierCard}
		place(r, &p, text)
		return text, p
	}},
	{"dense", 40, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.denseAt(i)
		p := camera(r, text)
		p.ModulePx = spread(r, i, n, 2.2, 4.8)
		// A phone held at arm's length: nearly upright, a little soft.
		p.Angle, p.TiltX, p.TiltY = signed(r, 0, 5), signed(r, 0, 10), signed(r, 0, 10)
		p.Blur, p.Noise = uniform(r, 0.5, 0.9), 3
		place(r, &p, text)
		return text, p
	}},
	{"rotated", 36, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		if i%3 == 0 {
			p.Angle = float64(90 * (1 + i/3%3))
		} else {
			p.Angle = float64(90*r.IntN(4)) + uniform(r, 5, 85)
		}
		place(r, &p, text)
		return text, p
	}},
	{"perspective", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.ModulePx = uniform(r, 3.5, 6)
		big, small := signed(r, 15, 45), signed(r, 0, 45)
		if i%2 == 0 {
			big, small = small, big
		}
		p.TiltX, p.TiltY, p.Angle = big, small, signed(r, 0, 20)
		place(r, &p, text)
		return text, p
	}},
	{"blur", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.ModulePx = uniform(r, 3.5, 8)
		p.Blur = spread(r, i, n, 1, 2.6)
		if i%3 == 2 {
			p.MotionPx, p.MotionAngle = uniform(r, 3, 10), uniform(r, 0, 180)
			p.Blur = 0.7
		}
		place(r, &p, text)
		return text, p
	}},
	{"noise", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Noise = spread(r, i, n, 8, 30)
		return text, p
	}},
	{"lowlight", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Brightness = uniform(r, 25, 60)
		p.Contrast = spread(r, n-1-i, n, 18, 50)
		p.Noise = uniform(r, 2, 6)
		p.Shading = uniform(r, 0, 0.6)
		p.Blur = uniform(r, 0.6, 1)
		return text, p
	}},
	{"glare", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		if i%3 != 2 {
			p.Carrier = CarrierPhone
		}
		side := float64(len(mustMatrix(text)))
		p.Glare = Glare{
			X: uniform(r, -0.3, 0.3) * side, Y: uniform(r, -0.3, 0.3) * side,
			Radius: spread(r, i, n, 0.12, 0.35) * side, Aspect: uniform(r, 0.3, 0.8),
			Angle: uniform(r, 0, 180), Strength: uniform(r, 0.8, 1.6),
		}
		return text, p
	}},
	{"moire", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Carrier = CarrierPhone
		p.Angle, p.TiltX, p.TiltY = signed(r, 0, 15), signed(r, 0, 15), signed(r, 0, 15)
		p.Moire = spread(r, i, n, 0.3, 0.8)
		// Fringes are broad where the screen's pitch is near a multiple of
		// the camera's.
		p.ScreenPx = p.ModulePx * (float64(1+r.IntN(3)) + signed(r, 0.02, 0.2))
		p.Blur = uniform(r, 0.4, 0.7)
		place(r, &p, text)
		return text, p
	}},
	{"colored", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Ink = InkGreen + Ink(i%3)
		return text, p
	}},
	{"inverted", 24, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Inverted = true
		if i%3 != 2 {
			p.Carrier = CarrierPhone
		}
		return text, p
	}},
	{"clutter", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.ModulePx = uniform(r, 3, 5)
		p.Clutter = int(spread(r, i, n, 40, 120))
		p.Angle, p.TiltX, p.TiltY = signed(r, 0, 30), signed(r, 0, 20), signed(r, 0, 20)
		p.Noise = 3
		place(r, &p, text)
		return text, p
	}},
	{"jpeg", 24, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.ModulePx = uniform(r, 2.8, 5)
		p.Noise = 3
		p.JPEGQuality = int(spread(r, i, n, 30, 80))
		place(r, &p, text)
		return text, p
	}},
	{"1080p", 24, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := t.at(i)
		p := camera(r, text)
		p.Width, p.Height = 1920, 1080
		p.ModulePx = spread(r, i, n, 3, 7)
		p.Angle, p.TiltX, p.TiltY = signed(r, 0, 15), signed(r, 0, 20), signed(r, 0, 20)
		p.Blur, p.Noise = uniform(r, 0.5, 0.8), uniform(r, 2, 4)
		p.Clutter = r.IntN(40)
		place(r, &p, text)
		return text, p
	}},
	{"dense720", 60, denseFrame(1280, 720)},
	{"dense1080", 40, denseFrame(1920, 1080)},
	{"empty", 30, func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		p := camera(r, "")
		p.Carrier = Carrier(r.IntN(3))
		p.Inverted = r.IntN(4) == 0
		p.Ink = Ink(r.IntN(4))
		p.Clutter = int(spread(r, i, n, 0, 120))
		p.Noise = uniform(r, 2, 5)
		if i%5 == 4 {
			p.Carrier = CarrierNone // nothing but the background
		}
		return "", p
	}},
}

// denseFrame returns the generator of a category of dense codes in frames
// of w×h: sample i shows a code of version 10 to 25, each in turn (in a
// stride of 7, so that versions and module sizes mix).
func denseFrame(w, h int) func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
	return func(r *rand.Rand, i, n int, t *textSet) (string, Params) {
		text := DenseText(r, minDenseVersion+i*7%(maxDenseVersion-minDenseVersion+1))
		p := camera(r, text)
		p.Width, p.Height = w, h
		p.ModulePx = spread(r, i, n, 2.5, 4.5)
		p.Angle, p.TiltX, p.TiltY = signed(r, 0, 10), signed(r, 0, 4), signed(r, 0, 4)
		p.Blur, p.Noise = uniform(r, 0.4, 0.6), uniform(r, 2, 4)
		place(r, &p, text)
		return text, p
	}
}

// The versions dense720 and dense1080 show.
const (
	minDenseVersion = 10
	maxDenseVersion = 25
)

// base45 is the alphabet of base45 (RFC 9285), which is QR's alphanumeric
// mode's: EU DCCs and 福码卡 carry their signed payload in it.
const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// DenseText returns a text that fills a QR code of the given version (1 to
// 40) at level M: "HC1:" or "FSC1:" and pseudo-random base45 characters
// drawn from r, as compressed, signed credentials look. Its length is
// drawn between the capacities of the versions below and of this one.
func DenseText(r *rand.Rand, version int) string {
	prefix := "HC1:"
	if r.IntN(2) == 0 {
		prefix = "FSC1:"
	}
	lo, hi := alphanumericCapacity(version-1)+1, alphanumericCapacity(version)
	b := []byte(prefix)
	for range lo + r.IntN(hi-lo+1) - len(prefix) {
		b = append(b, base45[r.IntN(len(base45))])
	}
	return string(b)
}

// alphanumericCapacity returns how many characters of QR's alphanumeric
// mode a code of version v holds at level M (0 for version 0): its data
// codewords less the mode indicator and the character count, 11 bits a
// pair of characters and 6 for one left over.
func alphanumericCapacity(v int) int {
	if v < 1 {
		return 0
	}
	version, err := qrdecoder.Version_GetVersionForNumber(v)
	if err != nil {
		panic(fmt.Sprintf("scene: %v", err))
	}
	blocks := version.GetECBlocksForLevel(qrdecoder.ErrorCorrectionLevel_M)
	bits := 8*(version.GetTotalCodewords()-blocks.GetTotalECCodewords()) - 4
	switch {
	case v <= 9:
		bits -= 9
	case v <= 26:
		bits -= 11
	default:
		bits -= 13
	}
	n := 2 * (bits / 11)
	if bits%11 >= 6 {
		n++
	}
	return n
}

// mustMatrix returns the module matrix of a text a category shows.
func mustMatrix(text string) [][]bool {
	m, err := matrix(text, qrcard.LevelM)
	if err != nil {
		panic(fmt.Sprintf("scene: category text: %v", err))
	}
	return m
}

// Made-up holders and the issue date printed on CardSheet's cards, beside
// codes that may say otherwise.
var (
	cardNames  = []string{"张*", "欧阳*"}
	cardIssued = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

// CardSheet returns a PDF of printed 福码卡 cards, eight to an A4 page
// (qrcard.WriteSheetPDF), one a text in order: 1 to 1000 texts, each of
// which must fit a card's QR code. The cards are green, yellow and red in
// turn, for made-up holders. Rendering the PDF is the decoder's job.
func CardSheet(texts []string) ([]byte, error) {
	if n := len(texts); n < 1 || n > 1000 {
		return nil, fmt.Errorf("scene: %d cards out of range 1..1000", n)
	}
	colors := []string{"green", "yellow", "red"}
	cards := make([]qrcard.Card, len(texts))
	for i, text := range texts {
		cards[i] = qrcard.Card{
			Text: text, Name: cardNames[i%len(cardNames)], IDTail: fmt.Sprintf("%04d", 1000+i),
			Color: colors[i%len(colors)], Issuer: "350000", Serial: fmt.Sprintf("FSC-SCENE%07d", i+1),
			IssuedAt: cardIssued, ExpiresAt: cardIssued.Add(30 * 24 * time.Hour),
		}
	}
	var buf bytes.Buffer
	if err := qrcard.WriteSheetPDF(&buf, cards); err != nil {
		return nil, fmt.Errorf("scene: card sheet: %w", err)
	}
	return buf.Bytes(), nil
}
