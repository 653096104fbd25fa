package credential

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math"
	mathrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
)

// zlibOf returns a zlib stream of n bytes made by fill (nil: zeros), written
// through a streaming writer so that a bomb never sits in memory inflated.
func zlibOf(t testing.TB, n int, level int, fill func([]byte)) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for n > 0 {
		c := chunk[:min(n, len(chunk))]
		if fill != nil {
			fill(c)
		}
		if _, err := w.Write(c); err != nil {
			t.Fatal(err)
		}
		n -= len(c)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// noise fills b with a pseudo-random sequence, the same on every call, which
// does not compress.
func noise(b []byte) {
	r := mathrand.NewChaCha8([32]byte{'f', 'u', 's', 'c', 'a', 'n'})
	r.Read(b)
}

// zerosBomb returns a zlib stream of mib MiB of zeros, about 1 KiB a MiB.
// Compressing 100 MiB takes seconds under the race detector, so the stream
// is spliced: a zlib writer flushed after each MiB of zeros writes the same
// bytes for every MiB after the first, and the adler32 of n zeros is
// (n mod 65521)<<16 | 1. TestInflateBomb checks the splice.
func zerosBomb(t testing.TB, mib int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	var flushed [3][]byte
	for i := range flushed {
		w.Write(chunk)
		w.Flush()
		flushed[i] = bytes.Clone(b.Bytes())
		b.Reset()
	}
	if !bytes.Equal(flushed[1], flushed[2]) {
		t.Fatalf("the zlib writer wrote %x then %x for the same MiB: cannot splice", flushed[1], flushed[2])
	}
	w.Close()
	final := b.Bytes()[:b.Len()-4] // the last block, without the checksum of 3 MiB
	out := flushed[0]
	for range mib - 1 {
		out = append(out, flushed[1]...)
	}
	out = append(out, final...)
	return binary.BigEndian.AppendUint32(out, uint32(mib<<20%65521)<<16|1)
}

// bytesAllocated returns the heap bytes one call of f allocates, averaged
// over runs calls after a warm-up call.
func bytesAllocated(runs int, f func()) uint64 {
	f()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// maxAlloc bounds what decoding a hostile input may allocate: Inflate's
// buffer and the zlib reader's window, a few times over, and never the
// size the input claims.
const maxAlloc = 4*MaxInflated + 64<<10

// wantMalformed checks that Parse refuses text as malformed and, when why is
// not nil, for the reason it tells.
func wantMalformed(t *testing.T, name, text string, why func(error) bool) {
	t.Helper()
	u, err := Parse(text)
	switch {
	case err == nil:
		t.Errorf("%s: got %+v, want ErrMalformed", name, u)
	case !errors.Is(err, ErrMalformed):
		t.Errorf("%s: got %v, want ErrMalformed", name, err)
	case why != nil && !why(err):
		t.Errorf("%s: got %v, want it for another reason", name, err)
	}
}

// hostile is one hostile input and a check of the reason it must be refused
// for (nil: any reason). The tables are functions so that the fuzz targets
// seed from them too.
type hostile struct {
	name string
	data []byte
	why  func(error) bool
}

// as reports whether err wraps an error of type T.
func as[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// is returns a check that err wraps target.
func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// says returns a check that err's message holds s, for errors that have no
// sentinel.
func says(s string) func(error) bool {
	return func(err error) bool { return strings.Contains(err.Error(), s) }
}

func TestInflateBomb(t *testing.T) {
	small := zerosBomb(t, 3)
	r, err := zlib.NewReader(bytes.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	zeros, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(zeros, make([]byte, 3<<20)) {
		t.Fatalf("the spliced 3 MiB bomb inflates to %d bytes, %v, want 3 MiB of zeros", len(zeros), err)
	}

	bomb := zerosBomb(t, 100)
	if len(bomb) > 200<<10 {
		t.Fatalf("got a bomb of %d bytes, want about 100 KiB", len(bomb))
	}
	if _, err := Inflate(bomb); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("Inflate of 100 MiB of zeros: got %v, want a size error", err)
	}
	got := bytesAllocated(20, func() { Inflate(bomb) })
	t.Logf("Inflate of a 100 MiB bomb allocates %d bytes", got)
	if got > maxAlloc {
		t.Errorf("Inflate of a 100 MiB bomb: got %d bytes allocated, want at most %d", got, maxAlloc)
	}
	if len(PrefixCard)+base45.EncodedLen(len(bomb)) <= MaxTextLen {
		t.Fatalf("the bomb fits in a text: the next check tests nothing")
	}
	wantMalformed(t, "100 MiB bomb text", PrefixCard+base45.Encode(bomb), says("exceeds"))
}

// TestInflateCap checks the boundary: MaxInflated bytes inflate, one more
// does not, whether the stream holds matches or stored blocks.
func TestInflateCap(t *testing.T) {
	for _, fill := range []struct {
		name string
		f    func([]byte)
	}{{"zeros", nil}, {"noise", noise}} {
		for _, n := range []int{0, 1, MaxInflated - 1, MaxInflated, MaxInflated + 1, MaxInflated + 2, 2 * MaxInflated, 64 << 10} {
			for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.BestCompression} {
				want := make([]byte, n)
				if fill.f != nil {
					fill.f(want)
				}
				z := zlibOf(t, n, level, fill.f)
				got, err := Inflate(z)
				if n > MaxInflated {
					if err == nil {
						t.Errorf("%s %d level %d: got %d bytes, want a size error", fill.name, n, level, len(got))
					}
					continue
				}
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s %d level %d: got %d bytes, %v, want %d bytes", fill.name, n, level, len(got), err, n)
				}
			}
		}
	}
}

// TestBombInText checks bombs small enough to reach Inflate inside a text.
func TestBombInText(t *testing.T) {
	for _, n := range []int{MaxInflated + 1, 4 * MaxInflated, 1 << 20, 2 << 20} {
		z := zlibOf(t, n, zlib.BestCompression, nil)
		for _, prefix := range []string{PrefixLive, PrefixCard, PrefixDynamic, PrefixDCC} {
			text := prefix + base45.Encode(z)
			if len(text) > MaxTextLen {
				t.Fatalf("%d zeros: got a text of %d characters, want at most %d", n, len(text), MaxTextLen)
			}
			wantMalformed(t, prefix+" bomb", text, says("exceeds"))
			got := bytesAllocated(5, func() { Parse(text) })
			if got > maxAlloc+uint64(len(text)) {
				t.Errorf("%s bomb of %d bytes: got %d bytes allocated, want at most %d", prefix, n, got, maxAlloc+len(text))
			}
		}
	}
}

// cardMessage returns the COSE message of a valid signed card.
func cardMessage(t testing.TB) []byte {
	t.Helper()
	msg, err := Sign(rand.Reader, testkeys.Issuer(t, cose.EdDSA), testClaims(KindCard))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// zlibHeader returns a two-byte zlib header with a valid check for the
// method byte cmf (0x78: deflate, 32 KiB window) and flags (0x20: preset
// dictionary).
func zlibHeader(cmf, flags byte) []byte {
	flg := flags &^ 0x1f
	flg += byte(31 - (int(cmf)<<8|int(flg))%31)
	return []byte{cmf, flg}
}

// damagedStreams returns zlib streams derived from the valid z of msg.
func damagedStreams(msg []byte) []hostile {
	z := Deflate(msg)
	flip := func(i int) []byte {
		b := bytes.Clone(z)
		b[(i+len(b))%len(b)] ^= 0x01
		return b
	}
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression) // the level is valid
	fw.Write(msg)
	fw.Close()
	gz := append([]byte{0x1f, 0x8b}, raw.Bytes()...)
	return []hostile{
		{"empty", nil, nil},
		{"header only", z[:2], nil},
		{"trailing garbage", append(bytes.Clone(z), "junk"...), says("after the zlib stream")},
		{"one trailing zero", append(bytes.Clone(z), 0), says("after the zlib stream")},
		{"two streams", append(bytes.Clone(z), z...), says("after the zlib stream")},
		{"bad adler32", flip(-1), is(zlib.ErrChecksum)},
		{"bad adler32 first byte", flip(-4), is(zlib.ErrChecksum)},
		{"truncated checksum", z[:len(z)-1], is(io.ErrUnexpectedEOF)},
		{"no checksum", z[:len(z)-4], is(io.ErrUnexpectedEOF)},
		{"truncated data", z[:len(z)/2], is(io.ErrUnexpectedEOF)},
		{"damaged data", flip(len(z) / 2), nil},
		{"bad header check", flip(1), is(zlib.ErrHeader)},
		{"not deflate", append(zlibHeader(0x79, 0), z[2:]...), is(zlib.ErrHeader)},
		{"preset dictionary", append(append(zlibHeader(0x78, 0x20), 0xde, 0xad, 0xbe, 0xef), z[2:]...), fdict},
		// DICTID 1 is the Adler-32 of an empty dictionary: a decoder handed
		// an empty dictionary would accept it.
		{"preset empty dictionary", append(append(zlibHeader(0x78, 0x20), 0, 0, 0, 1), z[2:]...), fdict},
		{"raw deflate", raw.Bytes(), is(zlib.ErrHeader)},
		{"gzip magic", gz, is(zlib.ErrHeader)},
	}
}

// fdict tells the error for a stream with a preset dictionary.
func fdict(err error) bool { return strings.Contains(err.Error(), "preset dictionary (FDICT)") }

func TestInflateDamagedStreams(t *testing.T) {
	msg := cardMessage(t)
	z := Deflate(msg)
	if got, err := Inflate(z); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Inflate of the intact stream: got %x, %v, want %x", got, err, msg)
	}
	mustParse(t, PrefixCard+base45.Encode(z))
	for _, h := range damagedStreams(msg) {
		got, err := Inflate(h.data)
		switch {
		case err == nil:
			t.Errorf("Inflate of %s: got %d bytes, want an error", h.name, len(got))
		case h.why != nil && !h.why(err):
			t.Errorf("Inflate of %s: got %v, want it for another reason", h.name, err)
		}
		wantMalformed(t, h.name, PrefixCard+base45.Encode(h.data), h.why)
	}
}

// enc returns the deterministic CBOR of v.
func enc(t testing.TB, v any) cbor.RawMessage {
	t.Helper()
	b, err := cose.EncMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cborSeq returns a CBOR array (major 0x80) or map (major 0xa0) of items in
// the order given, duplicates and all. A map takes keys and values in turn.
// A cbor.RawMessage item goes in unchecked, malformed or not.
func cborSeq(t testing.TB, major byte, items ...any) cbor.RawMessage {
	t.Helper()
	n := len(items)
	if major == 0xa0 {
		n /= 2
	}
	b := appendHead(nil, major, uint64(n))
	for _, it := range items {
		if raw, ok := it.(cbor.RawMessage); ok {
			b = append(b, raw...) // as is: the encoder would check it
			continue
		}
		b = append(b, enc(t, it)...)
	}
	return b
}

func cborMap(t testing.TB, kv ...any) cbor.RawMessage   { return cborSeq(t, 0xa0, kv...) }
func cborArray(t testing.TB, it ...any) cbor.RawMessage { return cborSeq(t, 0x80, it...) }

// deep returns n nested one-item arrays around an integer.
func deep(n int) cbor.RawMessage {
	return append(bytes.Repeat([]byte{0x81}, n), 0x01)
}

// counting returns a CBOR array or map of n distinct items.
func counting(t testing.TB, major byte, n int) cbor.RawMessage {
	items := make([]any, 0, 2*n)
	for i := range n {
		items = append(items, i+100)
		if major == 0xa0 {
			items = append(items, i)
		}
	}
	return cborSeq(t, major, items...)
}

// signedText returns the text of kind whose issuer-signed payload is
// payload; the signature is valid, so only the payload's content decides.
func signedText(t testing.TB, kind Kind, payload []byte) string {
	t.Helper()
	return Encode(kind, signedMessage(t, kind, payload))
}

func signedMessage(t testing.TB, kind Kind, payload []byte) []byte {
	t.Helper()
	alg := cose.EdDSA
	if kind == KindDCC {
		alg = cose.ES256
	}
	s := testkeys.Issuer(t, alg)
	kid, err := cose.KeyID(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cose.Sign(rand.Reader, s, kid, payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

var (
	iatSec = t0.Add(-time.Hour).Unix()
	expSec = t0.Add(30 * 24 * time.Hour).Unix()
)

// cardHealth returns the pairs of a valid card health claim, then extra.
func cardHealth(extra ...any) []any {
	return append([]any{1, 2, 2, 1, 3, "张*", 4, "1234", 9, "FSC-1"}, extra...)
}

// cardClaims returns a card's claims map with health as its health claim,
// then the extra pairs.
func cardClaims(t testing.TB, health cbor.RawMessage, extra ...any) cbor.RawMessage {
	return cborMap(t, append([]any{1, "350000", 4, expSec, 6, iatSec, claimHealth, health}, extra...)...)
}

func TestHostileClaims(t *testing.T) {
	valid := cardClaims(t, cborMap(t, cardHealth()...))
	if u := mustParse(t, signedText(t, KindCard, valid)); u.Claims.Serial != "FSC-1" {
		t.Fatalf("got serial %q from the valid claims, want FSC-1", u.Claims.Serial)
	}
	for _, h := range hostileClaims(t) {
		wantMalformed(t, h.name, signedText(t, KindCard, h.data), h.why)
	}
}

// hostileClaims returns claims payloads, each a card's but for one fault.
func hostileClaims(t testing.TB) []hostile {
	health := cborMap(t, cardHealth()...)
	valid := cardClaims(t, health)
	withHealth := func(extra ...any) cbor.RawMessage { return cardClaims(t, cborMap(t, cardHealth(extra...)...)) }
	healthField := func(key int, v any) cbor.RawMessage {
		pairs := cardHealth()
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i] == key {
				pairs[i+1] = v
			}
		}
		return cardClaims(t, cborMap(t, pairs...))
	}
	return []hostile{
		{"nesting past the cap", healthField(3, deep(20)), as[*cbor.MaxNestedLevelError]},
		{"nesting past the cap in an unknown claim", cardClaims(t, health, 99, deep(9)), as[*cbor.MaxNestedLevelError]},
		{"thousands of nested arrays", healthField(3, deep(5000)), as[*cbor.MaxNestedLevelError]},
		{"65-item array", healthField(3, counting(t, 0x80, 65)), as[*cbor.MaxArrayElementsError]},
		{"65-pair map", healthField(3, counting(t, 0xa0, 65)), as[*cbor.MaxMapPairsError]},
		{"65 claims", counting(t, 0xa0, 65), as[*cbor.MaxMapPairsError]},
		{"array claiming 2^32 items", healthField(3, cbor.RawMessage{0x9a, 0xff, 0xff, 0xff, 0xff}), nil},
		{"array claiming 2^64 items", healthField(3, cbor.RawMessage{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), nil},
		{"text claiming 4 GiB", healthField(3, cbor.RawMessage{0x7a, 0xff, 0xff, 0xff, 0xff, 'x'}), nil},
		{"indefinite array", healthField(3, cbor.RawMessage{0x9f, 0x01, 0xff}), as[*cbor.IndefiniteLengthError]},
		{"indefinite map", healthField(3, cbor.RawMessage{0xbf, 0x01, 0x02, 0xff}), as[*cbor.IndefiniteLengthError]},
		{"indefinite text", healthField(3, cbor.RawMessage{0x7f, 0x61, 'x', 0xff}), as[*cbor.IndefiniteLengthError]},
		{"indefinite claims map", append(append(cbor.RawMessage{0xbf}, valid[1:]...), 0xff), as[*cbor.IndefiniteLengthError]},
		{"duplicate iat", cardClaims(t, health, 6, iatSec+60), as[*cbor.DupMapKeyError]},
		{"duplicate colour", withHealth(2, 3), as[*cbor.DupMapKeyError]},
		{"duplicate health claim", cardClaims(t, health, claimHealth, health), as[*cbor.DupMapKeyError]},
		{"unknown health key", withHealth(11, 1), as[*cbor.UnknownFieldError]},
		{"unknown negative health key", withHealth(-1, 1), as[*cbor.UnknownFieldError]},
		{"unknown text health key", withHealth("colour", 3), as[*cbor.UnknownFieldError]},
		{"unknown claim sub", cardClaims(t, health, 2, "subject"), as[*cbor.UnknownFieldError]},
		{"unknown claim cti", cardClaims(t, health, 7, []byte{1}), as[*cbor.UnknownFieldError]},
		{"unknown private claim", cardClaims(t, health, -65538, 1), as[*cbor.UnknownFieldError]},
		{"hcert claim in a card", cardClaims(t, health, claimHCert, cborMap(t)), as[*cbor.UnknownFieldError]},
		{"tagged iat", cborMap(t, 1, "350000", 4, expSec, 6, cbor.Tag{Number: 1, Content: iatSec}, claimHealth, health), as[*cbor.TagsMdError]},
		{"tagged claims", enc(t, cbor.Tag{Number: 61, Content: valid}), as[*cbor.TagsMdError]},
		{"claims array", cborArray(t, iatSec, health), as[*cbor.UnmarshalTypeError]},
		{"health array", cardClaims(t, cborArray(t, 2, 1)), as[*cbor.UnmarshalTypeError]},
		{"iat text", cborMap(t, 1, "350000", 4, expSec, 6, "yesterday", claimHealth, health), as[*cbor.UnmarshalTypeError]},
		{"iat float", cborMap(t, 1, "350000", 4, expSec, 6, 1.5e9, claimHealth, health), as[*cbor.UnmarshalTypeError]},
		{"colour 256", healthField(2, 256), as[*cbor.UnmarshalTypeError]},
		{"colour -1", healthField(2, -1), as[*cbor.UnmarshalTypeError]},
		{"name as bytes", healthField(3, []byte("张*")), as[*cbor.UnmarshalTypeError]},
		{"name not UTF-8", healthField(3, cbor.RawMessage{0x62, 0xff, 0xfe}), as[*cbor.SemanticError]},
		{"name with newline", healthField(3, "张\nPASS"), says("control")},
		{"serial of 65 bytes", healthField(9, strings.Repeat("S", 65)), says("too long")},
		{"holder key in a card", withHealth(10, []byte{0x30, 0}), says("holder key")},
		{"trailing byte", append(bytes.Clone(valid), 0x00), as[*cbor.ExtraneousDataError]},
		{"no health claim", cborMap(t, 1, "350000", 4, expSec, 6, iatSec), says("kind")},
		{"kind 9", healthField(1, 9), says("kind")},
		{"empty payload", []byte{}, nil},
		{"empty map", cborMap(t), nil},
	}
}

// signWithProtected returns a COSE_Sign1 message with the given protected
// header, properly signed by s, for headers cose.Sign does not write.
func signWithProtected(t testing.TB, s *cose.Signer, protected map[int64]any, payload []byte) []byte {
	return signWithHeaders(t, s, protected, map[int64]any{}, payload)
}

// signWithHeaders is signWithProtected with an unprotected header too.
func signWithHeaders(t testing.TB, s *cose.Signer, protected, unprotected map[int64]any, payload []byte) []byte {
	t.Helper()
	ph := enc(t, protected)
	tbs := enc(t, []any{"Signature1", []byte(ph), []byte{}, payload})
	sig, err := s.Sign(rand.Reader, tbs)
	if err != nil {
		t.Fatal(err)
	}
	return enc(t, cbor.Tag{Number: 18, Content: []any{[]byte(ph), unprotected, payload, sig}})
}

func TestUnknownCriticalHeader(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	kid, err := cose.KeyID(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := encodeClaims(testClaims(KindCard))
	if err != nil {
		t.Fatal(err)
	}
	// A known critical header keeps the card valid: the builder is right.
	known := signWithProtected(t, s, map[int64]any{1: int64(cose.EdDSA), 2: []int64{4}, 4: kid}, payload)
	u := mustParse(t, Encode(KindCard, known))
	if err := u.Sign1.Verify(testkeys.Verifier(t, s)); err != nil {
		t.Fatalf("Verify of the card with a known crit: got %v, want nil", err)
	}

	tests := []struct {
		name      string
		protected map[int64]any
		why       func(error) bool
	}{
		{"crit 99", map[int64]any{1: int64(cose.EdDSA), 2: []int64{99}, 4: kid, 99: 1}, is(cose.ErrUnsupported)},
		{"crit 99 and kid", map[int64]any{1: int64(cose.EdDSA), 2: []int64{4, 99}, 4: kid, 99: "x"}, is(cose.ErrUnsupported)},
		{"crit 99 absent", map[int64]any{1: int64(cose.EdDSA), 2: []int64{99}, 4: kid}, is(cose.ErrUnsupported)},
		{"crit empty", map[int64]any{1: int64(cose.EdDSA), 2: []int64{}, 4: kid}, is(cose.ErrMalformed)},
		{"crit not an array", map[int64]any{1: int64(cose.EdDSA), 2: 4, 4: kid}, is(cose.ErrMalformed)},
		{"crit names a text label", map[int64]any{1: int64(cose.EdDSA), 2: []any{"x"}, 4: kid}, is(cose.ErrMalformed)},
	}
	for _, tt := range tests {
		msg := signWithProtected(t, s, tt.protected, payload)
		wantMalformed(t, tt.name, Encode(KindCard, msg), tt.why)
	}
}

// hostileTexts returns code texts derived from the valid card of msg.
func hostileTexts(t testing.TB, msg []byte) []hostile {
	card := Encode(KindCard, msg)
	b := body(card)
	text := func(name, text string, why func(error) bool) hostile { return hostile{name, []byte(text), why} }
	return []hostile{
		text("one character too long", PrefixCard+b+strings.Repeat("0", MaxTextLen-len(card)+1), says("exceeds")),
		text("far too long", PrefixCard+strings.Repeat("0", 1<<20), says("exceeds")),
		text("lowercase", PrefixCard+strings.ToLower(b), is(base45.ErrInvalid)),
		text("hash sign", PrefixCard+"#"+b[1:], is(base45.ErrInvalid)),
		text("non-ASCII", PrefixCard+"É"+b[2:], is(base45.ErrInvalid)),
		text("NUL", PrefixCard+b[:3]+"\x00"+b[4:], is(base45.ErrInvalid)),
		text("trailing newline", card+"\n", is(base45.ErrInvalid)),
		text("dangling character", PrefixCard+b[:len(b)/3*3]+"0", is(base45.ErrInvalid)),
		text("group over 65535", PrefixCard+":::", is(base45.ErrInvalid)),
		text("final group over 255", PrefixCard+"::", is(base45.ErrInvalid)),
		text("trailing byte after the message", Encode(KindCard, append(bytes.Clone(msg), 0)), is(cose.ErrMalformed)),
		text("two messages", Encode(KindCard, append(bytes.Clone(msg), msg...)), is(cose.ErrMalformed)),
		text("message cut short", Encode(KindCard, msg[:len(msg)-1]), is(cose.ErrMalformed)),
		text("claims instead of a message", Encode(KindCard, cardClaims(t, cborMap(t, cardHealth()...))), is(cose.ErrMalformed)),
		text("doubly tagged message", Encode(KindCard, append([]byte{0xd2}, msg...)), is(cose.ErrMalformed)),
	}
}

func TestHostileText(t *testing.T) {
	msg := cardMessage(t)
	if n := len(PrefixCard + body(Encode(KindCard, msg))); n > MaxTextLen {
		t.Fatalf("got a card of %d characters, want at most %d", n, MaxTextLen)
	}
	tests := hostileTexts(t, msg)
	if len(tests[0].data) != MaxTextLen+1 {
		t.Fatalf("got a text of %d characters, want %d", len(tests[0].data), MaxTextLen+1)
	}
	for _, h := range tests {
		wantMalformed(t, h.name, string(h.data), h.why)
	}
}

// dynamicCredential returns an issuer-signed dynamic credential binding
// holder.
func dynamicCredential(t testing.TB, holder *cose.Signer) []byte {
	t.Helper()
	c := testClaims(KindDynamic)
	spki, err := spkiOf(holder.Public())
	if err != nil {
		t.Fatal(err)
	}
	c.HolderKey = spki
	cred, err := Sign(rand.Reader, testkeys.Issuer(t, cose.EdDSA), c)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestHostileDynamic(t *testing.T) {
	cred := dynamicCredential(t, testkeys.New(t, cose.EdDSA))
	valid := cborArray(t, cred, StepAt(t0), make([]byte, 64))
	if u := mustParse(t, Encode(KindDynamic, valid)); u.Step != StepAt(t0) {
		t.Fatalf("got step %d, want %d", u.Step, StepAt(t0))
	}
	for _, h := range hostileDynamic(t, cred) {
		wantMalformed(t, h.name, Encode(KindDynamic, h.data), h.why)
	}
	wantMalformed(t, "dynamic code as a card", Encode(KindCard, valid), is(cose.ErrMalformed))
}

// hostileDynamic returns dynamic-code arrays around the credential cred,
// each with one fault.
func hostileDynamic(t testing.TB, cred []byte) []hostile {
	card := cardMessage(t)
	step := StepAt(t0)
	sig := make([]byte, 64)
	code := func(items ...any) []byte { return cborArray(t, items...) }
	valid := code(cred, step, sig)
	return []hostile{
		{"empty array", code(), as[*cbor.UnmarshalTypeError]},
		{"two items", code(cred, step), as[*cbor.UnmarshalTypeError]},
		{"four items", code(cred, step, sig, 0), as[*cbor.UnmarshalTypeError]},
		{"a map", cborMap(t, 1, cred, 2, step, 3, sig), as[*cbor.UnmarshalTypeError]},
		{"negative step", code(cred, -1, sig), says("negative step")},
		{"most negative step", code(cred, int64(math.MinInt64), sig), says("negative step")},
		{"step past int64", code(cred, uint64(math.MaxUint64), sig), as[*cbor.UnmarshalTypeError]},
		{"step as text", code(cred, "59847480", sig), as[*cbor.UnmarshalTypeError]},
		{"step as float", code(cred, 1.5, sig), as[*cbor.UnmarshalTypeError]},
		{"credential as text", code("FSD1:", step, sig), as[*cbor.UnmarshalTypeError]},
		{"credential as integer", code(1, step, sig), as[*cbor.UnmarshalTypeError]},
		{"credential as array", code([]any{cred}, step, sig), as[*cbor.UnmarshalTypeError]},
		{"credential nested too deep", code(deep(12), step, sig), as[*cbor.MaxNestedLevelError]},
		{"credential empty", code([]byte{}, step, sig), is(cose.ErrMalformed)},
		{"credential garbage", code([]byte("garbage"), step, sig), is(cose.ErrMalformed)},
		{"credential of a card", code(card, step, sig), says("signed kind")},
		{"credential with a trailing byte", code(append(bytes.Clone(cred), 0), step, sig), is(cose.ErrMalformed)},
		{"signature as text", code(cred, step, "sig"), as[*cbor.UnmarshalTypeError]},
		{"tagged array", enc(t, cbor.Tag{Number: 18, Content: cbor.RawMessage(valid)}), as[*cbor.TagsMdError]},
		{"indefinite array", append(append([]byte{0x9f}, valid[1:]...), 0xff), as[*cbor.IndefiniteLengthError]},
		{"trailing byte", append(bytes.Clone(valid), 0), as[*cbor.ExtraneousDataError]},
	}
}

// dccEntry returns the pairs of a valid DCC entry of type typ.
func dccEntry(typ string) []any {
	e := []any{"co", "AT", "ci", "URN:UVCI:01:AT:1#B", "tg", "840539006"}
	switch typ {
	case "v":
		e = append(e, "dn", 2, "sd", 2)
	case "t":
		e = append(e, "sc", "2026-11-23T04:00:00Z", "tr", snomedNotDetected)
	}
	return e
}

// dccClaims returns DCC claims whose hcert v1 holds the nam, dob and ver
// fields and then entries, plus the extra claims.
func dccClaims(t testing.TB, entries []any, extra ...any) cbor.RawMessage {
	hcert := cborMap(t, append([]any{"ver", "1.3.0", "nam", cborMap(t, "fn", "Musterfrau", "fnt", "MUSTERFRAU"), "dob", "1964-08-12"}, entries...)...)
	return cborMap(t, append([]any{1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, hcert)}, extra...)...)
}

// dccOne returns the hcert pairs of one entry of type typ, with extra
// fields.
func dccOne(t testing.TB, typ string, extra ...any) []any {
	return []any{typ, cborArray(t, cborMap(t, append(dccEntry(typ), extra...)...))}
}

func TestHostileDCC(t *testing.T) {
	for _, typ := range []string{"v", "t", "r"} {
		if u := mustParse(t, signedText(t, KindDCC, dccClaims(t, dccOne(t, typ)))); u.DCC.Type != typ {
			t.Fatalf("got type %q, want %q", u.DCC.Type, typ)
		}
	}
	for _, h := range hostileDCC(t) {
		wantMalformed(t, h.name, signedText(t, KindDCC, h.data), h.why)
	}
}

// hostileDCC returns DCC claims payloads, each with one fault.
func hostileDCC(t testing.TB) []hostile {
	entry := func(typ string, extra ...any) cbor.RawMessage { return cborMap(t, append(dccEntry(typ), extra...)...) }
	one := func(typ string, extra ...any) []any { return dccOne(t, typ, extra...) }
	hcert := cborMap(t, "ver", "1.3.0", "nam", cborMap(t, "fnt", "X"), "dob", "", "v", cborArray(t, entry("v")))
	claims := func(kv ...any) cbor.RawMessage { return cborMap(t, kv...) }
	withEntry := func(typ string, pairs ...any) cbor.RawMessage {
		e := dccEntry(typ)
		for i := 0; i < len(pairs); i += 2 {
			for j := 0; j < len(e); j += 2 {
				if e[j] == pairs[i] {
					e[j+1] = pairs[i+1]
				}
			}
		}
		return dccClaims(t, []any{typ, cborArray(t, cborMap(t, e...))})
	}
	return []hostile{
		{"no entry", dccClaims(t, nil), says("got none")},
		{"empty v", dccClaims(t, []any{"v", cborArray(t)}), says("got none")},
		{"v and t", dccClaims(t, append(one("v"), one("t")...)), says("one type")},
		{"v and r", dccClaims(t, append(one("v"), one("r")...)), says("one type")},
		{"two v and a t", dccClaims(t, []any{"v", cborArray(t, entry("v"), entry("v")), "t", cborArray(t, entry("t"))}), says("one type")},
		{"two t, one without a result", dccClaims(t, []any{"t", cborArray(t, entry("t"), cborMap(t, "co", "AT", "ci", "X", "sc", "2026-11-23T04:00:00Z", "tr", ""))}), says("dcc: test result")},
		{"v as a map", dccClaims(t, []any{"v", entry("v")}), as[*cbor.UnmarshalTypeError]},
		{"bad test result", withEntry("t", "tr", "260415001"), says("test result")},
		{"empty test result", withEntry("t", "tr", ""), says("test result")},
		{"test result as a number", withEntry("t", "tr", 260415000), as[*cbor.UnmarshalTypeError]},
		{"indefinite test sample time", withEntry("t", "sc", cbor.RawMessage{0x7f, 0xff}), as[*cbor.IndefiniteLengthError]},
		{"test sample time not UTF-8", withEntry("t", "sc", cbor.RawMessage{0x62, 0xff, 0xfe}), as[*cbor.SemanticError]},
		{"dose -1", withEntry("v", "dn", -1), says("dose")},
		{"total doses -1", withEntry("v", "sd", -1), says("dose")},
		{"dose past int64", withEntry("v", "dn", uint64(math.MaxUint64)), as[*cbor.UnmarshalTypeError]},
		{"no iat", claims(1, "AT", 4, expSec, claimHCert, cborMap(t, 1, hcert)), says("iat and exp")},
		{"no exp", claims(1, "AT", 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("iat and exp")},
		{"no iat or exp", claims(1, "AT", claimHCert, cborMap(t, 1, hcert)), says("iat and exp")},
		{"no hcert", claims(1, "AT", 4, expSec, 6, iatSec), says("hcert")},
		{"hcert v2 only", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 2, hcert)), says("hcert")},
		{"hcert v1 and v2", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, hcert, 2, hcert)), says("hcert")},
		{"duplicate hcert v1", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, hcert, 1, hcert)), as[*cbor.DupMapKeyError]},
		{"duplicate exp", claims(1, "AT", 4, expSec, 4, expSec+1, 6, iatSec, claimHCert, cborMap(t, 1, hcert)), as[*cbor.DupMapKeyError]},
		{"family name with newline", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, cborMap(t,
			"ver", "1.3.0", "nam", cborMap(t, "fn", "Muster\nfrau", "fnt", "X"), "dob", "", "r", cborArray(t, entry("r"))))), says("control")},
		{"issuer with newline", claims(1, "AT\nDE", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("control")},
		{"ID of 81 characters", withEntry("r", "ci", strings.Repeat("U", maxDCCText+1)), says("too long")},
		{"family name of 81 characters", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, cborMap(t,
			"ver", "1.3.0", "nam", cborMap(t, "fn", strings.Repeat("Ω", maxDCCText+1), "fnt", "X"), "dob", "", "r", cborArray(t, entry("r"))))), says("too long")},
		{"issuer of 81 characters", claims(1, strings.Repeat("I", maxDCCText+1), 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("too long")},
		{"given name with a bidi override", claims(1, "AT", 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, cborMap(t,
			"ver", "1.3.0", "nam", cborMap(t, "gn", "Erika\u202e", "fnt", "X"), "dob", "", "r", cborArray(t, entry("r"))))), says("control")},
		{"exp NaN", claims(1, "AT", 4, math.NaN(), 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("NumericDate")},
		{"exp +Inf", claims(1, "AT", 4, math.Inf(1), 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("NumericDate")},
		{"iat -Inf", claims(1, "AT", 4, expSec, 6, math.Inf(-1), claimHCert, cborMap(t, 1, hcert)), says("NumericDate")},
		{"iat negative float", claims(1, "AT", 4, expSec, 6, -1.5, claimHCert, cborMap(t, 1, hcert)), says("NumericDate")},
		{"exp float past int64", claims(1, "AT", 4, 1e19, 6, iatSec, claimHCert, cborMap(t, 1, hcert)), says("NumericDate")},
		{"exp integer past int64", claims(1, "AT", 4, uint64(math.MaxUint64), 6, iatSec, claimHCert, cborMap(t, 1, hcert)), as[*cbor.UnmarshalTypeError]},
		{"iat negative integer", claims(1, "AT", 4, expSec, 6, -1, claimHCert, cborMap(t, 1, hcert)), says("major type 1")},
		{"iat tagged", claims(1, "AT", 4, expSec, 6, cbor.Tag{Number: 1, Content: iatSec}, claimHCert, cborMap(t, 1, hcert)), says("major type 6")},
		{"iat text", claims(1, "AT", 4, expSec, 6, "1621000000", claimHCert, cborMap(t, 1, hcert)), says("major type 3")},
		{"exp true", claims(1, "AT", 4, true, 6, iatSec, claimHCert, cborMap(t, 1, hcert)), as[*cbor.UnmarshalTypeError]},
		{"float exp not after float iat", claims(1, "AT", 4, float64(iatSec)+0.9, 6, float64(iatSec)+0.1, claimHCert, cborMap(t, 1, hcert)), says("exp not after iat")},
		{"nesting past the cap in an ignored field", dccClaims(t, one("r", "ma", deep(10))), as[*cbor.MaxNestedLevelError]},
		{"65-item ignored array", dccClaims(t, one("r", "ma", counting(t, 0x80, 65))), as[*cbor.MaxArrayElementsError]},
		{"indefinite ignored text", dccClaims(t, one("r", "ma", cbor.RawMessage{0x7f, 0xff})), as[*cbor.IndefiniteLengthError]},
		{"claims array", cborArray(t, iatSec, expSec), as[*cbor.UnmarshalTypeError]},
		{"trailing byte", append(dccClaims(t, one("r")), 0), as[*cbor.ExtraneousDataError]},
	}
}

func BenchmarkInflateBomb(b *testing.B) {
	bomb := zerosBomb(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inflate(bomb); err == nil {
			b.Fatal("got nil error, want a size error")
		}
	}
}

func BenchmarkInflate(b *testing.B) {
	z := Deflate(cardMessage(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inflate(z); err != nil {
			b.Fatal(err)
		}
	}
}
