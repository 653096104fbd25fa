package hub

import (
	"slices"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
)

// MaxBreaks is how many chain breaks a device's state lists; past it,
// BreakCount still counts them.
const MaxBreaks = 100

// Device is what the hub knows of one device: its link, what it holds of
// its log and whether that log is whole, and what the device says of
// itself in its status. The devices API shows it as it is.
type Device struct {
	ID    string `json:"device"`
	Venue string `json:"venue"`
	Group string `json:"group"`

	Online bool `json:"online"`
	// LastSeen is the hub's clock when a message of the device last
	// arrived (a retained status delivered again does not count).
	LastSeen time.Time `json:"last_seen"`
	// OfflineSince is the hub's clock when the device went offline: its
	// last will or its "stopped" status. Zero while it is online.
	OfflineSince time.Time `json:"offline_since,omitzero"`
	// OfflineReason is the status's reason: "lost" (the last will) or
	// "stopped".
	OfflineReason string `json:"offline_reason,omitempty"`

	// Records is the number of records held, MaxSeq the highest seq held.
	Records uint64 `json:"records"`
	MaxSeq  uint64 `json:"max_seq"`
	// Held are the seqs held, Gaps those missing between 1 and MaxSeq.
	Held Ranges `json:"held"`
	Gaps Ranges `json:"gaps"`
	// ChainOK is false once a break was found: a record whose hash does
	// not match its content, or that does not link to the record before
	// it. Breaks are never repaired: they stay until the store is reset.
	ChainOK    bool    `json:"chain_ok"`
	Breaks     []Break `json:"breaks,omitempty"` // the first MaxBreaks
	BreakCount uint64  `json:"break_count"`

	// Backlog is the device's count of records not yet acknowledged, from
	// its last status.
	Backlog uint64 `json:"backlog"`
	// Versions are the updates the device holds, by kind.
	Versions map[string]wire.Applied `json:"versions"`
	// Status is the device's last status message as it sent it.
	Status *wire.Status `json:"status,omitempty"`

	// Errors counts the messages of the device the hub refused: batches,
	// statuses or reports that do not decode or do not belong to it.
	Errors      uint64    `json:"errors"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Break is a place where a device's chain does not hold.
type Break struct {
	Seq    uint64    `json:"seq"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"` // the hub's clock when it found it
}

// newDevice returns the state of a device the hub has not seen before.
func newDevice(id string) *Device {
	return &Device{ID: id, ChainOK: true, Held: Ranges{}, Gaps: Ranges{}, Versions: map[string]wire.Applied{}}
}

// addBreak records a break at seq, once per seq and reason.
func (d *Device) addBreak(b Break) bool {
	for _, old := range d.Breaks {
		if old.Seq == b.Seq && old.Reason == b.Reason {
			return false
		}
	}
	d.BreakCount++
	d.ChainOK = false
	if len(d.Breaks) < MaxBreaks {
		d.Breaks = append(d.Breaks, b)
	}
	return true
}

// refuse counts a refused message.
func (d *Device) refuse(err error, at time.Time) {
	d.Errors++
	d.LastError, d.LastErrorAt = err.Error(), at
}

// sync sets the figures derived from Held.
func (d *Device) sync() {
	d.MaxSeq = d.Held.Max()
	d.Records = d.Held.Count()
	d.Gaps = d.Held.Gaps()
}

// Ranges is a set of seqs as sorted, disjoint, non-adjacent [from, to]
// ranges: [[1,500],[701,900]].
type Ranges [][2]uint64

// Contains reports whether seq is in the set.
func (rs Ranges) Contains(seq uint64) bool {
	i := rs.search(seq)
	return i < len(rs) && rs[i][0] <= seq
}

// search returns the index of the first range that ends at or after seq.
func (rs Ranges) search(seq uint64) int {
	i, _ := slices.BinarySearchFunc(rs, seq, func(r [2]uint64, seq uint64) int {
		if r[1] < seq {
			return -1
		}
		return 1
	})
	return i
}

// Add returns the set with seq added.
func (rs Ranges) Add(seq uint64) Ranges {
	i := rs.search(seq)
	switch {
	case i < len(rs) && rs[i][0] <= seq:
		return rs // held
	case i > 0 && rs[i-1][1]+1 == seq && i < len(rs) && rs[i][0] == seq+1:
		rs[i-1][1] = rs[i][1] // fills the hole between two ranges
		return slices.Delete(rs, i, i+1)
	case i > 0 && rs[i-1][1]+1 == seq:
		rs[i-1][1] = seq
		return rs
	case i < len(rs) && rs[i][0] == seq+1:
		rs[i][0] = seq
		return rs
	}
	return slices.Insert(rs, i, [2]uint64{seq, seq})
}

// Max returns the highest seq, 0 for an empty set.
func (rs Ranges) Max() uint64 {
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1][1]
}

// Count returns the number of seqs.
func (rs Ranges) Count() uint64 {
	var n uint64
	for _, r := range rs {
		n += r[1] - r[0] + 1
	}
	return n
}

// Gaps returns the seqs missing between 1 and Max.
func (rs Ranges) Gaps() Ranges {
	gaps := Ranges{}
	next := uint64(1)
	for _, r := range rs {
		if r[0] > next {
			gaps = append(gaps, [2]uint64{next, r[0] - 1})
		}
		next = r[1] + 1
	}
	return gaps
}
