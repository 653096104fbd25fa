// Package decoder finds QR codes in images and PDFs and returns their
// texts: camera frames (image.Gray, image.YCbCr and any image.Image), image
// files, and pages of printed cards, which DecodePDF renders with package
// decoder/pdf (MuPDF, guarded) and reads again at a finer resolution, with
// the codes already read painted out, when a page seems to hold more.
//
// A Decoder climbs a ladder of strategies within a time budget and stops at
// the first that reads a code (or, with Options.Multi, climbs it all and
// returns every code once):
//
//   - hint: with DecodeHint, the crop where the caller last saw a code.
//   - luma: the luma plane, read in place for Gray and YCbCr images,
//     binarized exactly as gozxing's HybridBinarizer does but about four
//     times faster; then inverted, for light codes on dark, when the
//     matrix shows light finder patterns.
//   - channel: for colour images, min(R,G,B), in which green, yellow and
//     red modules are dark however light their luma: at half resolution
//     first, then at full resolution where that saw finder patterns.
//   - border: regions at the image's edge (or a small image all round)
//     inside a quiet zone.
//   - upscale: regions enlarged 2–4× with bilinear interpolation, for
//     dense codes at 2 to 4 pixels a module.
//   - sharpen: regions under an unsharp mask about a module wide, gently
//     and then hard, which gives blurred modules back their contrast.
//   - pure: the image read as nothing but a code (gozxing's PURE_BARCODE).
//   - global: regions binarized with one threshold from their histogram.
//
// The regions are where finder patterns outlined what may be a code that
// did not read: without one, the later steps are skipped, so an empty
// frame costs the luma step alone. Finder patterns are searched on row
// runs, confirmed by gozxing's checks or, for perspective and small
// modules, by more tolerant ones; every plausible triple is tried, not
// only gozxing's first choice, and a triple is sampled at the neighbouring
// code sizes and with other alignment-pattern candidates when gozxing's
// own reading fails. Texts come from gozxing's decoder alone: a code is
// returned only when its format information and Reed-Solomon error
// correction check out, so a damaged code is not read, never misread.
//
// Every step is bounded, whatever the image: a poster tiled with finder
// patterns has tens of thousands, and gozxing's choice of three, cubic in
// them, ran for minutes. A search keeps at most 16384 patterns, found
// through a grid rather than by walking them all; of those it looks at the
// strongest 40 (96 for Multi's grouping into codes): first those without
// two neighbours of their size within 10 modules, as a code's three are
// 14 or more apart while a sheet's are 8, then the most often confirmed.
// So a code held in front of such a poster is still read in the luma
// step. The cross-checks turn down dark runs longer than a finder pattern
// can have at once, rather than follow them across the image. The
// combinatorial searches stop at the budget; the samplings between which
// it is checked take milliseconds.
//
// # Caveats
//
// A Decoder keeps buffers between calls and is not safe for concurrent use:
// give each goroutine its own.
//
// The budget is checked between steps and between attempts within one,
// so a call may overrun it by one attempt (a few milliseconds); the first
// step always runs to its end, in time linear in the pixels: about 50 ms
// for a 1280×720 poster of finder patterns, 150 ms for 3000×3000, on one
// core of a 2020s x86 server. A call's time is the budget and one step.
//
// Images other than Gray and YCbCr are converted to luma first, before
// the budget is checked: an RGBA 1280×720 frame costs about 2 ms more than
// its YCbCr equivalent, and 16-bit images go through their At method,
// seconds for tens of megapixels. Files are better read with package
// decoder/imagefile, which makes a 16-bit PNG an *image.Gray as it reads.
//
// Frames full of decoys (finder-like squares among text and barcodes) make
// the later steps look at them: such a frame costs up to the budget.
//
// A build without cgo has no PDF renderer: DecodePDF returns an error
// wrapping pdf.ErrNoCgo.
package decoder
