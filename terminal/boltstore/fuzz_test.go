package boltstore

import (
	"testing"

	"github.com/fuscan/fuscan/terminal/cose"
)

// FuzzDecode feeds decode stored values: a record damaged on disk must
// give an error, never a panic.
func FuzzDecode(f *testing.F) {
	for i := range 5 {
		r := record(i)
		r.Seq, r.PrevHash, r.Hash = uint64(i+1), zeroHash, zeroHash
		v, err := cose.EncMode.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if r, err := decode(v); err == nil && r == nil {
			t.Fatal("decode returned neither a record nor an error")
		}
	})
}
