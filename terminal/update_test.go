package terminal

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestTrustReplaces(t *testing.T) {
	prod := func(v uint64) *Trust { return &Trust{Version: v} }
	demo := func(v uint64) *Trust { return &Trust{Version: v, Demo: true} }
	cases := []struct {
		name      string
		next, cur *Trust
		want      error
	}{
		{"first provisioned", prod(1), nil, nil},
		{"newer", prod(8), prod(7), nil},
		{"same version", prod(7), prod(7), ErrNotNewer},
		{"rollback", prod(5), prod(7), ErrNotNewer},
		{"demo over none", demo(1), nil, ErrDemoTrust},
		{"demo over provisioned, higher version", demo(20), prod(7), ErrDemoTrust},
		{"demo over demo", demo(2), demo(1), ErrDemoTrust},
		{"provisioned over demo of a higher version", prod(1), demo(20), nil},
	}
	for _, c := range cases {
		if got := c.next.Replaces(c.cur); !errors.Is(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseRevocationDelta(t *testing.T) {
	h := RevocationHash("FSC-2")
	data := []byte("# delta 11 -> 12\n+FSC-1\n\n- sha256:" + hex.EncodeToString(h[:]) + "\n")
	add, remove, err := ParseRevocationDelta(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(add) != 1 || add[0] != RevocationHash("FSC-1") || len(remove) != 1 || remove[0] != h {
		t.Errorf("add %x remove %x", add, remove)
	}
	for _, bad := range []string{"FSC-1", "+sha256:zz", "*FSC-1"} {
		if _, _, err := ParseRevocationDelta([]byte(bad)); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}
