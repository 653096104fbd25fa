package base45

import (
	"bytes"
	"errors"
	"testing"
)

// Vectors from RFC 9285 section 4.
var vectors = []struct{ raw, text string }{
	{"AB", "BB8"},
	{"Hello!!", "%69 VD92EX0"},
	{"base-45", "UJCLQE7W581"},
	{"ietf!", "QED8WEX0"},
	{"", ""},
	{"\x00", "00"},
	{"\xff\xff", "FGW"},
}

func TestRoundTrip(t *testing.T) {
	for _, v := range vectors {
		if got := Encode([]byte(v.raw)); got != v.text {
			t.Errorf("Encode(%q) = %q, want %q", v.raw, got, v.text)
		}
		got, err := Decode(v.text)
		if err != nil || string(got) != v.raw {
			t.Errorf("Decode(%q) = %q, %v; want %q", v.text, got, err, v.raw)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, text := range []string{
		"GGW",  // 65536: too large for two bytes
		"A",    // dangling character
		"ABCD", // dangling character
		"ab",   // lower case is not in the alphabet
		"AB\n", // control character
		"ZZ",   // 1619: too large for one byte
		"BB8é",
	} {
		if got, err := Decode(text); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) = %q, %v; want ErrInvalid", text, got, err)
		}
	}
}

func TestAllBytes(t *testing.T) {
	raw := make([]byte, 0, 513)
	for i := 0; i < 513; i++ {
		raw = append(raw, byte(i*7))
	}
	for n := range raw {
		got, err := Decode(Encode(raw[:n]))
		if err != nil || !bytes.Equal(got, raw[:n]) {
			t.Fatalf("round trip of %d bytes: got %x, %v", n, got, err)
		}
		if l := len(Encode(raw[:n])); l != EncodedLen(n) || DecodedLen(l) != n {
			t.Fatalf("lengths for %d bytes: encoded %d, EncodedLen %d, DecodedLen %d", n, l, EncodedLen(n), DecodedLen(l))
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to the same text (one decoding per text).
func FuzzDecode(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.text)
	}
	f.Add("GGW")
	f.Add("A")
	f.Fuzz(func(t *testing.T, text string) {
		raw, err := Decode(text)
		if err != nil {
			return
		}
		if again := Encode(raw); again != text {
			t.Fatalf("Decode(%q) = %x re-encodes to %q", text, raw, again)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	text := Encode(bytes.Repeat([]byte{0x5a, 0xa5, 0x33}, 100))
	b.SetBytes(int64(len(text)))
	buf := make([]byte, 0, DecodedLen(len(text)))
	for b.Loop() {
		if _, err := AppendDecode(buf[:0], text); err != nil {
			b.Fatal(err)
		}
	}
}
