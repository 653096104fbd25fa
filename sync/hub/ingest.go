package hub

import (
	"bytes"
	"cmp"
	"fmt"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// MaxScansMessage bounds a scans message before it is inflated. zlib
// never grows data by more than a few bytes per 16 KiB block, so a batch
// within wire.MaxBatchBytes inflated is well within this compressed.
const MaxScansMessage = wire.MaxBatchBytes + 64<<10

// zeroHash is the PrevHash of a device's first record.
var zeroHash = make([]byte, 32)

// message is one device message on its way to the committer: decoded, or
// with the reason it was refused.
type message struct {
	device   string
	leaf     string
	at       time.Time // the hub's clock at receipt
	retained bool      // a retained status delivered again, not sent now
	err      error     // why the message is refused; then nothing of it is stored

	// scans
	first, last uint64 // the batch's seqs, when it decoded that far
	records     []*terminal.Record
	raws        [][]byte
	hashOK      []bool // the record's Hash matches its content

	status *wire.Status
	report *wire.Report
}

// decodeScans decodes a scans message of device: everything that needs no
// store, done before the message waits for the committer.
func decodeScans(device string, data []byte) *message {
	m := &message{device: device, leaf: wire.LeafScans}
	if len(data) > MaxScansMessage {
		m.err = fmt.Errorf("%w: %d bytes, over %d", wire.ErrBatch, len(data), MaxScansMessage)
		return m
	}
	b, err := wire.DecodeBatch(data)
	if err != nil {
		m.err = err
		return m
	}
	if b.Device != device {
		m.err = fmt.Errorf("%w: a batch of device %q on the topic of %q", wire.ErrBatch, b.Device, device)
		return m
	}
	recs, err := b.DecodeRecords()
	if err != nil {
		m.err = err
		return m
	}
	m.first, m.last = recs[0].Seq, recs[len(recs)-1].Seq
	m.records, m.hashOK = recs, make([]bool, len(recs))
	m.raws = make([][]byte, len(recs))
	for i, r := range recs {
		m.raws[i] = b.Records[i]
		m.hashOK[i] = bytes.Equal(terminal.ChainHash(r.PrevHash, r), r.Hash)
	}
	return m
}

// decodeJSON decodes a status or report message of device.
func decodeJSON(device, leaf string, data []byte) *message {
	m := &message{device: device, leaf: leaf}
	switch leaf {
	case wire.LeafStatus:
		m.status = &wire.Status{}
		m.err = wire.Decode(data, m.status)
	case wire.LeafReports:
		m.report = &wire.Report{}
		m.err = wire.Decode(data, m.report)
	}
	if m.err != nil {
		m.err = fmt.Errorf("%s: %w", leaf, m.err)
	}
	return m
}

// outgoing is an ack to publish once the transaction is committed.
type outgoing struct {
	device string
	ack    wire.Ack
}

// tally counts what one transaction did, added to the hub's Stats once it
// is committed.
type tally struct {
	batches, refused, records, duplicates, breaks, statuses, reports uint64
}

// apply is one transaction's work on the messages the committer gathered.
type apply struct {
	tx      Tx
	now     time.Time
	devices map[string]*Device
	out     []outgoing
	tally   tally
	// warnings are logged once the transaction is committed: refusals
	// and breaks.
	warnings []warning
}

type warning struct {
	msg  string
	args []any
}

func (a *apply) warn(msg string, args ...any) { a.warnings = append(a.warnings, warning{msg, args}) }

// device returns the state of id in this transaction, loaded once.
func (a *apply) device(id string) (*Device, error) {
	if d := a.devices[id]; d != nil {
		return d, nil
	}
	d, err := a.tx.Device(id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		d = newDevice(id)
	}
	a.devices[id] = d
	return d, nil
}

// message applies m. Only store errors are returned: a refused message is
// an outcome, counted in the device's state.
func (a *apply) message(m *message) error {
	d, err := a.device(m.device)
	if err != nil {
		return err
	}
	if !m.retained {
		d.LastSeen = m.at
	}
	if m.err != nil {
		d.refuse(m.err, m.at)
		a.warn("message refused", "device", m.device, "topic", m.leaf, "err", m.err)
		if m.leaf == wire.LeafScans {
			a.tally.refused++
			a.ack(d, wire.Ack{First: m.first, Last: m.last, Error: m.err.Error()})
		}
		return nil
	}
	switch m.leaf {
	case wire.LeafScans:
		return a.scans(d, m)
	case wire.LeafStatus:
		a.status(d, m)
	case wire.LeafReports:
		a.tally.reports++
		return a.tx.AddReport(&Report{Device: d.ID, Received: m.at, Report: *m.report})
	}
	return nil
}

// ack queues an ack to d carrying what the hub holds.
func (a *apply) ack(d *Device, ack wire.Ack) {
	ack.Held, ack.Time = d.Held.Max(), a.now
	a.out = append(a.out, outgoing{device: d.ID, ack: ack})
}

// scans stores the records of a batch the hub does not hold yet and
// checks the chain wherever a new record meets one held.
func (a *apply) scans(d *Device, m *message) error {
	a.tally.batches++
	stored := map[uint64][]byte{} // seq → hash of the records stored now
	for i, r := range m.records {
		if d.Held.Contains(r.Seq) {
			a.tally.duplicates++
			if err := a.sameAsHeld(d, r.Seq, m.raws[i]); err != nil {
				return err
			}
			continue
		}
		if !m.hashOK[i] {
			a.addBreak(d, r.Seq, "hash does not match its content")
		}
		if err := a.linkBack(d, r, stored); err != nil {
			return err
		}
		if err := a.tx.PutRecord(r, m.raws[i]); err != nil {
			return err
		}
		d.Held = d.Held.Add(r.Seq)
		stored[r.Seq] = r.Hash
		a.tally.records++
	}
	// A record held before that follows one stored now must link to it:
	// a batch that fills a gap is checked on both sides.
	for seq, hash := range stored {
		if _, ok := stored[seq+1]; ok || !d.Held.Contains(seq+1) {
			continue
		}
		next, err := a.held(d.ID, seq+1)
		if err != nil {
			return err
		}
		if next != nil && !bytes.Equal(next.PrevHash, hash) {
			a.addBreak(d, seq+1, fmt.Sprintf("does not link to record %d", seq))
		}
	}
	d.sync()
	a.ack(d, wire.Ack{First: m.first, Last: m.last})
	return nil
}

// linkBack checks that r links to the record before it, when the hub
// holds that one.
func (a *apply) linkBack(d *Device, r *terminal.Record, stored map[uint64][]byte) error {
	if r.Seq == 1 {
		if !bytes.Equal(r.PrevHash, zeroHash) {
			a.addBreak(d, 1, "the first record does not start a chain")
		}
		return nil
	}
	prev, ok := stored[r.Seq-1]
	if !ok && d.Held.Contains(r.Seq-1) {
		held, err := a.held(d.ID, r.Seq-1)
		if err != nil {
			return err
		}
		if held != nil {
			prev, ok = held.Hash, true
		}
	}
	if ok && !bytes.Equal(r.PrevHash, prev) {
		a.addBreak(d, r.Seq, fmt.Sprintf("does not link to record %d", r.Seq-1))
	}
	return nil
}

// sameAsHeld compares a record received again with the one held: the same
// seq with other content is a device that rewrote its log.
func (a *apply) sameAsHeld(d *Device, seq uint64, raw []byte) error {
	held, err := a.tx.Record(d.ID, seq)
	if err != nil {
		return err
	}
	if held != nil && !bytes.Equal(held, raw) {
		a.addBreak(d, seq, "received again with other content; the first one is kept")
	}
	return nil
}

// held returns the record (device, seq) the store holds, decoded; nil if
// it holds none or it does not decode (it did when it was stored).
func (a *apply) held(device string, seq uint64) (*terminal.Record, error) {
	raw, err := a.tx.Record(device, seq)
	if raw == nil || err != nil {
		return nil, err
	}
	r := &terminal.Record{}
	if err := cose.DecMode.Unmarshal(raw, r); err != nil {
		return nil, nil
	}
	return r, nil
}

func (a *apply) addBreak(d *Device, seq uint64, reason string) {
	if d.addBreak(Break{Seq: seq, Reason: reason, At: a.now}) {
		a.tally.breaks++
		a.warn("chain break", "device", d.ID, "seq", seq, "reason", reason)
	}
}

// status updates d from its status message; a device coming online is
// greeted with what the hub holds and the hub's clock.
func (a *apply) status(d *Device, m *message) {
	a.tally.statuses++
	s := m.status
	if s.Device != "" && s.Device != d.ID {
		d.refuse(fmt.Errorf("status: of device %q on the topic of %q; its device field is ignored", s.Device, d.ID), m.at)
	}
	d.Status = s
	d.Venue = cmp.Or(s.Venue, d.Venue)
	d.Group = cmp.Or(s.Group, d.Group)
	d.Backlog = s.Backlog
	if s.Versions != nil {
		d.Versions = s.Versions
	}
	switch {
	case s.Online:
		d.Online, d.OfflineSince, d.OfflineReason = true, time.Time{}, ""
		a.ack(d, wire.Ack{})
	case d.Online || d.OfflineSince.IsZero():
		d.Online, d.OfflineSince, d.OfflineReason = false, m.at, s.Reason
	}
}
