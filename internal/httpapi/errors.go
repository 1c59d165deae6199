package httpapi

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

// problemBase prefixes every problem type URI.
const problemBase = "https://guichet.dev/problems/"

// problemKind is one row of the error table: a domain code's status, type
// and title.
type problemKind struct {
	status int
	slug   string
	title  string
}

// problems is the one table mapping domain error codes to HTTP.
var problems = map[guichet.Code]problemKind{
	guichet.EBADREQUEST:          {http.StatusBadRequest, "validation", "Invalid request"},
	guichet.EUNAUTHORIZED:        {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	guichet.EFORBIDDEN:           {http.StatusForbidden, "forbidden", "Forbidden"},
	guichet.ENOTFOUND:            {http.StatusNotFound, "not-found", "Not found"},
	guichet.ECONFLICT:            {http.StatusConflict, "conflict", "Conflict"},
	guichet.EDUPLICATE:           {http.StatusConflict, "duplicate", "Possible duplicate"},
	guichet.EPRECONDITION:        {http.StatusPreconditionFailed, "stale", "Precondition failed"},
	guichet.EPRECONDITIONMISSING: {http.StatusPreconditionRequired, "precondition-required", "Precondition required"},
	guichet.ETOOLARGE:            {http.StatusRequestEntityTooLarge, "too-large", "Request entity too large"},
	guichet.EINVALID:             {http.StatusUnprocessableEntity, "invalid", "Unprocessable request"},
	guichet.ERATELIMITED:         {http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	guichet.EUNAVAILABLE:         {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	guichet.EINTERNAL:            {http.StatusInternalServerError, "internal", "Internal server error"},
}

// echoCodes maps Echo's own errors (routing, body limit) to domain codes.
var echoCodes = map[int]guichet.Code{
	http.StatusBadRequest:            guichet.EBADREQUEST,
	http.StatusUnauthorized:          guichet.EUNAUTHORIZED,
	http.StatusForbidden:             guichet.EFORBIDDEN,
	http.StatusNotFound:              guichet.ENOTFOUND,
	http.StatusMethodNotAllowed:      guichet.EBADREQUEST,
	http.StatusRequestEntityTooLarge: guichet.ETOOLARGE,
	http.StatusUnsupportedMediaType:  guichet.EBADREQUEST,
	http.StatusServiceUnavailable:    guichet.EUNAVAILABLE,
}

// toDomain turns any error reaching the edge into a *guichet.Error.
func toDomain(err error, maxBody int64) *guichet.Error {
	var e *guichet.Error
	if errors.As(err, &e) {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code, ok := echoCodes[he.Code]
		if !ok {
			return &guichet.Error{Code: guichet.EINTERNAL, Message: "an internal error occurred"}
		}
		msg := http.StatusText(he.Code)
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			msg = "the body exceeds " + strconv.FormatInt(maxBody, 10) + " bytes"
		case http.StatusNotFound:
			msg = "no such route"
		case http.StatusMethodNotAllowed:
			msg = "this method is not allowed on this route"
		default:
			if s, ok := he.Message.(string); ok {
				msg = s
			}
		}
		return &guichet.Error{Code: code, Message: msg}
	}
	if store.IsConnectionFailure(err) {
		return &guichet.Error{Code: guichet.EUNAVAILABLE, Message: "the database is unavailable", RetryAfter: 5 * time.Second}
	}
	return &guichet.Error{Code: guichet.EINTERNAL, Message: "an internal error occurred"}
}

// errorHandler renders every error as RFC 9457 problem+json. Only internal
// errors are logged; their text never reaches the client, which gets the
// request id to quote instead.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toDomain(err, s.cfg.MaxBodyBytes)
	kind := problems[e.Code]
	p := api.Problem{Type: problemBase + kind.slug, Title: kind.title, Status: kind.status}
	detail, instance := e.Message, c.Request().URL.Path
	p.Detail, p.Instance = &detail, &instance
	if e.Code == guichet.EINTERNAL {
		rid := requestID(c)
		p.CorrelationId = &rid
		s.log.Error("internal error", "error", err, "request_id", rid, "method", c.Request().Method, "path", c.Request().URL.Path)
	}
	if len(e.Fields) > 0 {
		fields := make([]api.FieldError, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = api.FieldError{Field: f.Field, Message: f.Message}
		}
		p.Errors = &fields
	}
	if len(e.Duplicates) > 0 {
		dups := make([]api.DuplicateMatch, len(e.Duplicates))
		for i, d := range e.Duplicates {
			dups[i] = api.DuplicateMatch{Id: parseUUID(d.ID), Name: d.Name}
			for _, m := range d.MatchedOn {
				dups[i].MatchedOn = append(dups[i].MatchedOn, api.DuplicateMatchMatchedOn(m))
			}
		}
		p.Duplicates = &dups
	}
	if e.Resource != "" {
		p.Resource = &e.Resource
	}
	h := c.Response().Header()
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if e.Code == guichet.EUNAUTHORIZED {
		h.Set("WWW-Authenticate", `Bearer realm="guichet"`)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(kind.status)
		return
	}
	h.Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(kind.status)
	if werr := jsonEncode(c.Response(), p); werr != nil {
		s.log.Debug("write problem", slog.Any("error", werr))
	}
}
