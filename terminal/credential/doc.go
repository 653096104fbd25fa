// Package credential parses and issues the code texts fuscan verifies: the
// live health code (FSL1:), the 福码卡 offline card (FSC1:), the dynamic
// offline code (FSD1:) and the EU Digital COVID Certificate (HC1:).
//
// Parse turns a scanned text into an Unverified credential: the structure is
// checked strictly and within fixed bounds, but no signature has been
// checked, so nothing in it may be trusted yet; package terminal decides.
// The byte-level format is documented in docs/credential-format.md.
//
// # Caveats
//
// Parse does not check signatures, validity times, revocation or policy.
// Issuing (Sign, Encode, Present) exists for tests, samples and the admin
// tool; production issuers run elsewhere.
package credential
