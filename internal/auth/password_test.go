package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// cheapHasher makes hashes fast enough for tests that do not measure cost.
func cheapHasher() *Hasher { return NewHasherWithParams(4, 64, 1) }

func TestHasherDefaultParams(t *testing.T) {
	t.Parallel()
	h := NewHasher(0)
	if cap(h.sem) < 1 {
		t.Fatalf("semaphore capacity %d", cap(h.sem))
	}
	ctx := t.Context()
	encoded, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoded = %s", encoded)
	}
	parts := strings.Split(encoded, "$")
	if len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("salt %q / hash %q: want 16 and 32 bytes in raw base64", parts[4], parts[5])
	}
	if ok, err := h.Verify(ctx, "correct horse", encoded); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if h.NeedsRehash(encoded) {
		t.Fatal("NeedsRehash of a fresh default hash")
	}
}

func TestHasherVerify(t *testing.T) {
	t.Parallel()
	h := cheapHasher()
	ctx := t.Context()
	encoded, err := h.Hash(ctx, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := h.Hash(ctx, "s3cret")
	if other == encoded {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"RightPassword", "s3cret", true},
		{"WrongPassword", "s3cret!", false},
		{"EmptyPassword", "", false},
		{"CaseMatters", "S3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if ok, err := h.Verify(ctx, tt.password, encoded); ok != tt.want || err != nil {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
}

func TestHasherHonoursEncodedParams(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	encoded, err := NewHasherWithParams(1, 64, 1).Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(encoded, "$m=64,t=1,p=1$") {
		t.Fatalf("encoded = %s", encoded)
	}
	other := NewHasherWithParams(1, 128, 3)
	if ok, err := other.Verify(ctx, "pw", encoded); !ok || err != nil {
		t.Fatalf("Verify with other hasher params = %v, %v; want true", ok, err)
	}
	if !other.NeedsRehash(encoded) {
		t.Fatal("NeedsRehash = false for a hash with other params")
	}
	for _, params := range []string{"m=128,t=1,p=1", "m=64,t=2,p=1", "m=64,t=1,p=2"} {
		changed := strings.Replace(encoded, "m=64,t=1,p=1", params, 1)
		if ok, err := other.Verify(ctx, "pw", changed); ok || err != nil {
			t.Errorf("Verify with params changed to %s = %v, %v; want false", params, ok, err)
		}
	}
}

func TestHasherVerifyRejectsMalformed(t *testing.T) {
	t.Parallel()
	const salt, hash = "c29tZXNhbHRzb21lc2FsdA", "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	tests := map[string]string{
		"Empty":          "",
		"Bcrypt":         "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"Argon2i":        "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + hash,
		"OldVersion":     "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + hash,
		"NoVersion":      "$argon2id$m=64,t=1,p=1$" + salt + "$" + hash,
		"ParamsReorder":  "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + hash,
		"ParamsMissing":  "$argon2id$v=19$m=64,t=1$" + salt + "$" + hash,
		"ParamNotNumber": "$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + hash,
		"ParamNegative":  "$argon2id$v=19$m=64,t=-1,p=1$" + salt + "$" + hash,
		"MemoryTooBig":   "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + hash,
		"MemoryOverflow": "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + hash,
		"TimeTooBig":     "$argon2id$v=19$m=64,t=11,p=1$" + salt + "$" + hash,
		"TimeZero":       "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + hash,
		"ThreadsTooMany": "$argon2id$v=19$m=1024,t=1,p=17$" + salt + "$" + hash,
		"ThreadsZero":    "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + hash,
		"MemoryBelow8p":  "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + hash,
		"SaltPadded":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + hash,
		"SaltTooShort":   "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + hash,
		"HashTooShort":   "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$aGFzaA",
		"HashNotBase64":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$!!!!",
		"TrailingField":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash + "$",
	}
	h := cheapHasher()
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(t.Context(), "pw", encoded)
			if ok || !errors.Is(err, ErrHashFormat) {
				t.Fatalf("Verify = %v, %v; want false, ErrHashFormat", ok, err)
			}
			if !h.NeedsRehash(encoded) {
				t.Fatal("NeedsRehash = false for a malformed hash")
			}
		})
	}
}

func TestHasherWaitRespectsContext(t *testing.T) {
	t.Parallel()
	h := NewHasherWithParams(1, 64, 1)
	h.sem <- struct{}{} // the only slot is busy
	encoded := "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	tests := []struct {
		name string
		call func(context.Context) error
	}{
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "pw"); return err }},
		{"Verify", func(ctx context.Context) error { _, err := h.Verify(ctx, "pw", encoded); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			if err := tt.call(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v; want DeadlineExceeded", err)
			}
		})
	}
	t.Run("AlreadyCancelled", func(t *testing.T) {
		t.Parallel()
		free := cheapHasher()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := free.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want Canceled even with a free slot", err)
		}
	})
}

func TestHasherReleasesSlots(t *testing.T) {
	t.Parallel()
	h := NewHasherWithParams(2, 64, 1)
	if cap(h.sem) != 2 {
		t.Fatalf("capacity %d, want 2", cap(h.sem))
	}
	if cap(NewHasherWithParams(-1, 64, 1).sem) < 1 {
		t.Fatal("maxConcurrent <= 0 must mean NumCPU")
	}
	for range 20 {
		if _, err := h.Hash(t.Context(), "pw"); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.sem) != 0 {
		t.Fatalf("%d slots leaked", len(h.sem))
	}
}

func TestHasherVerifyDummy(t *testing.T) {
	t.Parallel()
	h := cheapHasher()
	if _, err := decodePHC(h.dummy); err != nil {
		t.Fatalf("dummy hash is malformed: %v", err)
	}
	if h.NeedsRehash(h.dummy) {
		t.Fatal("dummy hash does not use the hasher's params, so it would not cost the same")
	}
	h.VerifyDummy(t.Context(), "anything")
	if len(h.sem) != 0 {
		t.Fatal("VerifyDummy leaked a slot")
	}
}
