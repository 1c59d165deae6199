package blob_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/guichet/guichet/internal/blob"
)

func TestNewFSCreatesFolder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "blobs")
	if _, err := blob.NewFS(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Errorf("folder mode %v, want a directory with 0750", fi.Mode())
	}
}

func TestFSStoresOneFileNamedByKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := blob.NewFS(dir)
	content := "Lettre recommandée n° 1A 234 567 8901 2"
	info := mustPut(t, s, strings.NewReader(content), 100)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != info.Key {
		t.Fatalf("folder holds %v, want the one file %s", entries, info.Key)
	}
	// FS's reader is an *os.File: it seeks too, for http.ServeContent.
	if err := iotest.TestReader(mustOpen(t, s, info.Key), []byte(content)); err != nil {
		t.Error(err)
	}
}

func TestFSRefusesPathTraversal(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	secret := filepath.Join(root, "secret")
	if err := os.WriteFile(secret, []byte("do not serve"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := blob.NewFS(filepath.Join(root, "blobs"))
	info := mustPut(t, s, strings.NewReader("a letter"), 100)
	keys := []string{
		"../secret", "..", ".", "/", secret, "blobs/../secret", "..%2fsecret",
		info.Key + "/..", "../blobs/" + info.Key, "./" + info.Key, info.Key + "\x00",
		".upload-123",
	}
	for _, key := range keys {
		if _, err := s.Open(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", key, err)
		}
		if err := s.Delete(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", key, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the file outside the store: %v", err)
	}
	mustOpen(t, s, info.Key).Close()
}

func TestFSCleanTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := blob.NewFS(dir)
	info := mustPut(t, s, strings.NewReader("kept"), 100)
	// What a crash mid-upload leaves: temporary files, one old, one recent.
	old, recent := filepath.Join(dir, ".upload-111"), filepath.Join(dir, ".upload-222")
	for _, p := range []string{old, recent} {
		if err := os.WriteFile(p, []byte("half a lett"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, info.Key), past, past); err != nil {
		t.Fatal(err)
	}

	n, err := s.CleanTemp(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old temporary file: %v, want removed", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("recent temporary file (an upload in progress?): %v, want kept", err)
	}
	mustOpen(t, s, info.Key).Close()
}
