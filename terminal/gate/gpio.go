package gate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// GPIO drives one line of a Linux GPIO character device high for the pulse
// length to open. Show returns once the line is high; the line goes low
// again in the background, and an open during a pulse extends it, so the
// pipeline is not held up for the pulse.
type GPIO struct {
	Chip string // device path, such as /dev/gpiochip0
	Line uint32 // line offset on the chip
	Options

	mu    sync.Mutex
	held  *line // nil when the line is not requested
	until time.Time
	timer *time.Timer
}

func newGPIO(target string, opts Options) (*GPIO, error) {
	chip, lineNo, ok := strings.Cut(target, ":")
	if !ok || chip == "" {
		return nil, errors.New("gpio needs a chip and a line: gpio:CHIP:LINE, such as gpio:gpiochip0:17")
	}
	n, err := strconv.ParseUint(lineNo, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gpio line %q: want a line number, such as 17", lineNo)
	}
	switch {
	case strings.Contains(chip, "/"):
	case strings.Trim(chip, "0123456789") == "":
		chip = "/dev/gpiochip" + chip
	default:
		chip = "/dev/" + chip
	}
	return &GPIO{Chip: chip, Line: uint32(n), Options: opts}, nil
}

// Show implements terminal.Output.
func (g *GPIO) Show(_ context.Context, d *terminal.Decision, _ *terminal.Record) error {
	if !g.Opens(d) {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.until = time.Now().Add(g.pulse())
	if g.held != nil {
		return nil // close sees the later deadline
	}
	l, err := requestLine(g.Chip, g.Line)
	if err != nil {
		return fmt.Errorf("gate: gpio: %w", err)
	}
	g.held = l
	g.timer = time.AfterFunc(g.pulse(), g.close)
	return nil
}

// close ends a pulse, the line going low and being released, unless an
// open during the pulse moved its end.
func (g *GPIO) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if left := time.Until(g.until); left > 0 {
		g.timer.Reset(left)
		return
	}
	g.held.release()
	g.held = nil
}
