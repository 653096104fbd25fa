package gate

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// gpioLineFlagOutput is GPIO_V2_LINE_FLAG_OUTPUT of <linux/gpio.h>.
const gpioLineFlagOutput = 1 << 3

// line is a GPIO line requested as an output through the v2 uAPI.
type line struct{ fd int }

// requestLine requests offset on chip as an output driven high.
func requestLine(chip string, offset uint32) (*line, error) {
	f, err := os.OpenFile(chip, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var req unix.GPIOV2LineRequest
	req.Offsets[0] = offset
	copy(req.Consumer[:], "fuscan")
	req.Num_lines = 1
	req.Config.Flags = gpioLineFlagOutput
	req.Config.Num_attrs = 1
	req.Config.Attrs[0].Attr.Id = unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES
	req.Config.Attrs[0].Attr.Flags = 1 // the values member of the union: high
	req.Config.Attrs[0].Mask = 1
	if err := ioctl(int(f.Fd()), unix.GPIO_V2_GET_LINE_IOCTL, unsafe.Pointer(&req)); err != nil {
		return nil, fmt.Errorf("request line %d of %s: %w", offset, chip, err)
	}
	return &line{fd: int(req.Fd)}, nil
}

// release drives the line low and gives it back. Errors are ignored: the
// kernel releases the line with the descriptor whatever happens.
func (l *line) release() {
	v := unix.GPIOV2LineValues{Bits: 0, Mask: 1}
	_ = ioctl(l.fd, unix.GPIO_V2_LINE_SET_VALUES_IOCTL, unsafe.Pointer(&v))
	_ = unix.Close(l.fd)
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}
