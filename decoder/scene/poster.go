package scene

import (
	"fmt"
	"image"
)

// Poster returns a width×height image tiled with QR finder patterns and
// nothing else: 7×7-module squares (a dark ring, a light ring, a dark 3×3
// centre) one light module apart, modulePx pixels a module, from a light
// module in from the top left corner. It holds no code; every square is a
// finder pattern to a decoder, tens of thousands of them in a few
// kilobytes of PNG, and a decoder that looks at every triple of them
// never finishes: a hostile poster held up to the camera.
//
// width and height are 1 to 16384 pixels and modulePx 1 to 64; Poster
// panics otherwise.
func Poster(width, height, modulePx int) *image.Gray {
	if width < 1 || height < 1 || width > 1<<14 || height > 1<<14 || modulePx < 1 || modulePx > 64 {
		panic(fmt.Sprintf("scene: poster of %d×%d pixels at %d a module", width, height, modulePx))
	}
	img := image.NewGray(image.Rect(0, 0, width, height))
	for y := range height {
		row := img.Pix[y*img.Stride : y*img.Stride+width]
		for x := range row {
			row[x] = 0xff
			if finderDark(x/modulePx-1, y/modulePx-1) {
				row[x] = 0
			}
		}
	}
	return img
}

// finderDark reports whether module (x, y) of a sheet of finder patterns,
// 8 modules apart from (0, 0) on, is dark.
func finderDark(x, y int) bool {
	if x < 0 || y < 0 {
		return false
	}
	x, y = x%8, y%8
	if x == 7 || y == 7 {
		return false // the light module between squares
	}
	ring := max(abs(x-3), abs(y-3)) // 3 the outer ring, 2 the light one, below the centre
	return ring != 2
}
