package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/ui"
)

// galleryStep is how long the gallery shows each state when it steps by
// itself.
const galleryStep = 4 * time.Second

// runGallery shows the screen states of ui.Gallery: one, or each in turn
// (← and → step, Escape quits).
func runGallery(ctx context.Context, a fyne.App, u firmwareconfig.UI, o options, stderr io.Writer) int {
	states := ui.GalleryStates()
	i := 0
	if o.galleryState != "" {
		if i = slices.Index(states, o.galleryState); i < 0 {
			fmt.Fprintf(stderr, "fuscan: --gallery-state %q: want one of %v\n", o.galleryState, states)
			return exitUsage
		}
	}
	g := ui.NewGallery(u.Language, u.Elderly)
	w := newWindow(a, "fuscan gallery", g.Content(), o)
	show := func(n int) {
		i = (n + len(states)) % len(states)
		g.Show(states[i])
		w.SetTitle(fmt.Sprintf("fuscan gallery: %s (%d/%d)", states[i], i+1, len(states)))
	}
	show(i)
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyRight, fyne.KeySpace:
			show(i + 1)
		case fyne.KeyLeft:
			show(i - 1)
		case fyne.KeyEscape, fyne.KeyQ:
			a.Quit()
		}
	})
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(galleryStep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fyne.Do(a.Quit)
				return
			case <-t.C:
				if o.galleryState == "" {
					fyne.Do(func() { show(i + 1) })
				}
			}
		}
	}()
	w.ShowAndRun()
	return exitOK
}
