package blob_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/testdb"
)

// TestDBChunkRows checks the layout other replicas read: one blobs row
// matching Info, and ceil(size/ChunkSize) chunks numbered from 0.
func TestDBChunkRows(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		db, _ := b.Open(t)
		s := blob.NewDB(db.Writer(), db.Reader())
		for _, size := range []int64{1, blob.ChunkSize - 1, blob.ChunkSize, blob.ChunkSize + 1, 3*blob.ChunkSize + 2} {
			info := mustPut(t, s, generated(5, size), 1<<20)
			var got blob.Info
			err := db.Reader().QueryRowContext(t.Context(), "SELECT key, size, sha256, content_type FROM blobs WHERE key = ?", info.Key).
				Scan(&got.Key, &got.Size, &got.SHA256, &got.ContentType)
			if err != nil || got != info {
				t.Errorf("blobs row = %+v, %v; want %+v", got, err, info)
			}
			var chunks, maxSeq, total int64
			err = db.Reader().QueryRowContext(t.Context(),
				"SELECT count(*), max(seq), sum(length(data)) FROM blob_chunks WHERE blob_key = ?", info.Key).Scan(&chunks, &maxSeq, &total)
			want := (size + blob.ChunkSize - 1) / blob.ChunkSize
			if err != nil || chunks != want || maxSeq != want-1 || total != size {
				t.Errorf("%d bytes: %d chunks up to seq %d holding %d bytes (%v); want %d chunks", size, chunks, maxSeq, total, err, want)
			}
		}
	})
}

// A download holds no transaction, so a Delete may land in the middle of
// it: the reader must then fail, not end early as if the blob were short.
func TestDBDeletedWhileReading(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		db, _ := b.Open(t)
		s := blob.NewDB(db.Writer(), db.Reader())
		info := mustPut(t, s, generated(6, 3*blob.ChunkSize), 1<<20)
		r := mustOpen(t, s, info.Key)
		if _, err := io.CopyN(io.Discard, r, blob.ChunkSize); err != nil {
			t.Fatalf("first chunk: %v", err)
		}
		if err := s.Delete(context.Background(), info.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("reading on after Delete = %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
