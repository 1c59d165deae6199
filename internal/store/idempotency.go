package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	Scope           string    `bun:"scope,pk"`
	Key             string    `bun:"key,pk"`
	Method          string    `bun:"method"`
	Path            string    `bun:"path"`
	RequestHash     string    `bun:"request_hash"`
	State           string    `bun:"state"`
	ResponseStatus  *int      `bun:"response_status"`
	ResponseType    *string   `bun:"response_type"`
	ResponseHeaders *string   `bun:"response_headers"`
	ResponseBody    []byte    `bun:"response_body"`
	Resource        *string   `bun:"resource"`
	CreatedAt       time.Time `bun:"created_at"`
	ExpiresAt       time.Time `bun:"expires_at"`
}

// States of an idempotency key.
const (
	idemInFlight  = "in_flight" // the first request is running
	idemCommitted = "committed" // its write committed; the response is not stored yet
	idemDone      = "done"      // the response is stored and replayed
	idemSecret    = "secret"    // done, but the response held a secret: never replayed
)

// idemLease is how long an in-flight claim is honoured: past it, the first
// request died before committing anything, so a retry may run again.
const idemLease = time.Minute

// IdempotencyClaim identifies a request being run under an Idempotency-Key.
type IdempotencyClaim struct {
	Scope, Key, Method, Path, RequestHash string
}

// StoredResponse is a response kept for replay.
type StoredResponse struct {
	Status      int
	ContentType string
	Headers     http.Header
	Body        []byte
}

type claimKey struct{}

// WithClaim marks ctx as running under claim: the write transaction of the
// request then records that it committed, in the same transaction.
func WithClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// markCommitted records, inside the request's own transaction, that its
// write is about to commit: after a crash, a retry then learns that the
// write happened instead of doing it twice.
func markCommitted(ctx context.Context, tx *Tx) error {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	if c == nil {
		return nil
	}
	_, err := tx.NewUpdate().Model((*idempotencyRow)(nil)).Set("state = ?", idemCommitted).
		Where("scope = ? AND key = ? AND state = ?", c.Scope, c.Key, idemInFlight).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark idempotency key: %w", err)
	}
	return nil
}

// ClaimIdempotencyKey starts a request under an Idempotency-Key. It returns
// a stored response to replay, or nil when the request must run; or
// ECONFLICT (in flight, or committed without a replayable response) or
// EINVALID (the key was used for another request).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (*StoredResponse, error) {
	var replay *StoredResponse
	err := s.inTx(ctx, func(tx *Tx) error {
		claim := idempotencyRow{Scope: c.Scope, Key: c.Key, Method: c.Method, Path: c.Path, RequestHash: c.RequestHash,
			State: idemInFlight, CreatedAt: tx.Now, ExpiresAt: tx.Now.Add(s.opts.IdempotencyTTL)}
		// Insert first: on PostgreSQL a concurrent claim of the same key
		// waits here for ours to commit, then sees it; a select first would
		// let both find nothing and both run.
		res, err := tx.NewInsert().Model(&claim).On("CONFLICT (scope, key) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var row idempotencyRow
		q := tx.NewSelect().Model(&row).Where("scope = ? AND key = ?", c.Scope, c.Key)
		if s.db.postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		if row.ExpiresAt.After(tx.Now) {
			var done bool
			if replay, done, err = examineClaim(&row, c, tx.Now); done || err != nil {
				return err
			}
		}
		_, err = tx.NewUpdate().Model(&claim).Column("method", "path", "request_hash", "state", "response_status",
			"response_type", "response_headers", "response_body", "resource", "created_at", "expires_at").
			Where("scope = ? AND key = ?", c.Scope, c.Key).Exec(ctx)
		return err
	})
	return replay, wrap("claim idempotency key", err)
}

// examineClaim decides what an existing, unexpired key means for a new
// request: done=true with a response to replay, an error, or done=false
// when the earlier attempt died before committing and this one may run.
func examineClaim(row *idempotencyRow, c IdempotencyClaim, now time.Time) (*StoredResponse, bool, error) {
	if row.Method != c.Method || row.Path != c.Path || row.RequestHash != c.RequestHash {
		return nil, true, guichet.Errorf(guichet.EINVALID, "this Idempotency-Key was used for a different request; use a new key")
	}
	switch row.State {
	case idemDone:
		r := &StoredResponse{Status: *row.ResponseStatus, ContentType: deref(row.ResponseType), Body: row.ResponseBody}
		if row.ResponseHeaders != nil {
			_ = json.Unmarshal([]byte(*row.ResponseHeaders), &r.Headers)
		}
		return r, true, nil
	case idemCommitted:
		// Within the lease the first request is still writing its response,
		// which a retry will get; past it, that request died after its commit.
		if now.Sub(row.CreatedAt) < idemLease {
			return nil, true, guichet.Errorf(guichet.ECONFLICT, "a request with this Idempotency-Key is still in progress; retry later")
		}
		fallthrough
	case idemSecret:
		e := guichet.Errorf(guichet.ECONFLICT, "a request with this Idempotency-Key already succeeded; its response cannot be replayed")
		e.Resource = deref(row.Resource)
		return nil, true, e
	}
	if now.Sub(row.CreatedAt) < idemLease {
		return nil, true, guichet.Errorf(guichet.ECONFLICT, "a request with this Idempotency-Key is still in progress; retry later")
	}
	return nil, false, nil
}

// CompleteIdempotencyKey stores the response of a claimed request. A
// response holding a secret is not stored: resource names what it created.
// A server error releases the key so that a retry runs again.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, c IdempotencyClaim, r StoredResponse, secret bool, resource string) error {
	return wrap("complete idempotency key", s.inTx(context.WithoutCancel(ctx), func(tx *Tx) error {
		q := tx.NewUpdate().Model((*idempotencyRow)(nil)).Where("scope = ? AND key = ?", c.Scope, c.Key)
		if r.Status >= 500 {
			_, err := tx.NewDelete().Model((*idempotencyRow)(nil)).Where("scope = ? AND key = ? AND state = ?", c.Scope, c.Key, idemInFlight).Exec(ctx)
			return err
		}
		if secret {
			_, err := q.Set("state = ?", idemSecret).Set("resource = ?", resource).Exec(ctx)
			return err
		}
		headers, _ := json.Marshal(r.Headers)
		_, err := q.Set("state = ?", idemDone).Set("response_status = ?", r.Status).
			Set("response_type = ?", r.ContentType).Set("response_headers = ?", string(headers)).
			Set("response_body = ?", r.Body).Set("resource = ?", resource).Exec(ctx)
		return err
	}))
}
