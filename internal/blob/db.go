package blob

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// ChunkSize is the most bytes one row of blob_chunks holds; Put and each
// open reader hold one chunk in memory, whatever the blob's size.
const ChunkSize = 256 << 10

// DB stores blobs in the tables blobs and blob_chunks (migration
// 0003_blobs), so that every replica on one PostgreSQL sees the same blobs.
// It works on SQLite too.
//
// Put holds a write transaction for as long as the upload streams in. On
// SQLite, whose writes go through one connection, that stalls every other
// write meanwhile, and a Put called inside another transaction on the same
// writer would wait for ever.
type DB struct {
	write, read *bun.DB
	sql         chunkSQL
}

var _ Store = (*DB)(nil)

// NewDB returns a store that writes through write and reads through read,
// which may be the same handle (on SQLite, read is the read-only pool).
func NewDB(write, read *bun.DB) *DB {
	return &DB{write: write, read: read, sql: chunkQueries(write.Dialect().Name())}
}

// chunkSQL holds the two queries that move chunks. They bind the chunk as
// a parameter rather than going through bun, which formats arguments into
// the SQL text: a chunk would travel as a hex literal twice its size, for
// the server to parse, and PostgreSQL would answer in hex too (bun's
// parameterless queries use the simple protocol, see store.openBunDB).
type chunkSQL struct {
	insert, load string
	// single inserts a blob of one chunk and its row in one statement
	// (PostgreSQL only: SQLite has no INSERT in WITH). set_config(…,
	// true) is SET LOCAL in a function, which a statement can call.
	single string
}

func chunkQueries(d dialect.Name) chunkSQL {
	q := chunkSQL{
		insert: "INSERT INTO blob_chunks (blob_key, seq, data) VALUES (?, ?, ?)",
		load:   "SELECT data FROM blob_chunks WHERE blob_key = ? AND seq = ?",
	}
	if d == dialect.PG {
		q.insert = "INSERT INTO blob_chunks (blob_key, seq, data) VALUES ($1, $2, $3)"
		q.load = "SELECT data FROM blob_chunks WHERE blob_key = $1 AND seq = $2"
		q.single = `WITH chunk AS (INSERT INTO blob_chunks (blob_key, seq, data) VALUES ($1, 0, $2))
INSERT INTO blobs (key, size, sha256, content_type, created_at)
SELECT $1, $3, $4, $5, $6 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`
	}
	return q
}

type blobRow struct {
	bun.BaseModel `bun:"table:blobs"`

	Key         string    `bun:"key,pk"`
	Size        int64     `bun:"size"`
	SHA256      string    `bun:"sha256"`
	ContentType string    `bun:"content_type"`
	CreatedAt   time.Time `bun:"created_at"`
}

// Put implements Store: the chunks and then the blobs row are inserted in
// one transaction, which any failure rolls back.
func (s *DB) Put(ctx context.Context, r io.Reader, max int64) (Info, error) {
	key := newKey()
	m := newMeter(ctx, r, max)
	arr := chunkBuffers.Get().(*[ChunkSize]byte)
	defer chunkBuffers.Put(arr)
	buf := arr[:]
	// The first chunk is read before the transaction opens: most blobs
	// (mails, scanned pages) are that chunk alone.
	n, err := readChunk(m, buf)
	if err != nil && err != io.EOF {
		return Info{}, putErr(err)
	}
	if err == io.EOF && s.sql.single != "" {
		return s.putSingle(ctx, key, m, buf[:n])
	}
	var info Info
	err = s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := s.relaxCommit(ctx, tx); err != nil {
			return err
		}
		if err := s.insertChunks(ctx, tx, key, m, buf, n, err); err != nil {
			return err
		}
		var err error
		if info, err = m.info(key); err != nil {
			return err
		}
		row := blobRow{Key: key, Size: info.Size, SHA256: info.SHA256, ContentType: info.ContentType, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("blob: insert: %w", err)
		}
		return nil
	})
	if err != nil {
		return Info{}, err
	}
	return info, nil
}

// putSingle stores a blob of one chunk with one statement, a single round
// trip (PostgreSQL): its own transaction, committed without waiting for
// the WAL flush, as relaxCommit explains.
func (s *DB) putSingle(ctx context.Context, key string, m *meter, data []byte) (Info, error) {
	info, err := m.info(key)
	if err != nil {
		return Info{}, err
	}
	if _, err := s.write.DB.ExecContext(ctx, s.sql.single, key, data, info.Size, info.SHA256, info.ContentType,
		time.Now().UTC()); err != nil {
		return Info{}, fmt.Errorf("blob: insert: %w", err)
	}
	return info, nil
}

// relaxCommit lets PostgreSQL commit the blob without waiting for its
// WAL flush. No durability is lost: a blob is only ever used by a row
// committed later, and the synchronous commit of that row flushes the WAL
// up to its own record, the blob's included (the WAL is one sequence). A
// crash before that leaves at most an unused blob, which is what a crash
// between the two commits leaves anyway (see store.SweepOrphanBlobs).
// Ingestion stores one blob or more per mail: the flush was most of its
// cost.
func (s *DB) relaxCommit(ctx context.Context, tx bun.Tx) error {
	if s.write.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		return fmt.Errorf("blob: relax commit: %w", err)
	}
	return nil
}

// chunkBuffers recycles the chunk buffers: one per Put, 256 KiB each,
// would otherwise be most of what ingestion allocates.
var chunkBuffers = sync.Pool{New: func() any { return new([ChunkSize]byte) }}

// insertChunks inserts the chunk already read (buf[:n], then readErr),
// then the rest of src through the same buffer. The rows precede their
// blobs row, which the foreign key allows because it is checked at commit
// (DEFERRABLE INITIALLY DEFERRED).
func (s *DB) insertChunks(ctx context.Context, tx bun.Tx, key string, src io.Reader, buf []byte, n int, readErr error) error {
	for seq := 0; ; seq++ {
		if seq > 0 {
			n, readErr = readChunk(src, buf)
		}
		if readErr != nil && readErr != io.EOF {
			return putErr(readErr)
		}
		if n > 0 {
			// Straight to database/sql, which binds the arguments.
			if _, err := tx.Tx.ExecContext(ctx, s.sql.insert, key, seq, buf[:n]); err != nil {
				return fmt.Errorf("blob: insert chunk %d: %w", seq, err)
			}
		}
		if readErr == io.EOF {
			return nil
		}
	}
}

// readChunk fills buf from src and returns fewer bytes only with io.EOF or
// an error. Unlike io.ReadFull, it never turns the end of src into
// io.ErrUnexpectedEOF, which a truncated source (a cut multipart body)
// returns as a genuine error.
func readChunk(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := src.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Open implements Store. The reader runs one query per chunk, through
// ctx, holding neither a transaction nor a connection between them; if
// the blob is deleted meanwhile, a Read fails with io.ErrUnexpectedEOF.
func (s *DB) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	var size int64
	err := s.read.NewSelect().Model((*blobRow)(nil)).Column("size").Where("key = ?", key).Scan(ctx, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return &chunkReader{ctx: ctx, db: s.read.DB, load: s.sql.load, key: key, left: size}, nil
}

// Delete implements Store.
func (s *DB) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return ErrNotFound
	}
	err := s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// ON DELETE CASCADE would do, but only where foreign keys are
		// enforced: an SQLite connection opened without the pragma does not.
		if _, err := tx.ExecContext(ctx, "DELETE FROM blob_chunks WHERE blob_key = ?", key); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*blobRow)(nil)).Where("key = ?", key).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	return nil
}

// errClosed is returned by a Read after Close.
var errClosed = errors.New("blob: read after close")

// chunkReader streams a blob of the DB store chunk by chunk.
type chunkReader struct {
	ctx    context.Context
	db     *sql.DB
	load   string // chunkSQL.load
	key    string
	seq    int    // next chunk to fetch
	left   int64  // bytes of the blob not fetched yet
	buf    []byte // unread rest of the current chunk
	closed bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.closed {
		return 0, errClosed
	}
	if len(c.buf) == 0 {
		if c.left <= 0 {
			return 0, io.EOF
		}
		if err := c.fetch(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// fetch loads the next chunk; a missing or empty one means that the blob
// was deleted (or damaged) since Open.
func (c *chunkReader) fetch() error {
	var data []byte
	err := c.db.QueryRowContext(c.ctx, c.load, c.key, c.seq).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(data) == 0) {
		return fmt.Errorf("blob: %s: chunk %d is missing: %w", c.key, c.seq, io.ErrUnexpectedEOF)
	} else if err != nil {
		return fmt.Errorf("blob: read chunk %d: %w", c.seq, err)
	}
	c.buf = data[:min(int64(len(data)), c.left)]
	c.left -= int64(len(c.buf))
	c.seq++
	return nil
}

// Close implements io.Closer; it never fails.
func (c *chunkReader) Close() error {
	c.closed, c.buf = true, nil
	return nil
}
