package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, KeySize) }

func newTestBox(t testing.TB, fill byte) *Box {
	t.Helper()
	b, err := NewBox(testKey(fill))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewBoxRejectsWrongKeyLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewBox(make([]byte, n)); err == nil {
			t.Errorf("NewBox(%d bytes): want error", n)
		}
	}
}

func TestBoxRoundTrip(t *testing.T) {
	t.Parallel()
	box := newTestBox(t, 1)
	for _, plain := range [][]byte{nil, []byte("x"), []byte("imap password"), bytes.Repeat([]byte("a"), 4096)} {
		sealed := box.Seal(plain, []byte("mailbox:42"))
		if len(sealed) != len(plain)+boxOverhead || sealed[0] != boxVersion {
			t.Fatalf("sealed layout: len %d, version %d", len(sealed), sealed[0])
		}
		got, err := box.Open(sealed, []byte("mailbox:42"))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
	}
}

func TestBoxSealUsesFreshNonces(t *testing.T) {
	t.Parallel()
	box := newTestBox(t, 1)
	if bytes.Equal(box.Seal([]byte("same"), nil), box.Seal([]byte("same"), nil)) {
		t.Fatal("two seals of the same plaintext are equal")
	}
}

func TestBoxOpenFails(t *testing.T) {
	t.Parallel()
	box := newTestBox(t, 1)
	sealed := box.Seal([]byte("secret"), []byte("ad"))
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name       string
		box        *Box
		ciphertext []byte
		ad         []byte
	}{
		{"TamperedCiphertext", box, flip(len(sealed) - boxTagSize - 1), []byte("ad")},
		{"TamperedTag", box, flip(len(sealed) - 1), []byte("ad")},
		{"TamperedNonce", box, flip(1), []byte("ad")},
		{"UnknownVersion", box, flip(0), []byte("ad")},
		{"WrongAssociatedData", box, sealed, []byte("ae")},
		{"MissingAssociatedData", box, sealed, nil},
		{"WrongKey", newTestBox(t, 2), sealed, []byte("ad")},
		{"Truncated", box, sealed[:boxOverhead-1], []byte("ad")},
		{"Empty", box, nil, []byte("ad")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.box.Open(tt.ciphertext, tt.ad)
			if !errors.Is(err, ErrDecrypt) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrDecrypt", got, err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(250 + i) // exercises + / and - _ in base64
	}
	valid := map[string]string{
		"Base64Std":       base64.StdEncoding.EncodeToString(key),
		"Base64StdRaw":    base64.RawStdEncoding.EncodeToString(key),
		"Base64URL":       base64.URLEncoding.EncodeToString(key),
		"Base64URLRaw":    base64.RawURLEncoding.EncodeToString(key),
		"HexLower":        hex.EncodeToString(key),
		"HexUpper":        strings.ToUpper(hex.EncodeToString(key)),
		"TrailingNewline": base64.StdEncoding.EncodeToString(key) + "\n",
	}
	for name, s := range valid {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKey(s)
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseKey(%q) = %x, %v", s, got, err)
			}
		})
	}
	invalid := map[string]string{
		"Empty":         "",
		"Base64Short":   base64.StdEncoding.EncodeToString(key[:31]),
		"Base64Long":    base64.StdEncoding.EncodeToString(append(key, 0)),
		"HexShort":      hex.EncodeToString(key[:31]),
		"HexBadChar":    "zz" + hex.EncodeToString(key)[2:],
		"NotEncoded":    "correct horse battery staple",
		"MixedAlphabet": "+" + base64.RawURLEncoding.EncodeToString(key)[1:42] + "_",
	}
	for name, s := range invalid {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKey(s)
			if err == nil || !strings.Contains(err.Error(), "base64") || !strings.Contains(err.Error(), "hex") {
				t.Fatalf("ParseKey(%q) error = %v; want one naming the expected forms", s, err)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	t.Run("CreatesOnceThenRereads", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret.key")
		first, err := LoadOrCreateKeyFile(path)
		if err != nil || len(first) != KeySize {
			t.Fatalf("create: %x, %v", first, err)
		}
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("stat: %v, mode %v; want 0600", err, info.Mode())
		}
		again, err := LoadOrCreateKeyFile(path)
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("reread = %x, %v; want %x", again, err, first)
		}
		assertNoTempFiles(t, filepath.Dir(path))
	})
	t.Run("ReadsHexKeyFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret.key")
		writeFile(t, path, "  "+hex.EncodeToString(testKey(7))+"\n")
		got, err := LoadOrCreateKeyFile(path)
		if err != nil || !bytes.Equal(got, testKey(7)) {
			t.Fatalf("got %x, %v", got, err)
		}
	})
	t.Run("RejectsGarbledFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret.key")
		writeFile(t, path, "not a key")
		if _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("error = %v; want one naming %s", err, path)
		}
	})
	t.Run("MissingDirectoryFails", func(t *testing.T) {
		t.Parallel()
		if _, err := LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "nope", "secret.key")); err == nil {
			t.Fatal("want error")
		}
	})
	t.Run("RacingCreatorsAgree", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secret.key")
		const n = 8
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { keys[i], errs[i] = LoadOrCreateKeyFile(path) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("caller %d: %x, %v; caller 0: %x", i, keys[i], errs[i], keys[0])
			}
		}
		onDisk, err := LoadOrCreateKeyFile(path)
		if err != nil || !bytes.Equal(onDisk, keys[0]) {
			t.Fatalf("file holds %x, %v; callers got %x", onDisk, err, keys[0])
		}
		assertNoTempFiles(t, filepath.Dir(path))
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries, want only the key file", len(entries))
	}
}
