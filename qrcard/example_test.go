package qrcard_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"

	"github.com/fuscan/fuscan/qrcard"
)

func ExampleWritePNG() {
	var buf bytes.Buffer
	// A nil *ImageOptions means level M, 8 px a module, 4 modules of border.
	if err := qrcard.WritePNG(&buf, "FSC1:NCFOXN%TSMAHN-H3ZSUZK+.V0ET9%6-AX", nil); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d px\n", cfg.Width, cfg.Height)
	// Output: 264×264 px
}
