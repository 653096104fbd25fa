// Package terminal is fuscan's domain core: it turns a scanned code text
// into a Decision — pass, warn, deny or refer, with a stable reason code —
// offline, from the signed payload only, under a venue Policy and a Trust
// snapshot of issuer keys and revocations.
//
// The core has no GUI, storage, network or image-decoding imports (a test
// enforces it); time, the replay memory and the clock floor are injected, so
// every decision can be reproduced at a fixed instant.
//
// # Caveats
//
// A rejected code is an outcome, not an error: Verify always returns a
// Decision. Its Detail is for logs and may name internal causes; the
// operator- and traveller-facing text is Message, which depends only on the
// reason.
package terminal
