package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
)

// bbolt's file format, as far as Open reads it before bbolt maps the
// file: two meta pages, page 0 and page 1, each a 16-byte page header and
// then the meta, in the byte order of the machine that wrote it. bbolt
// writes the meta of transaction txid to page txid%2, so one page always
// holds the state before the newest commit.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64 // magic, version, page size, flags, root bucket (16), freelist, pgid, txid, checksum
	metaSummed     = metaSize - 8
	noFreelist     = ^uint64(0)
	minPageSize    = 1024 // the smallest page size bbolt looks for
	maxPageSize    = 1024 << 14
)

// metaPage is one of bbolt's meta pages as read from the file.
type metaPage struct {
	pageSize uint32
	root     uint64 // the root bucket's page
	freelist uint64 // the freelist's page, or noFreelist
	pgid     uint64 // the high-water mark: pages 0 to pgid-1 are in use
	txid     uint64
	magic    bool  // the page carries bbolt's magic: it is bbolt's, valid or not
	err      error // why the page is invalid; nil when it is valid
}

// parseMeta reads the meta page found at the start of b, page number
// index (0 or 1). It checks what bbolt checks (magic, version, checksum)
// and what bbolt assumes when it maps the file.
func parseMeta(b []byte, index int) metaPage {
	if len(b) < pageHeaderSize+metaSize {
		return metaPage{err: errors.New("cut short")}
	}
	b = b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.NativeEndian
	m := metaPage{
		pageSize: le.Uint32(b[8:]),
		root:     le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]),
		pgid:     le.Uint64(b[40:]),
		txid:     le.Uint64(b[48:]),
		magic:    le.Uint32(b[0:]) == boltMagic,
	}
	h := fnv.New64a()
	h.Write(b[:metaSummed])
	switch {
	case !m.magic:
		m.err = errors.New("no bbolt magic")
	case le.Uint32(b[4:]) != boltVersion:
		m.err = fmt.Errorf("version %d, want %d", le.Uint32(b[4:]), boltVersion)
	case h.Sum64() != le.Uint64(b[metaSummed:]):
		m.err = errors.New("checksum mismatch")
	case m.pageSize < minPageSize || m.pageSize > maxPageSize || bits.OnesCount32(m.pageSize) != 1:
		m.err = fmt.Errorf("page size %d", m.pageSize)
	case m.pgid < 4 || m.root < 2 || m.root >= m.pgid || (m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid)):
		m.err = fmt.Errorf("pages out of range (root %d, freelist %d, high-water mark %d)", m.root, m.freelist, m.pgid)
	case m.txid%2 != uint64(index):
		m.err = fmt.Errorf("holds transaction %d, which belongs on the other page", m.txid)
	}
	return m
}

// metaPages are the two meta pages of a file and its page size.
type metaPages struct {
	page     [2]metaPage
	pageSize int64
	size     int64 // the file's size
}

// readMetaPages reads the meta pages of the file r of size bytes the way
// bbolt finds them: the page size from page 0, or, when page 0 is
// invalid, from the first valid meta found at 1 KiB, 2 KiB, ... 16 MiB.
// It fails when neither page is valid: with errNotBolt when neither even
// carries bbolt's magic.
func readMetaPages(r io.ReaderAt, size int64) (*metaPages, error) {
	at := func(off int64, index int) metaPage {
		b := make([]byte, pageHeaderSize+metaSize)
		if n, err := r.ReadAt(b, off); n < len(b) {
			return metaPage{err: fmt.Errorf("cut short: %v", err)}
		}
		return parseMeta(b, index)
	}
	m := &metaPages{size: size}
	m.page[0] = at(0, 0)
	magic := m.page[0].magic
	if m.page[0].err == nil {
		m.pageSize = int64(m.page[0].pageSize)
		m.page[1] = at(m.pageSize, 1)
	} else {
		for ps := int64(minPageSize); ps <= maxPageSize && ps+pageHeaderSize+metaSize <= size; ps *= 2 {
			p := at(ps, 1)
			magic = magic || p.magic
			if p.err == nil && int64(p.pageSize) == ps {
				m.page[1], m.pageSize = p, ps
				break
			}
		}
	}
	if m.pageSize == 0 {
		if !magic {
			return nil, errNotBolt
		}
		return nil, fmt.Errorf("both meta pages are invalid (page 0: %v)", m.page[0].err)
	}
	if m.page[1].err == nil && m.page[1].pageSize != m.page[0].pageSize && m.page[0].err == nil {
		m.page[1].err = fmt.Errorf("page size %d, page 0 says %d", m.page[1].pageSize, m.page[0].pageSize)
	}
	if m.page[1].err == nil && m.page[0].err == nil && m.page[0].txid == m.page[1].txid {
		m.page[1].err = fmt.Errorf("holds transaction %d, as page 0 does", m.page[1].txid)
	}
	return m, nil
}

// errNotBolt is a file without bbolt's magic in either meta page.
var errNotBolt = errors.New("not a bbolt file")

// invalid describes the invalid meta pages, nil when both are valid.
func (m *metaPages) invalid() []string {
	var out []string
	for i, p := range m.page {
		if p.err != nil {
			out = append(out, fmt.Sprintf("meta page %d: %v", i, p.err))
		}
	}
	return out
}

// newest returns the valid page of the higher transaction: the one bbolt
// runs on.
func (m *metaPages) newest() metaPage {
	a, b := m.page[0], m.page[1]
	if b.err == nil && (a.err != nil || b.txid > a.txid) {
		return b
	}
	return a
}

// short returns an error when the file is shorter than a valid meta page
// says: bbolt would map it and read past its end (SIGBUS, which recover
// cannot catch).
func (m *metaPages) short() error {
	for i, p := range m.page {
		if p.err != nil {
			continue
		}
		if need := int64(p.pgid) * m.pageSize; p.pgid > uint64(1<<62)/uint64(m.pageSize) || need > m.size {
			return fmt.Errorf("truncated: the file is %d bytes, meta page %d (transaction %d) says %d pages of %d bytes",
				m.size, i, p.txid, p.pgid, m.pageSize)
		}
	}
	return nil
}
