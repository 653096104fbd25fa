package decoder

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fuscan/fuscan/decoder/scene"

	"github.com/makiuchi-d/gozxing"
)

// TestBinarizerMatchesHybrid holds binarizer to gozxing.HybridBinarizer's
// output, bit for bit, for normal and inverted images of sizes that are and
// are not multiples of the block size, including a stride wider than the
// image.
func TestBinarizerMatchesHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b binarizer
	for _, size := range [][2]int{{40, 40}, {41, 47}, {64, 64}, {203, 97}, {333, 250}, {640, 480}} {
		w, h := size[0], size[1]
		stride := w + r.IntN(9)
		pix := make([]byte, stride*h)
		// Flat areas (exercising the low-contrast rule) next to busy ones.
		for y := 0; y < h; y++ {
			for x := 0; x < stride; x++ {
				switch {
				case (x/23+y/17)%3 == 0:
					pix[y*stride+x] = byte(200 + r.IntN(10))
				case (x/23+y/17)%3 == 1:
					pix[y*stride+x] = byte(30 + r.IntN(15))
				default:
					pix[y*stride+x] = byte(r.IntN(256))
				}
			}
		}
		p := plane{pix, stride, w, h}
		for _, inverted := range []bool{false, true} {
			b.stats(p)
			got := b.matrix(p, inverted, 0)
			var src gozxing.LuminanceSource
			src, err := gozxing.NewPlanarYUVLuminanceSource(pix, stride, h, 0, 0, w, h, false)
			if err != nil {
				t.Fatal(err)
			}
			if inverted {
				src = src.Invert()
			}
			want, err := gozxing.NewHybridBinarizer(src).GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			if diff := countDiff(got, want); diff != 0 {
				t.Errorf("%dx%d inverted=%v: got %d pixels different from HybridBinarizer, want 0", w, h, inverted, diff)
			}
		}
	}
}

func countDiff(a, b *gozxing.BitMatrix) int {
	n := 0
	for y := 0; y < a.GetHeight(); y++ {
		for x := 0; x < a.GetWidth(); x++ {
			if a.Get(x, y) != b.Get(x, y) {
				n++
			}
		}
	}
	return n
}

func BenchmarkBinarize720p(b *testing.B) {
	texts := sampleTexts()
	img, err := scene.Render(texts[len(texts)-1], scene.Params{ModulePx: 3, Noise: 2})
	if err != nil {
		b.Fatal(err)
	}
	g := img.(*image.Gray)
	p := plane{g.Pix, g.Stride, g.Rect.Dx(), g.Rect.Dy()}
	var bin binarizer
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			bin.stats(p)
			bin.matrix(p, false, 0)
		}
	})
	b.Run("ours-inverted-too", func(b *testing.B) {
		for b.Loop() {
			bin.stats(p)
			bin.matrix(p, false, 0)
			bin.matrix(p, true, 1)
		}
	})
	b.Run("gozxing", func(b *testing.B) {
		for b.Loop() {
			src, _ := gozxing.NewPlanarYUVLuminanceSource(p.pix, p.stride, p.h, 0, 0, p.w, p.h, false)
			gozxing.NewHybridBinarizer(src).GetBlackMatrix()
		}
	})
}

func TestUpscale(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := plane{make([]byte, 37*23), 37, 33, 23} // stride wider than the plane
	for i := range src.pix {
		src.pix[i] = byte(r.IntN(256))
	}
	var d Decoder
	for _, scale := range []int{2, 3, 4} {
		got := d.upscale(src, scale)
		for y := 0; y < got.h; y++ {
			for x := 0; x < got.w; x++ {
				want := bilinear(src, (float64(x)+0.5)/float64(scale)-0.5, (float64(y)+0.5)/float64(scale)-0.5)
				if diff := float64(got.row(y)[x]) - want; diff > 1.5 || diff < -1.5 {
					t.Fatalf("scale %d, pixel %d,%d: got %d, want %.1f", scale, x, y, got.row(y)[x], want)
				}
			}
		}
	}
}

// bilinear samples p at x, y, the edge pixels repeating outwards.
func bilinear(p plane, x, y float64) float64 {
	at := func(x, y int) float64 {
		return float64(p.row(clampInt(y, 0, p.h-1))[clampInt(x, 0, p.w-1)])
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	i, j := int(x0), int(y0)
	return (at(i, j)*(1-fx)+at(i+1, j)*fx)*(1-fy) + (at(i, j+1)*(1-fx)+at(i+1, j+1)*fx)*fy
}
