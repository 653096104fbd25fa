// Package boltstore is the terminal's durable store in a bbolt file: the
// hash-chained scan log, the outbox cursor, the replay memory for dynamic
// codes, the clock floor and opaque trust data.
//
// Append returns only after the records are fsync'd, so a decision shown
// after Append returned survives a power cut. Appends from many goroutines
// are gathered into one transaction (group commit): while one fsync runs,
// the appends that arrive queue up and share the next one.
//
// # Caveats
//
// A bbolt file is locked while open: a second writer blocks (and Open fails
// after Options.Timeout), and a read-only open blocks too while a writer
// holds the file, since bbolt's flock is exclusive for writers. Read-only
// opens share the file with each other only.
//
// Open runs bbolt's consistency check over the whole file, which reads
// every page: on a file near MaxBytes this takes a while.
//
// Past MaxBytes, Append still writes: data is never dropped. The alarm is a
// log line at error level (Options.Logger) on every Append that ends over
// the cap, and Stats().OverCap.
//
// The chain proves that records were not changed, removed or reordered
// after they were written; it does not stop someone with the file from
// rewriting the whole chain from a point on, since the hash is not keyed.
package boltstore
