package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Prefixes of opaque tokens: they let secret scanners and our middleware tell
// an API token from a refresh token or a JWT at a glance.
const (
	APITokenPrefix     = "gch_"
	RefreshTokenPrefix = "gcr_"
)

// NewAPIToken returns a new API token: plain ("gch_" + 43 base64url chars of
// 32 random bytes) is shown to the user once; hash, [HashToken] of plain, is
// what gets stored.
func NewAPIToken() (plain, hash string) {
	return newOpaqueToken(APITokenPrefix)
}

// NewRefreshToken returns a new refresh token ("gcr_" + 43 base64url chars)
// and its [HashToken].
func NewRefreshToken() (plain, hash string) {
	return newOpaqueToken(RefreshTokenPrefix)
}

func newOpaqueToken(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain)
}

// HashToken returns the lowercase hex SHA-256 of plain, the lookup key of a
// stored token. A fast hash is right here, unlike for passwords: the tokens
// carry 256 random bits, so there is nothing to brute-force, and checking one
// must cost microseconds on every request.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// IsAPIToken reports whether s looks like an API token (by its prefix only).
func IsAPIToken(s string) bool { return strings.HasPrefix(s, APITokenPrefix) }

// IsRefreshToken reports whether s looks like a refresh token (by its prefix only).
func IsRefreshToken(s string) bool { return strings.HasPrefix(s, RefreshTokenPrefix) }
