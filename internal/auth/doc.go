// Package auth holds Guichet's cryptographic building blocks: an AEAD box for
// secrets at rest, argon2id password hashing, Ed25519 access tokens (JWT) and
// opaque API and refresh tokens.
//
// It knows nothing of the database or of HTTP: keys come in through a
// [KeySource], and callers map [ErrInvalidToken] to 401 themselves.
package auth
