package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefix starts the name of every upload in progress; no key starts
// with it, so CleanTemp can never remove a finished blob.
const tempPrefix = ".upload-"

// FS stores each blob as one file named by its key in a single folder. An
// upload is written to a temporary file in that folder, synced, then
// renamed: a crash leaves a temporary file (see CleanTemp), never a
// truncated blob under a real key.
type FS struct {
	dir string
}

var _ Store = (*FS)(nil)

// NewFS returns a store in dir, creating the folder (0750) if needed.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: create folder: %w", err)
	}
	return &FS{dir: dir}, nil
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, r io.Reader, max int64) (Info, error) {
	f, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: create temporary file: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	defer f.Close()
	info, err := s.write(ctx, f, r, max)
	if err != nil {
		return Info{}, err
	}
	if err := os.Rename(f.Name(), s.path(info.Key)); err != nil {
		return Info{}, fmt.Errorf("blob: rename: %w", err)
	}
	if err := s.syncDir(); err != nil {
		os.Remove(s.path(info.Key))
		return Info{}, err
	}
	return info, nil
}

// write streams the upload into f, durably.
func (s *FS) write(ctx context.Context, f *os.File, r io.Reader, max int64) (Info, error) {
	m := newMeter(ctx, r, max)
	if _, err := io.Copy(f, m); err != nil {
		return Info{}, putErr(err)
	}
	info, err := m.info(newKey())
	if err != nil {
		return Info{}, err
	}
	// Sync before the rename: otherwise a crash could persist the new
	// name before the content.
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: close: %w", err)
	}
	return info, nil
}

// syncDir makes a rename or removal in the folder durable.
func (s *FS) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("blob: sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync folder: %w", err)
	}
	return nil
}

func (s *FS) path(key string) string { return filepath.Join(s.dir, key) }

// Open implements Store. The reader is an *os.File, so it also seeks.
func (s *FS) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return f, nil
}

// Delete implements Store.
func (s *FS) Delete(_ context.Context, key string) error {
	if !validKey(key) {
		return ErrNotFound
	}
	err := os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	return nil
}

// CleanTemp removes the temporary files of uploads that were last written
// more than olderThan ago (left by a crash) and returns how many it
// removed. Choose olderThan longer than the slowest upload: a younger file
// may belong to an upload in progress.
func (s *FS) CleanTemp(olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("blob: clean: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue // gone meanwhile, or maybe still being written
		}
		if err := os.Remove(s.path(e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("blob: clean: %w", err)
	}
	return removed, nil
}
