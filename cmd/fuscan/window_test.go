package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/race"
	"github.com/fuscan/fuscan/terminal/sample"
)

type screen struct {
	name string
	c    color.RGBA
}

// isResult reports whether name is a result screen's.
func isResult(name string) bool {
	return slices.ContainsFunc(screens, func(s screen) bool { return s.name == name && name != "scan" })
}

// The colours of the kiosk's screens (ui's palette), as the X server
// shows them.
var screens = []screen{
	{"pass", color.RGBA{0x2E, 0x7D, 0x32, 0xFF}},
	{"warn", color.RGBA{0xF9, 0xA8, 0x25, 0xFF}},
	{"deny", color.RGBA{0xC6, 0x28, 0x28, 0xFF}},
	{"refer", color.RGBA{0x54, 0x6E, 0x7A, 0xFF}},
	{"scan", color.RGBA{0x0F, 0x1E, 0x26, 0xFF}},
}

// classify names the screen img shows, from a corner away from any text.
func classify(img image.Image) string {
	r, g, b, _ := img.At(12, 12).RGBA()
	for _, s := range screens {
		d := func(a uint32, b uint8) int { return max(int(a>>8)-int(b), int(b)-int(a>>8)) }
		if d(r, s.c.R)+d(g, s.c.G)+d(b, s.c.B) < 24 {
			return s.name
		}
	}
	return fmt.Sprintf("other(%d,%d,%d)", r>>8, g>>8, b>>8)
}

// xvfb starts an X server with xvfb-run and returns its DISPLAY and
// XAUTHORITY; it stops when the test ends.
func xvfb(t *testing.T, size string) (display, xauth string) {
	t.Helper()
	for _, tool := range []string{"xvfb-run", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("FUSCAN_XVFB") != "" {
				t.Fatalf("%s missing (scripts/deps.sh installs xvfb and imagemagick)", tool)
			}
			t.Skipf("%s missing: the real-window test runs in make test", tool)
		}
	}
	env := filepath.Join(t.TempDir(), "display")
	// Our own server number, away from xvfb-run -a's first choices
	// (other programs' X servers).
	n := 200 + os.Getpid()%500
	for ; n < 1200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			break
		}
	}
	cmd := exec.Command("xvfb-run", "-n", strconv.Itoa(n), "-s", "-screen 0 "+size+"x24 -nolisten tcp",
		"sh", "-c", `echo "$DISPLAY $XAUTHORITY" > `+env+`.tmp && mv `+env+`.tmp `+env+` && exec sleep infinity`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if data, err := os.ReadFile(env); err == nil {
			f := strings.Fields(string(data))
			if len(f) == 2 {
				return f[0], f[1]
			}
		}
	}
	t.Fatal("xvfb-run did not start an X server within 30 s")
	return "", ""
}

// screenshot takes the X server's whole screen.
func screenshot(t *testing.T, display, xauth string) (image.Image, []byte) {
	t.Helper()
	cmd := exec.Command("import", "-display", display, "-window", "root", "png:-")
	cmd.Env = append(os.Environ(), "XAUTHORITY="+xauth)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img, out
}

// feed writes a sample code of each case to w every 4.5 s, a result's
// time and more, so that the scan screen shows between them; it stops when
// w is closed.
func feed(w io.WriteCloser) {
	defer w.Close()
	for i := 0; ; i++ {
		cases := sample.Cases(time.Now())
		if _, err := io.WriteString(w, cases[i%len(cases)].Text+"\n"); err != nil {
			return
		}
		time.Sleep(4500 * time.Millisecond)
	}
}

// TestRealWindow runs the kiosk binary full-screen on an X server in demo
// mode and watches the screen: a result of each colour must show, and the
// scan screen must come back after each; SIGTERM must stop it cleanly.
// FUSCAN_XVFB_SHOTS=DIR keeps the first screenshot of each screen.
func TestRealWindow(t *testing.T) {
	switch {
	case testing.Short():
		t.Skip("-short: no X server")
	case headless:
		t.Skip("built with -tags ci: the kiosk has no real window")
	}
	display, xauth := xvfb(t, "800x480")
	shots := os.Getenv("FUSCAN_XVFB_SHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	os.MkdirAll(shots, 0o755)
	var stdout, stderr bytes.Buffer
	args := []string{"--profile", "demo", "--data", t.TempDir(), "--listen", "off", "--print", "--mute"}
	if race.Enabled {
		// The demo camera renders and decodes a camera frame at a time, which
		// the race detector slows to a decision a minute: the screens are
		// what is tested, so it reads the same sample codes as text.
		args = append(args, "--source", "stdin:")
	}
	kiosk := exec.Command(os.Args[0], args...)
	kiosk.Env = append(os.Environ(), "FUSCAN_TEST_CHILD=1", "DISPLAY="+display, "XAUTHORITY="+xauth, "LANG=en_US.UTF-8")
	kiosk.Stdout, kiosk.Stderr = &stdout, &stderr
	if race.Enabled {
		in, err := kiosk.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		go feed(in)
	}
	if err := kiosk.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- kiosk.Wait() }()
	defer func() {
		if kiosk.ProcessState == nil {
			kiosk.Process.Kill()
		}
	}()

	seen := map[string]bool{}
	var sequence []string
	returned := 0 // results followed by the scan screen
	for deadline := time.Now().Add(150 * time.Second); time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("the kiosk exited early: %v\n%s", err, stderr.String())
		default:
		}
		img, raw := screenshot(t, display, xauth)
		name := classify(img)
		if len(sequence) == 0 || sequence[len(sequence)-1] != name {
			if name == "scan" && len(sequence) > 0 && isResult(sequence[len(sequence)-1]) {
				returned++
			}
			sequence = append(sequence, name)
		}
		if !seen[name] {
			seen[name] = true
			os.WriteFile(filepath.Join(shots, name+".png"), raw, 0o644)
		}
		if seen["pass"] && seen["warn"] && seen["deny"] && seen["refer"] && returned >= 4 {
			break
		}
	}
	t.Logf("screens in order: %v; screenshots in %s", sequence, shots)
	for _, s := range screens {
		if !seen[s.name] {
			t.Errorf("no %s screen seen", s.name)
		}
	}
	if returned < 4 {
		t.Errorf("the scan screen came back after %d results, want 4", returned)
	}
	if err := kiosk.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the kiosk did not stop within 20 s of SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "kiosk stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
	if n := strings.Count(stdout.String(), "  #"); n < 4 {
		t.Errorf("%d decisions printed, want at least 4", n)
	}
}
