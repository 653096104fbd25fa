package qrcard

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strconv"
	"strings"
)

// pdfFile assembles a PDF 1.7 file in memory. Object numbers are handed out
// by alloc so that objects can refer to ones not yet written; bytes writes
// the cross-reference table, which needs every object's byte offset.
type pdfFile struct {
	buf     bytes.Buffer
	offsets []int // by object number - 1; -1 until the object is written
}

func newPDFFile() *pdfFile {
	f := &pdfFile{}
	// The comment of high bytes tells transfer programs the file is binary.
	f.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return f
}

// alloc reserves the next object number.
func (f *pdfFile) alloc() int {
	f.offsets = append(f.offsets, -1)
	return len(f.offsets)
}

// object writes object num with the given body, a dictionary or any other
// PDF object in source form.
func (f *pdfFile) object(num int, body string) {
	f.offsets[num-1] = f.buf.Len()
	fmt.Fprintf(&f.buf, "%d 0 obj\n%s\nendobj\n", num, body)
}

// stream writes object num as a FlateDecode stream of data.
func (f *pdfFile) stream(num int, data []byte) {
	var z bytes.Buffer
	// Writes to a bytes.Buffer cannot fail, so neither can the zlib writer.
	zw, _ := zlib.NewWriterLevel(&z, zlib.DefaultCompression)
	zw.Write(data)
	zw.Close()
	f.offsets[num-1] = f.buf.Len()
	fmt.Fprintf(&f.buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", num, z.Len())
	f.buf.Write(z.Bytes())
	f.buf.WriteString("\nendstream\nendobj\n")
}

// bytes finishes the file with the cross-reference table and the trailer
// naming root as the document catalog, and returns it.
func (f *pdfFile) bytes(root int) ([]byte, error) {
	xref := f.buf.Len()
	fmt.Fprintf(&f.buf, "xref\n0 %d\n0000000000 65535 f \n", len(f.offsets)+1)
	for i, off := range f.offsets {
		if off < 0 {
			return nil, fmt.Errorf("qrcard: pdf object %d allocated but not written", i+1)
		}
		// Each entry is exactly 20 bytes, ending in space and newline.
		fmt.Fprintf(&f.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&f.buf, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(f.offsets)+1, root, xref)
	return f.buf.Bytes(), nil
}

// ref formats a reference to object num.
func ref(num int) string { return strconv.Itoa(num) + " 0 R" }

// num formats a number with at most three decimals, finer than any printer
// resolves in points, and no trailing zeros, keeping content streams short.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}
