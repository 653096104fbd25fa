package scene

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/fuscan/fuscan/internal/race"
	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal/sample"
)

// decode reads one QR code in img with gozxing, as a reference decoder
// that knows nothing of this package.
func decode(img image.Image) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		return nil, err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	return qrcode.NewQRCodeReader().Decode(bmp, hints)
}

// pixels returns the bytes of a Gray or RGBA image.
func pixels(t testing.TB, img image.Image) []byte {
	t.Helper()
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix
	case *image.RGBA:
		return m.Pix
	}
	t.Fatalf("image of type %T, want *image.Gray or *image.RGBA", img)
	return nil
}

// category returns the category of name drawing the sample texts.
func category(t testing.TB, name string) Category {
	t.Helper()
	return categoryOf(t, sample.Texts(), name)
}

// categoryOf returns the category of name drawing texts.
func categoryOf(t testing.TB, texts []string, name string) Category {
	t.Helper()
	for _, c := range Categories(texts) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no category %q", name)
	return Category{}
}

func mustRender(t testing.TB, text string, p Params) image.Image {
	t.Helper()
	img, err := Render(text, p)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return img
}

// TestCategoriesDeterministic renders a sample of every category twice,
// and again from its Params, and wants the same pixels each time.
func TestCategoriesDeterministic(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Categories(sample.Texts()) {
		if seen[c.Name] || c.N < 1 || c.Make == nil {
			t.Errorf("category %q: duplicate, empty or without Make", c.Name)
		}
		seen[c.Name] = true
		i := c.N - 1
		if race.Enabled && c.Name != "colored" && c.Name != "moire" {
			continue // the race detector needs only the slowest kinds of frame
		}
		a, b := c.Make(i), c.Make(i)
		if !bytes.Equal(pixels(t, a.Image), pixels(t, b.Image)) {
			t.Errorf("%s %d: two renders differ", c.Name, i)
		}
		again := mustRender(t, a.Text, a.Params)
		if !bytes.Equal(pixels(t, a.Image), pixels(t, again)) {
			t.Errorf("%s %d: Render(Text, Params) differs from the sample", c.Name, i)
		}
		if other := c.Make(i - 1); bytes.Equal(pixels(t, a.Image), pixels(t, other.Image)) {
			t.Errorf("%s: samples %d and %d are the same", c.Name, i-1, i)
		}
		if (a.Text == "") != (c.Name == "empty") || (a.Version == 0) != (a.Text == "") {
			t.Errorf("%s %d: text %.10q, version %d", c.Name, i, a.Text, a.Version)
		}
		if b := a.Image.Bounds(); b.Dx() != a.Params.Width || b.Dy() != a.Params.Height && a.Params.Width != 0 {
			if !(a.Params.Width == 0 && b == image.Rect(0, 0, 1280, 720)) {
				t.Errorf("%s %d: image %v for frame %d×%d", c.Name, i, b, a.Params.Width, a.Params.Height)
			}
		}
	}
}

// TestCategoriesTexts: samples show the caller's texts in turn, dense
// ones those of QR version 10 and up (all when none is), whatever the
// caller does with its slice afterwards.
func TestCategoriesTexts(t *testing.T) {
	texts := sample.Texts()
	short := slices.Clone(texts[:2]) // live codes, version 9
	tests := []struct {
		name     string
		texts    []string
		category string
		i        int
		want     string
	}{
		{"in turn", texts, "clean", 9, texts[1]},
		{"dense", texts, "dense", 0, texts[2]},
		{"dense of small codes", short, "dense", 1, short[1]},
		{"empty without texts", nil, "empty", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.texts)
			c := categoryOf(t, in, tt.category)
			if in != nil {
				in[tt.i%len(in)] = "CHANGED" // Categories keeps its own copy
			}
			if got := c.Make(tt.i).Text; got != tt.want {
				t.Errorf("sample %d: got text %.12q…, want %.12q…", tt.i, got, tt.want)
			}
		})
	}
}

// TestDenseText: DenseText fills exactly the version asked for, one more
// character would not fit it, and the dense camera categories show every
// version from 10 to 25 at 2.5 to 4.5 px a module.
func TestDenseText(t *testing.T) {
	for v := 1; v <= 40; v++ {
		n := alphanumericCapacity(v)
		for _, tt := range []struct {
			text string
			want int
		}{
			{DenseText(rand.New(rand.NewPCG(1, uint64(v))), v), v},
			{strings.Repeat("A", n), v},
			{strings.Repeat("A", n+1), v + 1},
		} {
			if v == 40 && tt.want == 41 {
				continue
			}
			m, err := qrcard.Matrix(tt.text, qrcard.LevelM)
			if err != nil {
				t.Fatalf("version %d, %d characters: %v", v, len(tt.text), err)
			}
			if got := (len(m) - 17) / 4; got != tt.want {
				t.Errorf("%d characters: got version %d, want %d", len(tt.text), got, tt.want)
			}
		}
	}
	for _, name := range []string{"dense720", "dense1080"} {
		c := category(t, name)
		versions := map[int]bool{}
		for i := range 16 {
			s := c.Make(i)
			versions[s.Version] = true
			if px := s.Params.ModulePx; s.Version < 10 || s.Version > 25 || px < 2.5 || px > 4.5 {
				t.Errorf("%s %d: version %d at %.2f px a module", name, i, s.Version, px)
			}
		}
		if len(versions) != 16 {
			t.Errorf("%s: versions %v in 16 samples, want 10 to 25", name, slices.Sorted(maps.Keys(versions)))
		}
	}
}

// TestCategoriesWithoutTexts: without texts the categories still list,
// and one that shows codes panics in Make.
func TestCategoriesWithoutTexts(t *testing.T) {
	with, without := Categories(sample.Texts()), Categories(nil)
	if len(with) != len(without) {
		t.Fatalf("%d categories with texts, %d without", len(with), len(without))
	}
	for i := range with {
		if with[i].Name != without[i].Name || with[i].N != without[i].N {
			t.Errorf("category %d: %s of %d with texts, %s of %d without", i, with[i].Name, with[i].N, without[i].Name, without[i].N)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "no texts") {
			t.Errorf("clean's Make without texts: got panic %v, want one about texts", r)
		}
	}()
	categoryOf(t, nil, "clean").Make(0)
}

// TestParamsJSON round-trips the parameters of a sample through JSON, as
// "fuscanctl corpus" writes them into its truth.
func TestParamsJSON(t *testing.T) {
	for _, name := range []string{"glare", "colored", "empty"} {
		s := category(t, name).Make(1)
		data, err := json.Marshal(s.Params)
		if err != nil {
			t.Fatal(err)
		}
		var p Params
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: unmarshal %s: %v", name, data, err)
		}
		if p != s.Params {
			t.Errorf("%s: got %+v back from %s, want %+v", name, p, data, s.Params)
		}
	}
	var c Carrier
	if err := c.UnmarshalText([]byte("tablet")); err == nil {
		t.Error("unknown carrier: no error")
	}
}

// TestCleanDecodes proves that the renders are valid QR codes: gozxing
// alone reads nearly all clean ones.
func TestCleanDecodes(t *testing.T) {
	if race.Enabled {
		t.Skip("decode rates are no concern of the race detector's")
	}
	c := category(t, "clean")
	var ok int
	for i := range c.N {
		s := c.Make(i)
		res, err := decode(s.Image)
		switch {
		case err != nil:
			t.Logf("clean %d (%.2f px a module, version %d): %v", i, s.Params.ModulePx, s.Version, err)
		case res.GetText() != s.Text:
			t.Errorf("clean %d: read %.20q…, want %.20q…", i, res.GetText(), s.Text)
		default:
			ok++
		}
	}
	if got, want := float64(ok)/float64(c.N), 0.9; got < want {
		t.Errorf("gozxing read %d of %d clean samples (%.0f%%), want at least %.0f%%", ok, c.N, 100*got, 100*want)
	}
}

// TestModuleSize measures the module size of clean renders from the
// spacing of the finder patterns gozxing finds.
func TestModuleSize(t *testing.T) {
	text := sample.Texts()[2]
	n := float64(len(mustMatrix(text)))
	for _, px := range []float64{2.6, 3.3, 4, 4.7, 6.5} {
		s := mustRender(t, text, Params{ModulePx: px, OffsetX: 0.37, OffsetY: -0.21})
		res, err := decode(s)
		if err != nil {
			t.Errorf("%.1f px a module: %v", px, err)
			continue
		}
		pts := res.GetResultPoints() // bottom-left, top-left, top-right finders
		if len(pts) < 3 {
			t.Fatalf("%d result points, want the 3 finder centres", len(pts))
		}
		d := math.Hypot(pts[2].GetX()-pts[1].GetX(), pts[2].GetY()-pts[1].GetY())
		if got := d / (n - 7); math.Abs(got/px-1) > 0.1 {
			t.Errorf("module size from the finders: got %.2f px, want %.2f ± 10%%", got, px)
		}
	}
}

// TestCorners checks the truth about where the symbol is against the
// finder centres gozxing finds.
func TestCorners(t *testing.T) {
	c := category(t, "rotated")
	for _, i := range []int{0, 1, 2} {
		s := c.Make(i)
		res, err := decode(s.Image)
		if err != nil {
			t.Fatalf("rotated %d: %v", i, err)
		}
		// The top-left finder's centre is 3.5 modules in from the corner,
		// along both edges.
		tl, tr, bl := s.Corners[0], s.Corners[1], s.Corners[3]
		n := float64(len(mustMatrix(s.Text)))
		want := [2]float64{
			tl[0] + 3.5/n*(tr[0]-tl[0]+bl[0]-tl[0]),
			tl[1] + 3.5/n*(tr[1]-tl[1]+bl[1]-tl[1]),
		}
		got := res.GetResultPoints()[1]
		if d := math.Hypot(got.GetX()-want[0], got.GetY()-want[1]); d > 2*s.Params.ModulePx {
			t.Errorf("rotated %d: top-left finder at (%.0f, %.0f), corners put it at (%.0f, %.0f)", i, got.GetX(), got.GetY(), want[0], want[1])
		}
	}
}

// mean returns the mean gray level of img (the mean of its channels for
// colour).
func mean(img image.Image) float64 {
	var sum, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch m := img.(type) {
			case *image.Gray:
				sum, n = sum+float64(m.GrayAt(x, y).Y), n+1
			case *image.RGBA:
				c := m.RGBAAt(x, y)
				sum, n = sum+float64(c.R)+float64(c.G)+float64(c.B), n+3
			}
		}
	}
	return sum / n
}

// stddev returns the standard deviation of the gray levels in r.
func stddev(img *image.Gray, r image.Rectangle) float64 {
	var sum, sq, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := float64(img.GrayAt(x, y).Y)
			sum, sq, n = sum+v, sq+v*v, n+1
		}
	}
	m := sum / n
	return math.Sqrt(sq/n - m*m)
}

func TestInverted(t *testing.T) {
	text := sample.Texts()[1]
	for _, carrier := range []Carrier{CarrierCard, CarrierPhone} {
		p := Params{ModulePx: 4, Carrier: carrier, Blur: 0.5, Noise: 2, Seed: 3}
		f, err := render(text, p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		normal := Sample{Image: f.img, Text: text, Corners: f.corners, Params: p}
		p.Inverted = true
		inv := mustRender(t, text, p).(*image.Gray)
		// Around the symbol, where the quiet zone and the card turn dark.
		region := around(normal).Bounds()
		if mi, mn := mean(inv.SubImage(region)), mean(normal.Image.(*image.Gray).SubImage(region)); mi > mn-30 {
			t.Errorf("%v: inverted mean gray %.0f, normal %.0f: want the inverted frame darker", carrier, mi, mn)
		}
		if _, err := decode(inv); err == nil {
			t.Errorf("%v: gozxing, which does not try inverting, read an inverted code", carrier)
		}
		neg := image.NewGray(inv.Rect)
		for i, v := range inv.Pix {
			neg.Pix[i] = 255 - v
		}
		if res, err := decode(neg); err != nil || res.GetText() != text {
			t.Errorf("%v: negative of the inverted frame: %v; want the text", carrier, err)
		}
	}
}

func TestColored(t *testing.T) {
	text := sample.Texts()[0]
	tests := []struct {
		ink  Ink
		want func(r, g, b int) bool
	}{
		{InkGreen, func(r, g, b int) bool { return g > r+60 && g > b+60 }},
		{InkYellow, func(r, g, b int) bool { return r > b+120 && g > b+80 }},
		{InkRed, func(r, g, b int) bool { return r > g+80 && r > b+80 }},
		{InkBlack, nil},
	}
	for _, tt := range tests {
		s := Sample{Text: text, Params: Params{ModulePx: 5, Ink: tt.ink}}
		f, err := render(s.Text, s.Params, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		rgba, isRGBA := f.img.(*image.RGBA)
		if isRGBA != (tt.ink != InkBlack) {
			t.Errorf("%v ink: image of type %T", tt.ink, f.img)
			continue
		}
		if !isRGBA {
			continue
		}
		// The top-left finder's centre module is dark.
		tl, br := f.corners[0], f.corners[2]
		m := (br[0] - tl[0]) / float64(len(mustMatrix(text)))
		c := rgba.RGBAAt(int(tl[0]+3.5*m), int(tl[1]+3.5*m))
		if !tt.want(int(c.R), int(c.G), int(c.B)) {
			t.Errorf("%v ink: finder centre is %v", tt.ink, c)
		}
	}
}

func TestEmpty(t *testing.T) {
	c := category(t, "empty")
	for i := range c.N {
		if race.Enabled && i%5 != 4 {
			continue // one in five, of each kind
		}
		s := c.Make(i)
		if s.Text != "" || s.Version != 0 || s.Corners != [4][2]float64{} {
			t.Fatalf("empty %d: text %.10q, version %d, corners %v", i, s.Text, s.Version, s.Corners)
		}
		if res, err := decode(s.Image); err == nil {
			t.Errorf("empty %d: gozxing read %q", i, res.GetText())
		}
	}
	if _, err := Render(sample.Texts()[0], Params{Carrier: CarrierNone}); err == nil {
		t.Error("Render of a text with CarrierNone: no error")
	}
}

// TestEffects checks that each effect does what its parameter says,
// against the same frame without it.
func TestEffects(t *testing.T) {
	text := sample.Texts()[4]
	base := Params{ModulePx: 4, Seed: 11}
	// A patch of plain background, left of the card, and the symbol's centre.
	bg := image.Rect(40, 300, 140, 400)
	centre := image.Pt(640, 360)
	tests := []struct {
		name  string
		set   func(p *Params)
		check func(t *testing.T, before, after *image.Gray)
	}{
		{"noise", func(p *Params) { p.Noise = 12 }, func(t *testing.T, before, after *image.Gray) {
			if got := stddev(after, bg) - stddev(before, bg); math.Abs(got-12) > 2.5 {
				t.Errorf("noise σ 12 added σ %.1f to a flat patch", got)
			}
		}},
		{"blur", func(p *Params) { p.Blur = 2 }, func(t *testing.T, before, after *image.Gray) {
			r := image.Rectangle{Min: centre.Sub(image.Pt(60, 60)), Max: centre.Add(image.Pt(60, 60))}
			if b, a := stddev(before, r), stddev(after, r); a > 0.8*b {
				t.Errorf("blur σ 2 left the symbol's contrast at %.0f of %.0f", a, b)
			}
		}},
		{"lowlight", func(p *Params) { p.Brightness, p.Contrast = 40, 30 }, func(t *testing.T, before, after *image.Gray) {
			if m := mean(after); m < 25 || m > 55 {
				t.Errorf("brightness 40 gave mean gray %.0f", m)
			}
			r := image.Rectangle{Min: centre.Sub(image.Pt(60, 60)), Max: centre.Add(image.Pt(60, 60))}
			if s := stddev(after, r); s > 17 || s < 10 {
				t.Errorf("contrast 30 gave the symbol a σ of %.0f gray levels, want about 15", s)
			}
		}},
		{"glare", func(p *Params) { p.Glare = Glare{X: 3, Y: -2, Radius: 10, Strength: 1.2} }, func(t *testing.T, before, after *image.Gray) {
			x, y := centre.X+3*4, centre.Y-2*4 // 3 and -2 modules off the centre
			if v := after.GrayAt(x, y).Y; v != 255 {
				t.Errorf("glare centre is %d, want saturated 255", v)
			}
			if v := before.GrayAt(x, y).Y; v == 255 {
				t.Errorf("no glare: the glare's centre was white already")
			}
		}},
		{"shading", func(p *Params) { p.Shading = 0.8 }, func(t *testing.T, before, after *image.Gray) {
			if a, b := mean(after), mean(before); a > 0.85*b || a < 0.45*b {
				t.Errorf("shading 0.8: mean gray %.0f of %.0f, want about 60%%", a, b)
			}
		}},
		{"motion", func(p *Params) { p.MotionPx, p.MotionAngle = 12, 0 }, func(t *testing.T, before, after *image.Gray) {
			r := image.Rectangle{Min: centre.Sub(image.Pt(60, 60)), Max: centre.Add(image.Pt(60, 60))}
			if b, a := stddev(before, r), stddev(after, r); a > 0.8*b {
				t.Errorf("motion of 12 px left the symbol's contrast at %.0f of %.0f", a, b)
			}
			if !bytes.Equal(after.Pix[:after.Stride*100], before.Pix[:before.Stride*100]) {
				t.Error("motion smeared the background, which a fixed camera sees still")
			}
		}},
	}
	before := mustRender(t, text, base).(*image.Gray)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.set(&p)
			tt.check(t, before, mustRender(t, text, p).(*image.Gray))
		})
	}
}

// TestMoire checks that a screen's fringes show on its white areas and
// change with the screen's pitch.
func TestMoire(t *testing.T) {
	text := sample.Texts()[3]
	p := Params{ModulePx: 4, Carrier: CarrierPhone, ScreenPx: 8.3}
	plain := mustRender(t, text, p).(*image.Gray)
	p.Moire = 0.6
	fringed := mustRender(t, text, p).(*image.Gray)
	// The screen's white, between the symbol and the text below it.
	f, err := render(text, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bl := f.corners[3]
	r := image.Rect(int(bl[0])+20, int(bl[1])+4, int(bl[0])+120, int(bl[1])+12)
	if s := stddev(plain, r); s > 1 {
		t.Fatalf("plain screen patch has σ %.1f, want flat", s)
	}
	if s := stddev(fringed, r); s < 10 {
		t.Errorf("moiré 0.6: screen patch has σ %.1f, want visible fringes", s)
	}
	p.ScreenPx = 11.7
	if other := mustRender(t, text, p); bytes.Equal(pixels(t, other), pixels(t, fringed)) {
		t.Error("a screen of another pitch gave the same fringes")
	}
}

func TestJPEG(t *testing.T) {
	text := sample.Texts()[5]
	for _, ink := range []Ink{InkBlack, InkRed} {
		p := Params{ModulePx: 4, Ink: ink, JPEGQuality: 40}
		img := mustRender(t, text, p)
		p.JPEGQuality = 0
		exact := mustRender(t, text, p)
		if _, gray := img.(*image.Gray); gray != (ink == InkBlack) {
			t.Errorf("%v ink, JPEG: image of type %T", ink, img)
			continue
		}
		if bytes.Equal(pixels(t, img), pixels(t, exact)) {
			t.Errorf("%v ink: JPEG quality 40 changed nothing", ink)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		p    Params
		want string
	}{
		{"tiny frame", "A", Params{Width: 8, Height: 8}, "frame"},
		{"one side", "A", Params{Width: 640}, "frame"},
		{"huge frame", "A", Params{Width: 9000, Height: 10}, "frame"},
		{"module", "A", Params{ModulePx: 0.5}, "module size"},
		{"tilt", "A", Params{TiltX: 85}, "tilt"},
		{"blur", "A", Params{Blur: -1}, "blur"},
		{"moire", "A", Params{Moire: 2}, "moire"},
		{"carrier", "A", Params{Carrier: 9}, "carrier"},
		{"ink", "A", Params{Ink: -1}, "ink"},
		{"jpeg", "A", Params{JPEGQuality: 101}, "jpeg"},
		{"nan", "A", Params{Angle: math.NaN()}, "finite"},
		{"too long", strings.Repeat("A", 5000), Params{}, "too long"},
		{"no carrier", "A", Params{Carrier: CarrierNone}, "carrier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.text, tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "scene: ") {
				t.Errorf("got %v, want a scene: error mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := Render(strings.Repeat("A", 5000), Params{}); !errors.Is(err, qrcard.ErrTooLong) {
		t.Errorf("too long a text: got %v, want qrcard.ErrTooLong", err)
	}
}

func TestSequence(t *testing.T) {
	seq := Sequence(5, image.Point{}, sample.Texts())
	var texts []string
	for _, k := range []int{0, 30, seqEnter, seqHold + 2, 80, seqLeave - 1, seqGone - 1, seqPeriod - 1, seqPeriod + seqHold + 5} {
		s := seq(k)
		inView := k%seqPeriod >= seqHold && k%seqPeriod < seqLeave
		if inView != (s.Text != "") {
			t.Errorf("frame %d: text %.10q; want one only while held up", k, s.Text)
		}
		if s.Text != "" {
			texts = append(texts, s.Text)
		}
		if k%seqPeriod < seqEnter && s.Params.Carrier != CarrierNone {
			t.Errorf("frame %d: carrier %v before the visitor comes", k, s.Params.Carrier)
		}
	}
	if len(texts) < 2 || texts[0] == texts[len(texts)-1] {
		t.Errorf("visitors showed %d codes, the same for the first and the last", len(texts))
	}

	a, b := seq(80), Sequence(5, image.Point{}, sample.Texts())(80)
	if !bytes.Equal(pixels(t, a.Image), pixels(t, b.Image)) {
		t.Error("frame 80 of two sequences of one seed differ")
	}
	if again := mustRender(t, a.Text, a.Params); !bytes.Equal(pixels(t, a.Image), pixels(t, again)) {
		t.Error("Render(Text, Params) of frame 80 differs from the frame")
	}
	if next := seq(81); bytes.Equal(pixels(t, a.Image), pixels(t, next.Image)) {
		t.Error("frames 80 and 81 are the same: no noise, no hand")
	}
	if c := seq(seqEnter + 3); c.Params.MotionPx < 10 {
		t.Errorf("a code coming into view is smeared by %.1f px, want a fast motion", c.Params.MotionPx)
	}
	// The hand holds still enough to read the code in most held frames.
	// Decoy squares in the background mislead gozxing's finder search, so
	// it reads around the symbol only.
	var read, held int
	for k := seqHold; k < seqLeave; k += 12 {
		s := seq(k)
		held++
		if res, err := decode(around(s)); err == nil && res.GetText() == s.Text {
			read++
		}
	}
	if read < held/2 {
		t.Errorf("gozxing read %d of %d held frames", read, held)
	}
}

// around returns the part of s's image around its symbol: its corners'
// bounds and a margin of 8 modules.
func around(s Sample) image.Image {
	var r image.Rectangle
	for i, c := range s.Corners {
		pt := image.Rectangle{Min: image.Pt(int(c[0]), int(c[1]))}
		pt.Max = pt.Min.Add(image.Pt(1, 1))
		if i == 0 {
			r = pt
		}
		r = r.Union(pt)
	}
	r = r.Inset(-int(8 * s.Params.ModulePx))
	return s.Image.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

func TestSequenceConcurrent(t *testing.T) {
	seq := Sequence(9, image.Pt(320, 240), sample.Texts())
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Go(func() { seq(seqHold + k) })
	}
	wg.Wait()
}

func TestCardSheet(t *testing.T) {
	pdf, err := CardSheet(sample.Texts())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("CardSheet: %d bytes starting %q, want a PDF", len(pdf), pdf[:min(8, len(pdf))])
	}
	if again, err := CardSheet(sample.Texts()); err != nil || !bytes.Equal(again, pdf) {
		t.Errorf("a second CardSheet of the same texts: %d other bytes, %v", len(again), err)
	}
	if path, err := exec.LookPath("qpdf"); err == nil {
		file := filepath.Join(t.TempDir(), "cards.pdf")
		if err := os.WriteFile(file, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(path, "--show-npages", file).Output()
		if err != nil || strings.TrimSpace(string(out)) != "1" {
			t.Errorf("qpdf --show-npages: %q, %v; want 1 page for 8 cards", out, err)
		}
	}
	for _, tt := range []struct {
		name  string
		texts []string
		want  string
	}{
		{"no text", nil, "out of range"},
		{"too many", make([]string, 1001), "out of range"},
		{"too long", []string{strings.Repeat("A", 5000)}, "card sheet"},
	} {
		if _, err := CardSheet(tt.texts); err == nil || !strings.HasPrefix(err.Error(), "scene: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want a scene: error mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestPureGo keeps the package free of cgo outside the standard library
// (whose net package may use it for DNS), and of the decoder it serves:
// the decoder's tests import this package.
func TestPureGo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 20 {
		t.Fatalf("go list printed %d packages; the check would prove nothing", len(lines))
	}
	for _, line := range lines {
		path, cgo, _ := strings.Cut(line, " ")
		std := !strings.Contains(strings.Split(path, "/")[0], ".")
		if cgo != "0" && !std {
			t.Errorf("scene depends on %s, which uses cgo", path)
		}
		if path == "github.com/fuscan/fuscan/decoder" || strings.HasPrefix(path, "github.com/gen2brain/") {
			t.Errorf("scene depends on %s", path)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	text := sample.Texts()[6]
	benchmarks := []struct {
		name string
		p    Params
	}{
		{"720p/clean", Params{}},
		{"720p/camera", Params{ModulePx: 3, Angle: 12, TiltX: 10, Blur: 0.5, Noise: 2}},
		{"720p/phone-moire", Params{ModulePx: 4, Carrier: CarrierPhone, Moire: 0.5, ScreenPx: 8.3, Blur: 0.5, Noise: 2}},
		{"720p/blur2", Params{ModulePx: 5, Blur: 2, Noise: 2}},
		{"720p/clutter", Params{ModulePx: 4, Clutter: 80, Blur: 0.5, Noise: 3}},
		{"720p/colored", Params{ModulePx: 4, Ink: InkGreen, Blur: 0.5, Noise: 2}},
		{"720p/empty", Params{Carrier: CarrierNone, Clutter: 40, Noise: 2}},
		{"1080p/camera", Params{Width: 1920, Height: 1080, ModulePx: 4.5, Angle: 12, Blur: 0.6, Noise: 2}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			t := text
			if bm.p.Carrier == CarrierNone {
				t = ""
			}
			for b.Loop() {
				if _, err := Render(t, bm.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCorpus renders one sample of every category.
func BenchmarkCorpus(b *testing.B) {
	cats := Categories(sample.Texts())
	i := 0
	for b.Loop() {
		for _, c := range cats {
			c.Make(i % c.N)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(cats)), "ms/frame")
}
