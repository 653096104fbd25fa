package terminal

import (
	"crypto/hmac"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/fuscan/fuscan/terminal/cose"
)

// Record is one decision as the scan log keeps it: enough to audit and
// count, never the raw code text, a full name or an ID number. The log
// assigns Seq, PrevHash and Hash when it appends the record.
type Record struct {
	Seq       uint64 `cbor:"1,keyasint"`  // per-device, from 1, no gaps
	Device    string `cbor:"2,keyasint"`  // device id
	Venue     string `cbor:"3,keyasint"`  // venue id
	TimeUS    int64  `cbor:"4,keyasint"`  // the verification clock, Unix microseconds
	ClockOK   bool   `cbor:"5,keyasint"`  // false when the clock was not trusted
	Format    string `cbor:"6,keyasint"`  // live, card, dynamic, dcc or ""
	Issuer    string `cbor:"7,keyasint"`  // issuer id
	KID       []byte `cbor:"8,keyasint"`  // issuer key id
	Serial    []byte `cbor:"9,keyasint"`  // keyed hash of the credential serial (SerialHash); nil if none
	Verdict   string `cbor:"10,keyasint"` // pass, warn, refer, deny
	Reason    Reason `cbor:"11,keyasint"`
	Color     string `cbor:"12,keyasint"`
	Name      string `cbor:"13,keyasint"` // masked: 张*
	IDTail    string `cbor:"14,keyasint"`
	Policy    uint64 `cbor:"15,keyasint"` // policy version
	Trust     uint64 `cbor:"16,keyasint"` // trust data version
	PrevHash  []byte `cbor:"17,keyasint"` // Hash of record Seq-1; 32 zero bytes for Seq 1
	Hash      []byte `cbor:"18,keyasint"` // ChainHash(PrevHash, record)
	LatencyUS int64  `cbor:"19,keyasint"` // frame-to-decision time, microseconds; 0 if unknown
}

// NewRecord returns the record of decision d made by device at venue.
// serialKey keys the serial's hash (SerialHash); Seq and the hashes are
// left for the log.
func NewRecord(d *Decision, device, venue string, serialKey []byte) *Record {
	r := &Record{
		Device: device, Venue: venue, TimeUS: d.At.UnixMicro(), ClockOK: d.Reason != ClockUntrusted,
		Issuer: d.Issuer, KID: d.KID, Verdict: d.Verdict.String(), Reason: d.Reason,
		Color: d.Color.String(), Name: d.Name, IDTail: d.IDTail,
		Policy: d.PolicyVersion, Trust: d.TrustVersion,
	}
	if d.Format != 0 {
		r.Format = d.Format.String()
	}
	if d.Serial != "" {
		r.Serial = SerialHash(serialKey, d.Serial)
	}
	return r
}

// Time returns the record's verification clock.
func (r *Record) Time() time.Time { return time.UnixMicro(r.TimeUS).UTC() }

// SerialHash is the keyed hash (HMAC-SM3) of a credential serial that logs
// keep: a venue can count and match repeats of one card without holding
// the serial itself.
func SerialHash(key []byte, serial string) []byte {
	m := hmac.New(sm3.New, key)
	m.Write([]byte(serial))
	return m.Sum(nil)
}

// ChainHash returns SM3(prev || CBOR(r with Hash empty)): the hash that
// links r to the record before it, so that changing, removing or
// reordering any record breaks every hash after it.
func ChainHash(prev []byte, r *Record) []byte {
	c := *r
	c.Hash = nil
	c.PrevHash = prev
	body, err := cose.EncMode.Marshal(&c)
	if err != nil {
		panic("terminal: record does not encode: " + err.Error()) // only plain fields: cannot happen
	}
	h := sm3.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil)
}
