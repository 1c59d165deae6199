package blob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/uuid"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/testdb"
)

// fixture is one empty store under test.
type fixture struct {
	store blob.Store
	// residue counts what the store keeps: files in its folder (temporary
	// ones included), or rows of blobs and blob_chunks.
	residue func(t *testing.T) int
}

// eachStore runs test on an FS store and on a DB store per database.
func eachStore(t *testing.T, test func(t *testing.T, fx fixture)) {
	t.Helper()
	t.Run("fs", func(t *testing.T) {
		t.Parallel()
		test(t, setupFS(t))
	})
	t.Run("db", func(t *testing.T) {
		t.Parallel()
		testdb.Run(t, func(t *testing.T, b testdb.Backend) { test(t, setupDB(t, b)) })
	})
}

func setupFS(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{store: s, residue: func(t *testing.T) int {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}}
}

func setupDB(t *testing.T, b testdb.Backend) fixture {
	t.Helper()
	db, _ := b.Open(t)
	return fixture{store: blob.NewDB(db.Writer(), db.Reader()), residue: func(t *testing.T) int {
		var n int
		err := db.Reader().QueryRowContext(context.Background(),
			"SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM blob_chunks)").Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}}
}

// generated returns n pseudo-random bytes, the same for the same seed,
// without holding them.
func generated(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

// digest streams r and returns its size and lower-case hex SHA-256.
func digest(t *testing.T, r io.Reader) (int64, string) {
	t.Helper()
	h := sha256.New()
	// A plain Reader and an odd buffer, so that reads straddle chunks.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{r}, make([]byte, 4093))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

func mustPut(t *testing.T, s blob.Store, r io.Reader, max int64) blob.Info {
	t.Helper()
	info, err := s.Put(t.Context(), r, max)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func mustOpen(t *testing.T, s blob.Store, key string) io.ReadCloser {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	contents := map[string]string{
		"text/plain; charset=utf-8": "Madame, Monsieur,\nsuite à notre entretien…\n",
		"application/pdf":           "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
		"image/tiff":                "II*\x00\x08\x00\x00\x00",
	}
	eachStore(t, func(t *testing.T, fx fixture) {
		for wantType, content := range contents {
			info := mustPut(t, fx.store, strings.NewReader(content), 1<<20)
			sum := sha256.Sum256([]byte(content))
			want := blob.Info{Key: info.Key, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), ContentType: wantType}
			if info != want {
				t.Errorf("Put(%.10q) = %+v, want %+v", content, info, want)
			}
			if u, err := uuid.Parse(info.Key); err != nil || u.Version() != 7 || u.String() != info.Key {
				t.Errorf("key %q is not a canonical UUIDv7", info.Key)
			}
			// A plain Reader: FS returns an *os.File, whose seeking is not
			// part of the contract.
			r := struct{ io.Reader }{mustOpen(t, fx.store, info.Key)}
			if err := iotest.TestReader(r, []byte(content)); err != nil {
				t.Errorf("content of %s: %v", info.Key, err)
			}
		}
		if n := fx.residue(t); n == 0 {
			t.Error("nothing stored after three Puts")
		}
	})
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		for _, max := range []int64{1, 1000, blob.ChunkSize, blob.ChunkSize + 1} {
			t.Run(fmt.Sprint(max), func(t *testing.T) {
				info := mustPut(t, fx.store, generated(1, max), max)
				if info.Size != max {
					t.Errorf("exactly max: Size = %d, want %d", info.Size, max)
				}
				before := fx.residue(t)
				_, err := fx.store.Put(t.Context(), generated(1, max+1), max)
				if !errors.Is(err, blob.ErrTooLarge) {
					t.Errorf("max+1 bytes: Put = %v, want ErrTooLarge", err)
				}
				if after := fx.residue(t); after != before {
					t.Errorf("a refused Put left %d things behind", after-before)
				}
			})
		}
	})
}

// countingReader counts what the store took from an endless source.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestEndlessSourceIsCutAfterMax(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		const max = 3*blob.ChunkSize + 5
		src := &countingReader{r: rand.NewChaCha8([32]byte{2})}
		if _, err := fx.store.Put(t.Context(), src, max); !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("Put = %v, want ErrTooLarge", err)
		}
		if src.n != max+1 {
			t.Errorf("Put read %d bytes of the source, want max+1 = %d", src.n, max+1)
		}
		if n := fx.residue(t); n != 0 {
			t.Errorf("%d things left behind", n)
		}
	})
}

func TestEmptyIsRefused(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		for _, max := range []int64{0, 10} {
			if _, err := fx.store.Put(t.Context(), strings.NewReader(""), max); !errors.Is(err, blob.ErrEmpty) {
				t.Errorf("Put(empty, max %d) = %v, want ErrEmpty", max, err)
			}
		}
		if _, err := fx.store.Put(t.Context(), strings.NewReader("x"), 0); !errors.Is(err, blob.ErrTooLarge) {
			t.Errorf("Put(1 byte, max 0) = %v, want ErrTooLarge", err)
		}
		if n := fx.residue(t); n != 0 {
			t.Errorf("%d things left behind", n)
		}
	})
}

func TestUnknownKeyIsNotFound(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		key := uuid.Must(uuid.NewV7()).String()
		if _, err := fx.store.Open(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open(unknown) = %v, want ErrNotFound", err)
		}
		if err := fx.store.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(unknown) = %v, want nil", err)
		}
		for _, bad := range []string{"", "nope", strings.ToUpper(key), "{" + key + "}"} {
			if _, err := fx.store.Open(t.Context(), bad); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
			}
		}
	})
}

// TestStreamsAcrossChunks streams generated content of sizes around the
// DB store's chunk boundaries, and one of more than 5 MiB, both ways.
func TestStreamsAcrossChunks(t *testing.T) {
	t.Parallel()
	sizes := []int64{1, blob.ChunkSize - 1, blob.ChunkSize, blob.ChunkSize + 1, 2 * blob.ChunkSize, 5<<20 + 7}
	eachStore(t, func(t *testing.T, fx fixture) {
		for i, size := range sizes {
			seed := byte(10 + i)
			_, wantSum := digest(t, generated(seed, size))
			info := mustPut(t, fx.store, generated(seed, size), 6<<20)
			if info.Size != size || info.SHA256 != wantSum {
				t.Errorf("Put(%d bytes) = size %d, sha256 %s; want %s", size, info.Size, info.SHA256, wantSum)
			}
			gotSize, gotSum := digest(t, mustOpen(t, fx.store, info.Key))
			if gotSize != size || gotSum != wantSum {
				t.Errorf("Open(%d bytes) read %d bytes, sha256 %s; want %s", size, gotSize, gotSum, wantSum)
			}
		}
	})
}

func TestDeleteThenOpenIsNotFound(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		info := mustPut(t, fx.store, generated(3, 2*blob.ChunkSize+9), 1<<20)
		if err := fx.store.Delete(t.Context(), info.Key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := fx.store.Open(t.Context(), info.Key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open after Delete = %v, want ErrNotFound", err)
		}
		if err := fx.store.Delete(t.Context(), info.Key); err != nil {
			t.Errorf("second Delete = %v, want nil", err)
		}
		if n := fx.residue(t); n != 0 {
			t.Errorf("%d things left after Delete", n)
		}
	})
}

var errBroken = errors.New("connection reset by client")

// cancelAfter cancels the upload's context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestFailedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		cases := []struct {
			name string
			src  func(cancel context.CancelFunc) io.Reader
			want error
		}{
			{"SourceFails", func(context.CancelFunc) io.Reader {
				return io.MultiReader(generated(4, blob.ChunkSize+100), iotest.ErrReader(errBroken))
			}, errBroken},
			// mime/multipart says io.ErrUnexpectedEOF for a cut body: an
			// error, not the end of a shorter blob.
			{"SourceTruncated", func(context.CancelFunc) io.Reader {
				return io.MultiReader(generated(4, 2*blob.ChunkSize), iotest.ErrReader(io.ErrUnexpectedEOF))
			}, io.ErrUnexpectedEOF},
			{"ContextCancelled", func(cancel context.CancelFunc) io.Reader {
				return &cancelAfter{r: generated(4, 3*blob.ChunkSize), n: blob.ChunkSize + 1, cancel: cancel}
			}, context.Canceled},
		}
		for _, c := range cases {
			ctx, cancel := context.WithCancel(t.Context())
			_, err := fx.store.Put(ctx, c.src(cancel), 1<<20)
			cancel()
			if !errors.Is(err, c.want) {
				t.Errorf("%s: Put = %v, want %v", c.name, err, c.want)
			}
			if n := fx.residue(t); n != 0 {
				t.Errorf("%s: %d things left behind", c.name, n)
			}
		}
	})
}

func TestConcurrentPuts(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		const n = 4
		infos := make([]blob.Info, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				infos[i], errs[i] = fx.store.Put(t.Context(), generated(byte(20+i), blob.ChunkSize+int64(i)), 1<<20)
			})
		}
		wg.Wait()
		for i, info := range infos {
			if errs[i] != nil {
				t.Fatalf("Put %d: %v", i, errs[i])
			}
			_, want := digest(t, generated(byte(20+i), blob.ChunkSize+int64(i)))
			if _, got := digest(t, mustOpen(t, fx.store, info.Key)); got != want {
				t.Errorf("blob %d reads back with sha256 %s, want %s", i, got, want)
			}
		}
	})
}
