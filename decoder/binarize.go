package decoder

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// plane is an 8-bit single-channel image: luma, a colour channel, or a
// crop of one. Row y starts at pix[y*stride].
type plane struct {
	pix          []byte
	stride, w, h int
}

// row returns the w pixels of row y.
func (p plane) row(y int) []byte { return p.pix[y*p.stride : y*p.stride+p.w] }

// Block geometry of gozxing.HybridBinarizer, which binarizer reproduces.
const (
	blockPower = gozxing.BLOCK_SIZE_POWER
	blockSize  = gozxing.BLOCK_SIZE
	minDim     = gozxing.MINIMUM_DIMENSION
	minRange   = gozxing.MIN_DYNAMIC_RANGE
)

// binarizer computes the same black matrix as gozxing.HybridBinarizer, bit
// for bit (a test holds it to that), in about a quarter of the time: it
// reads the plane in place, reuses its buffers and matrices from one call
// to the next, and packs bits a word at a time. The inverted matrix is the
// one HybridBinarizer computes for the inverted luminance, so the
// "inverted" step sees exactly what gozxing would.
type binarizer struct {
	subW, subH int
	sum        []int32 // per block: sum of its 64 pixels
	lo, hi     []uint8 // per block: darkest and lightest pixel
	bp         []int32 // per block: black point
	vsum       []int32 // per block: sum of the 5 black points above and below
	thr        []uint8 // per block: threshold
	rowThr     []uint8 // per pixel of a row of blocks: threshold
	lastThr    []uint8 // the same for the last row of blocks
	merged     []uint8 // the higher of the two where they overlap
	words      []uint32
	bits       *gozxing.BitArray
	cache      [3]*gozxing.BitMatrix
}

// The binarizer's reused matrices: the luma plane's two live as long as a
// Decode call; the other steps take turns with the third.
const (
	slotLuma = iota
	slotLumaInverted
	slotOther
)

// bitMatrix returns a matrix of w×h for slot, reusing the last one when its
// size fits: the caller overwrites every row.
func (b *binarizer) bitMatrix(slot, w, h int) *gozxing.BitMatrix {
	m := b.cache[slot]
	if m == nil || m.GetWidth() != w || m.GetHeight() != h {
		m, _ = gozxing.NewBitMatrix(w, h)
		b.cache[slot] = m
	}
	return m
}

// stats computes the sum, minimum and maximum of every 8×8 block of p,
// with HybridBinarizer's blocks: the last block of a row or column is
// moved back so it lies inside the image. It works on eight pixels at a
// time in a uint64.
func (b *binarizer) stats(p plane) {
	b.subW = (p.w + blockSize - 1) >> blockPower
	b.subH = (p.h + blockSize - 1) >> blockPower
	n := b.subW * b.subH
	b.sum = grow(b.sum, n)
	b.lo = grow(b.lo, n)
	b.hi = grow(b.hi, n)
	maxX, maxY := p.w-blockSize, p.h-blockSize
	for by := 0; by < b.subH; by++ {
		y0 := min(by<<blockPower, maxY)
		band := p.pix[y0*p.stride : (y0+blockSize-1)*p.stride+p.w]
		base := by * b.subW
		sums, los, his := b.sum[base:base+b.subW], b.lo[base:base+b.subW], b.hi[base:base+b.subW]
		for bx := range sums {
			x0 := min(bx<<blockPower, maxX)
			var sum uint64
			lo, hi := ^uint64(0), uint64(0)
			for off := x0; off < len(band); off += p.stride {
				v := binary.LittleEndian.Uint64(band[off : off+8])
				// Four 16-bit lanes of pairwise sums: at most 8×2×255.
				sum += v&lanes16 + v>>8&lanes16
				ge := geBytes(v, lo)
				lo = lo&ge | v&^ge
				ge = geBytes(v, hi)
				hi = v&ge | hi&^ge
			}
			sums[bx] = int32(sum * 0x0001000100010001 >> 48)
			los[bx] = uint8(minBytes(lo))
			his[bx] = uint8(maxBytes(hi))
		}
	}
}

const (
	lanes16 = 0x00ff00ff00ff00ff
	msbs    = 0x8080808080808080
)

// geBytes returns, for each of the eight byte lanes, 0xff where a ≥ b and 0
// elsewhere, comparing unsigned.
func geBytes(a, b uint64) uint64 {
	d := (a | msbs) - (b &^ msbs) // lane msb: low 7 bits of a ≥ those of b
	ge := (a&^b | ^(a^b)&d) & msbs
	return (ge >> 7) * 0xff
}

// minBytes returns v with its lowest byte the least of its eight bytes.
func minBytes(v uint64) uint64 {
	for sh := 32; sh >= 8; sh >>= 1 {
		u := v >> sh
		ge := geBytes(v, u)
		v = u&ge | v&^ge
	}
	return v
}

// maxBytes returns v with its lowest byte the greatest of its eight bytes.
func maxBytes(v uint64) uint64 {
	for sh := 32; sh >= 8; sh >>= 1 {
		u := v >> sh
		ge := geBytes(v, u)
		v = v&ge | u&^ge
	}
	return v
}

// thresholds turns the block statistics into per-block thresholds as
// HybridBinarizer does: a black point per block, then the mean of the 5×5
// black points around it. inverted computes them for the inverted image.
func (b *binarizer) thresholds(inverted bool) {
	n := b.subW * b.subH
	b.bp = grow(b.bp, n)
	b.vsum = grow(b.vsum, n)
	b.thr = grow(b.thr, n)
	w := b.subW
	for by := 0; by < b.subH; by++ {
		for bx := 0; bx < w; bx++ {
			i := by*w + bx
			sum, lo, hi := b.sum[i], int32(b.lo[i]), int32(b.hi[i])
			if inverted {
				sum, lo, hi = 64*255-sum, 255-hi, 255-lo
			}
			avg := sum >> (2 * blockPower)
			if hi-lo <= minRange {
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (b.bp[i-w] + 2*b.bp[i-1] + b.bp[i-w-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			b.bp[i] = avg
		}
	}
	// Sums over 5 rows of blocks, then over 5 columns, around each block
	// moved at least 2 blocks from the edges.
	for by := 0; by < b.subH; by++ {
		top := clampInt(by, 2, b.subH-3)
		for bx := 0; bx < w; bx++ {
			i := top*w + bx
			b.vsum[by*w+bx] = b.bp[i-2*w] + b.bp[i-w] + b.bp[i] + b.bp[i+w] + b.bp[i+2*w]
		}
	}
	for by := 0; by < b.subH; by++ {
		vs := b.vsum[by*w : (by+1)*w]
		for bx := 0; bx < w; bx++ {
			l := clampInt(bx, 2, w-3)
			b.thr[by*w+bx] = uint8((vs[l-2] + vs[l-1] + vs[l] + vs[l+1] + vs[l+2]) / 25)
		}
	}
}

// spreadRow writes into dst, for every pixel column, the threshold of the
// row of blocks by; where two blocks overlap (the last one of the row) a
// pixel is black if either block calls it black, so the higher threshold
// holds.
func (b *binarizer) spreadRow(dst []uint8, by, width int) {
	thr := b.thr[by*b.subW : (by+1)*b.subW]
	last := len(thr) - 1
	for bx, t := range thr[:last] {
		x0 := bx << blockPower
		d := dst[x0 : x0+blockSize : x0+blockSize]
		for i := range d {
			d[i] = t
		}
	}
	for i := last << blockPower; i < width; i++ {
		dst[i] = 0
	}
	t := thr[last]
	for i := width - blockSize; i < width; i++ {
		dst[i] = max(dst[i], t)
	}
}

// matrix returns p's black matrix, of the inverted image if inverted, in
// slot's reused matrix; stats must have been called for p. words receives
// the packed rows.
func (b *binarizer) matrix(p plane, inverted bool, slot int) *gozxing.BitMatrix {
	b.thresholds(inverted)
	m := b.bitMatrix(slot, p.w, p.h)
	rowSize := (p.w + 31) / 32
	b.words = grow(b.words, rowSize*p.h)
	b.rowThr = grow(b.rowThr, p.w)
	b.lastThr = grow(b.lastThr, p.w)
	b.setup(p.w)
	var flip uint8
	if inverted {
		flip = 0xff
	}
	b.spreadRow(b.lastThr, b.subH-1, p.w)
	for by := 0; by < b.subH-1; by++ {
		b.spreadRow(b.rowThr, by, p.w)
		merged := false
		for y := by << blockPower; y < (by+1)<<blockPower; y++ {
			thr := b.rowThr
			if y >= p.h-blockSize {
				// Also covered by the last row of blocks, moved back.
				if !merged {
					b.merged = grow(b.merged, p.w)
					for x := range b.merged {
						b.merged[x] = max(b.rowThr[x], b.lastThr[x])
					}
					merged = true
				}
				thr = b.merged
			}
			b.packRow(p.row(y), thr, flip, b.words[y*rowSize:(y+1)*rowSize])
		}
	}
	for y := (b.subH - 1) << blockPower; y < p.h; y++ {
		b.packRow(p.row(y), b.lastThr, flip, b.words[y*rowSize:(y+1)*rowSize])
	}
	for y := 0; y < p.h; y++ {
		b.setRow(m, y, b.words[y*rowSize:(y+1)*rowSize])
	}
	return m
}

// setup readies the row buffer setRow goes through for rows of w pixels.
func (b *binarizer) setup(w int) {
	if b.bits == nil || b.bits.GetSize() < w {
		b.bits = gozxing.NewBitArray(w)
	}
}

// setRow copies packed words into row y of m. BitMatrix keeps its words
// to itself; a BitArray is the way in.
func (b *binarizer) setRow(m *gozxing.BitMatrix, y int, words []uint32) {
	for i, w := range words {
		b.bits.SetBulk(i*32, w)
	}
	m.SetRow(y, b.bits)
}

// packRow sets bit x of out when pixel x, xor flip, is at most its
// threshold, eight pixels at a time.
func (b *binarizer) packRow(px, thr []uint8, flip uint8, out []uint32) {
	flip64 := uint64(flip) * 0x0101010101010101
	full := len(px) / 32
	for k := 0; k < full; k++ {
		p := px[k*32 : k*32+32 : k*32+32]
		t := thr[k*32 : k*32+32 : k*32+32]
		var w uint32
		for i := 0; i < 32; i += 8 {
			le := geBytes(binary.LittleEndian.Uint64(t[i:]), binary.LittleEndian.Uint64(p[i:])^flip64)
			// One bit per lane, gathered into the top byte.
			w |= uint32((le&0x0101010101010101)*0x0102040810204080>>56) << i
		}
		out[k] = w
	}
	if rest := len(px) - full*32; rest > 0 {
		var w uint32
		for i := 0; i < rest; i++ {
			if px[full*32+i]^flip <= thr[full*32+i] {
				w |= 1 << i
			}
		}
		out[full] = w
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// grow returns s with length n, reallocating only when its capacity is
// short; the contents are not preserved.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// global binarizes p with one threshold for the whole plane, as gozxing's
// GlobalHistogramBinarizer does: the valley between the dark and the
// light peak of a 32-bucket histogram, here of every fourth row rather
// than four rows. It reports false for a plane without two peaks.
func (b *binarizer) global(p plane, inverted bool, slot int) (*gozxing.BitMatrix, bool) {
	var buckets [32]int
	for y := 0; y < p.h; y += 4 {
		for _, v := range p.row(y) {
			buckets[v>>3]++
		}
	}
	black, ok := blackPoint(buckets[:])
	if !ok {
		return nil, false
	}
	// Black is below the valley: at most black-1, or when inverted,
	// 255-v at most 255-black.
	t, flip := uint8(black-1), uint8(0)
	if inverted {
		t, flip = uint8(255-black), 0xff
	}
	b.rowThr = grow(b.rowThr, p.w)
	for i := range b.rowThr {
		b.rowThr[i] = t
	}
	m := b.bitMatrix(slot, p.w, p.h)
	rowSize := (p.w + 31) / 32
	b.words = grow(b.words, rowSize)
	b.setup(p.w)
	for y := 0; y < p.h; y++ {
		b.packRow(p.row(y), b.rowThr, flip, b.words)
		b.setRow(m, y, b.words)
	}
	return m, true
}

// blackPoint is GlobalHistogramBinarizer.estimateBlackPoint: the luma of
// the lowest valley between the two tallest peaks far enough apart, closer
// to the light one.
func blackPoint(buckets []int) (int, bool) {
	n := len(buckets)
	maxCount, first, firstSize := 0, 0, 0
	for x, c := range buckets {
		if c > firstSize {
			first, firstSize = x, c
		}
		maxCount = max(maxCount, c)
	}
	second, secondScore := 0, 0
	for x, c := range buckets {
		d := x - first
		if score := c * d * d; score > secondScore {
			second, secondScore = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= n/16 {
		return 0, false
	}
	valley, valleyScore := second-1, -1
	for x := second - 1; x > first; x-- {
		from := x - first
		if score := from * from * (second - x) * (maxCount - buckets[x]); score > valleyScore {
			valley, valleyScore = x, score
		}
	}
	return valley << 3, true
}
