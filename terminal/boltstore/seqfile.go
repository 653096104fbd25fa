package boltstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
)

// SeqFileSuffix names the seq file beside a store: path+SeqFileSuffix.
const SeqFileSuffix = ".seq"

// seqBlock is how many seqs one write of the seq file reserves: the
// price of the high-water mark is one more fsync every seqBlock records,
// and a damaged meta page costs at most seqBlock plus a batch of skipped
// seqs.
const seqBlock = 1024

// The seq file holds the store's seq high-water mark outside bbolt, so
// that a damaged meta page, which rolls bbolt back a transaction, cannot
// take it: no seq above reserved has ever been used. Two slots, at 0 and
// at seqSlotStride, are written in turn, so that a torn write of one
// leaves the other; each holds:
//
//	magic [8] | store id [8] | gen | base | reserved | FNV-64a of the 40 bytes before
//
// big-endian. gen counts the writes (slot gen%2); base is the newest seq
// committed when the slot was written: a store whose head is below it was
// rolled back. Close writes base and reserved at the head, so that a
// store restored from an older copy after a clean stop is seen as behind. The store id ties the file to its store: a copy of another
// store's seq file is ignored.
const (
	seqMagic      = "FUSCNSEQ"
	seqSlotSize   = 48
	seqSlotStride = 512 // one disk sector each
)

// seqMark is what a seq file slot holds.
type seqMark struct {
	gen, base, reserved uint64
}

// seqFile is an open seq file; f is nil when the store is read-only.
type seqFile struct {
	f      *os.File
	id     [8]byte
	mark   seqMark
	noSync bool
}

// storeID is the id the seq file carries: it derives from the store's
// random serial-hash key without revealing it.
func storeID(serialKey []byte) [8]byte {
	sum := sha256.Sum256(append([]byte("fuscan seq file\x00"), serialKey...))
	return [8]byte(sum[:8])
}

func (m seqMark) encode(id [8]byte) []byte {
	b := make([]byte, 0, seqSlotSize)
	b = append(b, seqMagic...)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, m.gen)
	b = binary.BigEndian.AppendUint64(b, m.base)
	b = binary.BigEndian.AppendUint64(b, m.reserved)
	h := fnv.New64a()
	h.Write(b)
	return binary.BigEndian.AppendUint64(b, h.Sum64())
}

// decodeSeqSlot reads one slot: ok is false for a slot never written
// (all zero) and err non-nil for one that is damaged or of another store.
func decodeSeqSlot(b []byte, id [8]byte) (m seqMark, ok bool, err error) {
	if len(b) < seqSlotSize || bytes.Count(b[:seqSlotSize], []byte{0}) == seqSlotSize {
		return m, false, nil
	}
	h := fnv.New64a()
	h.Write(b[:seqSlotSize-8])
	switch {
	case string(b[:8]) != seqMagic:
		return m, false, errors.New("no magic")
	case h.Sum64() != binary.BigEndian.Uint64(b[seqSlotSize-8:]):
		return m, false, errors.New("checksum mismatch")
	case !bytes.Equal(b[8:16], id[:]):
		return m, false, errors.New("it belongs to another store")
	}
	m = seqMark{gen: binary.BigEndian.Uint64(b[16:]), base: binary.BigEndian.Uint64(b[24:]), reserved: binary.BigEndian.Uint64(b[32:])}
	return m, true, nil
}

// readSeqMark returns the newest valid slot of the seq file content b.
// found is false when no slot is valid; problem says why, when that is
// not simply a file never written.
func readSeqMark(b []byte, id [8]byte) (m seqMark, found bool, problem error) {
	var errs []error
	for slot := range 2 {
		var s []byte
		if off := slot * seqSlotStride; off < len(b) {
			s = b[off:]
		}
		sm, ok, err := decodeSeqSlot(s, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("slot %d: %w", slot, err))
		}
		if ok && (!found || sm.gen > m.gen) {
			m, found = sm, true
		}
	}
	if found {
		return m, true, nil // a torn write of the other slot: it was never relied on
	}
	return m, false, errors.Join(errs...)
}

// openSeqFile opens (read-write: creates) the seq file at path for the
// store with id. found is false when it held no valid mark; problem says
// why, when it existed.
func openSeqFile(path string, id [8]byte, readOnly, noSync bool) (sf *seqFile, found bool, problem error, err error) {
	sf = &seqFile{id: id, noSync: noSync}
	if readOnly {
		b, rerr := os.ReadFile(path)
		if errors.Is(rerr, os.ErrNotExist) {
			return sf, false, nil, nil
		}
		if rerr != nil {
			return sf, false, rerr, nil
		}
		sf.mark, found, problem = readSeqMark(b, id)
		return sf, found, problem, nil
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, nil, fmt.Errorf("boltstore: seq file: %w", err)
	}
	sf.f = f
	if errors.Is(statErr, os.ErrNotExist) && !noSync {
		// The new file's name must survive a power cut as well as its
		// content.
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, false, nil, fmt.Errorf("boltstore: seq file: %w", err)
		}
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 2*seqSlotStride))
	if err != nil {
		f.Close()
		return nil, false, nil, fmt.Errorf("boltstore: seq file: %w", err)
	}
	sf.mark, found, problem = readSeqMark(b, id)
	return sf, found, problem, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// write durably sets the high-water mark to reserved, noting base as
// committed: it returns once the seq file is fsync'd. Append raises the
// mark ahead of the seqs it uses; Close lowers it to the head, as no
// commit is under way.
func (sf *seqFile) write(base, reserved uint64) error {
	if sf.f == nil {
		return ErrReadOnly
	}
	m := seqMark{gen: sf.mark.gen + 1, base: max(base, sf.mark.base), reserved: reserved}
	if _, err := sf.f.WriteAt(m.encode(sf.id), int64(m.gen%2)*seqSlotStride); err != nil {
		return fmt.Errorf("boltstore: seq file: %w", err)
	}
	if !sf.noSync {
		if err := sf.f.Sync(); err != nil {
			return fmt.Errorf("boltstore: seq file: %w", err)
		}
	}
	sf.mark = m
	return nil
}

func (sf *seqFile) close() error {
	if sf == nil || sf.f == nil {
		return nil
	}
	return sf.f.Close()
}
