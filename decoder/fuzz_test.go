package decoder

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
)

// fuzzMaxPixels bounds the images FuzzDecode decodes: enough for a code,
// small enough that every input is quick.
const fuzzMaxPixels = 1 << 18

// FuzzDecode feeds arbitrary PNG, GIF and JPEG (YCbCr) files to Decode, one code at a
// time and Multi: whatever the pixels, it must not panic, must keep to its
// budget (no hang) and must return sane positions. Images are refused
// above fuzzMaxPixels before they are decoded, as a caller should.
func FuzzDecode(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > fuzzMaxPixels || cfg.Width > 1<<12 || cfg.Height > 1<<12 {
			return
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, opts := range []*Options{nil, {Multi: true}} {
			start := time.Now()
			codes, err := New(opts).Decode(img)
			if took := time.Since(start); took > time.Second {
				t.Errorf("decoding took %v, want within the budget of %v", took, DefaultBudget)
			}
			if err != nil {
				if b := img.Bounds(); b.Dx() > 0 && b.Dy() > 0 {
					t.Fatalf("%v image: %v", b, err)
				}
				continue
			}
			for _, c := range codes {
				for _, p := range c.Points {
					if math.IsNaN(p.X+p.Y) || math.IsInf(p.X+p.Y, 0) {
						t.Fatalf("code %q: got point %v", c.Text, p)
					}
				}
			}
		}
	})
}

// fuzzSeeds returns image files of codes: PNG and GIF (paletted) at 1 to
// 3 pixels a module, inverted, transparent, and a green one as JPEG; and
// posters of finder patterns.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	add := func(img image.Image, format string) {
		var buf bytes.Buffer
		var err error
		switch format {
		case "gif":
			err = gif.Encode(&buf, img, nil)
		case "jpeg":
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 60})
		default:
			err = png.Encode(&buf, img)
		}
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	for _, px := range []int{1, 2, 3} {
		img, err := qrcard.Image(sample[:40], &qrcard.ImageOptions{ModulePx: px})
		if err != nil {
			tb.Fatal(err)
		}
		add(img, "png")
		add(img, "gif")
		inv := image.NewGray(img.Bounds())
		for i, p := range img.Pix {
			inv.Pix[i] = 255 - p
		}
		add(inv, "png")
	}
	// A transparent NRGBA code: its background must count as paper.
	img, err := qrcard.Image("FSC1:TRANSPARENT", &qrcard.ImageOptions{ModulePx: 3})
	if err != nil {
		tb.Fatal(err)
	}
	nrgba := image.NewNRGBA(img.Bounds())
	for i, p := range img.Pix {
		if p < 128 {
			nrgba.Set(i%img.Stride, i/img.Stride, color.NRGBA{0, 0, 0, 255})
		}
	}
	add(nrgba, "png")
	// A green code, as a camera's JPEG: YCbCr with colour in its chroma.
	green := image.NewRGBA(img.Bounds())
	for i, p := range img.Pix {
		c := color.RGBA{255, 255, 255, 255}
		if p < 128 {
			c = color.RGBA{26, 173, 25, 255}
		}
		green.SetRGBA(i%img.Stride, i/img.Stride, c)
	}
	add(green, "jpeg")
	add(image.NewGray(image.Rect(0, 0, 1, 1)), "png")
	// Hostile posters of finder patterns (issue 9), one with a code on it.
	for _, p := range []poster{{256, 256, 1}, {500, 400, 2}, {512, 512, 3}} {
		add(p.image(), "png")
	}
	onPoster := scene.Poster(480, 480, 2)
	draw.Draw(onPoster, img.Bounds().Add(image.Pt(150, 150)), img, image.Point{}, draw.Src)
	add(onPoster, "png")
	return seeds
}
