package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxMessageBytes bounds an ack, status or report message.
const MaxMessageBytes = 64 << 10

// Ack is the hub's answer on a device's ack topic. It is sent after the
// hub has committed a batch (First..Last), and once when a device comes
// online (First and Last zero), so that the device learns Held and the
// hub's clock.
type Ack struct {
	First uint64 `json:"first"` // the batch's first seq; 0 for a greeting
	Last  uint64 `json:"last"`  // the batch's last seq; 0 for a greeting
	// Held is the highest seq the hub holds for the device: a second
	// witness of how far the device's log has come.
	Held uint64 `json:"held"`
	// Time is the hub's clock when it sent the ack: a second opinion on
	// the device's.
	Time time.Time `json:"time"`
	// Error says why the batch was refused; then nothing of it is held,
	// and the device must not move its cursor past First-1.
	Error string `json:"error,omitempty"`
}

// Applied is what a device holds of one kind of update.
type Applied struct {
	Version  uint64    `json:"version"`
	IssuedAt time.Time `json:"issued_at,omitzero"`
}

// Status is a device's retained message on its status topic. The last
// will, set when it connects, is {"online": false, "reason": "lost"}.
type Status struct {
	Online bool   `json:"online"`
	Reason string `json:"reason,omitempty"` // when offline: "lost" (the last will) or "stopped"
	// Time is the device's clock when it sent the status.
	Time       time.Time `json:"time,omitzero"`
	Device     string    `json:"device,omitempty"`
	Venue      string    `json:"venue,omitempty"`
	Group      string    `json:"group,omitempty"`
	AppVersion string    `json:"app_version,omitempty"`

	LastSeq uint64 `json:"last_seq"` // the newest record
	Acked   uint64 `json:"acked"`    // the outbox cursor
	Backlog uint64 `json:"backlog"`  // records not yet acknowledged
	// OldestUnsynced is the time of the oldest record not yet
	// acknowledged.
	OldestUnsynced time.Time `json:"oldest_unsynced,omitzero"`
	// OfflineSince is when the device lost its link before this
	// connection; zero for the first connection since it started.
	OfflineSince time.Time `json:"offline_since,omitzero"`

	// Versions are the update kinds the device holds: trust, revocations,
	// policy, config, roots.
	Versions     map[string]Applied `json:"versions,omitempty"`
	TrustExpires time.Time          `json:"trust_expires,omitzero"`
	// Clock is "ok", "untrusted" (below the device's floor or never set)
	// or "skewed" (far from the hub's); ClockSkew is device minus hub,
	// in seconds, from the last ack.
	Clock     string  `json:"clock,omitempty"`
	ClockSkew float64 `json:"clock_skew_s,omitempty"`
	// LastError is the link's last trouble, such as a batch the hub
	// refused; empty when there is none to report.
	LastError string `json:"last_error,omitempty"`
}

// The outcomes of an update, in Report.Outcome.
const (
	OutcomeApplied  = "applied"
	OutcomeRejected = "rejected"
	// OutcomeWaiting is a delta whose base the device does not hold: it
	// waits for a full bundle.
	OutcomeWaiting = "waiting"
)

// Report is one update outcome on a device's reports topic.
type Report struct {
	Time    time.Time `json:"time"`              // the device's clock
	Topic   string    `json:"topic"`             // where the bundle came from
	Kind    string    `json:"kind,omitempty"`    // empty when the bundle did not parse
	Version uint64    `json:"version,omitempty"` // the bundle's
	Target  string    `json:"target,omitempty"`
	Outcome string    `json:"outcome"` // applied, rejected or waiting
	Reason  string    `json:"reason"`  // a stable code: APPLIED, SIG_INVALID, ROOT_UNKNOWN, ...
	Detail  string    `json:"detail,omitempty"`
}

// ErrMessage is wrapped by the errors of Decode.
var ErrMessage = errors.New("wire: bad message")

// Decode reads a JSON message (Ack, Status or Report) into v: at most
// MaxMessageBytes, one object, unknown fields ignored so that newer
// peers can add some.
func Decode(data []byte, v any) error {
	if len(data) > MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes, over %d", ErrMessage, len(data), MaxMessageBytes)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMessage, err)
	}
	return nil
}

// Encode writes a message as JSON.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("wire: message does not encode: " + err.Error()) // plain fields only
	}
	return b
}
