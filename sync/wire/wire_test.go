package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zlib"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

func TestTopics(t *testing.T) {
	if got := DeviceTopic("fz", "gate-07", LeafScans); got != "fuscan/v1/fz/dev/gate-07/scans" {
		t.Errorf("DeviceTopic = %q", got)
	}
	tenant, device, leaf, err := ParseDeviceTopic("fuscan/v1/fz/dev/gate-07/status")
	if err != nil || tenant != "fz" || device != "gate-07" || leaf != LeafStatus {
		t.Errorf("ParseDeviceTopic = %q %q %q %v", tenant, device, leaf, err)
	}
	for _, bad := range []string{"fuscan/v1/fz/dev/+/scans", "fuscan/v2/fz/dev/a/scans", "fuscan/v1/fz/dev/a", "x/v1/fz/dev/a/scans"} {
		if _, _, _, err := ParseDeviceTopic(bad); !errors.Is(err, ErrTopic) {
			t.Errorf("ParseDeviceTopic(%q) = %v, want ErrTopic", bad, err)
		}
	}
	for _, target := range []string{"all", "group:north", "device:gate-07"} {
		topic, err := UpdateTopic("fz", target, "policy")
		if err != nil {
			t.Fatal(err)
		}
		got, kind, err := ParseUpdateTopic(topic)
		if err != nil || got != target || kind != "policy" {
			t.Errorf("ParseUpdateTopic(%q) = %q %q %v, want %q policy", topic, got, kind, err, target)
		}
	}
	for _, bad := range []string{"group:", "device:a/b", "device:#", "some"} {
		if _, err := UpdateTopic("fz", bad, "policy"); err == nil {
			t.Errorf("UpdateTopic(%q): got no error", bad)
		}
	}
	if f := UpdateFilters("fz", "north", "d1"); len(f) != 3 {
		t.Errorf("UpdateFilters = %q, want 3 filters", f)
	}
}

func records(t testing.TB, device string, from, n int) []cbor.RawMessage {
	t.Helper()
	var out []cbor.RawMessage
	for i := range n {
		r := &terminal.Record{Seq: uint64(from + i), Device: device, Venue: "v", TimeUS: 1, Verdict: "pass", Reason: "OK"}
		b, err := cose.EncMode.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	b := &Batch{Device: "d1", Records: records(t, "d1", 5, 100)}
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := got.DecodeRecords()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 100 || recs[0].Seq != 5 || recs[99].Seq != 104 || !bytes.Equal(got.Records[3], b.Records[3]) {
		t.Errorf("decoded %d records from %d", len(recs), recs[0].Seq)
	}
}

func deflate(data []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

func TestBatchHostile(t *testing.T) {
	env := func(v any) []byte {
		b, err := cose.EncMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return deflate(b)
	}
	bomb := deflate(bytes.Repeat([]byte{0}, 64<<20))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not zlib", []byte("hello"), "zlib"},
		{"zip bomb", bomb, "inflates past"},
		{"version 2", env(envelope{V: 2, Device: "d1", Records: records(t, "d1", 1, 1)}), "version 2"},
		{"bad device", env(envelope{V: 1, Device: "d/1", Records: records(t, "d/1", 1, 1)}), "device"},
		{"no records", env(envelope{V: 1, Device: "d1"}), "no records"},
		{"too many", env(envelope{V: 1, Device: "d1", Records: records(t, "d1", 1, MaxBatchRecords+1)}), "max number of elements"},
		{"not CBOR", deflate([]byte("{}")), "EOF"},
	}
	for _, c := range cases {
		_, err := DecodeBatch(c.data)
		if !errors.Is(err, ErrBatch) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrBatch with %q", c.name, err, c.want)
		}
	}
	mixed := &Batch{Device: "d1", Records: append(records(t, "d1", 1, 1), records(t, "d2", 2, 1)...)}
	if _, err := mixed.DecodeRecords(); err == nil || !strings.Contains(err.Error(), `device "d2"`) {
		t.Errorf("another device's record: got %v", err)
	}
	backwards := &Batch{Device: "d1", Records: append(records(t, "d1", 5, 1), records(t, "d1", 5, 1)...)}
	if _, err := backwards.DecodeRecords(); err == nil {
		t.Errorf("repeated seq: got no error")
	}
}

func TestMessages(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var a Ack
	if err := Decode(Encode(Ack{First: 1, Last: 9, Held: 9, Time: at}), &a); err != nil || a.Last != 9 || !a.Time.Equal(at) {
		t.Errorf("Ack round trip: %+v %v", a, err)
	}
	if err := Decode([]byte(`{"online": true, "future_field": 1}`), &Status{}); err != nil {
		t.Errorf("unknown field: %v, want it ignored", err)
	}
	big := fmt.Sprintf(`{"detail": %q}`, strings.Repeat("x", MaxMessageBytes))
	if err := Decode([]byte(big), &Report{}); !errors.Is(err, ErrMessage) {
		t.Errorf("oversized message: %v", err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	b := &Batch{Device: "d1", Records: records(f, "d1", 1, 3)}
	data, err := b.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(deflate([]byte{0xa0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			return
		}
		b.DecodeRecords()
	})
}

func FuzzTopics(f *testing.F) {
	f.Add("fuscan/v1/fz/dev/gate-07/scans")
	f.Add("fuscan/v1/fz/group/north/updates/policy")
	f.Add("fuscan/v1/fz/updates/+")
	f.Fuzz(func(t *testing.T, topic string) {
		if tenant, device, leaf, err := ParseDeviceTopic(topic); err == nil && DeviceTopic(tenant, device, leaf) != topic {
			t.Fatalf("ParseDeviceTopic(%q) = %q %q %q, which names another topic", topic, tenant, device, leaf)
		}
		target, kind, err := ParseUpdateTopic(topic)
		if err != nil {
			return
		}
		if strings.ContainsAny(target+kind, "+#") && !strings.ContainsAny(topic, "+#") {
			t.Fatalf("ParseUpdateTopic(%q) made a wildcard", topic)
		}
		if !strings.ContainsAny(kind, "/+#") && kind != "" {
			tenant := strings.Split(topic, "/")[2]
			if back, err := UpdateTopic(tenant, target, kind); err != nil || back != topic {
				t.Fatalf("ParseUpdateTopic(%q) = %q %q; UpdateTopic gives %q, %v", topic, target, kind, back, err)
			}
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`{"first":1,"last":9,"held":9,"time":"2026-12-01T09:00:00Z"}`))
	f.Add([]byte(`{"online":true,"versions":{"trust":{"version":3}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Ack
		var s Status
		var r Report
		for _, v := range []any{&a, &s, &r} {
			if err := Decode(data, v); err != nil && !errors.Is(err, ErrMessage) {
				t.Fatalf("Decode error %v is not ErrMessage", err)
			}
		}
	})
}
