package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	readyTimeout = 60 * time.Second // migrations of a fresh database included
	stopTimeout  = 20 * time.Second
)

// buildServer compiles cmd/guichet into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "guichet")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/guichet/guichet/cmd/guichet")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build cmd/guichet: %w", err)
	}
	return bin, nil
}

// server is one running guichet process listening on 127.0.0.1.
type server struct {
	cmd     *exec.Cmd
	bin     string   // the binary, for its other commands
	env     []string // the GUICHET_* settings it runs with
	url     string
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // the process's exit, once done is closed
	Startup time.Duration // from process start to the first /readyz 200
}

// startServer runs bin with env (GUICHET_* settings) on a free loopback
// port, its output going to logPath, and waits until /readyz answers 200.
func startServer(ctx context.Context, bin, logPath string, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin)
	cmd.Env = append(environWithout("GUICHET_"), append(env, "GUICHET_LISTEN="+addr)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	s := &server{cmd: cmd, bin: bin, env: env, url: "http://" + addr, logPath: logPath, done: make(chan struct{})}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	s.Startup = time.Since(start)
	return s, nil
}

// waitReady polls /readyz every 2 ms until it answers 200.
func (s *server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(ctx, client, s.url+"/readyz") {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready (%v); log:\n%s", s.waitErr, tail(s.logPath, 20))
		case <-ctx.Done():
			return fmt.Errorf("server not ready after %s: %w; log:\n%s", readyTimeout, ctx.Err(), tail(s.logPath, 20))
		case <-tick.C:
		}
	}
}

func ready(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Exited reports whether the process has ended, and how.
func (s *server) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.waitErr
	default:
		return false, nil
	}
}

// shutdown is how a server stopped.
type shutdown struct {
	Took     time.Duration
	TimedOut bool  // still running stopTimeout after SIGTERM, then killed
	Err      error // non-nil when the exit was not clean
}

// Stop sends SIGTERM and waits up to stopTimeout, then kills the process.
func (s *server) Stop() shutdown {
	if exited, err := s.Exited(); exited {
		return shutdown{Err: fmt.Errorf("server had already exited: %v", err)}
	}
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return shutdown{Err: fmt.Errorf("send SIGTERM: %w", err)}
	}
	select {
	case <-s.done:
		return shutdown{Took: time.Since(start), Err: s.waitErr}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return shutdown{Took: time.Since(start), TimedOut: true,
			Err: fmt.Errorf("did not exit within %s of SIGTERM; killed", stopTimeout)}
	}
}

// memory is a process's resident set size, in bytes.
type memory struct {
	Peak    int64 // VmHWM
	Current int64 // VmRSS
	Anon    int64 // RssAnon: the resident memory that is not a mapped file
}

// Memory reads the server's RSS from /proc (Linux only).
func (s *server) Memory() (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return memory{}, fmt.Errorf("read RSS: %w", err)
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		switch name {
		case "VmHWM":
			m.Peak = parseKB(value)
		case "VmRSS":
			m.Current = parseKB(value)
		case "RssAnon":
			m.Anon = parseKB(value)
		}
	}
	if m.Peak == 0 {
		return m, errors.New("read RSS: no VmHWM in /proc status")
	}
	return m, sc.Err()
}

// parseKB reads a /proc status value such as "  81234 kB" as bytes.
func parseKB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n * 1024
}

// freePort asks the kernel for a loopback port that is free right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// environWithout returns this process's environment minus the variables
// starting with prefix, so that the caller's own settings cannot leak in.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
