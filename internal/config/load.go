package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// setting ties one field to its environment variable and flag.
type setting struct {
	env, flag, help string
	secret          bool // also read from $ENV_FILE
	value           flag.Value
}

// settings lists every setting; README.md's table mirrors it.
func settings(c *Config) []setting {
	return []setting{
		{"GUICHET_LISTEN", "listen", "address to serve the API on", false, (*stringValue)(&c.Listen)},
		{"GUICHET_DATA_DIR", "data-dir", "folder of the embedded database and its key file", false, (*stringValue)(&c.DataDir)},
		{"GUICHET_DATABASE_URL", "database-url", "postgres://… to use PostgreSQL; empty for embedded SQLite", true, (*stringValue)(&c.DatabaseURL)},
		{"GUICHET_ADMIN_PASSWORD", "admin-password", "password of the first admin (generated and printed once when empty)", true, (*stringValue)(&c.AdminPassword)},
		{"GUICHET_SECRET_KEY", "secret-key", "32-byte key (base64 or hex) encrypting secrets at rest", true, (*stringValue)(&c.SecretKey)},
		{"GUICHET_JWT_SIGNING_KEY", "jwt-signing-key", "PEM PKCS#8 Ed25519 key; empty to generate and store keys", true, (*stringValue)(&c.JWTSigningKey)},
		{"GUICHET_JWT_ISSUER", "jwt-issuer", "iss claim of access tokens", false, (*stringValue)(&c.JWTIssuer)},
		{"GUICHET_JWT_AUDIENCE", "jwt-audience", "aud claim of access tokens", false, (*stringValue)(&c.JWTAudience)},
		{"GUICHET_ACCESS_TOKEN_TTL", "access-token-ttl", "lifetime of access tokens (at most 15m)", false, (*durationValue)(&c.AccessTokenTTL)},
		{"GUICHET_REFRESH_TOKEN_TTL", "refresh-token-ttl", "lifetime of refresh tokens", false, (*durationValue)(&c.RefreshTokenTTL)},
		{"GUICHET_SQLITE_SYNCHRONOUS", "sqlite-synchronous", "SQLite durability: FULL survives a power cut", false, (*stringValue)(&c.SQLiteSynchronous)},
		{"GUICHET_DB_MAX_CONNS", "db-max-conns", "PostgreSQL pool size, or SQLite read pool size", false, (*intValue)(&c.DBMaxConns)},
		{"GUICHET_MAX_BODY_BYTES", "max-body-bytes", "largest JSON request body", false, (*int64Value)(&c.MaxBodyBytes)},
		{"GUICHET_MAX_ATTACHMENT_BYTES", "max-attachment-bytes", "largest attachment upload (streamed; stored on disk with SQLite, in the database with PostgreSQL)", false, (*int64Value)(&c.MaxAttachmentBytes)},
		{"GUICHET_CORS_ORIGINS", "cors-origins", "comma-separated origins allowed to call the API from a browser", false, (*listValue)(&c.CORSOrigins)},
		{"GUICHET_TRUSTED_PROXIES", "trusted-proxies", "comma-separated CIDRs whose X-Forwarded-For is believed", false, (*listValue)(&c.TrustedProxies)},
		{"GUICHET_LOG_LEVEL", "log-level", "debug, info, warn or error", false, (*stringValue)(&c.LogLevel)},
		{"GUICHET_LOG_FORMAT", "log-format", "json or text", false, (*stringValue)(&c.LogFormat)},
		{"GUICHET_SHUTDOWN_TIMEOUT", "shutdown-timeout", "time allowed to drain requests and jobs", false, (*durationValue)(&c.ShutdownTimeout)},
		{"GUICHET_HASH_CONCURRENCY", "hash-concurrency", "password hashes computed at once (0 = CPU count)", false, (*intValue)(&c.HashConcurrency)},
		{"GUICHET_LOGIN_FREE_FAILURES", "login-free-failures", "failed logins per account and address before back-off", false, (*intValue)(&c.LoginFreeFailures)},
		{"GUICHET_IDEMPOTENCY_TTL", "idempotency-ttl", "how long Idempotency-Key responses are kept", false, (*durationValue)(&c.IdempotencyTTL)},
		{"GUICHET_JOB_WORKERS", "job-workers", "background jobs run at once", false, (*intValue)(&c.JobWorkers)},
		{"GUICHET_INSTANCE_ID", "instance-id", "id in the loop header of the mail Guichet sends (its own mail is never a request); empty: derived from the secret key", false, (*stringValue)(&c.InstanceID)},
		{"GUICHET_IMAP_IDLE", "imap-idle", "listen with IMAP IDLE (one connection per mailbox and process) to fetch new mail at once; polling goes on regardless", false, (*boolValue)(&c.IMAPIdle)},
		{"GUICHET_AUTO_MAIL_PER_HOUR", "auto-mail-per-hour", "automatic mails (client notifications, absence replies) per recipient address and clock hour; more are suppressed (rate_limited)", false, (*intValue)(&c.AutoMailPerHour)},
	}
}

// Load reads the environment (through getenv) then args, over the
// defaults, and validates the result. Flags win over the environment.
func Load(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet("guichet", flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range settings(&c) {
		if err := fromEnv(s, getenv); err != nil {
			return c, err
		}
		fs.Var(s.value, s.flag, s.help+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

func fromEnv(s setting, getenv func(string) string) error {
	v := getenv(s.env)
	if s.secret && v == "" {
		if path := getenv(s.env + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", s.env, err)
			}
			v = strings.TrimSpace(string(b))
		}
	}
	if v == "" {
		return nil
	}
	if err := s.value.Set(v); err != nil {
		return fmt.Errorf("%s: %w", s.env, err)
	}
	return nil
}

// Table returns the settings as Markdown table rows, for README.md.
func Table() string {
	c := Default()
	var b strings.Builder
	b.WriteString("| variable | flag | default | meaning |\n|---|---|---|---|\n")
	for _, s := range settings(&c) {
		env := "`" + s.env + "`"
		if s.secret {
			env += " (or `" + s.env + "_FILE`)"
		}
		def := s.value.String()
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| %s | `-%s` | %s | %s |\n", env, s.flag, def, s.help)
	}
	return b.String()
}

type stringValue string

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	*v = boolValue(b)
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type int64Value int64

func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*v = int64Value(n)
	return nil
}
func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 15m or 24h, got %q", s)
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) String() string { return time.Duration(*v).String() }

type listValue []string

func (v *listValue) Set(s string) error {
	*v = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*v = append(*v, p)
		}
	}
	return nil
}
func (v *listValue) String() string { return strings.Join(*v, ",") }
