package auth

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/<FuzzName>/; they were made with the fixed
// keys below (testKey(1) for the box, fixedKey("k1", 1, ...) for tokens), so
// a valid sealed value and a valid token stay valid.

func FuzzBoxOpen(f *testing.F) {
	box := newTestBox(f, 1)
	f.Fuzz(func(t *testing.T, ciphertext, ad []byte) {
		plain, err := box.Open(ciphertext, ad)
		if err != nil && (!errors.Is(err, ErrDecrypt) || plain != nil) {
			t.Fatalf("Open = %q, %v; want nil and ErrDecrypt", plain, err)
		}
		got, err := box.Open(box.Seal(ciphertext, ad), ad)
		if err != nil || !bytes.Equal(got, ciphertext) {
			t.Fatalf("round trip = %q, %v", got, err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	k, _ := setupKeyring(f, fixedKey("k1", 1, testNow.Add(-time.Hour)))
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := k.Verify(t.Context(), token, testNow)
		switch {
		case err != nil && (!errors.Is(err, ErrInvalidToken) || claims != nil):
			t.Fatalf("Verify = %v, %v; want nil and ErrInvalidToken", claims, err)
		case err == nil && (claims.Subject == "" || claims.Issuer != testIssuer):
			t.Fatalf("Verify accepted claims %+v", claims)
		}
	})
}
