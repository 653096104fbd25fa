//go:build !cgo

package source

// newJPEGDecoder returns image/jpeg's decoder: this build has no cgo for
// libjpeg-turbo.
func newJPEGDecoder() jpegDecoder { return goJPEG{} }
