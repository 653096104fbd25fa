package sample

// The demo keys, published here on purpose: they were generated once for
// this package and are in every copy of its source. Each is a PKCS#8 (or,
// for the DCC signer, X.509) PEM block.
const (
	// sm2IssuerPEM is the demo SM2 issuer of 福码卡 cards, live and
	// dynamic codes (issuer 350000).
	sm2IssuerPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgE6Mp809pa3s9Z9Gn
4jToscizwOlax3RqZs+r5KXIQf+hRANCAAQK6BKjr07JItVkSsiuOYGSZzGIdCYF
2DDoW86yQIN7chQqW5dwDIx5RVRZejLPBAd5rT2/kh/Ls6azbwiKeda7
-----END PRIVATE KEY-----
`

	// ed25519IssuerPEM is the demo Ed25519 issuer of live codes (issuer
	// 350000).
	ed25519IssuerPEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILa5p1xAH9OJ30Ql7cgvPnu23GGgx/qd0zNASYSOb7n4
-----END PRIVATE KEY-----
`

	// dccSignerPEM is the demo EU DCC signer's ES256 key, which
	// dccCertificatePEM certifies.
	dccSignerPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUl7k0HDdZYCKT1WQ
V0UaYMrX09zWtwlkfavH73yZY36hRANCAAQmPi8yzi39AtY//i7fOhNO0+2mTjv3
Ct3694RKDA9KrBuNFV08Bpp+raw6AMO6MhBhcM45ntuKolQyT/mOL9r6
-----END PRIVATE KEY-----
`

	// dccCertificatePEM is the demo DCC signing certificate: self-signed,
	// country CN, every DCC type, valid from 2024 to the end of 2035.
	dccCertificatePEM = `-----BEGIN CERTIFICATE-----
MIIBnjCCAUOgAwIBAgIBATAKBggqhkjOPQQDAjAuMQswCQYDVQQGEwJDTjEfMB0G
A1UEAxMWZnVzY2FuIGRlbW8gRENDIHNpZ25lcjAeFw0yNDAxMDEwMDAwMDBaFw0z
NjAxMDEwMDAwMDBaMC4xCzAJBgNVBAYTAkNOMR8wHQYDVQQDExZmdXNjYW4gZGVt
byBEQ0Mgc2lnbmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJj4vMs4t/QLW
P/4u3zoTTtPtpk479wrd+veESgwPSqwbjRVdPAaafq2sOgDDujIQYXDOOZ7biqJU
Mk/5ji/a+qNSMFAwDgYDVR0PAQH/BAQDAgeAMDAGA1UdJQQpMCcGCysGAQQBjjeP
ZQECBgsrBgEEAY43j2UBAQYLKwYBBAGON49lAQMwDAYDVR0TAQH/BAIwADAKBggq
hkjOPQQDAgNJADBGAiEAlRXyCHIZgUTB+dh2gPMqxrQv51eE2pWYIODVkdk+8pEC
IQDbkVhmLB+avJ4EARY7+qbDhtathNcjvZbcnBUSiPRM+g==
-----END CERTIFICATE-----
`

	// holderPEM is the demo holder of dynamic codes (Ed25519).
	holderPEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEwqcWwEp2U9zsJCP1VN+xHluX1i9s+kP2iPVUmjWwrm
-----END PRIVATE KEY-----
`

	// forgerPEM signs the forged sample: no snapshot trusts it.
	forgerPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgt2W2QeUzk1PSzP5r
4P1QU6XiO+PQvDUZX32KdaC3dx6hRANCAARU0e4uonrTLn4RgJIkXlPmjqZJt0Rs
y9OEGDPZr8HbLquSShUpOAD6SURbNLzI6DXiAWFqWqKBvqYBF803QIim
-----END PRIVATE KEY-----
`
)
