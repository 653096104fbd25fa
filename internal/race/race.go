//go:build race

// Package race tells tests whether the race detector is on: it slows pixel
// loops and rendering several times, so tests that render or decode many
// frames check a sample of them under it.
package race

// Enabled is true when the binary was built with -race.
const Enabled = true
