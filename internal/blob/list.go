package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Lister lists blobs by key. Keys are UUIDv7, so their order is the order
// in which the blobs were made, and KeyAt turns a time into a bound.
type Lister interface {
	// Keys calls fn with the keys k such that after < k < before, in
	// ascending order, at most batch at a time. An error from fn stops the
	// listing and is returned.
	Keys(ctx context.Context, after, before string, batch int, fn func(keys []string) error) error
}

// KeyAt is the smallest key a blob made at t can have: every blob made
// earlier has a smaller key.
func KeyAt(t time.Time) string {
	ms := uint64(max(t.UnixMilli(), 0)) & (1<<48 - 1)
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}

var (
	_ Lister = (*FS)(nil)
	_ Lister = (*DB)(nil)
)

// Keys implements Lister. The folder is read by chunks of names and only
// the keys in range are kept, so memory follows the range, not the folder.
func (s *FS) Keys(ctx context.Context, after, before string, batch int, fn func(keys []string) error) error {
	dir, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("blob: list: %w", err)
	}
	defer dir.Close()
	var keys []string
	for {
		names, err := dir.Readdirnames(1024)
		for _, n := range names {
			if n > after && n < before && validKey(n) {
				keys = append(keys, n)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			break
		} else if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	slices.Sort(keys)
	for start := 0; start < len(keys); start += batch {
		if err := fn(keys[start:min(start+batch, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

// Keys implements Lister, one query per batch.
func (s *DB) Keys(ctx context.Context, after, before string, batch int, fn func(keys []string) error) error {
	for {
		var keys []string
		err := s.read.NewSelect().Table("blobs").Column("key").Where("key > ? AND key < ?", after, before).
			OrderExpr("key").Limit(batch).Scan(ctx, &keys)
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		if err := fn(keys); err != nil {
			return err
		}
		if len(keys) < batch {
			return nil
		}
		after = keys[len(keys)-1]
	}
}
