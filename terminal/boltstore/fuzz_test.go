package boltstore

import (
	"bytes"
	"os"
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

// FuzzMetaPages feeds Open's own reading of a bbolt file (meta pages, the
// size check, the page walk) hostile bytes: it must give an error or a
// page size and pages it has checked, never a panic. The seeds are a real
// store, cut short and damaged.
func FuzzMetaPages(f *testing.F) {
	data, err := os.ReadFile(closedStore(f, 8, 5))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(data[:5000])
	for _, at := range []int{20, 40, 4096 + 60, 2*4096 + 10, 3*4096 + 30} {
		d := bytes.Clone(data)
		d[at] ^= 0xff
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		m, err := readMetaPages(r, int64(len(data)))
		if err != nil {
			return
		}
		if m.pageSize < minPageSize || m.pageSize&(m.pageSize-1) != 0 {
			t.Fatalf("page size %d", m.pageSize)
		}
		if m.short() == nil {
			walkPages(r, m.pageSize, m.newest())
		}
	})
}

// FuzzSeqFile feeds the seq file reader hostile bytes.
func FuzzSeqFile(f *testing.F) {
	id := storeID([]byte("key"))
	b := make([]byte, 2*seqSlotStride)
	copy(b, seqMark{gen: 1, reserved: 1025}.encode(id))
	f.Add(b)
	copy(b[seqSlotStride:], seqMark{gen: 2, base: 1030, reserved: 2054}.encode(id))
	f.Add(b)
	f.Add(b[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, ok, err := readSeqMark(b, id); ok && err != nil {
			t.Fatalf("found a mark %+v and an error %v", m, err)
		}
	})
}
