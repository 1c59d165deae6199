// Package config loads Guichet's settings from GUICHET_* environment
// variables and command-line flags, with defaults that work out of the box.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Config is every setting of a Guichet process. The zero value is not
// usable: start from Default().
type Config struct {
	Listen        string
	DataDir       string
	DatabaseURL   string // "" means the embedded SQLite file in DataDir
	AdminPassword string
	// SecretKey encrypts secrets at rest (signing keys, mailbox passwords).
	SecretKey string
	// JWTSigningKey is an optional PEM Ed25519 key; when empty keys are
	// generated and stored, encrypted, in the database.
	JWTSigningKey     string
	JWTIssuer         string
	JWTAudience       string
	AccessTokenTTL    time.Duration
	RefreshTokenTTL   time.Duration
	SQLiteSynchronous string
	DBMaxConns        int
	MaxBodyBytes      int64
	// MaxAttachmentBytes bounds one uploaded attachment (streamed, never
	// whole in memory).
	MaxAttachmentBytes int64
	CORSOrigins        []string
	TrustedProxies     []string
	LogLevel           string
	LogFormat          string
	ShutdownTimeout    time.Duration
	HashConcurrency    int
	LoginFreeFailures  int
	IdempotencyTTL     time.Duration
	JobWorkers         int
	// InstanceID is carried by the loop header of every mail Guichet
	// sends, so that its own mail is never ingested as a request; empty
	// derives it from the secret key (the same for every replica).
	InstanceID string
	// IMAPIdle keeps an IMAP IDLE connection per mailbox (where the server
	// offers it) to fetch new mail at once rather than at the next poll.
	IMAPIdle bool
	// AutoMailPerHour caps the automatic mail (client notifications,
	// absence replies; never agents' replies) to one address per clock
	// hour, counted in the database.
	AutoMailPerHour int
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	return Config{
		Listen:             ":8080",
		DataDir:            "./data",
		JWTIssuer:          "guichet",
		JWTAudience:        "guichet-api",
		AccessTokenTTL:     15 * time.Minute,
		IMAPIdle:           true,
		RefreshTokenTTL:    30 * 24 * time.Hour,
		SQLiteSynchronous:  "FULL",
		DBMaxConns:         16,
		MaxBodyBytes:       1 << 20,
		MaxAttachmentBytes: 25 << 20,
		LogLevel:           "info",
		LogFormat:          "json",
		ShutdownTimeout:    15 * time.Second,
		LoginFreeFailures:  5,
		IdempotencyTTL:     24 * time.Hour,
		JobWorkers:         10,
		AutoMailPerHour:    5,
	}
}

// IsPostgres reports whether the database is PostgreSQL.
func (c *Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// SQLitePath is the embedded database file.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "guichet.db") }

// SecretKeyPath is where the embedded mode keeps its generated secret key.
func (c *Config) SecretKeyPath() string { return filepath.Join(c.DataDir, "secret.key") }

// Validate returns every problem with the settings, one per line.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("GUICHET_LISTEN", "want host:port such as :8080, got %q", c.Listen)
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		bad("GUICHET_LISTEN", "want a port such as 8080 (0 to 65535), got %q", port)
	}
	if c.DataDir == "" {
		bad("GUICHET_DATA_DIR", "must not be empty")
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || !c.IsPostgres() || u.Host == "" {
			bad("GUICHET_DATABASE_URL", "want empty (embedded SQLite) or postgres://user@host:port/db")
		} else if c.SecretKey == "" {
			bad("GUICHET_SECRET_KEY", "required on PostgreSQL: replicas must share it (32 bytes, base64 or hex)")
		}
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 15*time.Minute {
		bad("GUICHET_ACCESS_TOKEN_TTL", "must be between 1m and 15m, got %s", c.AccessTokenTTL)
	}
	if c.RefreshTokenTTL < time.Hour {
		bad("GUICHET_REFRESH_TOKEN_TTL", "must be at least 1h, got %s", c.RefreshTokenTTL)
	}
	switch c.SQLiteSynchronous {
	case "FULL", "NORMAL", "EXTRA":
	default:
		bad("GUICHET_SQLITE_SYNCHRONOUS", "want FULL, EXTRA or NORMAL, got %q", c.SQLiteSynchronous)
	}
	if c.DBMaxConns < 2 {
		bad("GUICHET_DB_MAX_CONNS", "must be at least 2, got %d", c.DBMaxConns)
	}
	if c.MaxAttachmentBytes < 1 {
		bad("GUICHET_MAX_ATTACHMENT_BYTES", "must be at least 1, got %d", c.MaxAttachmentBytes)
	}
	if c.AutoMailPerHour < 1 {
		bad("GUICHET_AUTO_MAIL_PER_HOUR", "must be at least 1, got %d", c.AutoMailPerHour)
	}
	if c.MaxBodyBytes < 1024 {
		bad("GUICHET_MAX_BODY_BYTES", "must be at least 1024, got %d", c.MaxBodyBytes)
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			bad("GUICHET_CORS_ORIGINS", "want origins such as https://app.example.fr, got %q", o)
		}
	}
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil {
			bad("GUICHET_TRUSTED_PROXIES", "want CIDR ranges such as 10.0.0.0/8, got %q", p)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("GUICHET_LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("GUICHET_LOG_FORMAT", "want json or text, got %q", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		bad("GUICHET_SHUTDOWN_TIMEOUT", "must be positive")
	}
	if c.HashConcurrency < 0 {
		bad("GUICHET_HASH_CONCURRENCY", "must not be negative")
	}
	if c.LoginFreeFailures < 1 {
		bad("GUICHET_LOGIN_FREE_FAILURES", "must be at least 1")
	}
	if c.IdempotencyTTL < time.Hour {
		bad("GUICHET_IDEMPOTENCY_TTL", "must be at least 1h")
	}
	if c.JobWorkers < 1 {
		bad("GUICHET_JOB_WORKERS", "must be at least 1")
	}
	return errors.Join(errs...)
}
