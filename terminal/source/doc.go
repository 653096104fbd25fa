// Package source provides the frames and scanned code texts a terminal
// decides, from a source selected by URL. Open parses the URL; the
// returned Source's Run produces terminal.Frame values (cameras, image
// replays, the demo scene) or terminal.Scan values (hardware scan engines and
// keyboard-wedge scanners) until it ends, fails or is cancelled.
//
// Supported URLs:
//
//	dir:PATH?fps=5&loop=1          replay PNG, JPEG and GIF files, and PDF pages, in name order
//	demo:?fps=15&seed=1&width=960&height=540
//	                               a camera showing sample codes of every verdict (terminal/sample)
//	stdin:                         code texts, one a line, from standard input
//	scanner:PATH?baud=115200       code texts, one a line, from a serial device
//	v4l2:DEVICE?width=1280&height=720&fps=30
//	                               a USB camera (Linux video4linux), such as /dev/video0
//	mjpeg:http://HOST/PATH         an IP camera's multipart/x-mixed-replace MJPEG stream
//
// fps is a positive number of frames a second or "max" (as fast as the
// consumer takes them); left out it is 5 for dir: and 15 for demo:. A
// demo's width and height are 240 to 4096 pixels; its frames are
// *image.Gray.
//
// A v4l2: camera's width and height (16 to 8192 pixels, 1280×720 if left
// out) are a wish: the camera's nearest size is used. Frames larger than
// 640×480 are read as MJPEG when the camera offers it, else as YUYV; YUYV
// frames are *image.YCbCr (4:2:2). fps asks the camera for a rate; left
// out or "max", the camera keeps its own. Outside Linux, Open returns an
// error wrapping ErrUnsupported.
//
// Everything after "mjpeg:" is the camera's URL (http or https), its
// query included: mjpeg: takes no options of its own. A user and password
// in the URL are sent as HTTP basic authentication and redacted in errors
// and logs.
//
// # Caveats
//
// dir: reads images with package decoder/imagefile: one over 48 megapixels
// is skipped with a log line before its pixels are read, and a 16-bit PNG
// becomes the luma of its pixels, an *image.Gray, its colour lost. dir:
// renders each page of a PDF to an *image.Gray at 150 DPI with
// package decoder/pdf (pdf.Render), within its default bounds: 32 MiB a
// file, 50 pages, 40 megapixels a page, 10 seconds of rendering. The pages
// are rendered again at every pass; a build without cgo has no MuPDF and
// skips PDFs with a log line (pdf.ErrNoCgo). Files that fail to decode, and PDF
// pages left out, are skipped with a log line; the directory is listed
// again at every pass, so files added while looping are picked up.
//
// Pacing follows the wall clock (a time.Ticker); Options.Now only stamps
// frames and texts. A consumer slower than fps gets frames late rather
// than dropped: the pipeline's decoder drops stale frames itself.
//
// scanner:PATH?baud=115200 opens the device read-only; with baud (Linux
// only) it also puts it in raw 8N1 mode at that speed. Without baud the
// device is used as configured (for example by "stty -F /dev/ttyACM0
// 115200 raw"); USB CDC scan engines ignore the speed anyway.
//
// Camera sources fail, for the caller to retry with backoff, when the
// device or stream goes away or stops: v4l2: after 5 seconds without a
// frame, mjpeg: after 10 seconds without data (connecting and headers
// included), on a status other than 200, a content type other than
// multipart, a part over MaxMJPEGPart or the end of the stream. Frames that
// do not decode are skipped, with one log line for the first and every
// hundredth. Camera frames are bounded to 16 megapixels. Frames are not
// buffered: each is sent as it comes, and the pipeline keeps the latest.
//
// A camera's frames are images the source fills again (up to four of
// them, 7.5 MB at 1280×720): one is filled again once its frame is
// released (terminal.Frame.Release), which the pipeline does when it has
// decoded the frame or replaced it by a newer one, so that a camera costs
// no allocation a frame. A consumer that keeps a frame must copy it; one
// that drops a frame unseen must release it.
//
// MJPEG frames, from v4l2: and mjpeg:, are decoded with libjpeg-turbo
// (TurboJPEG, linked dynamically: the terminal needs Debian's
// libturbojpeg0) into *image.YCbCr in the camera's own subsampling, the
// colour kept for coloured codes: a fifth of image/jpeg's time, 3.5 to 5
// ms for a 1280×720 frame where image/jpeg takes 24 (4:2:0 to 4:2:2). A build without cgo uses image/jpeg, as does
// libjpeg-turbo for RGB and CMYK JPEGs, with a new image every frame.
// libjpeg-turbo's samples are a level off image/jpeg's in about one in
// two hundred. A frame cut short or with corrupt data is skipped;
// stray bytes between segments are skipped over, as image/jpeg does.
//
// v4l2: waits for frames a second at a time, so Run may take up to a
// second to return once ctx is done. An mjpeg: part is decoded as soon as
// its Content-Length bytes are in; a camera that sends no Content-Length
// has each frame decoded only when the next part's boundary arrives, a
// frame late. Only basic authentication is supported, not digest, and an
// https camera needs a certificate the system trusts.
//
// A line source's Run returns when ctx is done, but a read already blocked
// on a reader that cannot be interrupted (a terminal's stdin) finishes only
// when its next line or EOF arrives; that line is then discarded.
package source
