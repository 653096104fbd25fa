// Package decoder finds QR codes in images and PDFs and returns their
// texts: camera frames (image.Gray, image.YCbCr and any image.Image), image
// files, and pages of printed cards rendered with go-fitz.
//
// A Decoder climbs a ladder of strategies within a time budget and stops at
// the first that reads a code. It returns only texts whose Reed-Solomon
// error correction succeeded: a damaged code is not read, never misread.
//
// # Caveats
//
// A Decoder keeps buffers between calls and is not safe for concurrent use:
// give each goroutine its own.
package decoder
