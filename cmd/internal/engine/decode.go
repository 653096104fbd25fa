package engine

import (
	"image"
	"time"

	"github.com/fuscan/fuscan/decoder"
)

// frameDecoder adapts the decoder to terminal.FrameDecoder. It looks
// first where the last code was, since a code held up to the camera stays
// about where it is from one frame to the next. The pipeline calls it from
// one goroutine.
type frameDecoder struct {
	dec  *decoder.Decoder
	hint image.Rectangle
}

func newFrameDecoder(budget time.Duration) *frameDecoder {
	return &frameDecoder{dec: decoder.New(&decoder.Options{Budget: budget})}
}

func (f *frameDecoder) Decode(img image.Image) ([]string, error) {
	codes, err := f.dec.DecodeHint(img, f.hint)
	f.hint = image.Rectangle{}
	if err != nil {
		return nil, err
	}
	texts := make([]string, 0, len(codes))
	for _, c := range codes {
		texts = append(texts, c.Text)
		f.hint = f.hint.Union(c.Bounds())
	}
	return texts, nil
}
