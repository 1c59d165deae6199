// Package httpapi serves the contract in openapi.yaml: it implements the
// generated strict server, maps API types to the domain and back, and holds
// the middleware (request id, logs, auth, validation, idempotency) and the
// one error table.
package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
	"github.com/guichet/guichet/internal/store"
)

// isUpload reports an upload (attachment, mandate document, scan): its
// body is streamed, neither read whole by validation nor hashed for
// Idempotency-Key.
func isUpload(r *http.Request) bool {
	p := r.URL.Path
	switch r.Method {
	case http.MethodPost:
		return strings.HasPrefix(p, "/tickets/") && strings.HasSuffix(p, "/attachments")
	case http.MethodPut:
		return (strings.HasPrefix(p, "/letters/") || strings.HasPrefix(p, "/bailiff-acts/")) && strings.HasSuffix(p, "/scan") ||
			strings.HasPrefix(p, "/mandates/") && strings.HasSuffix(p, "/document")
	}
	return false
}

// Health reports readiness of the dependencies.
type Health interface {
	Ping(ctx context.Context) error
	JobsRunning() bool
}

// Idempotency stores Idempotency-Key claims and responses.
type Idempotency interface {
	ClaimIdempotencyKey(ctx context.Context, c store.IdempotencyClaim) (*store.StoredResponse, error)
	CompleteIdempotencyKey(ctx context.Context, c store.IdempotencyClaim, r store.StoredResponse, secret bool, resource string) error
}

// Procedures manages procedure versions.
type Procedures interface {
	ListProcedures(ctx context.Context) ([]guichet.ProcedureSummary, error)
	GetProcedureVersion(ctx context.Context, code, version string) (guichet.ProcedureVersion, error)
	CreateProcedureVersion(ctx context.Context, def procedure.Definition, note string) (guichet.ProcedureVersion, error)
	ApproveProcedureVersion(ctx context.Context, code, version, comment string) (guichet.ProcedureVersion, error)
	PublishProcedureVersion(ctx context.Context, code, version string) (guichet.ProcedureVersion, error)
}

// Settings are the settings edited through the API.
type Settings interface {
	Calendar(ctx context.Context) (store.CalendarSetting, error)
	PutCalendar(ctx context.Context, ifMatch int, cal calendar.Calendar) (store.CalendarSetting, error)
	ResponsePolicies(ctx context.Context) (store.ResponsePolicies, error)
	PutResponsePolicies(ctx context.Context, ifMatch int, p store.ResponsePolicies) (store.ResponsePolicies, error)
	ProcedureMapping(ctx context.Context) (store.ProcedureMapping, error)
	PutProcedureMapping(ctx context.Context, ifMatch int, m map[guichet.Category]string) (store.ProcedureMapping, error)
}

// Services are the domain services the handlers call.
type Services struct {
	Agents      guichet.AgentService
	Auth        guichet.AuthService
	Contacts    guichet.ContactService
	Audit       guichet.AuditService
	Tickets     guichet.TicketService
	Mailboxes   guichet.MailboxService
	Procedures  Procedures
	Settings    Settings
	Health      Health
	Idempotency Idempotency

	// Intervenants: third parties, their agreement, mandates and
	// disclosures (issue 4).
	Intervenants guichet.IntervenantService

	// Reception (issue 4): the message book, appointments, the directory of
	// outside services and the reception settings.
	Messages     guichet.MessageService
	Appointments guichet.AppointmentService
	Directory    guichet.DirectoryService
	Reception    Reception

	// Interactions keeps the reception books.
	Interactions guichet.InteractionService

	// Mail is ingested mail: the queues, the messages, fetch on demand
	// (issue 5).
	Mail guichet.MailService

	// MailQueue: claim, release, process, reassign and move queue items
	// (issue 5, the queue).
	MailQueue guichet.MailQueueService

	// OutMail sends agents' replies and forwards by email (issue 5,
	// outgoing mail).
	OutMail guichet.OutMailService
}

// Server implements api.StrictServerInterface.
type Server struct {
	svc  Services
	cfg  *config.Config
	log  *slog.Logger
	spec []byte
}

var _ api.StrictServerInterface = (*Server)(nil)

// New returns the Echo instance serving the API.
func New(cfg *config.Config, svc Services, spec []byte, log *slog.Logger) (*echo.Echo, error) {
	s := &Server{svc: svc, cfg: cfg, log: log, spec: spec}
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{}))
	e.Use(s.accessLog)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowHeaders:  []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match"},
			ExposeHeaders: []string{"ETag", "Location", "Retry-After", echo.HeaderXRequestID, "Idempotent-Replayed"},
			MaxAge:        600,
		}))
	}
	// Uploads stream to the blob store with their own limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: strconv.FormatInt(cfg.MaxBodyBytes, 10) + "B",
		Skipper: func(c echo.Context) bool { return isUpload(c.Request()) }}))
	e.Use(s.authenticate)
	e.Use(negotiate)
	e.Use(v.middleware)
	e.Use(s.idempotency)
	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	return e, nil
}

// ipExtractor believes X-Forwarded-For only from the configured proxies.
func ipExtractor(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, cidr := range trusted {
		if _, n, err := net.ParseCIDR(cidr); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
			slog.Int("status", c.Response().Status), slog.Int64("bytes", c.Response().Size),
			slog.Duration("duration", time.Since(start)), slog.String("ip", c.RealIP()),
			slog.String("request_id", requestID(c)))
		return nil
	}
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.log.Error("panic", "error", err, "request_id", requestID(c), "stack", string(stack))
	return err
}

// publicRoutes need no credentials.
var publicRoutes = map[string]bool{
	"/healthz": true, "/readyz": true, "/openapi.yaml": true,
	"/auth/token": true, "/auth/refresh": true, "/auth/logout": true,
}

// authenticate puts the caller in the request's context; strict handlers
// only see that context. The context is detached from the client's
// cancellation: a write that has started finishes (and is recorded for
// Idempotency-Key retries) even if the client hangs up, and on SQLite an
// interrupted statement would roll back the commit it shares with others.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		base := guichet.Caller{RequestID: requestID(c), IP: c.RealIP()}
		ctx := context.WithoutCancel(req.Context())
		if publicRoutes[req.URL.Path] {
			c.SetRequest(req.WithContext(guichet.WithCaller(ctx, base)))
			return next(c)
		}
		scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return guichet.Errorf(guichet.EUNAUTHORIZED, "send Authorization: Bearer <token>")
		}
		caller, err := s.svc.Auth.Authenticate(ctx, strings.TrimSpace(token))
		if err != nil {
			return err
		}
		caller.RequestID, caller.IP = base.RequestID, base.IP
		c.SetRequest(req.WithContext(guichet.WithCaller(ctx, caller)))
		return next(c)
	}
}

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
