package wire

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// TestDocExamples rebuilds the worked examples of docs/protocol.md §9 and
// checks that the document shows them.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	squeezed := strings.Join(strings.Fields(string(doc)), "")
	r := &terminal.Record{Seq: 1, Device: "d1", Venue: "v1", TimeUS: time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro(),
		ClockOK: true, Format: "card", Issuer: "350000", Verdict: "pass", Reason: terminal.OK, Color: "green",
		Name: "张*", IDTail: "1234", Policy: 1, Trust: 1, PrevHash: make([]byte, 32)}
	r.Hash = terminal.ChainHash(r.PrevHash, r)
	rec, err := cose.EncMode.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"record": hex.EncodeToString(rec), "chain hash": hex.EncodeToString(r.Hash)} {
		if !strings.Contains(squeezed, want) {
			t.Errorf("docs/protocol.md lacks the %s %s", name, want)
		}
	}
	env, err := cose.EncMode.Marshal(envelope{V: 1, Device: "d1", Records: []cbor.RawMessage{rec}})
	if err != nil {
		t.Fatal(err)
	}
	head := strings.ReplaceAll("a3 61 76 01 66 646576696365 62 6431 67 7265636f726473 81", " ", "")
	if got := hex.EncodeToString(env[:len(env)-len(rec)]); got != head || !bytes.HasSuffix(env, rec) {
		t.Errorf("batch head %s, the document says %s", got, head)
	}
	if !strings.Contains(squeezed, strings.ReplaceAll("`a3 61 76 01 66 646576696365 62 6431 67 7265636f726473 81`", " ", "")) {
		t.Errorf("docs/protocol.md lacks the batch head")
	}
}
