package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// bbolt's page layout, as far as walkPages reads it: a 16-byte header
// (id, flags, count, overflow) and elements of 16 bytes each, whose keys
// and values lie at an offset from the element itself.
const (
	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10
	bucketLeaf   = 0x01 // a leaf element that is a bucket
	elementSize  = 16
	bucketHeader = 16 // root page and sequence before an inline bucket's page
	maxDepth     = 64
)

// pageWalk walks the pages of a bbolt file through ReadAt, never through
// a map of the file, and fails at the first one that would make bbolt
// read outside its pages: bbolt trusts page headers and element offsets,
// and a read past the map or the file's end is a fault that recover
// cannot catch.
type pageWalk struct {
	r        io.ReaderAt
	pageSize int64
	hwm      uint64   // pages 0 to hwm-1 are in use
	seen     []uint64 // a bit a page: reached
	// elements left to visit: no more than fit in the file, so that
	// inline buckets nested in each other's bytes cannot make the walk
	// take for ever
	budget int
	bufs   [][]byte // a page buffer for each depth
}

// walkPages checks the tree and freelist of meta page m, whose pages the
// file must hold (metaPages.short).
func walkPages(r io.ReaderAt, pageSize int64, m metaPage) error {
	w := &pageWalk{r: r, pageSize: pageSize, hwm: m.pgid, seen: make([]uint64, (m.pgid+63)/64), budget: int(int64(m.pgid) * pageSize / elementSize)}
	if m.freelist != noFreelist {
		if err := w.freelist(m.freelist); err != nil {
			return err
		}
	}
	return w.page(m.root, 0)
}

// read returns page id with its overflow pages, once, in the buffer of
// depth: the pages above it on the path from the root stay as they are.
func (w *pageWalk) read(id uint64, depth int) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("page %d: out of range [2, %d)", id, w.hwm)
	}
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, make([]byte, w.pageSize))
	}
	b := w.bufs[depth][:w.pageSize]
	if _, err := w.r.ReadAt(b, int64(id)*w.pageSize); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := binary.NativeEndian.Uint64(b); got != id {
		return nil, fmt.Errorf("page %d: header says page %d", id, got)
	}
	overflow := uint64(binary.NativeEndian.Uint32(b[12:]))
	if overflow >= w.hwm-id {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the high-water mark %d", id, overflow, w.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if w.seen[p/64]&(1<<(p%64)) != 0 {
			return nil, fmt.Errorf("page %d: reached twice", p)
		}
		w.seen[p/64] |= 1 << (p % 64)
	}
	if overflow == 0 {
		return b, nil
	}
	b = append(b, make([]byte, int64(overflow)*w.pageSize)...)
	w.bufs[depth] = b
	if _, err := w.r.ReadAt(b[w.pageSize:], int64(id+1)*w.pageSize); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return b, nil
}

func (w *pageWalk) freelist(id uint64) error {
	b, err := w.read(id, 0)
	if err != nil {
		return err
	}
	if flags := binary.NativeEndian.Uint16(b[8:]); flags != freelistPage {
		return fmt.Errorf("page %d: flags %#x, want a freelist", id, flags)
	}
	n, start := uint64(binary.NativeEndian.Uint16(b[10:])), uint64(pageHeaderSize)
	if n == 0xffff {
		n, start = binary.NativeEndian.Uint64(b[pageHeaderSize:]), pageHeaderSize+8
	}
	if n > (uint64(len(b))-start)/8 {
		return fmt.Errorf("page %d: %d free pages do not fit", id, n)
	}
	for i := range n {
		if free := binary.NativeEndian.Uint64(b[start+8*i:]); free < 2 || free >= w.hwm {
			return fmt.Errorf("page %d: free page %d out of range", id, free)
		}
	}
	return nil
}

func (w *pageWalk) page(id uint64, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("page %d: tree deeper than %d", id, maxDepth)
	}
	b, err := w.read(id, depth)
	if err != nil {
		return err
	}
	if err := w.node(b, depth); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	return nil
}

// node checks the branch or leaf page b, a page of the file or an inline
// bucket's, and the pages it leads to.
func (w *pageWalk) node(b []byte, depth int) error {
	if len(b) < pageHeaderSize {
		return errors.New("cut short")
	}
	flags, count := binary.NativeEndian.Uint16(b[8:]), int(binary.NativeEndian.Uint16(b[10:]))
	if flags != branchPage && flags != leafPage {
		return fmt.Errorf("flags %#x, want a branch or a leaf", flags)
	}
	if pageHeaderSize+count*elementSize > len(b) {
		return fmt.Errorf("%d elements do not fit", count)
	}
	if w.budget -= count; w.budget < 0 {
		return errors.New("more elements than the file holds")
	}
	for i := range count {
		at := pageHeaderSize + i*elementSize
		e := b[at : at+elementSize]
		if flags == branchPage {
			pos, ksize := uint64(binary.NativeEndian.Uint32(e)), uint64(binary.NativeEndian.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(b)) {
				return fmt.Errorf("element %d: key out of the page", i)
			}
			if err := w.page(binary.NativeEndian.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
			continue
		}
		eflags, pos := binary.NativeEndian.Uint32(e), uint64(binary.NativeEndian.Uint32(e[4:]))
		ksize, vsize := uint64(binary.NativeEndian.Uint32(e[8:])), uint64(binary.NativeEndian.Uint32(e[12:]))
		end := uint64(at) + pos + ksize + vsize
		if end > uint64(len(b)) {
			return fmt.Errorf("element %d: key or value out of the page", i)
		}
		if eflags&bucketLeaf == 0 {
			continue
		}
		v := b[end-vsize : end]
		if len(v) < bucketHeader {
			return fmt.Errorf("element %d: bucket header cut short", i)
		}
		if root := binary.NativeEndian.Uint64(v); root != 0 {
			if err := w.page(root, depth+1); err != nil {
				return err
			}
		} else if err := w.node(v[bucketHeader:], depth+1); err != nil {
			return fmt.Errorf("element %d: inline bucket: %w", i, err)
		}
	}
	return nil
}
