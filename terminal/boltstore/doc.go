// Package boltstore is the terminal's durable store in a bbolt file: the
// hash-chained scan log, the outbox cursor, the replay memory for dynamic
// codes, the clock floor and opaque trust data.
//
// Append returns only after the records are fsync'd, so a decision shown
// after Append returned survives a power cut. Appends from many goroutines
// are gathered into one transaction (group commit): while one fsync runs,
// the appends that arrive queue up and share the next one.
//
// Beside the store lives its seq file, path+SeqFileSuffix: the seq
// high-water mark, kept outside bbolt. Before a commit uses a seq above
// the mark, Append raises the mark by 1024 and fsyncs the file (two
// checksummed slots written in turn, so that a torn write leaves the
// other): one more fsync every 1024 records. Close sets the mark at the
// head, as nothing is being committed.
//
// # Damage
//
// Open reads bbolt's two meta pages itself before bbolt maps the file,
// and walks the file's pages through reads, not the map. It refuses with
// ErrCorrupt, keeping a copy as path+".corrupt-TIMESTAMP", a file that
// bbolt would read past its end or outside its pages (cut short, a page
// pointing out of the file: a SIGBUS or fault that recover cannot catch),
// or whose meta pages are both invalid.
//
// bbolt keeps two meta pages and, when the newer fails its checksum,
// silently runs on the older one: one commit back. A torn write during a
// commit leaves exactly that (the commit was never acknowledged); so does
// bit rot after the acknowledgement, and nothing in the file tells them
// apart. So Open never guesses: when either meta page is invalid, or the
// store's newest seq is below what its seq file says was committed
// (rolled back, or restored from an older copy), it sets a copy of the
// file aside (read-write), records a Gap from the head to the seq file's
// mark, and carries on after it: no seq is used twice, and the hub sees
// an explained gap. The chain links over the gap, so Verify still passes.
//
// A read-write Open reads back the records appended since the last start
// (from a checkpoint kept in the file) and checks their chain. A break is
// kept on record in the file (one copy of the file set aside per new
// break) and reported until the records are purged; the store keeps
// working. Records, Stats and Verify carry on past a bad record and name
// it in a *BadRecordsError.
//
// Damage reports what Open found and what the file keeps on record, Open
// logs it at error level, and the terminal stays in service: its health
// says so until the records concerned are acknowledged and purged.
//
// # Caveats
//
// A bbolt file is locked while open: a second writer blocks (and Open fails
// after Options.Timeout), and a read-only open blocks too while a writer
// holds the file, since bbolt's flock is exclusive for writers. Read-only
// opens share the file with each other only.
//
// Open reads every page of the file twice (its own page walk and bbolt's
// consistency check): on a file near MaxBytes this takes a while. The
// chain check reads only the records since the last start: a record that
// rots after it was read back once is found by Verify (fuscanctl log
// verify), not at start.
//
// The seq file belongs to its store (it carries an id derived from the
// store's key) and is not in a Backup. A missing, damaged or foreign seq
// file never stops Open: it is logged and rebuilt from the store's own
// head. But then a damaged meta page has no witness of the seqs it may
// have taken with it: Damage says so, and only the hub's highest seq for
// the device can tell. Keep the seq file with the store when moving it.
// After a clean Close, a damaged meta page costs exactly the seqs of the
// commits it may have lost, and a store restored from an older copy is
// seen as behind its seq file. After a crash or a power cut the mark is
// up to 1024 seqs ahead, so a gap is up to that long; and the seq file
// notes what was committed only when it is written, so a copy taken
// since its last write is not seen as behind it, and reuses the seqs of
// the records it lacks.
//
// Past MaxBytes, Append still writes: data is never dropped. The alarm is a
// log line at error level (Options.Logger) on every Append that ends over
// the cap, and Stats().OverCap.
//
// The chain proves that records were not changed, removed or reordered
// after they were written; it does not stop someone with the file from
// rewriting the whole chain from a point on, since the hash is not keyed.
// Gaps are on record in the same file: a gap hides records no better than
// a rewritten chain would, and Verify and Damage list every gap.
package boltstore
