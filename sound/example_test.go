package sound_test

import (
	"fmt"
	"log"

	"github.com/fuscan/fuscan/sound"
)

func ExampleOpen() {
	p, err := sound.Open(nil) // paplay, aplay or pw-play; silent without one
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	p.Play("pass") // returns at once; dropped when two cues wait already
	fmt.Println(sound.Has("voice/zh-CN/deny"), sound.Has("fanfare"))
	// Output: true false
}
