package config

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultValidates(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() is invalid: %v", err)
	}
}

func TestLoadFromEnvironment(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, env(map[string]string{
		"GUICHET_LISTEN":           "127.0.0.1:9090",
		"GUICHET_DATABASE_URL":     "postgres://guichet@db:5432/guichet",
		"GUICHET_SECRET_KEY":       "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
		"GUICHET_ACCESS_TOKEN_TTL": "5m",
		"GUICHET_DB_MAX_CONNS":     "32",
		"GUICHET_MAX_BODY_BYTES":   "4096",
		"GUICHET_CORS_ORIGINS":     "https://app.example.fr, http://localhost:5173",
		"GUICHET_TRUSTED_PROXIES":  "10.0.0.0/8,192.168.0.0/16",
		"GUICHET_LOG_FORMAT":       "text",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Listen = "127.0.0.1:9090"
	want.DatabaseURL = "postgres://guichet@db:5432/guichet"
	want.SecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	want.AccessTokenTTL = 5 * time.Minute
	want.DBMaxConns = 32
	want.MaxBodyBytes = 4096
	want.CORSOrigins = []string{"https://app.example.fr", "http://localhost:5173"}
	want.TrustedProxies = []string{"10.0.0.0/8", "192.168.0.0/16"}
	want.LogFormat = "text"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Load:\n got %+v\nwant %+v", c, want)
	}
	if !c.IsPostgres() {
		t.Error("a postgres:// URL is not PostgreSQL")
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"-listen", "127.0.0.1:7000", "-log-level=debug"},
		env(map[string]string{"GUICHET_LISTEN": ":9000", "GUICHET_LOG_LEVEL": "error", "GUICHET_LOG_FORMAT": "text"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:7000" || c.LogLevel != "debug" {
		t.Errorf("listen %q, log level %q: want the flags' 127.0.0.1:7000 and debug", c.Listen, c.LogLevel)
	}
	if c.LogFormat != "text" {
		t.Errorf("log format %q: the environment's text is lost when no flag overrides it", c.LogFormat)
	}
}

func TestSecretFromFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "admin-password")
	if err := os.WriteFile(path, []byte("  s3cret pass \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(nil, env(map[string]string{"GUICHET_ADMIN_PASSWORD_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminPassword != "s3cret pass" {
		t.Errorf("admin password %q, want the file's content trimmed", c.AdminPassword)
	}

	missing := filepath.Join(t.TempDir(), "missing")
	_, err = Load(nil, env(map[string]string{"GUICHET_ADMIN_PASSWORD_FILE": missing}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GUICHET_ADMIN_PASSWORD_FILE") {
		t.Errorf("missing secret file: %v, want an error naming GUICHET_ADMIN_PASSWORD_FILE", err)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	t.Parallel()
	const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		blamed  string
		secrets []string // must not appear in the error
	}{
		{"ListenWithoutPort", map[string]string{"GUICHET_LISTEN": "8080"}, "GUICHET_LISTEN", nil},
		{"ListenPortOutOfRange", map[string]string{"GUICHET_LISTEN": ":99999"}, "GUICHET_LISTEN", nil},
		{"DurationWithoutUnit", map[string]string{"GUICHET_ACCESS_TOKEN_TTL": "15"}, "GUICHET_ACCESS_TOKEN_TTL", nil},
		{"DurationInWords", map[string]string{"GUICHET_SHUTDOWN_TIMEOUT": "fifteen seconds"}, "GUICHET_SHUTDOWN_TIMEOUT", nil},
		{"AccessTokenOver15m", map[string]string{"GUICHET_ACCESS_TOKEN_TTL": "16m"}, "GUICHET_ACCESS_TOKEN_TTL", nil},
		{"RefreshTokenUnderAnHour", map[string]string{"GUICHET_REFRESH_TOKEN_TTL": "30m"}, "GUICHET_REFRESH_TOKEN_TTL", nil},
		{"UnknownSynchronousMode", map[string]string{"GUICHET_SQLITE_SYNCHRONOUS": "OFF"}, "GUICHET_SQLITE_SYNCHRONOUS", nil},
		{"CORSOriginWithoutScheme", map[string]string{"GUICHET_CORS_ORIGINS": "app.example.fr"}, "GUICHET_CORS_ORIGINS", nil},
		{"CORSOriginWithPath", map[string]string{"GUICHET_CORS_ORIGINS": "https://app.example.fr/app"}, "GUICHET_CORS_ORIGINS", nil},
		{"ProxyAddressNotCIDR", map[string]string{"GUICHET_TRUSTED_PROXIES": "10.0.0.1"}, "GUICHET_TRUSTED_PROXIES", nil},
		{"PostgresWithoutSecretKey", map[string]string{"GUICHET_DATABASE_URL": "postgres://guichet:hunter2@db/guichet"},
			"GUICHET_SECRET_KEY", []string{"hunter2"}},
		{"MySQLURL", map[string]string{"GUICHET_DATABASE_URL": "mysql://guichet:hunter2@db/guichet", "GUICHET_SECRET_KEY": key},
			"GUICHET_DATABASE_URL", []string{"hunter2"}},
		{"IntegerInWords", map[string]string{"GUICHET_DB_MAX_CONNS": "many"}, "GUICHET_DB_MAX_CONNS", nil},
		{"SinglePoolConnection", map[string]string{"GUICHET_DB_MAX_CONNS": "1"}, "GUICHET_DB_MAX_CONNS", nil},
		{"TinyBodyLimit", map[string]string{"GUICHET_MAX_BODY_BYTES": "100"}, "GUICHET_MAX_BODY_BYTES", nil},
		{"UnknownLogLevel", map[string]string{"GUICHET_LOG_LEVEL": "verbose"}, "GUICHET_LOG_LEVEL", nil},
		{"UnknownLogFormat", map[string]string{"GUICHET_LOG_FORMAT": "xml"}, "GUICHET_LOG_FORMAT", nil},
		{"NegativeHashConcurrency", map[string]string{"GUICHET_HASH_CONCURRENCY": "-1"}, "GUICHET_HASH_CONCURRENCY", nil},
		{"NoFreeLoginFailure", map[string]string{"GUICHET_LOGIN_FREE_FAILURES": "0"}, "GUICHET_LOGIN_FREE_FAILURES", nil},
		{"ShortIdempotencyTTL", map[string]string{"GUICHET_IDEMPOTENCY_TTL": "10m"}, "GUICHET_IDEMPOTENCY_TTL", nil},
		{"NoJobWorker", map[string]string{"GUICHET_JOB_WORKERS": "0"}, "GUICHET_JOB_WORKERS", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(nil, env(tc.env), io.Discard)
			if err == nil {
				t.Fatalf("Load accepted %v", tc.env)
			}
			msg := err.Error()
			if blamed := variables.FindAllString(msg, -1); !slices.Equal(blamed, []string{tc.blamed}) {
				t.Errorf("error %q names %v, want exactly %s", msg, blamed, tc.blamed)
			}
			for _, s := range tc.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q shows the secret %q", msg, s)
				}
			}
		})
	}
}

// variables matches the names of environment variables.
var variables = regexp.MustCompile(`GUICHET_[A-Z][A-Z_]*`)

// Every Config field is set by exactly one variable, and Table lists every
// variable, including those Validate names.
func TestTableListsEveryVariable(t *testing.T) {
	t.Parallel()
	var c Config
	bound := map[uintptr]string{}
	for _, s := range settings(&c) {
		p := reflect.ValueOf(s.value).Pointer()
		if other, dup := bound[p]; dup {
			t.Errorf("%s and %s set the same field", other, s.env)
		}
		bound[p] = s.env
	}
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if _, ok := bound[v.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("Config.%s has no environment variable", v.Type().Field(i).Name)
		}
	}

	table := Table()
	for _, s := range settings(&c) {
		if !strings.Contains(table, "`"+s.env+"`") || !strings.Contains(table, "`-"+s.flag+"`") {
			t.Errorf("Table lacks %s / -%s", s.env, s.flag)
		}
		if s.secret && !strings.Contains(table, "`"+s.env+"_FILE`") {
			t.Errorf("Table lacks %s_FILE", s.env)
		}
	}
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range variables.FindAllString(string(src), -1) {
		if !strings.Contains(table, "`"+name+"`") {
			t.Errorf("Validate names %s, which Table does not list", name)
		}
	}
}

// README.md shows Table's output verbatim (load.go says it mirrors it).
func TestREADMEShowsTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), Table()) {
		t.Errorf("README.md's settings table differs from config.Table(); paste this:\n%s", Table())
	}
}
