// Package migrations embeds the SQL schema of both databases. Each file
// exists under the same name in sqlite/ and postgres/; files are applied in
// name order and never edited once released.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
