package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/guichet"
)

func render(t *testing.T, err error) *httptest.ResponseRecorder {
	t.Helper()
	cfg := config.Default()
	s := &Server{cfg: &cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/contacts", nil), rec)
	c.Response().Header().Set(echo.HeaderXRequestID, "req-123")
	s.errorHandler(err, c)
	return rec
}

func TestInternalErrorHidesDetailsAndCarriesCorrelationID(t *testing.T) {
	t.Parallel()
	rec := render(t, errors.New("pq: secret table layout leaked"))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if strings.Contains(rec.Body.String(), "secret table") {
		t.Fatalf("internal detail leaked: %s", rec.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p["correlation_id"] != "req-123" || p["status"] != float64(500) {
		t.Fatalf("problem %v", p)
	}
}

func TestErrorTableMapsEveryCode(t *testing.T) {
	t.Parallel()
	for code, kind := range problems {
		rec := render(t, &guichet.Error{Code: code, Message: "m"})
		if rec.Code != kind.status {
			t.Errorf("%s: status %d, want %d", code, rec.Code, kind.status)
		}
	}
}

func TestRetryAfterIsRoundedUpToSeconds(t *testing.T) {
	t.Parallel()
	rec := render(t, &guichet.Error{Code: guichet.ERATELIMITED, Message: "slow down", RetryAfter: 1500 * time.Millisecond})
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After %q, want 2", got)
	}
}

func TestUnauthorizedSaysHowToAuthenticate(t *testing.T) {
	t.Parallel()
	rec := render(t, guichet.Errorf(guichet.EUNAUTHORIZED, "no token"))
	if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
	}
}
