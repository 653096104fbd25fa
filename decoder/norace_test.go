//go:build !race

package decoder

// raceEnabled is true under the race detector, which slows the pixel loops
// about twentyfold: TestCorpus then checks a few frames per category for
// wrong texts and leaves the read rates to the normal run.
const raceEnabled = false
