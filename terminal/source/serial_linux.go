package source

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// speeds are the baud rates scanner: can set, as termios speed codes.
var speeds = map[int]uint32{
	9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600,
	115200: unix.B115200, 230400: unix.B230400, 460800: unix.B460800, 921600: unix.B921600,
}

// openDevice opens a scanner's device read-only, without making it the
// process's controlling terminal, and with a baud rate other than zero
// puts it in raw 8N1 mode at that speed.
func openDevice(dev string, baud int) (io.ReadCloser, error) {
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if baud == 0 {
		return f, nil
	}
	if err := setRaw(f, speeds[baud]); err != nil {
		f.Close()
		return nil, fmt.Errorf("setting %d baud on %s: %w", baud, dev, err)
	}
	return f, nil
}

// setRaw sets f's terminal to raw 8N1 at speed, reading a byte at a time.
func setRaw(f *os.File, speed uint32) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = conn.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CBAUD
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return err
	}
	return ioErr
}
