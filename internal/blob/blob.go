// Package blob stores attachment content (scanned letters, the "GED") as
// streams: an upload is never held whole in memory, whatever its size. FS
// keeps blobs as files for a single instance; DB keeps them in the database
// in chunks, so that replicas sharing one PostgreSQL share them too.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"

	"github.com/google/uuid"
)

// Info describes a stored blob.
type Info struct {
	Key         string // chosen by the store: a canonical UUIDv7, safe as a file name
	Size        int64
	SHA256      string // lower-case hex of the content
	ContentType string // Sniff of the first 512 bytes
}

// Store keeps blobs. Keys are opaque to callers, who keep the Info of what
// they Put.
type Store interface {
	// Put streams r into a new blob, reading at most max+1 bytes from it
	// (the one beyond max tells that it is too large). It returns
	// ErrTooLarge past max bytes and ErrEmpty for no bytes, and then, as
	// on any other error, keeps nothing.
	Put(ctx context.Context, r io.Reader, max int64) (Info, error)
	// Open returns the content for streaming, or ErrNotFound when no blob
	// has that key (including a key this package could not have made).
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes a blob. An unknown key is not an error; a malformed
	// one is ErrNotFound.
	Delete(ctx context.Context, key string) error
}

// The errors of Store; callers test them with errors.Is.
var (
	ErrTooLarge = errors.New("blob: too large")
	ErrEmpty    = errors.New("blob: empty")
	ErrNotFound = errors.New("blob: not found")
)

// sniffLen is how many leading bytes Sniff looks at, as DetectContentType.
const sniffLen = 512

func newKey() string { return uuid.Must(uuid.NewV7()).String() }

// validKey reports whether key has the form newKey gives: a canonical
// UUID. Anything else (a path, "..", an upper-case or braced UUID) is
// refused before it reaches a file name or a query.
func validKey(key string) bool {
	u, err := uuid.Parse(key)
	return err == nil && u.String() == key
}

// meter reads an upload once and measures on the way what Info needs. Its
// errors are sticky: once past max, every Read says ErrTooLarge, even
// after the source ended, so that no caller can mistake the cut for EOF.
type meter struct {
	ctx  context.Context
	src  io.Reader
	max  int64
	n    int64
	sum  hash.Hash
	head []byte
}

func newMeter(ctx context.Context, r io.Reader, limit int64) *meter {
	limit = max(0, min(limit, math.MaxInt64-1))
	return &meter{ctx: ctx, src: io.LimitReader(r, limit+1), max: limit, sum: sha256.New(), head: make([]byte, 0, sniffLen)}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.n > m.max {
		return 0, ErrTooLarge
	}
	// Checked per read, so that a cancelled upload stops mid-stream.
	if err := m.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := m.src.Read(p)
	m.n += int64(n)
	m.sum.Write(p[:n])
	if room := sniffLen - len(m.head); room > 0 {
		m.head = append(m.head, p[:min(n, room)]...)
	}
	if m.n > m.max {
		return n, ErrTooLarge
	}
	return n, err
}

// info returns the measures of a fully read upload, or ErrEmpty.
func (m *meter) info(key string) (Info, error) {
	if m.n == 0 {
		return Info{}, ErrEmpty
	}
	return Info{Key: key, Size: m.n, SHA256: hex.EncodeToString(m.sum.Sum(nil)), ContentType: Sniff(m.head)}, nil
}

// putErr wraps an error met while streaming an upload, except ErrTooLarge,
// which callers compare and which already says what happened.
func putErr(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return ErrTooLarge
	}
	return fmt.Errorf("blob: put: %w", err)
}
