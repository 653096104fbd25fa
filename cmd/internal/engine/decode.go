package engine

import (
	"image"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/terminal"
)

// frameDecoder adapts the decoder to terminal.FrameDecoder. It looks
// first where the last code was, since a code held up to the camera stays
// about where it is from one frame to the next, and passes on the
// decoder's advice about a code it saw but could not read as a hint. The
// pipeline calls it from one goroutine.
type frameDecoder struct {
	dec  *decoder.Decoder
	hint image.Rectangle
}

// newFrameDecoder returns a frame decoder with the decoder's budget; hints,
// if not nil, hears what the person at the camera should do about a code
// seen but not read.
func newFrameDecoder(budget time.Duration, hints func(terminal.Hint)) *frameDecoder {
	opts := &decoder.Options{Budget: budget}
	if hints != nil {
		opts.Missed = func(m decoder.Miss) { hints(hintOf(m.Advice())) }
	}
	return &frameDecoder{dec: decoder.New(opts)}
}

// hintOf is the hint that says an advice.
func hintOf(a decoder.Advice) terminal.Hint {
	switch a {
	case decoder.AdviceCloser:
		return terminal.HintCloser
	case decoder.AdviceLessGlare:
		return terminal.HintLessGlare
	}
	return terminal.HintHoldStill
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
