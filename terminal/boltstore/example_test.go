package boltstore_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "boltstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := boltstore.Open(filepath.Join(dir, "terminal.db"), &boltstore.Options{Device: "gate-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	r := &terminal.Record{Venue: "v", TimeUS: at.UnixMicro(), ClockOK: true, Verdict: "pass", Reason: terminal.OK}
	if err := s.Append(r); err != nil { // durable once it returns
		log.Fatal(err)
	}
	n, _, err := s.Verify()
	fmt.Println(r.Seq, n, err, s.Floor().Equal(at))
	// Output: 1 1 <nil> true
}
