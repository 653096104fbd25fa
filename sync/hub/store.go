package hub

import (
	"crypto/sha256"
	"errors"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
)

// Store is where the hub keeps what it ingests: the records as devices
// sent them, the fleet state, update reports and the retained bundles.
// All the hub's rules (idempotency, gaps, chain breaks) live in the hub and
// run inside a transaction; a Store only keeps and finds data, so that a
// database other than bbolt (boltstore) takes one new implementation and
// no change to ingest.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction and returns nil only once
	// the transaction is durable (fsync'd). When fn returns an error,
	// nothing it wrote is kept. Concurrent Updates, from one hub or from
	// several sharing the store, must behave as if run one after the other.
	Update(fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is one transaction of a Store. Its methods may only be called while
// the function given to View or Update runs; what they return stays
// valid after it. Writes fail in a View.
type Tx interface {
	// Device returns the state of device id, or nil when the store has
	// none.
	Device(id string) (*Device, error)
	// PutDevice stores d, replacing the state of d.ID.
	PutDevice(d *Device) error
	// Devices returns every device's state, by id.
	Devices() ([]*Device, error)

	// Record returns the record (device, seq) as it was received, or nil
	// when the store does not hold it.
	Record(device string, seq uint64) ([]byte, error)
	// PutRecord stores raw, the record r as its device sent it, under
	// (r.Device, r.Seq), and makes it findable by Scans.
	PutRecord(r *terminal.Record, raw []byte) error
	// Scans returns the scans q asks for, newest first, and the cursor of
	// the next page ("" after the last one).
	Scans(q ScanQuery) (scans []Scan, next string, err error)

	// AddReport stores an update outcome a device reported.
	AddReport(r *Report) error
	// Reports returns the newest reports of device (every device when
	// device is ""), at most limit, newest first.
	Reports(device string, limit int) ([]*Report, error)

	// Retained returns the bundle retained on topic, or nil.
	Retained(topic string) (*Retained, error)
	// PutRetained stores b, replacing the bundle retained on b.Topic.
	PutRetained(b *Retained) error
	// RetainedAll returns every retained bundle, by topic.
	RetainedAll() ([]*Retained, error)
}

// ErrCursor is a ScanQuery.After that is not a cursor a Store returned.
var ErrCursor = errors.New("hub: bad cursor")

// Limits of the API's pages.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ScanQuery selects scans. Zero fields select everything.
type ScanQuery struct {
	Device, Venue, Verdict, Reason string
	// Since and Until bound the record time: Since <= time < Until.
	Since, Until time.Time
	// Limit is the most scans of a page; the Store may return fewer when
	// it has looked at many records without finding enough, with a next
	// cursor all the same. Zero: DefaultLimit.
	Limit int
	// After is the cursor of the previous page; "" for the first.
	After string
}

// Scan is one record as the scans API shows it: the masked fields only.
type Scan struct {
	Device  string    `json:"device"`
	Venue   string    `json:"venue"`
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Verdict string    `json:"verdict"`
	Reason  string    `json:"reason"`
	Format  string    `json:"format"`
	Issuer  string    `json:"issuer"`
	Color   string    `json:"color"`
	Name    string    `json:"name"`    // masked: 张*
	IDTail  string    `json:"id_tail"` // the last characters of the ID number
}

// ScanOf returns the API's view of r.
func ScanOf(r *terminal.Record) Scan {
	return Scan{Device: r.Device, Venue: r.Venue, Seq: r.Seq, Time: r.Time(), Verdict: r.Verdict,
		Reason: string(r.Reason), Format: r.Format, Issuer: r.Issuer, Color: r.Color, Name: r.Name, IDTail: r.IDTail}
}

// Matches reports whether r is selected by q's filters (not its page).
func (q *ScanQuery) Matches(r *terminal.Record) bool {
	t := r.Time()
	return (q.Device == "" || r.Device == q.Device) && (q.Venue == "" || r.Venue == q.Venue) &&
		(q.Verdict == "" || r.Verdict == q.Verdict) && (q.Reason == "" || string(r.Reason) == q.Reason) &&
		(q.Since.IsZero() || !t.Before(q.Since)) && (q.Until.IsZero() || t.Before(q.Until))
}

// Report is an update outcome as a device reported it, with when the hub
// received it.
type Report struct {
	Device   string    `json:"device"`
	Received time.Time `json:"received"` // the hub's clock
	wire.Report
}

// Retained is a bundle the hub published retained, kept so that it can
// publish it again at every start: a broker may lose retained messages.
type Retained struct {
	Topic   string            `json:"topic"`
	Kind    string            `json:"kind"`
	Version uint64            `json:"version"`
	Target  string            `json:"target"`
	Digest  [sha256.Size]byte `json:"-"`
	Posted  time.Time         `json:"posted"`
	Data    []byte            `json:"-"` // the signed bundle
}
