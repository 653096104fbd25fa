package pdf

import (
	"math"
	"testing"
)

// mm is a millimetre in PDF points.
const mm = 72 / 25.4

func TestFitCapsPixels(t *testing.T) {
	for _, tt := range []struct{ w, h, dpi float64 }{
		{595, 842, 150}, {200000, 200000, 150}, {1, 1, 150}, {1e30, 1, 150}, {1, 3e38, 600}, {14400, 1, 72e3}, {3, 3, 1e9},
	} {
		for _, maxPixels := range []int{100, 4_000_000, DefaultMaxPixels} {
			g, err := fit(bounds{width: tt.w, height: tt.h}, tt.dpi, maxPixels)
			if err != nil {
				continue // refused is within the cap too
			}
			if g.Box.Dx()*g.Box.Dy() > maxPixels || g.Box.Empty() || g.Scale > tt.dpi/72 {
				t.Errorf("%gx%g pt at %g dpi, cap %d: %v at scale %g", tt.w, tt.h, tt.dpi, maxPixels, g.Box, g.Scale)
			}
		}
	}
	// An A4 page at 150 dpi is not lowered.
	if g, _ := fit(bounds{width: 210 * mm, height: 297 * mm}, 150, DefaultMaxPixels); g.Scale != 150.0/72 || g.Box.Dx() != 1241 {
		t.Errorf("A4 at 150 dpi: scale %g, %v", g.Scale, g.Box)
	}
}

// TestGridRoundTrip checks that Point and Pixel undo each other, on a
// grid whose box does not start at 0, 0.
func TestGridRoundTrip(t *testing.T) {
	g, err := fit(bounds{x0: -20, y0: 35.5, width: 300, height: 200}, 110, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	if g.Box.Min.X >= 0 || g.Box.Min.Y <= 0 {
		t.Fatalf("box %v, want one starting left of and below 0, 0", g.Box)
	}
	for _, p := range [][2]float64{{0, 0}, {-20, 35.5}, {280, 235.5}, {12.25, 100}} {
		x, y := g.Point(g.Pixel(p[0], p[1]))
		if math.Abs(x-p[0]) > 1e-9 || math.Abs(y-p[1]) > 1e-9 {
			t.Errorf("%v pt: back as %g, %g", p, x, y)
		}
	}
	// The page's top left corner is near the image's.
	if x, y := g.Pixel(-20, 35.5); math.Abs(x) > 1 || math.Abs(y) > 1 {
		t.Errorf("page corner at pixel %g, %g, want near 0, 0", x, y)
	}
}
