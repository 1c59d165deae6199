package store

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// bun formats its arguments into the SQL text, so every query it sends is
// unique and has no parameters. pgx would prepare and cache each SELECT
// (an extra round trip, and a cache that only churns); the simple protocol
// runs it in one. River's own queries, on the same connections, keep
// pgx's default mode.

// openBunDB returns a database/sql handle on pool whose parameterless
// queries use the simple protocol.
func openBunDB(pool *pgxpool.Pool) *sql.DB {
	return sql.OpenDB(simpleConnector{stdlib.GetPoolConnector(pool)})
}

type simpleConnector struct{ driver.Connector }

func (c simpleConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &simpleConn{conn.(*stdlib.Conn)}, nil
}

// simpleConn is a pgx database/sql connection; Raw callers get it and use
// PgxConn to reach pgx.
type simpleConn struct{ *stdlib.Conn }

func (c *simpleConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		args = []driver.NamedValue{{Ordinal: 1, Value: pgx.QueryExecModeSimpleProtocol}}
	}
	return c.Conn.QueryContext(ctx, query, args)
}

// pgxConn returns the pgx connection behind a database/sql driver
// connection of ours.
func pgxConn(driverConn any) (*pgx.Conn, bool) {
	switch c := driverConn.(type) {
	case *simpleConn:
		return c.Conn.Conn(), true
	case *stdlib.Conn:
		return c.Conn(), true
	}
	return nil, false
}
