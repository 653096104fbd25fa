package scene

import (
	"strings"
	"testing"
)

// TestPoster checks a poster's squares: a finder pattern's 1:1:3:1:1 rows
// from a light module in, 8 modules apart, at the module width asked for.
func TestPoster(t *testing.T) {
	// Module rows of the first two squares and the light module between
	// and around them: # dark, . light.
	want := []string{
		".................",
		".#######.#######.",
		".#.....#.#.....#.",
		".#.###.#.#.###.#.",
		".#.###.#.#.###.#.",
		".#.###.#.#.###.#.",
		".#.....#.#.....#.",
		".#######.#######.",
		".................",
	}
	for _, px := range []int{1, 3} {
		img := Poster(17*px+1, 9*px, px)
		for my, row := range want {
			var got strings.Builder
			for mx := range len(row) {
				// The centre pixel of each module.
				if img.GrayAt(mx*px+px/2, my*px+px/2).Y == 0 {
					got.WriteByte('#')
				} else {
					got.WriteByte('.')
				}
			}
			if got.String() != row {
				t.Errorf("%d px a module, row %d: got %s, want %s", px, my, got.String(), row)
			}
		}
	}
}

func TestPosterPanics(t *testing.T) {
	for _, args := range [][3]int{{0, 10, 1}, {10, 10, 0}, {1 << 15, 10, 1}, {10, 10, 65}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Poster(%d, %d, %d) did not panic", args[0], args[1], args[2])
				}
			}()
			Poster(args[0], args[1], args[2])
		}()
	}
}
