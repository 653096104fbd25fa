package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zlib"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// Bounds of a scan batch.
const (
	// MaxBatchRecords is the most records one batch may hold.
	MaxBatchRecords = 2000
	// MaxBatchBytes bounds a batch inflated: the CBOR of its records and
	// envelope. A record is 200 to 400 bytes.
	MaxBatchBytes = 2 << 20
)

// ErrBatch is wrapped by every error DecodeBatch returns.
var ErrBatch = errors.New("wire: bad batch")

// Batch is one message on a device's scans topic: consecutive records of
// its log, oldest first.
type Batch struct {
	// Device is the device whose log the records come from; it must be the
	// device of the topic.
	Device string `cbor:"device"`
	// Records are terminal.Record values in CBOR, exactly as the device's
	// log holds them (the bytes its hash chain covers).
	Records []cbor.RawMessage `cbor:"records"`
}

// envelope is the batch as CBOR: the protocol version first.
type envelope struct {
	V       int               `cbor:"v"`
	Device  string            `cbor:"device"`
	Records []cbor.RawMessage `cbor:"records"`
}

// batchDecMode decodes an envelope: unique keys, no tags, no indefinite
// lengths, at most MaxBatchRecords records.
var batchDecMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  8,
		MaxArrayElements: MaxBatchRecords,
		MaxMapPairs:      64,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// Encode returns the batch as it goes on the wire: the CBOR envelope
// {"v": 1, "device": ..., "records": [...]}, zlib-compressed (RFC 1950).
func (b *Batch) Encode() ([]byte, error) {
	if len(b.Records) == 0 || len(b.Records) > MaxBatchRecords {
		return nil, fmt.Errorf("wire: batch of %d records: want 1 to %d", len(b.Records), MaxBatchRecords)
	}
	body, err := cose.EncMode.Marshal(envelope{V: 1, Device: b.Device, Records: b.Records})
	if err != nil {
		return nil, fmt.Errorf("wire: batch: %w", err)
	}
	if len(body) > MaxBatchBytes {
		return nil, fmt.Errorf("wire: batch of %d bytes: over %d", len(body), MaxBatchBytes)
	}
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	w.Write(body)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("wire: batch: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeBatch reads a batch from the wire. It inflates at most
// MaxBatchBytes, whatever the compressed size, and checks the envelope;
// the records are left in CBOR for Records to decode.
func DecodeBatch(data []byte) (*Batch, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrBatch, err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, MaxBatchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrBatch, err)
	}
	if len(body) > MaxBatchBytes {
		return nil, fmt.Errorf("%w: inflates past %d bytes", ErrBatch, MaxBatchBytes)
	}
	var env envelope
	if err := batchDecMode.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBatch, err)
	}
	switch {
	case env.V != 1:
		return nil, fmt.Errorf("%w: version %d, want 1", ErrBatch, env.V)
	case !ValidID(env.Device):
		return nil, fmt.Errorf("%w: device %q", ErrBatch, env.Device)
	case len(env.Records) == 0:
		return nil, fmt.Errorf("%w: no records", ErrBatch)
	}
	return &Batch{Device: env.Device, Records: env.Records}, nil
}

// DecodeRecords decodes the batch's records and checks that they are the
// device's, in rising seq order. It does not check their hash chain: that
// needs the records before them too.
func (b *Batch) DecodeRecords() ([]*terminal.Record, error) {
	recs := make([]*terminal.Record, len(b.Records))
	for i, raw := range b.Records {
		r := &terminal.Record{}
		if err := cose.DecMode.Unmarshal(raw, r); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrBatch, i, err)
		}
		switch {
		case r.Seq == 0:
			return nil, fmt.Errorf("%w: record %d has no seq", ErrBatch, i)
		case r.Device != b.Device:
			return nil, fmt.Errorf("%w: record %d is of device %q, not %q", ErrBatch, r.Seq, r.Device, b.Device)
		case i > 0 && r.Seq <= recs[i-1].Seq:
			return nil, fmt.Errorf("%w: record %d after %d", ErrBatch, r.Seq, recs[i-1].Seq)
		}
		recs[i] = r
	}
	return recs, nil
}
