package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length in bytes of a [Box] key (AES-256).
const KeySize = 32

const (
	boxVersion   = 1
	boxNonceSize = 12
	boxTagSize   = 16
	boxOverhead  = 1 + boxNonceSize + boxTagSize
)

// ErrDecrypt is returned by [Box.Open] for any input it cannot open: too
// short, unknown version, tampered, wrong key or wrong associated data. The
// causes are deliberately not told apart.
var ErrDecrypt = errors.New("auth: cannot decrypt sealed value")

// Box seals small secrets (IMAP passwords, signing keys) for storage with
// AES-256-GCM. A sealed value is version(1) || nonce(12) || ciphertext || tag(16).
// A Box is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for key, which must be exactly [KeySize] bytes.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("auth: box key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: new box: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("auth: new box: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext with a fresh random nonce. associatedData (for
// example the table, column and row id) is authenticated but not stored: Open
// must be given the same bytes, so a sealed value cannot be moved to another row.
func (b *Box) Seal(plaintext, associatedData []byte) []byte {
	out := make([]byte, 1+boxNonceSize, boxOverhead+len(plaintext))
	out[0] = boxVersion
	rand.Read(out[1:]) // never fails since Go 1.24
	nonce := out[1 : 1+boxNonceSize]
	return b.aead.Seal(out, nonce, plaintext, versionedAD(associatedData))
}

// Open decrypts a value made by Seal. Every failure wraps [ErrDecrypt].
func (b *Box) Open(ciphertext, associatedData []byte) ([]byte, error) {
	if len(ciphertext) < boxOverhead {
		return nil, fmt.Errorf("%w: input too short", ErrDecrypt)
	}
	if ciphertext[0] != boxVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrDecrypt, ciphertext[0])
	}
	nonce := ciphertext[1 : 1+boxNonceSize]
	plain, err := b.aead.Open(nil, nonce, ciphertext[1+boxNonceSize:], versionedAD(associatedData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	return plain, nil
}

// versionedAD binds the version byte into the authenticated data, so a
// future format cannot be confused with this one.
func versionedAD(ad []byte) []byte {
	return append([]byte{boxVersion}, ad...)
}

// ParseKey decodes a [KeySize]-byte key written as base64 (standard or URL
// alphabet, padded or not) or as 64 hex characters. Surrounding white space
// is ignored. The error never echoes the input, which is a secret.
func ParseKey(s string) ([]byte, error) {
	key, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return key, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("key must be %d bytes written as base64 (std or URL alphabet, 43 or 44 chars) "+
		"or as %d hex chars; got %d chars that are neither", KeySize, 2*KeySize, len(s))
}

// LoadOrCreateKeyFile returns the key stored at path (format of [ParseKey]).
// If path does not exist it creates it, mode 0600, holding a fresh random key
// in base64. Creation is atomic and exclusive: the key is written to a temporary
// file in the same directory, synced, then hard-linked to path, which fails if
// path appeared meanwhile; the loser of such a race reads the winner's key, so
// concurrent callers (goroutines or processes) always end with the same key.
// The directory must exist and support hard links.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read key file: %w", err)
	}
	key, err := parseKey(string(text))
	if err != nil {
		return nil, fmt.Errorf("auth: key file %s: %w", path, err)
	}
	return key, nil
}

func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	rand.Read(key)
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), base64.StdEncoding.EncodeToString(key)+"\n")
	if err != nil {
		return nil, fmt.Errorf("auth: create key file: %w", err)
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("auth: create key file: %w", err)
	}
	syncDir(dir)
	return key, nil
}

// writeTemp writes content to a new 0600 file in dir, synced to disk, and
// returns its name.
func writeTemp(dir, base, content string) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes a new directory entry durable. Best effort: not every
// platform can open or sync a directory, and the key is already usable.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
