//go:build !race

package scene

// raceEnabled is true under the race detector, which slows the pixel loops
// twentyfold: tests that only measure decoding skip then.
const raceEnabled = false
