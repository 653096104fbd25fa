// Package boltstore is the hub's Store (sync/hub) in one bbolt file: the
// records as devices sent them, a time index for the scans API, the
// fleet state, update reports and the retained bundles.
//
// Layout: "records"/{device}: seq → the record's CBOR as received;
// "scans": time|seq|device → nil and "device_scans"/{device}: time|seq →
// nil, the indexes Scans walks newest first; "devices": id → the
// hub.Device as JSON; "reports"/{device}: n → the hub.Report as JSON;
// "retained": topic → the bundle's metadata, "retained_data": topic → the
// bundle.
//
// # Caveats
//
// bbolt locks the file: one process at a time. Several hubs sharing the
// load on one broker need a store they can share, which this is not.
//
// Scans looks at most Options.MaxScanned index entries per call: a query
// whose filters match few records returns short pages, each with the
// cursor to go on from.
//
// Only the newest Options.MaxReports reports of each device are kept.
package boltstore

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// Schema is the version of the layout this package writes.
const Schema = 1

// Defaults for the zero values of Options.
const (
	DefaultTimeout    = time.Second
	DefaultMaxScanned = 100_000
	DefaultMaxReports = 1000
)

// ErrLocked is a file another process holds: bbolt's lock was not granted
// within Options.Timeout.
var ErrLocked = errors.New("locked by another process")

// ErrForeign is a bbolt file that is not a hub store.
var ErrForeign = errors.New("boltstore: not a hub store")

// Options configures Open. A nil *Options is the zero value.
type Options struct {
	// Timeout bounds the wait for the file lock. Zero: DefaultTimeout.
	Timeout time.Duration
	// NoSync skips fsync: for tests of everything else only, as it gives
	// up durability. Zero: every Update is fsync'd.
	NoSync bool
	// MaxScanned is the most index entries one Scans call looks at.
	// Zero: DefaultMaxScanned.
	MaxScanned int
	// MaxReports is how many reports are kept per device. Zero:
	// DefaultMaxReports.
	MaxReports int
}

// Store is an open hub store.
type Store struct {
	db   *bolt.DB
	opts Options
}

var _ hub.Store = (*Store)(nil)

var (
	bucketMeta         = []byte("meta")
	bucketRecords      = []byte("records")
	bucketScans        = []byte("scans")
	bucketDeviceScans  = []byte("device_scans")
	bucketDevices      = []byte("devices")
	bucketReports      = []byte("reports")
	bucketRetained     = []byte("retained")
	bucketRetainedData = []byte("retained_data")

	keySchema = []byte("schema")
)

// Open opens the store at path, creating it if it does not exist.
func Open(path string, opts *Options) (*Store, error) {
	s := &Store{}
	if opts != nil {
		s.opts = *opts
	}
	s.opts.Timeout = cmp.Or(s.opts.Timeout, DefaultTimeout)
	s.opts.MaxScanned = cmp.Or(s.opts.MaxScanned, DefaultMaxScanned)
	s.opts.MaxReports = cmp.Or(s.opts.MaxReports, DefaultMaxReports)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: s.opts.Timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		err = ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	db.NoSync = s.opts.NoSync
	if err := db.Update(initBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: %s: %w", path, err)
	}
	s.db = db
	return s, nil
}

// initBuckets creates the buckets of a new store, or checks the schema of
// an existing one.
func initBuckets(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return ErrForeign
		}
		var err error
		if meta, err = tx.CreateBucket(bucketMeta); err != nil {
			return err
		}
		if err := meta.Put(keySchema, u64(Schema)); err != nil {
			return err
		}
	}
	if v := meta.Get(keySchema); len(v) != 8 || binary.BigEndian.Uint64(v) != Schema {
		return fmt.Errorf("%w: schema %x, want %d", ErrForeign, v, Schema)
	}
	for _, name := range [][]byte{bucketRecords, bucketScans, bucketDeviceScans, bucketDevices, bucketReports, bucketRetained, bucketRetainedData} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(hub.Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(s.tx(btx)) })
}

// Update runs fn in a read-write transaction, fsync'd before it returns
// nil (unless Options.NoSync).
func (s *Store) Update(fn func(hub.Tx) error) error {
	return s.db.Update(func(btx *bolt.Tx) error { return fn(s.tx(btx)) })
}

func (s *Store) tx(btx *bolt.Tx) *tx {
	return &tx{Tx: btx, opts: &s.opts, records: map[string]*bolt.Bucket{}, deviceScans: map[string]*bolt.Bucket{}}
}

// tx is a hub.Tx over a bbolt transaction.
type tx struct {
	*bolt.Tx
	opts *Options
	// The nested buckets of the devices written in this transaction.
	records, deviceScans map[string]*bolt.Bucket
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// timeKey returns the index key of a record time: big-endian Unix
// microseconds with the sign bit flipped, so that byte order is time
// order.
func timeKey(us int64) []byte { return u64(uint64(us) ^ 1<<63) }

func timeOf(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ 1<<63) }

func (t *tx) Device(id string) (*hub.Device, error) {
	v := t.Bucket(bucketDevices).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	d := &hub.Device{}
	if err := json.Unmarshal(v, d); err != nil {
		return nil, fmt.Errorf("boltstore: device %q: %w", id, err)
	}
	return d, nil
}

func (t *tx) PutDevice(d *hub.Device) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return t.Bucket(bucketDevices).Put([]byte(d.ID), v)
}

func (t *tx) Devices() ([]*hub.Device, error) {
	var out []*hub.Device
	err := t.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
		d := &hub.Device{}
		if err := json.Unmarshal(v, d); err != nil {
			return fmt.Errorf("boltstore: device %q: %w", k, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

func (t *tx) Record(device string, seq uint64) ([]byte, error) {
	b := t.Bucket(bucketRecords).Bucket([]byte(device))
	if b == nil {
		return nil, nil
	}
	return bytes.Clone(b.Get(u64(seq))), nil
}

// nested returns the bucket of device under parent, created if need be,
// once per transaction.
func (t *tx) nested(cache map[string]*bolt.Bucket, parent []byte, device string) (*bolt.Bucket, error) {
	if b := cache[device]; b != nil {
		return b, nil
	}
	b, err := t.Bucket(parent).CreateBucketIfNotExists([]byte(device))
	if err != nil {
		return nil, err
	}
	b.FillPercent = 0.9 // keys mostly arrive in order
	cache[device] = b
	return b, nil
}

func (t *tx) PutRecord(r *terminal.Record, raw []byte) error {
	records, err := t.nested(t.records, bucketRecords, r.Device)
	if err != nil {
		return err
	}
	scans, err := t.nested(t.deviceScans, bucketDeviceScans, r.Device)
	if err != nil {
		return err
	}
	if err := records.Put(u64(r.Seq), raw); err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint64(timeKey(r.TimeUS), r.Seq)
	if err := scans.Put(key, nil); err != nil {
		return err
	}
	index := t.Bucket(bucketScans)
	index.FillPercent = 0.9 // keys mostly arrive in time order
	return index.Put(append(key, r.Device...), nil)
}

// Scans walks the time index newest first: the device's own index when
// the query names a device, else the global one.
func (t *tx) Scans(q hub.ScanQuery) ([]hub.Scan, string, error) {
	limit := cmp.Or(q.Limit, hub.DefaultLimit)
	index := t.Bucket(bucketScans)
	if q.Device != "" {
		if index = t.Bucket(bucketDeviceScans).Bucket([]byte(q.Device)); index == nil {
			return nil, "", nil
		}
	}
	var start []byte // entries strictly before it
	if q.After != "" {
		key, err := decodeCursor(q.After)
		if err != nil {
			return nil, "", err
		}
		if q.Device != "" {
			key = key[:16]
		}
		start = key
	}
	if !q.Until.IsZero() {
		if until := timeKey(q.Until.UnixMicro()); start == nil || bytes.Compare(until, start) < 0 {
			start = until
		}
	}
	c := index.Cursor()
	var k []byte
	if start == nil {
		k, _ = c.Last()
	} else if k, _ = c.Seek(start); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	since := int64(-1 << 63)
	if !q.Since.IsZero() {
		since = q.Since.UnixMicro()
	}
	var out []hub.Scan
	var last []byte // the last entry looked at
	for scanned := 0; k != nil && len(k) >= 16 && timeOf(k) >= since; scanned++ {
		if scanned == t.opts.MaxScanned {
			return out, cursorOf(last, q.Device), nil
		}
		device := q.Device
		if device == "" {
			device = string(k[16:])
		}
		r, err := t.record(device, binary.BigEndian.Uint64(k[8:16]))
		if err != nil {
			return nil, "", err
		}
		if r != nil && q.Matches(r) {
			out = append(out, hub.ScanOf(r))
		}
		last = k
		if k, _ = c.Prev(); len(out) == limit && k != nil && timeOf(k) >= since {
			return out, cursorOf(last, q.Device), nil
		}
		if len(out) == limit {
			break
		}
	}
	return out, "", nil
}

// record returns the record (device, seq) decoded, nil if not held.
func (t *tx) record(device string, seq uint64) (*terminal.Record, error) {
	b := t.Bucket(bucketRecords).Bucket([]byte(device))
	if b == nil {
		return nil, nil
	}
	v := b.Get(u64(seq))
	if v == nil {
		return nil, nil
	}
	r := &terminal.Record{}
	if err := cose.DecMode.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("boltstore: record %s/%d: %w", device, seq, err)
	}
	return r, nil
}

// cursorOf returns the cursor after index key k: time|seq|device,
// base64url.
func cursorOf(k []byte, device string) string {
	key := bytes.Clone(k)
	if device != "" {
		key = append(key[:16], device...)
	}
	return base64.RawURLEncoding.EncodeToString(key)
}

func decodeCursor(s string) ([]byte, error) {
	key, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(key) < 17 || !wire.ValidID(string(key[16:])) {
		return nil, hub.ErrCursor
	}
	return key, nil
}

func (t *tx) AddReport(r *hub.Report) error {
	b, err := t.Bucket(bucketReports).CreateBucketIfNotExists([]byte(r.Device))
	if err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := b.Put(u64(n), v); err != nil {
		return err
	}
	if max := uint64(t.opts.MaxReports); n > max {
		return b.Delete(u64(n - max))
	}
	return nil
}

func (t *tx) Reports(device string, limit int) ([]*hub.Report, error) {
	reports := t.Bucket(bucketReports)
	if device != "" {
		b := reports.Bucket([]byte(device))
		if b == nil {
			return nil, nil
		}
		return newestReports(b, limit)
	}
	// The newest limit of each device, then the newest limit of those.
	var out []*hub.Report
	err := reports.ForEachBucket(func(k []byte) error {
		rs, err := newestReports(reports.Bucket(k), limit)
		out = append(out, rs...)
		return err
	})
	slices.SortStableFunc(out, func(a, b *hub.Report) int { return b.Received.Compare(a.Received) })
	return out[:min(len(out), limit)], err
}

func newestReports(b *bolt.Bucket, limit int) ([]*hub.Report, error) {
	var out []*hub.Report
	c := b.Cursor()
	for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
		r := &hub.Report{}
		if err := json.Unmarshal(v, r); err != nil {
			return out, fmt.Errorf("boltstore: report %x: %w", k, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// retainedMeta is a retained bundle without its data, as "retained"
// holds it.
type retainedMeta struct {
	Kind    string    `json:"kind"`
	Version uint64    `json:"version"`
	Target  string    `json:"target"`
	Digest  []byte    `json:"digest"`
	Posted  time.Time `json:"posted"`
}

func (t *tx) Retained(topic string) (*hub.Retained, error) {
	v := t.Bucket(bucketRetained).Get([]byte(topic))
	if v == nil {
		return nil, nil
	}
	return t.retained([]byte(topic), v)
}

func (t *tx) retained(topic, meta []byte) (*hub.Retained, error) {
	var m retainedMeta
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("boltstore: retained %s: %w", topic, err)
	}
	b := &hub.Retained{Topic: string(topic), Kind: m.Kind, Version: m.Version, Target: m.Target, Posted: m.Posted,
		Data: bytes.Clone(t.Bucket(bucketRetainedData).Get(topic))}
	copy(b.Digest[:], m.Digest)
	return b, nil
}

func (t *tx) PutRetained(b *hub.Retained) error {
	meta, err := json.Marshal(retainedMeta{Kind: b.Kind, Version: b.Version, Target: b.Target, Digest: b.Digest[:], Posted: b.Posted})
	if err != nil {
		return err
	}
	if err := t.Bucket(bucketRetained).Put([]byte(b.Topic), meta); err != nil {
		return err
	}
	return t.Bucket(bucketRetainedData).Put([]byte(b.Topic), b.Data)
}

func (t *tx) RetainedAll() ([]*hub.Retained, error) {
	var out []*hub.Retained
	err := t.Bucket(bucketRetained).ForEach(func(k, v []byte) error {
		b, err := t.retained(k, v)
		out = append(out, b)
		return err
	})
	return out, err
}
