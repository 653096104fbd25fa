package scene

import (
	"image"
	"testing"

	"github.com/fuscan/fuscan/terminal/sample"
)

// FuzzRender renders small frames of any text and parameters: Render must
// return an error or a frame of the size asked for, never panic or hang.
func FuzzRender(f *testing.F) {
	f.Add("FSC1:ABC", 3.0, 17.0, 10.0, -20.0, 0.6, 2.0, 0.0, uint8(0), uint8(0), uint8(64), uint8(48), false, 0)
	f.Add("", 2.2, 200.0, 70.0, 0.0, 3.0, 30.0, 1.5, uint8(1), uint8(2), uint8(100), uint8(80), true, 3)
	f.Add(sample.Texts()[0][:40], 1.0, -45.0, 0.0, 60.0, 0.0, 0.0, 0.0, uint8(2), uint8(3), uint8(0), uint8(0), false, 1)
	f.Fuzz(func(t *testing.T, text string, px, angle, tiltX, tiltY, blur, noise, glare float64, carrier, ink, w, h uint8, inverted bool, clutter int) {
		p := Params{
			Width: 16 + int(w)%112, Height: 16 + int(h)%112,
			ModulePx: px, Angle: angle, TiltX: tiltX, TiltY: tiltY, Blur: blur, Noise: noise,
			Glare: Glare{Strength: glare}, Carrier: Carrier(carrier % 5), Ink: Ink(ink % 5),
			Inverted: inverted, Clutter: clutter % 8, MotionPx: blur * 3,
		}
		img, err := Render(text, p)
		if err != nil {
			return
		}
		if got, want := img.Bounds(), image.Rect(0, 0, p.Width, p.Height); got != want {
			t.Errorf("frame %v, want %v", got, want)
		}
	})
}
