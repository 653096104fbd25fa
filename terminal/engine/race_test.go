//go:build race

package engine

// raceEnabled is true under the race detector, which slows rendering and
// decoding about twentyfold.
const raceEnabled = true
