package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

// idempotencyNote lets a handler say that its response holds a secret
// (never stored nor replayed) and which resource it created.
type idempotencyNote struct {
	secret   bool
	resource string
}

type noteKey struct{}

// noteSecretResponse marks the response as holding a secret.
func noteSecretResponse(ctx context.Context, resource string) {
	if n, ok := ctx.Value(noteKey{}).(*idempotencyNote); ok {
		n.secret, n.resource = true, resource
	}
}

// idempotency makes a POST with an Idempotency-Key safe to retry: the
// first response is stored and replayed for the same key and body, scoped
// to the caller. /auth/* is excluded: a login must be checked every time.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		key := req.Header.Get("Idempotency-Key")
		if req.Method != http.MethodPost || key == "" || strings.HasPrefix(req.URL.Path, "/auth/") || isUpload(req) {
			return next(c)
		}
		caller := guichet.CallerFrom(req.Context())
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		claim := store.IdempotencyClaim{Scope: caller.Agent.ID, Key: key, Method: req.Method,
			Path: req.URL.RequestURI(), RequestHash: hex.EncodeToString(sum[:])}
		replay, err := s.svc.Idempotency.ClaimIdempotencyKey(req.Context(), claim)
		if err != nil {
			return err
		}
		if replay != nil {
			return writeReplay(c, replay)
		}
		return s.runClaimed(c, next, claim)
	}
}

func writeReplay(c echo.Context, r *store.StoredResponse) error {
	h := c.Response().Header()
	for k, vs := range r.Headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	h.Set("Idempotent-Replayed", "true")
	return c.Blob(r.Status, r.ContentType, r.Body)
}

// runClaimed runs the handler with a recorder, renders its error now so
// that error responses are stored too, and completes the claim.
func (s *Server) runClaimed(c echo.Context, next echo.HandlerFunc, claim store.IdempotencyClaim) error {
	note := &idempotencyNote{}
	ctx := context.WithValue(store.WithClaim(c.Request().Context(), &claim), noteKey{}, note)
	c.SetRequest(c.Request().WithContext(ctx))
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if err := next(c); err != nil {
		c.Error(err)
	}
	resp := store.StoredResponse{Status: c.Response().Status, ContentType: rec.Header().Get(echo.HeaderContentType), Body: rec.body.Bytes()}
	resp.Headers = http.Header{}
	for _, k := range []string{"Location", "ETag"} {
		if v := rec.Header().Get(k); v != "" {
			resp.Headers.Set(k, v)
		}
	}
	resource := note.resource
	if resource == "" {
		resource = resp.Headers.Get("Location")
	}
	if err := s.svc.Idempotency.CompleteIdempotencyKey(ctx, claim, resp, note.secret, resource); err != nil {
		s.log.Error("complete idempotency key", "error", err, "request_id", requestID(c))
	}
	return nil
}

// recorder copies what the handler writes.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
