package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/engine"
	"github.com/fuscan/fuscan/terminal"
)

// actions are the admin panel's commands on a running engine.
type actions struct {
	e    *engine.Engine
	quit func()
	now  func() time.Time
}

func (a *actions) SyncNow() error {
	l := a.e.Link()
	if l == nil {
		return errors.New("no hub configured (mqtt.broker)")
	}
	l.Notify()
	return nil
}

// TestGate opens the gate once, through the engine's own gate.
func (a *actions) TestGate() error { return a.e.TestGate(context.Background()) }

func (a *actions) Quit() { a.quit() }

// mounts are where desktop systems and udisks mount USB sticks.
var mounts = []string{"/media/*/*", "/run/media/*/*", "/media/*", "/mnt/*"}

// Folders offers the removable media mounted now, then the data
// directory's parent (for a terminal without any).
func (a *actions) Folders() []string {
	var dirs []string
	for _, pattern := range mounts {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.IsDir() && !slices.Contains(dirs, m) {
				dirs = append(dirs, m)
			}
		}
	}
	return append(dirs, filepath.Dir(a.e.Config().Data))
}

// exportColumns are the CSV's columns: what a venue manager reads of the
// log, the holder masked as on screen, nothing to identify a code.
var exportColumns = []string{"seq", "time", "device", "venue", "format", "verdict", "reason", "color", "name", "id_tail"}

// ExportCSV writes the whole log into a new file in dir, synced before
// it returns, so that a USB stick can be pulled at once.
func (a *actions) ExportCSV(dir string) (string, int, error) {
	if dir == "" {
		return "", 0, errors.New("no folder given")
	}
	base := fmt.Sprintf("fuscan-%s-%s", a.e.Config().Device, a.now().UTC().Format("20060102T150405Z"))
	var f *os.File
	var path string
	var err error
	for i := 1; f == nil; i++ {
		path = filepath.Join(dir, base+".csv")
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.csv", base, i))
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && (!errors.Is(err, fs.ErrExist) || i == 100) {
			return "", 0, err
		}
	}
	n, err := writeCSV(f, a.e)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	return path, n, nil
}

func writeCSV(f *os.File, e *engine.Engine) (int, error) {
	w := csv.NewWriter(f)
	w.Write(exportColumns)
	n := 0
	err := e.Store().Records(time.Time{}, func(r *terminal.Record) error {
		n++
		return w.Write([]string{strconv.FormatUint(r.Seq, 10), r.Time().UTC().Format(time.RFC3339), r.Device, r.Venue,
			r.Format, r.Verdict, string(r.Reason), r.Color, r.Name, r.IDTail})
	})
	w.Flush()
	return n, errors.Join(err, w.Error())
}
