//go:build race

package source_test

// raceEnabled is true under the race detector, which slows rendering and
// decoding about twentyfold.
const raceEnabled = true
