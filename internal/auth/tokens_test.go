package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestOpaqueTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		new    func() (string, string)
		prefix string
		is     func(string) bool
	}{
		{"APIToken", NewAPIToken, "gch_", IsAPIToken},
		{"RefreshToken", NewRefreshToken, "gcr_", IsRefreshToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plain, hash := tt.new()
			body, ok := strings.CutPrefix(plain, tt.prefix)
			if !ok || len(body) != 43 {
				t.Fatalf("plain %q: want %s + 43 chars", plain, tt.prefix)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(body); err != nil || len(raw) != 32 {
				t.Fatalf("body is not 32 bytes of base64url: %v", err)
			}
			sum := sha256.Sum256([]byte(plain))
			if hash != hex.EncodeToString(sum[:]) || hash != HashToken(plain) {
				t.Fatalf("hash %s is not hex SHA-256 of plain", hash)
			}
			if !tt.is(plain) {
				t.Fatal("prefix check rejects its own token")
			}
			if again, _ := tt.new(); again == plain {
				t.Fatal("two tokens are equal")
			}
		})
	}
}

func TestTokenPrefixChecksAreDistinct(t *testing.T) {
	t.Parallel()
	api, _ := NewAPIToken()
	refresh, _ := NewRefreshToken()
	if IsAPIToken(refresh) || IsRefreshToken(api) || IsAPIToken("eyJhbGciOiJFZERTQSJ9.x.y") || IsAPIToken("") {
		t.Fatal("prefix checks confuse token kinds")
	}
}
