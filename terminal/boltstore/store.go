package boltstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
)

// Schema is the version of the layout this package writes in meta.
const Schema = 1

// Defaults for the zero values of Options.
const (
	DefaultTimeout  = time.Second
	DefaultMaxBytes = 1 << 30
)

// The errors Open and the Store's methods return.
var (
	// ErrForeign is a file that is not a fuscan store: not bbolt, or bbolt
	// without our meta bucket and schema. The file is left as it is.
	ErrForeign = errors.New("boltstore: not a fuscan store")
	// ErrCorrupt is a fuscan store that Open refuses: both meta pages
	// invalid, the file shorter than its meta pages say (truncated), or a
	// failed bbolt consistency check.
	ErrCorrupt = errors.New("boltstore: store is corrupt")
	// ErrNoDevice is an Append to a store opened without Options.Device.
	ErrNoDevice = errors.New("boltstore: no device id")
	// ErrReadOnly is a write to a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("boltstore: store is read-only")
	// ErrClosed is a call on a closed store.
	ErrClosed = errors.New("boltstore: store is closed")
	// ErrLocked is a store another process has open for writing (a
	// running terminal): bbolt's lock was not granted within
	// Options.Timeout.
	ErrLocked = errors.New("locked by another process")
	// ErrNotFound is trust data of a kind never stored.
	ErrNotFound = errors.New("boltstore: not found")
)

// BadRecordError names the first record at which Verify found the chain
// broken: changed, missing or out of place.
type BadRecordError struct {
	Seq    uint64
	Reason string
}

func (e *BadRecordError) Error() string {
	return fmt.Sprintf("boltstore: record %d: %s", e.Seq, e.Reason)
}

// Options configures Open. A nil *Options is the zero value.
type Options struct {
	// Device is the device id written into the meta bucket and required
	// by Append. Empty: the id stored by an earlier open, if any.
	Device string
	// Now is the clock for purging the replay memory and for naming the
	// copy of a bad file. Nil: time.Now.
	Now func() time.Time
	// Timeout bounds the wait for the file lock. Zero: DefaultTimeout.
	Timeout time.Duration
	// MaxBytes is the file size above which Append raises the alarm.
	// Zero: DefaultMaxBytes.
	MaxBytes int64
	// ReadOnly opens an existing store without writing to it. Zero:
	// read-write, creating the file if it does not exist.
	ReadOnly bool
	// NoSync skips fsync: for tests and benchmarks of everything else
	// only, as it gives up durability. Zero: every commit is fsync'd.
	NoSync bool
	// Logger receives the size alarm, the damage Open finds (error
	// level) and seq file warnings. Nil: slog.Default().
	Logger *slog.Logger
}

// Store is an open store. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	opts Options
	key  []byte // serial-hash key

	mu     sync.RWMutex // guards closed against the send on reqs
	closed bool
	reqs   chan *appendReq
	done   chan struct{}

	seq *seqFile // the seq high-water mark; used by the commit goroutine only, after Open

	stateMu sync.Mutex
	floor   time.Time
	overCap bool
	seen    int    // Seen calls, to purge expired replay entries now and then
	damage  Damage // guarded by stateMu once Open has returned
}

type appendReq struct {
	recs []*terminal.Record
	err  chan error
}

var (
	bucketMeta   = []byte("meta")
	bucketLog    = []byte("log")
	bucketOutbox = []byte("outbox")
	bucketReplay = []byte("replay")
	bucketTrust  = []byte("trust")

	keySchema     = []byte("schema")
	keyDevice     = []byte("device")
	keySerialKey  = []byte("serial_key")
	keyFloor      = []byte("floor")
	keyHeadSeq    = []byte("head_seq")
	keyHeadHash   = []byte("head_hash")
	keyAnchorSeq  = []byte("anchor_seq")
	keyAnchorHash = []byte("anchor_hash")
	keyAcked      = []byte("acked")
)

var zeroHash = make([]byte, 32)

// buckets are the store's buckets, created by a read-write Open.
var buckets = [][]byte{bucketMeta, bucketLog, bucketOutbox, bucketReplay, bucketTrust, bucketGaps, bucketBreaks}

var _ terminal.Replays = (*Store)(nil)

// Open opens the store at path, creating it unless opts.ReadOnly. A file
// that is not a fuscan store gives ErrForeign; one with both meta pages
// invalid, shorter than its meta pages say, or failing the consistency
// check gives ErrCorrupt; either way the file is left untouched and a
// copy is set aside as path+".corrupt-TIMESTAMP".
//
// A store that is damaged but can be read (one meta page invalid, a store
// behind its seq file, a broken chain) is opened all the same: Open sets a
// copy aside (read-write only), skips the seqs that may have been used,
// logs the damage and reports it in Damage.
func Open(path string, opts *Options) (*Store, error) {
	s := &Store{path: path}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.Timeout == 0 {
		s.opts.Timeout = DefaultTimeout
	}
	if s.opts.MaxBytes == 0 {
		s.opts.MaxBytes = DefaultMaxBytes
	}
	if s.opts.Logger == nil {
		s.opts.Logger = slog.Default()
	}
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		if err := s.check(); err != nil {
			return nil, err
		}
	} else if s.opts.ReadOnly {
		return nil, fmt.Errorf("boltstore: open %s: no store", path)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: s.opts.Timeout, ReadOnly: s.opts.ReadOnly})
	if errors.Is(err, bolt.ErrTimeout) {
		err = ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	db.NoSync = s.opts.NoSync
	s.db = db
	err = s.load()
	if err == nil && !s.opts.ReadOnly {
		err = s.checkChain()
	}
	if err == nil {
		err = s.db.View(func(tx *bolt.Tx) error { s.loadDamage(tx); return nil })
	}
	if err != nil {
		db.Close()
		s.seq.close()
		return nil, err
	}
	s.reportDamage()
	s.reqs = make(chan *appendReq, 1024)
	s.done = make(chan struct{})
	go s.commit()
	return s, nil
}

// check looks at an existing file before bbolt maps it. It reads the meta
// pages itself, under a shared lock: it refuses a file that bbolt would
// read past its end, and notes an invalid meta page, which bbolt would
// pass over in silence; read-write, it sets a copy of that file aside
// before anything is written to it. Then it opens the file read-only, so
// that nothing is written to a file that is not ours, and runs bbolt's
// consistency check over it.
func (s *Store) check() (err error) {
	fail := func(kind error, detail error) error {
		return fmt.Errorf("%w: %s: %v (copy kept at %s)", kind, s.path, detail, s.setAside())
	}
	if err := s.checkMeta(fail); err != nil {
		return err
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.Timeout, ReadOnly: true})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("boltstore: open %s: %w", s.path, ErrLocked)
	}
	if errors.Is(err, bolt.ErrChecksum) {
		// bbolt's magic and version, but both meta pages damaged.
		return fail(ErrCorrupt, err)
	}
	if err != nil {
		return fail(ErrForeign, err)
	}
	defer db.Close()
	defer func() {
		// bbolt trusts page headers: a damaged page can make it panic.
		if p := recover(); p != nil {
			err = fail(ErrCorrupt, fmt.Errorf("%v", p))
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		// Check first: a damaged page can hide the meta bucket, and that
		// is corruption, not a foreign file.
		var errs []error
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		if len(errs) > 0 {
			return fail(ErrCorrupt, errors.Join(errs...))
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil || meta.Get(keySchema) == nil {
			return fail(ErrForeign, errors.New("no meta bucket or schema"))
		}
		if v := meta.Get(keySchema); len(v) != 8 || binary.BigEndian.Uint64(v) != Schema {
			return fail(ErrForeign, fmt.Errorf("schema %x, want %d", v, Schema))
		}
		return nil
	})
}

// checkMeta is check's reading of the meta pages.
func (s *Store) checkMeta(fail func(kind, detail error) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("boltstore: open %s: %w", s.path, err)
	}
	defer f.Close()
	if err := lockShared(f, s.opts.Timeout); err != nil {
		return fmt.Errorf("boltstore: open %s: %w", s.path, err)
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("boltstore: open %s: %w", s.path, err)
	}
	m, err := readMetaPages(f, info.Size())
	if errors.Is(err, errNotBolt) {
		return fail(ErrForeign, err)
	}
	if err == nil {
		err = m.short()
	}
	if err == nil {
		err = walkPages(f, m.pageSize, m.newest())
	}
	if err != nil {
		return fail(ErrCorrupt, err)
	}
	s.damage.Meta = m.invalid()
	if len(s.damage.Meta) > 0 && !s.opts.ReadOnly {
		s.setAside()
	}
	return nil
}

// setAside copies the file to path+".corrupt-TIMESTAMP", once an Open,
// and returns the copy's name, or a note that the copy failed.
func (s *Store) setAside() string {
	if s.damage.Copy != "" {
		return s.damage.Copy
	}
	dst := s.path + ".corrupt-" + s.opts.Now().UTC().Format("20060102T150405.000000000Z")
	if err := copyFile(s.path, dst); err != nil {
		dst = "nowhere: " + err.Error()
	}
	s.damage.Copy = dst
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// load creates the buckets and meta of a new store, reads the meta and
// resumes the seq count: all in one transaction when read-write.
func (s *Store) load() error {
	read := func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		s.key = bytes.Clone(meta.Get(keySerialKey))
		if s.opts.Device == "" {
			s.opts.Device = string(meta.Get(keyDevice))
		}
		if v := meta.Get(keyFloor); len(v) == 8 {
			s.floor = time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC()
		}
		return s.resume(tx, s.key)
	}
	if s.opts.ReadOnly {
		return s.db.View(read)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keySchema) == nil {
			if err := meta.Put(keySchema, u64(Schema)); err != nil {
				return err
			}
		}
		if meta.Get(keySerialKey) == nil {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			if err := meta.Put(keySerialKey, key); err != nil {
				return err
			}
		}
		if s.opts.Device != "" && !bytes.Equal(meta.Get(keyDevice), []byte(s.opts.Device)) {
			if old := meta.Get(keyDevice); old != nil {
				return fmt.Errorf("boltstore: %s belongs to device %q, not %q", s.path, old, s.opts.Device)
			}
			if err := meta.Put(keyDevice, []byte(s.opts.Device)); err != nil {
				return err
			}
		}
		return read(tx)
	})
	if err != nil {
		return fmt.Errorf("boltstore: init %s: %w", s.path, err)
	}
	return nil
}

// Close waits for pending appends and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.done
	return errors.Join(s.settleSeq(), s.db.Close(), s.seq.close())
}

// settleSeq sets the seq file's mark at the head: with no commit under
// way, no seq above it is used, and an older copy of the store put in its
// place is seen as behind.
func (s *Store) settleSeq() error {
	if s.opts.ReadOnly {
		return nil
	}
	var head uint64
	s.db.View(func(tx *bolt.Tx) error {
		head = getU64(tx.Bucket(bucketMeta), keyHeadSeq)
		return nil
	})
	return s.seq.write(head, head)
}

// Backup writes a consistent copy of the whole store to w while it stays
// in use, and returns the bytes written: what the fuscanctl log commands
// and a backup need while the terminal holds the file's lock.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("boltstore: backup: %w", err)
	}
	return n, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Device returns the device id the store belongs to.
func (s *Store) Device() string { return s.opts.Device }

// SerialKey returns the key for terminal.SerialHash, generated at random
// when the store was created.
func (s *Store) SerialKey() []byte { return bytes.Clone(s.key) }

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getU64(b *bolt.Bucket, key []byte) uint64 {
	if v := b.Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (s *Store) writable() error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	return nil
}
