package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	jwtAlg = "EdDSA"
	// jwtLeeway absorbs clock skew between replicas and clients.
	jwtLeeway = 30 * time.Second
	// reloadInterval bounds reloads caused by unknown kids, so forged kids
	// cannot turn into a query per request.
	reloadInterval = 10 * time.Second
)

// ErrInvalidToken is wrapped by every verification failure of
// [Keyring.Verify], with a short reason ("expired", "unknown key"...); map
// it to 401. The reason is for logs, not for clients.
var ErrInvalidToken = errors.New("auth: invalid token")

// ErrNoSigningKey is returned by [Keyring.Sign] when the ring holds no key
// that may sign now.
var ErrNoSigningKey = errors.New("auth: no active signing key")

// SigningKey is an Ed25519 key that signs access tokens. A key signs from
// CreatedAt until RetiredAt; once retired it still verifies, until
// RetiredAt + the token TTL, the tokens it issued. Private may be nil for a
// key that only verifies.
type SigningKey struct {
	ID        string
	Private   ed25519.PrivateKey
	Public    ed25519.PublicKey
	CreatedAt time.Time
	RetiredAt *time.Time
}

// NewSigningKey returns a fresh key created at now, with a random 16-hex-char ID.
func NewSigningKey(now time.Time) (SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("auth: generate signing key: %w", err)
	}
	id := make([]byte, 8)
	rand.Read(id)
	return SigningKey{ID: hex.EncodeToString(id), Private: priv, Public: pub, CreatedAt: now}, nil
}

// ParsePrivateKeyPEM reads a PKCS#8 "PRIVATE KEY" PEM block holding an
// Ed25519 key, as given in configuration. The ID is the first 16 hex chars of
// the SHA-256 of the public key, so every replica derives the same one.
// CreatedAt is left zero (the oldest possible): set it if the key must win
// over keys from the database.
func ParsePrivateKeyPEM(pemBytes []byte) (SigningKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return SigningKey{}, errors.New("auth: signing key: want a PEM \"PRIVATE KEY\" block (PKCS#8)")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return SigningKey{}, fmt.Errorf("auth: signing key: %w", err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("auth: signing key: want Ed25519, got %T", parsed)
	}
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return SigningKey{ID: hex.EncodeToString(sum[:8]), Private: priv, Public: pub}, nil
}

// activeAt reports whether k may sign at now.
func (k SigningKey) activeAt(now time.Time) bool {
	return k.Private != nil && !k.CreatedAt.After(now) && (k.RetiredAt == nil || now.Before(*k.RetiredAt))
}

func (k SigningKey) validate() error {
	switch {
	case k.ID == "":
		return errors.New("empty ID")
	case len(k.Public) != ed25519.PublicKeySize:
		return fmt.Errorf("key %s: public key is %d bytes", k.ID, len(k.Public))
	case k.Private == nil:
		return nil
	case len(k.Private) != ed25519.PrivateKeySize:
		return fmt.Errorf("key %s: private key is %d bytes", k.ID, len(k.Private))
	case !k.Public.Equal(k.Private.Public()):
		return fmt.Errorf("key %s: public key does not match private key", k.ID)
	}
	return nil
}

// Claims are the claims of a Guichet access token.
type Claims struct {
	jwt.RegisteredClaims
	// Family is the refresh-token family of the login session, so that
	// revoking the session can be checked against the access token.
	Family string `json:"fam,omitempty"`
}

// KeySource returns the current signing keys, retired ones included.
type KeySource func(ctx context.Context) ([]SigningKey, error)

// Keyring signs and verifies access tokens with the keys of a [KeySource].
// It is safe for concurrent use.
type Keyring struct {
	issuer, audience string
	ttl              time.Duration
	source           KeySource

	keys     atomic.Pointer[map[string]SigningKey]
	reloadMu sync.Mutex // serialises Reload, so an older read cannot overwrite a newer one
	missMu   sync.Mutex // guards lastMiss
	lastMiss time.Time
}

// NewKeyring returns an empty Keyring for tokens of the given issuer and
// audience, valid for ttl; call Reload before Sign. It panics if ttl is not
// positive or source is nil.
func NewKeyring(issuer, audience string, ttl time.Duration, source KeySource) *Keyring {
	if ttl <= 0 || source == nil {
		panic("auth: NewKeyring needs a positive ttl and a key source")
	}
	k := &Keyring{issuer: issuer, audience: audience, ttl: ttl, source: source}
	k.keys.Store(&map[string]SigningKey{})
	return k
}

// Reload replaces the key set with the source's. On error the previous set is kept.
func (k *Keyring) Reload(ctx context.Context) error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	list, err := k.source(ctx)
	if err != nil {
		return fmt.Errorf("auth: load signing keys: %w", err)
	}
	set := make(map[string]SigningKey, len(list))
	for _, key := range list {
		if err := key.validate(); err != nil {
			return fmt.Errorf("auth: load signing keys: %w", err)
		}
		if _, dup := set[key.ID]; dup {
			return fmt.Errorf("auth: load signing keys: duplicate ID %s", key.ID)
		}
		set[key.ID] = key
	}
	k.keys.Store(&set)
	return nil
}

// Sign returns an access token for subject in the login session family,
// valid from now until expiresAt = now + ttl (whole seconds). It signs with the
// newest key active at now, or returns [ErrNoSigningKey].
func (k *Keyring) Sign(ctx context.Context, subject, family string, now time.Time) (token string, expiresAt time.Time, err error) {
	key, ok := k.signingKey(now)
	if !ok {
		return "", time.Time{}, ErrNoSigningKey
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    k.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{k.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(k.ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Family: family,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = key.ID
	token, err = t.SignedString(key.Private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, claims.ExpiresAt.Time, nil
}

// signingKey picks the newest key active at now; ties go to the greater ID,
// so every replica picks the same key.
func (k *Keyring) signingKey(now time.Time) (SigningKey, bool) {
	var best SigningKey
	found := false
	for _, key := range *k.keys.Load() {
		if !key.activeAt(now) {
			continue
		}
		if !found || key.CreatedAt.After(best.CreatedAt) ||
			key.CreatedAt.Equal(best.CreatedAt) && key.ID > best.ID {
			best, found = key, true
		}
	}
	return best, found
}

// Verify checks token's signature (EdDSA only, key chosen by the required
// kid header) and claims (issuer, audience, exp required, nbf, iat, subject
// present) at now, with 30 s of leeway. A kid missing from the ring triggers
// a Reload, at most once per 10 s, since another replica may have rotated
// keys. A retired key is refused once now > RetiredAt + ttl + leeway.
// Every failure wraps [ErrInvalidToken]; when a reload failed, the error also
// wraps the source's error.
func (k *Keyring) Verify(ctx context.Context, token string, now time.Time) (*Claims, error) {
	claims := &Claims{}
	_, err := k.newParser(now).ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return k.verificationKey(ctx, t, now)
	})
	var reload reloadError
	switch {
	case errors.As(err, &reload):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, reload)
	case err != nil:
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	case claims.Subject == "":
		return nil, fmt.Errorf("%w: missing subject", ErrInvalidToken)
	}
	return claims, nil
}

func (k *Keyring) newParser(now time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwtAlg}),
		jwt.WithIssuer(k.issuer),
		jwt.WithAudience(k.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(jwtLeeway),
	)
}

// Errors of verificationKey, turned into reasons by reason.
var (
	errMissingKid = errors.New("missing kid")
	errUnknownKey = errors.New("unknown key")
	errRetiredKey = errors.New("key retired")
)

func (k *Keyring) verificationKey(ctx context.Context, t *jwt.Token, now time.Time) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errMissingKid
	}
	key, err := k.lookup(ctx, kid, now)
	if err != nil {
		return nil, err
	}
	if key.RetiredAt != nil && now.After(key.RetiredAt.Add(k.ttl+jwtLeeway)) {
		return nil, errRetiredKey
	}
	return key.Public, nil
}

// lookup finds kid, reloading the ring first if kid is unknown and no
// miss-triggered reload happened in the last reloadInterval (by now's clock).
func (k *Keyring) lookup(ctx context.Context, kid string, now time.Time) (SigningKey, error) {
	if key, ok := (*k.keys.Load())[kid]; ok {
		return key, nil
	}
	k.missMu.Lock()
	defer k.missMu.Unlock()
	if key, ok := (*k.keys.Load())[kid]; ok {
		return key, nil // reloaded by a concurrent miss
	}
	if !k.lastMiss.IsZero() && now.Sub(k.lastMiss).Abs() < reloadInterval {
		return SigningKey{}, errUnknownKey
	}
	k.lastMiss = now
	if err := k.Reload(ctx); err != nil {
		return SigningKey{}, reloadError{err}
	}
	if key, ok := (*k.keys.Load())[kid]; ok {
		return key, nil
	}
	return SigningKey{}, errUnknownKey
}

// reloadError is an unknown kid whose reload failed; Verify keeps its cause
// (a database outage, say) in the chain for the caller's logs.
type reloadError struct{ err error }

func (e reloadError) Error() string   { return "unknown key (reload failed: " + e.err.Error() + ")" }
func (e reloadError) Unwrap() []error { return []error{errUnknownKey, e.err} }

// reason names the first cause of a jwt parse error, in order of usefulness.
func reason(err error) string {
	for _, r := range []struct {
		err  error
		text string
	}{
		{errMissingKid, "missing kid"},
		{errUnknownKey, "unknown key"},
		{errRetiredKey, "key retired"},
		{jwt.ErrTokenMalformed, "malformed"},
		{jwt.ErrTokenExpired, "expired"},
		{jwt.ErrTokenNotValidYet, "not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, "issued in the future"},
		{jwt.ErrTokenInvalidAudience, "wrong audience"},
		{jwt.ErrTokenInvalidIssuer, "wrong issuer"},
		{jwt.ErrTokenRequiredClaimMissing, "missing claim"},
		{jwt.ErrEd25519Verification, "bad signature"},
	} {
		if errors.Is(err, r.err) {
			return r.text
		}
	}
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) || errors.Is(err, jwt.ErrTokenUnverifiable) {
		return "alg not allowed" // the only other causes once the kid is resolved
	}
	return "invalid"
}
