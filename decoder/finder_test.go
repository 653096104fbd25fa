package decoder

import (
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/internal/race"
)

// gozxingScan is what scan's confirmed patterns must be: gozxing's own
// FinderPatternFinder.HandlePossibleCenter handed the same row windows, in
// the same order, merging each new pattern by walking all it holds.
func gozxingScan(m *gozxing.BitMatrix) []*detector.FinderPattern {
	f := detector.NewFinderPatternFinder(m, nil)
	var ends []int
	var row *gozxing.BitArray
	for y := 1; y < m.GetHeight(); y += 2 {
		row = m.GetRow(y, row)
		ends = rowRuns(row.GetBitArray(), m.GetWidth(), ends[:0])
		for k := 0; k+4 < len(ends); k += 2 {
			start := 0
			if k > 0 {
				start = ends[k-1]
			}
			if finderRatio(start, ends[k:k+5]) {
				st := []int{ends[k] - start, ends[k+1] - ends[k], ends[k+2] - ends[k+1], ends[k+3] - ends[k+2], ends[k+4] - ends[k+3]}
				f.HandlePossibleCenter(st, y, ends[k+4])
			}
		}
	}
	return f.GetPossibleCenters()
}

// TestScanAsGozxing checks that scan confirms and merges finder patterns
// exactly as gozxing would, though it finds the pattern to merge with in
// a grid of cells and turns down runs too long for gozxing's checks
// early: on frames of every corpus category and on posters.
func TestScanAsGozxing(t *testing.T) {
	var imgs []*scene.Sample
	n := 3
	if race.Enabled || testing.Short() {
		n = 1
	}
	for _, cat := range scene.Categories(sampleTexts()) {
		for i := range n {
			s := cat.Make(i)
			imgs = append(imgs, &s)
		}
	}
	for _, p := range []poster{{400, 300, 1}, {500, 500, 2}, {640, 480, 3}} {
		imgs = append(imgs, &scene.Sample{Image: p.image(), Text: p.String()})
	}
	var sc scanner
	for i, s := range imgs {
		pl, err := New(nil).lumaPlane(s.Image)
		if err != nil {
			t.Fatal(err)
		}
		var bin binarizer
		bin.stats(pl)
		for _, inverted := range []bool{false, true} {
			m := bin.matrix(pl, inverted, slotOther)
			got, want := sc.scan(m).found, gozxingScan(m)
			if len(got) != len(want) {
				t.Fatalf("frame %d (%.20q), inverted %v: %d patterns, gozxing %d", i, s.Text, inverted, len(got), len(want))
			}
			for j := range got {
				g, w := got[j], want[j]
				if g.GetX() != w.GetX() || g.GetY() != w.GetY() || g.GetEstimatedModuleSize() != w.GetEstimatedModuleSize() || g.GetCount() != w.GetCount() {
					t.Fatalf("frame %d (%.20q), inverted %v, pattern %d: got %v, gozxing %v", i, s.Text, inverted, j, g, w)
				}
			}
		}
	}
}
