// Package hub is the fleet's side of the MQTT contract (sync/wire): it
// ingests the terminals' scan batches, statuses and update reports from a
// broker, keeps the fleet's state in a Store, acknowledges what it has
// made durable, and serves the fleet, the scans, the reports and the
// publishing of signed bundles over a JSON API (Handler).
//
// # Ingest
//
// The hub subscribes at QoS 1 to fuscan/v1/{tenant}/dev/+/scans, .../status
// and .../reports with a clean session, again at every connection. A scans
// message is decoded and its records' hashes checked as it arrives, in
// order; a committer goroutine then applies the messages waiting for it in
// one Store transaction, fsync'd, and only then publishes the acks on
// .../dev/{device}/ack. Per batch:
//
//   - refused (does not inflate within wire.MaxBatchBytes, does not decode,
//     is of another device than its topic's, records out of order): an ack
//     with First and Last when known, Held, Time and Error. Nothing of it is
//     stored; the device's state counts it (errors, last_error).
//   - accepted: every record whose (device, seq) the store does not hold is
//     stored as received (the bytes its hash chain covers); one it holds is
//     skipped. The ack carries the batch's First and Last, Held (the highest
//     seq held for the device) and the hub's clock. A batch received twice
//     is stored once and acknowledged twice.
//
// The chain is checked wherever a new record meets one held: a record
// whose Hash is not terminal.ChainHash(PrevHash, record), one whose
// PrevHash is not the Hash of record seq-1 when that is held (or not 32
// zero bytes for seq 1), one held at seq+1 that does not link to a record
// filling a gap, and a seq received again with other content are breaks.
// Breaks and gaps (seqs missing between 1 and the highest held) are kept in
// the device's state and shown by the API (chain_ok, breaks, gaps); the hub
// never repairs them.
//
// A status updates the fleet state: online, last seen (the hub's clock),
// venue, group, backlog, versions. The last will, {"online": false,
// "reason": "lost"}, marks the device offline. Every online status is
// answered with a greeting ack (First and Last 0) so that the device learns
// Held and the hub's clock. A hub whose broker starts with it
// (Options.FreshBroker) marks every device offline when it starts.
//
// # Several hubs on one broker
//
// With Options.Shared, the hub subscribes through
// $share/fuscan-hub/fuscan/v1/{tenant}/dev/+/..., and the broker hands each
// message to one of the hubs so subscribed. Idempotency and the chain
// checks then rest on the store: hubs sharing the load must share one
// Store (a database), or each holds only the batches it was handed. Per
// MQTT, a shared subscription receives no retained messages: a hub that
// starts learns the devices' statuses from the store and from the
// statuses that follow.
//
// # Caveats
//
// The committer gathers the messages that wait into one transaction: one
// fsync for up to MaxTxRecords records. While it is busy the hub stops
// reading from the broker, and the broker holds or drops what follows
// according to its own limits: the devices' application acks, not the
// broker, decide what is sent again.
//
// A message is acknowledged to the broker once it is decoded and queued,
// before it is committed: if the hub dies in between, the device gets no
// ack and sends the batch again.
//
// POST /api/v1/bundles checks bundles against Options.Roots, fixed when the
// hub starts: after a root rotation, give the hub the new roots.
package hub
