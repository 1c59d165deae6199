package store

import "github.com/uptrace/bun"

// Writer returns the handle that transactions go through (SQLite's single
// writer connection; the pool on PostgreSQL), for stores outside this
// package that share the database, such as blob.DB.
func (db *DB) Writer() *bun.DB { return db.write }

// Reader returns the handle for queries outside transactions (SQLite's
// read-only pool; on PostgreSQL the same pool as Writer).
func (db *DB) Reader() *bun.DB { return db.read }
