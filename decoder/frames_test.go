package decoder

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/qrcard"
)

// base45 is the alphabet of our credential texts.
const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// payload returns a credential-like text of n characters, the same for the
// same seed.
func payload(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("FSC1:")
	for b.Len() < n {
		b.WriteByte(base45[r.IntN(len(base45))])
	}
	return b.String()
}

// shot describes a synthetic camera shot: a code of the given module
// size, rotation and centre on a lit, slightly uneven background.
type shot struct {
	w, h     int
	text     string  // "" for an empty shot
	px       float64 // pixels per module
	angle    float64 // degrees
	cx, cy   float64 // code centre, as a fraction of the shot
	seed     uint64
	contrast float64 // dark module level relative to paper; 0 means 0.2
}

// render draws f into a new Gray image. Modules are antialiased by 4×4
// supersampling; the background has a gentle gradient and some texture.
func (f shot) render(tb testing.TB) *image.Gray {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, f.w, f.h))
	r := rand.New(rand.NewPCG(f.seed, 11))
	for y := 0; y < f.h; y++ {
		for x := 0; x < f.w; x++ {
			v := 150 + 60*float64(x)/float64(f.w) + 20*math.Sin(float64(y)/37) + r.NormFloat64()*3
			img.Pix[y*img.Stride+x] = clamp8(v)
		}
	}
	if f.text == "" {
		// Some clutter: dark bars and boxes, no finder patterns.
		for i := 0; i < 30; i++ {
			x0, y0 := r.IntN(f.w), r.IntN(f.h)
			bw, bh := 2+r.IntN(60), 2+r.IntN(60)
			for y := y0; y < min(f.h, y0+bh); y++ {
				for x := x0; x < min(f.w, x0+bw); x++ {
					img.Pix[y*img.Stride+x] = 40
				}
			}
		}
		return img
	}
	m, err := qrcard.Matrix(f.text, qrcard.LevelM)
	if err != nil {
		tb.Fatal(err)
	}
	n := float64(len(m))
	quiet := 4.0
	half := (n + 2*quiet) / 2 * f.px * math.Sqrt2
	sin, cos := math.Sincos(f.angle * math.Pi / 180)
	cx, cy := f.cx*float64(f.w), f.cy*float64(f.h)
	dark := f.contrast
	if dark == 0 {
		dark = 0.2
	}
	for y := max(0, int(cy-half)); y < min(f.h, int(cy+half)+1); y++ {
		for x := max(0, int(cx-half)); x < min(f.w, int(cx+half)+1); x++ {
			inside, black := 0, 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					dx := float64(x) + (float64(sx)+0.5)/4 - cx
					dy := float64(y) + (float64(sy)+0.5)/4 - cy
					u := (cos*dx+sin*dy)/f.px + n/2
					v := (-sin*dx+cos*dy)/f.px + n/2
					if u < -quiet || v < -quiet || u >= n+quiet || v >= n+quiet {
						continue
					}
					inside++
					if u >= 0 && v >= 0 && u < n && v < n && m[int(v)][int(u)] {
						black++
					}
				}
			}
			if inside == 0 {
				continue
			}
			paper := 235.0
			bg := float64(img.Pix[y*img.Stride+x])
			cov := float64(inside) / 16
			val := paper*(1-float64(black)/float64(inside)*(1-dark)) + r.NormFloat64()*2
			img.Pix[y*img.Stride+x] = clamp8(bg*(1-cov) + val*cov)
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v + 0.5)
}
