// Package cose reads and writes COSE_Sign1 messages (RFC 9052) and holds the
// signature algorithms fuscan verifies: SM2 with SM3, Ed25519, ECDSA P-256
// (ES256) and RSA-PSS (PS256, for EU DCC only).
//
// Decoding is bounded and strict: the message must be exactly one CBOR array
// of four items, optionally wrapped in the COSE_Sign1 tag (18) and the CWT
// tag (61); map keys must be unique, the algorithm protected, no label both
// protected and unprotected (DecodeOptions.ProtectedKIDWins relaxes this for
// the kid, as the EU DCC needs), a critical header ("crit") may name only labels
// this package understands, and nothing may follow the message. Labels other
// than alg, crit, content type and kid (text labels included) are ignored.
// A decoded message is Unverified until Verify says its signature holds.
//
// # Caveats
//
// Detached payloads, COSE_Sign (multiple signers) and counter signatures are
// not supported. SM2 has no IANA COSE identifier; fuscan uses the private-use
// value SM2SM3 (see docs/credential-format.md).
package cose
