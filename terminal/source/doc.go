// Package source provides the frames and scanned code texts a terminal
// decides, from a source selected by URL. Open parses the URL; the
// returned Source's Run produces terminal.Frame values (cameras, image
// replays, the demo scene) or Text values (hardware scan engines and
// keyboard-wedge scanners) until it ends, fails or is cancelled.
//
// Supported URLs:
//
//	dir:PATH?fps=5&loop=1          replay PNG, JPEG and GIF files in name order
//	demo:?fps=15&seed=1&width=1280&height=720
//	                               a synthetic entrance camera (decoder/scene)
//	stdin:                         code texts, one a line, from standard input
//	scanner:PATH?baud=115200       code texts, one a line, from a serial device
//
// fps is a positive number of frames a second or "max" (as fast as the
// consumer takes them); left out it is 5 for dir: and 15 for demo:. A
// demo's width and height are 240 to 4096 pixels; its frames are
// *image.Gray.
// v4l2: and mjpeg: are named by the terminal's design but not supported
// yet: Open returns an error wrapping ErrUnsupported.
//
// # Caveats
//
// dir: replays images only: PDF files are skipped with a log line, since
// turning PDF pages into codes is the decoder's job, not a camera's. Files
// that fail to decode are skipped with a log line as well; the directory is
// listed again at every pass, so files added while looping are picked up.
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
// A line source's Run returns when ctx is done, but a read already blocked
// on a reader that cannot be interrupted (a terminal's stdin) finishes only
// when its next line or EOF arrives; that line is then discarded.
package source
