//go:build !unix

package boltstore

import (
	"os"
	"time"
)

// lockShared does nothing where flock does not exist: Open reads the meta
// pages unlocked, and bbolt's own open then waits for its lock.
func lockShared(*os.File, time.Duration) error { return nil }
