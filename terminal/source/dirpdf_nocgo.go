//go:build !cgo

package source

import (
	"errors"
	"image"
)

// renderPDF fails: the decoder renders PDF pages with MuPDF, through cgo.
func renderPDF(string, func(*image.Gray) error) error {
	return errors.New("rendering PDF pages needs a build with cgo")
}
