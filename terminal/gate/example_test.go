package gate_test

import (
	"fmt"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/gate"
)

func ExampleParse() {
	g, err := gate.Parse("http:http://192.168.1.50/relay/0?pulse=800ms&fail=open")
	if err != nil {
		fmt.Println(err)
		return
	}
	h := g.(*gate.HTTP)
	fault := &terminal.Decision{Verdict: terminal.Refer, Reason: terminal.TerminalFault}
	fmt.Println(h.URL, h.Pulse, h.Opens(fault))

	_, err = gate.Parse("exec:open-door?fail=maybe")
	fmt.Println(err)
	// Output:
	// http://192.168.1.50/relay/0 800ms true
	// gate: bad spec "exec:open-door?fail=maybe": fail=maybe: want open or closed
}
