package ui_test

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/ui"
)

// A kiosk is a terminal.Output: cmd/fuscan hands it to the engine with
// the other outputs, its Frame and Hint methods as engine.Options.Frames
// and Hints, and puts its content in a full-screen window.
func Example() {
	test.NewApp() // cmd/fuscan: app.New(), a window, SetFullScreen
	k := ui.New(ui.Options{Language: "en", ResultTime: 3 * time.Second})
	w := test.NewWindow(k.Content())
	defer w.Close()

	k.SetStatus(ui.Status{Device: "k-01", Venue: "museum", Linked: true, Online: true})
	d := &terminal.Decision{Verdict: terminal.Deny, Reason: terminal.ColorRed, Name: "王*", IDTail: "0012"}
	err := k.Show(context.Background(), d, &terminal.Record{Seq: 1}) // returns at once
	fmt.Println(err, ui.Languages())
	// Output: <nil> [zh-CN en]
}
