package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://guichet.test"
	testAudience = "guichet-api"
	testTTL      = 15 * time.Minute
)

var testNow = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// memSource is a KeySource whose keys a test can change, counting loads.
type memSource struct {
	mu    sync.Mutex
	keys  []SigningKey
	err   error
	loads atomic.Int32
}

func (s *memSource) set(keys ...SigningKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *memSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *memSource) load(context.Context) ([]SigningKey, error) {
	s.loads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys, s.err
}

// fixedKey returns a deterministic key, so fuzz seeds stay valid.
func fixedKey(id string, seed byte, created time.Time) SigningKey {
	priv := ed25519.NewKeyFromSeed(testKey(seed))
	return SigningKey{ID: id, Private: priv, Public: priv.Public().(ed25519.PublicKey), CreatedAt: created}
}

func retired(k SigningKey, at time.Time) SigningKey {
	k.RetiredAt = &at
	return k
}

// setupKeyring returns a loaded Keyring over keys and its source.
func setupKeyring(t testing.TB, keys ...SigningKey) (*Keyring, *memSource) {
	t.Helper()
	src := &memSource{}
	src.set(keys...)
	k := NewKeyring(testIssuer, testAudience, testTTL, src.load)
	if err := k.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return k, src
}

func mustSign(t testing.TB, k *Keyring, now time.Time) string {
	t.Helper()
	token, _, err := k.Sign(context.Background(), "user-1", "fam-1", now)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// forge signs arbitrary claims and header with method and key, bypassing Keyring.
func forge(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
		} else {
			tok.Header[name] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(now time.Time) Claims {
	return Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  jwt.ClaimStrings{testAudience},
		ExpiresAt: jwt.NewNumericDate(now.Add(testTTL)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
	}}
}

func TestKeyringSignVerify(t *testing.T) {
	t.Parallel()
	key := fixedKey("k1", 1, testNow.Add(-time.Hour))
	k, _ := setupKeyring(t, key)
	token, exp, err := k.Sign(t.Context(), "user-1", "fam-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(testNow.Add(testTTL)) {
		t.Fatalf("expiresAt = %v", exp)
	}
	claims, err := k.Verify(t.Context(), token, testNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "user-1" || claims.Family != "fam-1" || claims.Issuer != testIssuer ||
		!claims.ExpiresAt.Equal(exp) || !claims.IssuedAt.Equal(testNow) || !claims.NotBefore.Equal(testNow) {
		t.Fatalf("claims = %+v", claims)
	}
	if len(claims.Audience) != 1 || claims.Audience[0] != testAudience {
		t.Fatalf("audience = %v", claims.Audience)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(claims.ID) {
		t.Fatalf("jti = %q", claims.ID)
	}
	other := mustSign(t, k, testNow)
	otherClaims, _ := k.Verify(t.Context(), other, testNow)
	if otherClaims.ID == claims.ID {
		t.Fatal("two tokens share a jti")
	}
	header := decodeHeader(t, token)
	if header["alg"] != "EdDSA" || header["kid"] != "k1" {
		t.Fatalf("header = %v", header)
	}
}

func decodeHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, &Claims{})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Header
}

func TestKeyringVerifyRejects(t *testing.T) {
	t.Parallel()
	key := fixedKey("k1", 1, testNow.Add(-time.Hour))
	k, _ := setupKeyring(t, key)
	stranger := fixedKey("k1", 9, testNow.Add(-time.Hour)) // same kid, other key
	withClaims := func(edit func(*Claims)) string {
		c := validClaims(testNow)
		edit(&c)
		return forge(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": "k1"}, c)
	}
	good := mustSign(t, k, testNow)
	parts := strings.Split(good, ".")
	tests := []struct {
		name   string
		token  string
		now    time.Time
		reason string
	}{
		{"Expired", good, testNow.Add(testTTL + jwtLeeway + time.Second), "expired"},
		{"NotYetValid", good, testNow.Add(-jwtLeeway - time.Second), "not valid yet"},
		{"IssuedInTheFuture", withClaims(func(c *Claims) { c.NotBefore = nil; c.IssuedAt = jwt.NewNumericDate(testNow.Add(time.Hour)) }), testNow, "issued in the future"},
		{"WrongAudience", withClaims(func(c *Claims) { c.Audience = jwt.ClaimStrings{"other-api"} }), testNow, "wrong audience"},
		{"NoAudience", withClaims(func(c *Claims) { c.Audience = nil }), testNow, "missing claim"},
		{"WrongIssuer", withClaims(func(c *Claims) { c.Issuer = "https://evil.test" }), testNow, "wrong issuer"},
		{"NoExpiry", withClaims(func(c *Claims) { c.ExpiresAt = nil }), testNow, "missing claim"},
		{"NoSubject", withClaims(func(c *Claims) { c.Subject = "" }), testNow, "missing subject"},
		{"TamperedSignature", parts[0] + "." + parts[1] + "." + flipChar(parts[2], 10), testNow, "bad signature"},
		{"TamperedPayload", parts[0] + "." + payloadOf(withClaims(func(c *Claims) { c.Subject = "admin" })) + "." + parts[2], testNow, "bad signature"},
		{"SignedByStrangerKey", forge(t, jwt.SigningMethodEdDSA, stranger.Private, map[string]any{"kid": "k1"}, validClaims(testNow)), testNow, "bad signature"},
		{"AlgNone", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": "k1"}, validClaims(testNow)), testNow, "alg not allowed"},
		{"HS256WithPublicKey", forge(t, jwt.SigningMethodHS256, []byte(key.Public), map[string]any{"kid": "k1"}, validClaims(testNow)), testNow, "alg not allowed"},
		{"UnknownAlg", rawToken(`{"alg":"XX512","kid":"k1"}`, parts[1], parts[2]), testNow, "alg not allowed"},
		{"NoAlg", rawToken(`{"kid":"k1"}`, parts[1], parts[2]), testNow, "alg not allowed"},
		{"MissingKid", forge(t, jwt.SigningMethodEdDSA, key.Private, nil, validClaims(testNow)), testNow, "missing kid"},
		{"NonStringKid", forge(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": 1}, validClaims(testNow)), testNow, "missing kid"},
		{"UnknownKid", forge(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": "nope"}, validClaims(testNow)), testNow, "unknown key"},
		{"Empty", "", testNow, "malformed"},
		{"TwoSegments", parts[0] + "." + parts[1], testNow, "malformed"},
		{"Garbage", "a.b.c", testNow, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			claims, err := k.Verify(t.Context(), tt.token, tt.now)
			if claims != nil || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %v, %v; want ErrInvalidToken", claims, err)
			}
			if !strings.HasSuffix(err.Error(), ": "+tt.reason) {
				t.Fatalf("err = %q; want reason %q", err, tt.reason)
			}
		})
	}
}

func flipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func payloadOf(token string) string { return strings.Split(token, ".")[1] }

func rawToken(header, payload, sig string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + payload + "." + sig
}

func TestKeyringVerifyAcceptsWithinLeeway(t *testing.T) {
	t.Parallel()
	k, _ := setupKeyring(t, fixedKey("k1", 1, testNow.Add(-time.Hour)))
	token := mustSign(t, k, testNow)
	for _, now := range []time.Time{testNow.Add(-jwtLeeway + time.Second), testNow.Add(testTTL + jwtLeeway - time.Second)} {
		if _, err := k.Verify(t.Context(), token, now); err != nil {
			t.Errorf("Verify at %v: %v", now, err)
		}
	}
}

func TestKeyringUnknownKidReloads(t *testing.T) {
	t.Parallel()
	old := fixedKey("old", 1, testNow.Add(-time.Hour))
	rotated := fixedKey("new", 2, testNow.Add(-time.Minute))
	k, src := setupKeyring(t, old)
	other, _ := setupKeyring(t, old, rotated) // a replica that already rotated
	token := mustSign(t, other, testNow)

	src.set(old, rotated)
	loads := src.loads.Load()
	if _, err := k.Verify(t.Context(), token, testNow); err != nil {
		t.Fatalf("Verify after rotation elsewhere: %v", err)
	}
	if got := src.loads.Load() - loads; got != 1 {
		t.Fatalf("%d reloads, want 1", got)
	}
	if _, err := k.Verify(t.Context(), token, testNow); err != nil || src.loads.Load()-loads != 1 {
		t.Fatalf("known kid: err %v, reloads %d; want no reload", err, src.loads.Load()-loads)
	}
}

func TestKeyringUnknownKidReloadIsRateLimited(t *testing.T) {
	t.Parallel()
	key := fixedKey("k1", 1, testNow.Add(-time.Hour))
	k, src := setupKeyring(t, key)
	forged := func(kid string) string {
		t.Helper()
		return forge(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": kid}, validClaims(testNow))
	}
	loads := src.loads.Load()
	steps := []struct {
		kid        string
		at         time.Duration
		wantReload bool
	}{
		{"x1", 0, true},
		{"x2", time.Second, false},
		{"x3", reloadInterval - time.Second, false},
		{"x4", reloadInterval, true},
		{"x5", reloadInterval + time.Second, false},
	}
	for _, s := range steps {
		before := src.loads.Load()
		if _, err := k.Verify(t.Context(), forged(s.kid), testNow.Add(s.at)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("kid %s: err = %v", s.kid, err)
		}
		if reloaded := src.loads.Load() > before; reloaded != s.wantReload {
			t.Fatalf("kid %s at +%v: reloaded = %v, want %v", s.kid, s.at, reloaded, s.wantReload)
		}
	}
	if total := src.loads.Load() - loads; total != 2 {
		t.Fatalf("%d reloads, want 2", total)
	}
}

func TestKeyringUnknownKidReloadFailure(t *testing.T) {
	t.Parallel()
	key := fixedKey("k1", 1, testNow.Add(-time.Hour))
	k, src := setupKeyring(t, key)
	dbDown := errors.New("db down")
	src.fail(dbDown)
	token := forge(t, jwt.SigningMethodEdDSA, key.Private, map[string]any{"kid": "k2"}, validClaims(testNow))
	_, err := k.Verify(t.Context(), token, testNow)
	if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, dbDown) {
		t.Fatalf("err = %v; want ErrInvalidToken wrapping the source error", err)
	}
	if _, err := k.Verify(t.Context(), mustSign(t, k, testNow), testNow); err != nil {
		t.Fatalf("failed reload dropped the key set: %v", err)
	}
}

func TestKeyringRetiredKey(t *testing.T) {
	t.Parallel()
	retiredAt := testNow
	oldKey := fixedKey("old", 1, testNow.Add(-24*time.Hour))
	newKey := fixedKey("new", 2, testNow)
	// A replica that has not seen the retirement keeps signing with oldKey.
	stale, _ := setupKeyring(t, oldKey)
	k, _ := setupKeyring(t, retired(oldKey, retiredAt), newKey)

	if got := decodeHeader(t, mustSign(t, k, testNow))["kid"]; got != "new" {
		t.Fatalf("signed with %v after retirement, want new", got)
	}
	beforeRetirement := mustSign(t, stale, retiredAt.Add(-time.Minute))
	if _, err := k.Verify(t.Context(), beforeRetirement, retiredAt.Add(time.Minute)); err != nil {
		t.Fatalf("retired key within ttl: %v", err)
	}
	lateToken := mustSign(t, stale, retiredAt.Add(10*time.Minute)) // exp = retiredAt+25m
	if _, err := k.Verify(t.Context(), lateToken, retiredAt.Add(testTTL+jwtLeeway)); err != nil {
		t.Fatalf("retired key at the edge of its window: %v", err)
	}
	_, err := k.Verify(t.Context(), lateToken, retiredAt.Add(testTTL+jwtLeeway+time.Second))
	if !errors.Is(err, ErrInvalidToken) || !strings.HasSuffix(err.Error(), "key retired") {
		t.Fatalf("retired key past its window: err = %v", err)
	}
}

func TestKeyringSignPicksNewestActiveKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    []SigningKey
		wantKid string
	}{
		{"NewestWins", []SigningKey{
			fixedKey("a", 1, testNow.Add(-2*time.Hour)),
			fixedKey("b", 2, testNow.Add(-time.Hour)),
			fixedKey("c", 3, testNow.Add(-3*time.Hour)),
		}, "b"},
		{"RetiredSkipped", []SigningKey{
			fixedKey("a", 1, testNow.Add(-2*time.Hour)),
			retired(fixedKey("b", 2, testNow.Add(-time.Hour)), testNow.Add(-time.Minute)),
		}, "a"},
		{"RetirementScheduledLater", []SigningKey{
			fixedKey("a", 1, testNow.Add(-2*time.Hour)),
			retired(fixedKey("b", 2, testNow.Add(-time.Hour)), testNow.Add(time.Minute)),
		}, "b"},
		{"FutureKeyPrepublished", []SigningKey{
			fixedKey("a", 1, testNow.Add(-2*time.Hour)),
			fixedKey("b", 2, testNow.Add(time.Hour)),
		}, "a"},
		{"VerifyOnlySkipped", []SigningKey{
			fixedKey("a", 1, testNow.Add(-2*time.Hour)),
			{ID: "b", Public: fixedKey("b", 2, testNow).Public, CreatedAt: testNow},
		}, "a"},
		{"TieBrokenByID", []SigningKey{
			fixedKey("a", 1, testNow.Add(-time.Hour)),
			fixedKey("b", 2, testNow.Add(-time.Hour)),
		}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, _ := setupKeyring(t, tt.keys...)
			if got := decodeHeader(t, mustSign(t, k, testNow))["kid"]; got != tt.wantKid {
				t.Fatalf("kid = %v, want %s", got, tt.wantKid)
			}
		})
	}
}

func TestKeyringSignWithoutActiveKey(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string][]SigningKey{
		"Empty":      nil,
		"AllRetired": {retired(fixedKey("a", 1, testNow.Add(-time.Hour)), testNow)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k, _ := setupKeyring(t, keys...)
			if _, _, err := k.Sign(t.Context(), "u", "f", testNow); !errors.Is(err, ErrNoSigningKey) {
				t.Fatalf("err = %v; want ErrNoSigningKey", err)
			}
		})
	}
}

func TestKeyringReloadRejectsBadKeys(t *testing.T) {
	t.Parallel()
	good := fixedKey("a", 1, testNow)
	mismatched := good
	mismatched.Public = fixedKey("a", 2, testNow).Public
	tests := map[string][]SigningKey{
		"EmptyID":       {{Public: good.Public, Private: good.Private}},
		"ShortPublic":   {{ID: "a", Public: good.Public[:31]}},
		"ShortPrivate":  {{ID: "a", Public: good.Public, Private: good.Private[:63]}},
		"Mismatched":    {mismatched},
		"DuplicateIDs":  {good, fixedKey("a", 2, testNow)},
		"OneBadAmongOK": {good, {ID: "b"}},
	}
	for name, keys := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k, src := setupKeyring(t, good)
			src.set(keys...)
			if err := k.Reload(t.Context()); err == nil {
				t.Fatal("Reload accepted bad keys")
			}
			if _, _, err := k.Sign(t.Context(), "u", "f", testNow); err != nil {
				t.Fatalf("failed Reload dropped the previous keys: %v", err)
			}
		})
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	t.Parallel()
	k, src := setupKeyring(t, fixedKey("a", 1, testNow.Add(-time.Hour)))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				now := testNow.Add(time.Duration(i*20+j) * time.Second)
				token, _, err := k.Sign(t.Context(), "u", "f", now)
				if err == nil {
					_, err = k.Verify(t.Context(), token, now)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if j%5 == 0 {
					src.set(fixedKey("a", 1, testNow.Add(-time.Hour)), fixedKey("b", 2, testNow.Add(-time.Hour)))
					_ = k.Reload(t.Context())
				}
			}
		})
	}
	wg.Wait()
}

func TestNewSigningKey(t *testing.T) {
	t.Parallel()
	a, err := NewSigningKey(testNow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSigningKey(testNow)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a.ID) || a.ID == b.ID {
		t.Fatalf("IDs %q, %q: want distinct 16 hex chars", a.ID, b.ID)
	}
	if err := a.validate(); err != nil || !a.CreatedAt.Equal(testNow) || a.RetiredAt != nil {
		t.Fatalf("key %+v: %v", a, err)
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	t.Parallel()
	key := fixedKey("", 5, time.Time{})
	der, err := x509.MarshalPKCS8PrivateKey(key.Private)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	got, err := ParsePrivateKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Private.Equal(key.Private) || !got.Public.Equal(key.Public) || got.validate() != nil {
		t.Fatal("parsed key differs")
	}
	again, _ := ParsePrivateKeyPEM(pemBytes)
	other, _ := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, fixedKey("", 6, time.Time{}).Private)}))
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got.ID) || got.ID != again.ID || got.ID == other.ID {
		t.Fatalf("IDs %q, %q, %q: want stable per key", got.ID, again.ID, other.ID)
	}

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER := mustPKCS8(t, ecKey)
	bad := map[string][]byte{
		"NotPEM":          []byte("hello"),
		"WrongType":       pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}),
		"GarbledDER":      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der[:10]}),
		"ECDSANotEd25519": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}),
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePrivateKeyPEM(in); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func mustPKCS8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
