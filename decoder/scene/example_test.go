package scene_test

import (
	"fmt"
	"image"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal/sample"
)

func ExampleRender() {
	text := sample.Texts()[0]
	img, err := scene.Render(text, scene.Params{
		ModulePx: 2.8, Angle: 20, TiltX: 15, // small, turned and tilted
		Carrier: scene.CarrierPhone, Moire: 0.4, // on a phone's screen
		Blur: 0.6, Noise: 3, Seed: 1, // through a real lens and sensor
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%T %v\n", img, img.Bounds())
	// Output: *image.Gray (0,0)-(1280,720)
}

func ExampleCategories() {
	for _, c := range scene.Categories(sample.Texts()) {
		s := c.Make(0)
		fmt.Printf("%-12s %2d samples, %T, code shown: %v\n", c.Name, c.N, s.Image, s.Text != "")
	}
	// Output:
	// clean        32 samples, *image.Gray, code shown: true
	// dense        40 samples, *image.Gray, code shown: true
	// rotated      36 samples, *image.Gray, code shown: true
	// perspective  30 samples, *image.Gray, code shown: true
	// blur         30 samples, *image.Gray, code shown: true
	// noise        30 samples, *image.Gray, code shown: true
	// lowlight     30 samples, *image.Gray, code shown: true
	// glare        30 samples, *image.Gray, code shown: true
	// moire        30 samples, *image.Gray, code shown: true
	// colored      30 samples, *image.RGBA, code shown: true
	// inverted     24 samples, *image.Gray, code shown: true
	// clutter      30 samples, *image.Gray, code shown: true
	// jpeg         24 samples, *image.Gray, code shown: true
	// 1080p        24 samples, *image.Gray, code shown: true
	// dense720     60 samples, *image.Gray, code shown: true
	// dense1080    40 samples, *image.Gray, code shown: true
	// empty        30 samples, *image.RGBA, code shown: false
}

func ExampleSequence() {
	frames := scene.Sequence(1, image.Point{}, sample.Texts())
	for _, t := range []int{0, 90, 140} {
		s := frames(t)
		fmt.Printf("frame %3d: code shown: %v\n", t, s.Text != "")
	}
	// Output:
	// frame   0: code shown: false
	// frame  90: code shown: true
	// frame 140: code shown: false
}
