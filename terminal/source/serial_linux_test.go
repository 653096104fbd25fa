package source_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/source"
)

// TestScannerPTY runs scanner: on a pseudo-terminal, as close to a USB
// CDC scan engine as this machine has: the source puts the line in raw
// mode at the baud asked for, and reads the lines the "engine" (the pty's
// master side) sends.
func TestScannerPTY(t *testing.T) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	dev := fmt.Sprintf("/dev/pts/%d", n)
	// Held open so that the line stays set up between the source's opens.
	peer, err := os.OpenFile(dev, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	var log bytes.Buffer
	s, err := source.Open("scanner:"+dev+"?baud=115200", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	texts := make(chan terminal.Scan)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, nil, texts) }()

	// Wait until the source has put the line in raw mode: in canonical
	// mode the line discipline would echo and translate what is sent.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(peer.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ICANON == 0 {
			if got := tio.Cflag & unix.CBAUD; got != unix.B115200 {
				t.Errorf("speed code %#o, want B115200 (%#o)", got, unix.B115200)
			}
			if tio.Lflag&unix.ECHO != 0 || tio.Cflag&unix.CSIZE != unix.CS8 {
				t.Errorf("termios %+v: want no echo, 8 bits", tio)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the source did not set raw mode; log:\n%s", log.String())
		}
		time.Sleep(time.Millisecond)
	}
	want := []string{"FSC1:6BFOXN*TS0BI$ZDFRH", "HC1:NCFOXN%TS3DH"}
	for _, w := range want {
		if _, err := master.WriteString(w + "\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range want {
		select {
		case got := <-texts:
			if got.Text != w {
				t.Errorf("got %q, want %q", got.Text, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no text for %q; log:\n%s", w, log.String())
		}
	}
	cancel()
	master.Close() // the read blocked on the line ends with the pty
	<-done
}
