package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/guichet/guichet/internal/testdb"
)

// The crash tests run the real binary as a separate process and kill it
// with SIGKILL while writes are in flight.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "guichet-crash")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "guichet")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic(fmt.Sprintf("build: %v", err))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	cmd *exec.Cmd
	url string
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, env []string) *proc {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), append(env, "GUICHET_LISTEN="+addr, "GUICHET_LOG_LEVEL=warn")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(p.url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("server did not become ready: %s", stderr.String())
	return nil
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func post(url, token, key string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, nil
}

func crashEnv(t *testing.T, backend string) []string {
	t.Helper()
	env := []string{"GUICHET_DATA_DIR=" + t.TempDir(), "GUICHET_ADMIN_PASSWORD=crash-test-password"}
	if backend == "postgres" {
		base := os.Getenv(testdb.EnvURL)
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		name := "guichet_crash_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		})
		url := strings.Replace(base, "/test?", "/"+name+"?", 1)
		if !strings.Contains(url, name) {
			t.Fatalf("cannot derive a database URL from %s", base)
		}
		env = append(env, "GUICHET_DATABASE_URL="+url, "GUICHET_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY")
	}
	return env
}

// TestAcknowledgedWritesSurviveSIGKILL: every contact whose creation was
// answered 201 before the process was killed is there after a restart,
// and an Idempotency-Key retry after the restart replays it instead of
// creating a second one.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	backends := []string{"sqlite"}
	if os.Getenv(testdb.EnvURL) != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			env := crashEnv(t, backend)
			p := startServer(t, env)
			status, tok, err := post(p.url+"/auth/token", "", "", map[string]string{"username": "admin", "password": "crash-test-password"})
			if err != nil || status != 200 {
				t.Fatalf("login: %d %v", status, err)
			}
			token := tok["access_token"].(string)

			var mu sync.Mutex
			acked := map[string]string{} // idempotency key -> contact id
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			var wg sync.WaitGroup
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ctx.Err() == nil; i++ {
						key := fmt.Sprintf("w%d-%d", w, i)
						status, m, err := post(p.url+"/contacts", token, key, map[string]any{
							"last_name": "Crash " + key, "individual": true, "allow_duplicate": true})
						if err == nil && status == 201 {
							mu.Lock()
							acked[key] = m["id"].(string)
							mu.Unlock()
						}
					}
				}()
			}
			time.Sleep(700 * time.Millisecond)
			p.kill(t) // while the writers are still sending
			cancel()
			wg.Wait()
			if len(acked) == 0 {
				t.Fatal("no write was acknowledged before the kill")
			}

			p = startServer(t, env)
			defer p.kill(t)
			status, tok, _ = post(p.url+"/auth/token", "", "", map[string]string{"username": "admin", "password": "crash-test-password"})
			if status != 200 {
				t.Fatalf("login after restart: %d", status)
			}
			token = tok["access_token"].(string)
			for key, id := range acked {
				req, _ := http.NewRequest(http.MethodGet, p.url+"/contacts/"+id, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("acknowledged contact %s (%s) lost after SIGKILL: %d", id, key, resp.StatusCode)
				}
			}
			for key, id := range acked {
				status, m, err := post(p.url+"/contacts", token, key, map[string]any{
					"last_name": "Crash " + key, "individual": true, "allow_duplicate": true})
				if err != nil || status != 201 || m["id"] != id {
					t.Fatalf("retry of %s after restart: %d %v, want the replay of %s", key, status, m, id)
				}
				break
			}
			t.Logf("%s: %d acknowledged writes all survived SIGKILL", backend, len(acked))
		})
	}
}
