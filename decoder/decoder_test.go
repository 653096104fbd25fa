package decoder

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/qrcard"
)

const sample = "FSC1:" + "NCFJ30B20FFWTWGSLK/-4P99B+VHH4L+GK4O77B0XKI-CQW6646736DF3/Y1600CF3E6TD10100000YALJB0Y50:XC3"

func codeImage(t *testing.T, text string, px int) *image.Gray {
	t.Helper()
	img, err := qrcard.Image(text, &qrcard.ImageOptions{ModulePx: px})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodeKinds(t *testing.T) {
	gray := codeImage(t, sample, 4)
	b := gray.Bounds()
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	copy(ycc.Y, gray.Pix)
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, gray, b.Min, draw.Src)
	inverted := image.NewGray(b)
	for i, p := range gray.Pix {
		inverted.Pix[i] = 255 - p
	}
	// A sub-image: the code sits inside a larger frame at an offset.
	frame := image.NewGray(image.Rect(0, 0, b.Dx()+100, b.Dy()+60))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{255}), image.Point{}, draw.Src)
	draw.Draw(frame, b.Add(image.Pt(70, 40)), gray, b.Min, draw.Src)
	sub := frame.SubImage(image.Rect(50, 20, b.Dx()+90, b.Dy()+60))
	for _, tt := range []struct {
		name string
		img  image.Image
		step string
	}{{"gray", gray, "luma"}, {"ycbcr", ycc, "luma"}, {"rgba", rgba, "luma"}, {"inverted", inverted, "inverted"}, {"sub-image", sub, "luma"}} {
		codes, err := New(nil).Decode(tt.img)
		if err != nil || len(codes) != 1 || codes[0].Text != sample || codes[0].Step != tt.step {
			t.Errorf("%s: got %+v, %v; want the sample text by step %s", tt.name, codes, err, tt.step)
		}
	}
}

func TestDecodeEmptyAndUnusable(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 640, 480))
	if codes, err := New(nil).Decode(blank); err != nil || len(codes) != 0 {
		t.Errorf("blank frame: got %v, %v; want nothing, no error", codes, err)
	}
	for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 1, MaxPixels+1))} {
		if _, err := New(nil).Decode(img); err == nil || !strings.Contains(err.Error(), "unusable") {
			t.Errorf("%v: got %v, want ErrImage", img.Bounds(), err)
		}
	}
}
