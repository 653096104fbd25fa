package hub

import (
	"cmp"
	"reflect"
	"slices"
	"testing"

	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/terminal"
)

func TestRanges(t *testing.T) {
	cases := []struct {
		add   []uint64
		want  Ranges
		gaps  Ranges
		count uint64
	}{
		{nil, nil, Ranges{}, 0},
		{[]uint64{1, 2, 3}, Ranges{{1, 3}}, Ranges{}, 3},
		{[]uint64{3, 2, 1}, Ranges{{1, 3}}, Ranges{}, 3},
		{[]uint64{5}, Ranges{{5, 5}}, Ranges{{1, 4}}, 1},
		{[]uint64{1, 3}, Ranges{{1, 1}, {3, 3}}, Ranges{{2, 2}}, 2},
		{[]uint64{1, 3, 2}, Ranges{{1, 3}}, Ranges{}, 3},
		{[]uint64{10, 1, 20, 11, 19, 2, 2, 10}, Ranges{{1, 2}, {10, 11}, {19, 20}}, Ranges{{3, 9}, {12, 18}}, 6},
		{[]uint64{4, 8, 6, 5, 7}, Ranges{{4, 8}}, Ranges{{1, 3}}, 5},
	}
	for _, c := range cases {
		var rs Ranges
		for _, seq := range c.add {
			rs = rs.Add(seq)
		}
		if !reflect.DeepEqual(rs, c.want) || !reflect.DeepEqual(rs.Gaps(), c.gaps) || rs.Count() != c.count {
			t.Errorf("add %v: %v gaps %v count %d, want %v gaps %v count %d", c.add, rs, rs.Gaps(), rs.Count(), c.want, c.gaps, c.count)
		}
		for _, seq := range c.add {
			if !rs.Contains(seq) {
				t.Errorf("add %v: does not contain %d", c.add, seq)
			}
		}
		for _, g := range c.gaps {
			if rs.Contains(g[0]) || rs.Contains(g[1]) {
				t.Errorf("add %v: contains the gap %v", c.add, g)
			}
		}
	}
}

// FuzzRanges checks Ranges against a plain set.
func FuzzRanges(f *testing.F) {
	f.Add([]byte{1, 3, 2, 9, 9, 4})
	f.Fuzz(func(t *testing.T, seqs []byte) {
		var rs Ranges
		set := map[uint64]bool{}
		for _, b := range seqs {
			seq := uint64(b) + 1
			rs, set[seq] = rs.Add(seq), true
		}
		if rs.Count() != uint64(len(set)) {
			t.Fatalf("count %d, want %d", rs.Count(), len(set))
		}
		for seq := uint64(0); seq <= 258; seq++ {
			if rs.Contains(seq) != set[seq] {
				t.Fatalf("contains %d: %v", seq, !set[seq])
			}
		}
		for i := 1; i < len(rs); i++ {
			if rs[i][0] <= rs[i-1][1]+1 {
				t.Fatalf("ranges %v overlap or touch", rs)
			}
		}
	})
}

// FuzzDecodeScans feeds the hub's first look at a scans message
// arbitrary bytes: it refuses or decodes, never panics, and what it takes
// is the topic's device's, in rising order.
func FuzzDecodeScans(f *testing.F) {
	log := hubtest.NewLog("d1", "v")
	f.Add(hubtest.Batch(f, "d1", log.Next(3)))
	f.Add(hubtest.Batch(f, "d2", hubtest.NewLog("d2", "v").Next(1)))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := decodeScans("d1", data)
		if m.err != nil {
			return
		}
		if len(m.records) == 0 || len(m.raws) != len(m.records) || len(m.hashOK) != len(m.records) {
			t.Fatalf("decoded %d records, %d raws", len(m.records), len(m.raws))
		}
		if !slices.IsSortedFunc(m.records, func(a, b *terminal.Record) int { return cmp.Compare(a.Seq, b.Seq) }) {
			t.Fatal("records out of order")
		}
		for _, r := range m.records {
			if r.Device != "d1" || r.Seq == 0 {
				t.Fatalf("record %d of %q", r.Seq, r.Device)
			}
		}
	})
}
