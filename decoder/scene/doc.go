// Package scene renders QR codes as a camera or scanner would see them, to
// test and measure decoders: code texts as QR codes on printed cards and
// on phone screens, placed, turned and tilted in a camera frame, and
// degraded by what a real entrance does to them: blur, motion, sensor
// noise, low light, glare, the moiré of a screen, colour, dark mode,
// clutter and JPEG compression.
//
// [Render] draws one text as [Params] say. [Categories] names families of
// frames, each stressing one thing, from which a test corpus is made; every
// [Sample] carries its truth (the text, the QR version, where the symbol's
// corners are). [Sequence] and [SequenceOf] are a moving camera feed:
// visitors come, hold up a code and go. [CardSheet] is a PDF of printed
// cards, for the PDF path. [Poster] is a hostile one: a sheet of finder
// patterns and no code.
//
// The texts come from the caller: the package draws any text and knows no
// code format. fuscan's corpus draws terminal/sample's Texts, credentials
// of every format signed at one fixed instant, so that its frames never
// change; its demo camera draws sample codes issued as it runs.
//
// Rendering is geometric, not a resampled image: every pixel is the average
// of the code's plane over the pixel's area, through the projective map of
// a pinhole camera, so that a module of 2.3 pixels shares its edges with its
// neighbours as on a sensor and shows no nearest-neighbour artefacts. The
// lens's blur, the sensor's noise and the exposure follow.
//
// # Caveats
//
// The same parameters give the same pixels on one platform; across
// architectures a pixel may differ by a level where the compiler fuses a
// multiply and an add. Rendering is pure Go and takes a few tens of
// milliseconds a 1280×720 frame on one core; bands of rows are drawn in
// parallel.
//
// The scenes are models. The screen's moiré is a sinusoidal pixel grid
// sampled at the camera's pixel centres; glare is a flat-topped bright
// ellipse; the lens is a Gaussian; noise is Gaussian and the same for
// every gray level; the text on cards and screens is pseudo-random glyphs.
// They look and decode like camera frames, but a decoder tuned to them
// alone may still meet surprises in real photos.
package scene
