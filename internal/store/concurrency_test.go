package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// call sends one request and returns its status and body; errors are
// returned, not fatal, because it runs off the test goroutine.
func call(client *http.Client, method, u, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// SQLite has one writer connection and a read-only pool: concurrent
// writes queue on the writer instead of meeting SQLITE_BUSY, and reads,
// even a long-open one, never stall them.
func TestSQLiteConcurrentWritesNeverBusy(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, testdb.Backend{Name: "sqlite"})
	ctx := context.Background()
	const writers, perWriter, readers = 32, 20, 4

	// A long read on the read pool, open for the whole run: its snapshot
	// predates every write.
	long, err := e.Main.DB.ReadDB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer long.Rollback() //nolint:errcheck
	var before int
	if err := long.QueryRowContext(ctx, "SELECT count(*) FROM contacts").Scan(&before); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: time.Minute}
	problems := make(chan string, writers*perWriter+1000)
	var writes, reads sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		writes.Go(func() {
			for i := range perWriter {
				body := map[string]any{"first_name": fmt.Sprintf("W%d-%d", w, i), "last_name": "Dupont",
					"phone": "06 12 34 56 78", "allow_duplicate": true}
				status, b, err := call(client, http.MethodPost, e.URL+"/contacts", e.Admin, body)
				if err != nil || status != http.StatusCreated {
					problems <- fmt.Sprintf("create %d-%d: %d %s %v", w, i, status, b, err)
				}
			}
		})
	}
	paths := []string{"/contacts?limit=50", "/contacts?q=dupont&limit=20", "/contacts?q=06+12", "/contacts?sort=created_at"}
	for r := range readers {
		reads.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				p := paths[(r+i)%len(paths)]
				status, b, err := call(client, http.MethodGet, e.URL+p, e.Admin, nil)
				if err != nil || status != http.StatusOK {
					problems <- fmt.Sprintf("GET %s: %d %s %v", p, status, b, err)
				}
			}
		})
	}
	writes.Wait()
	close(done)
	reads.Wait()
	close(problems)
	n := 0
	for p := range problems {
		if n++; n <= 10 {
			t.Error(p)
		}
	}
	if n > 10 {
		t.Errorf("… and %d more failed requests", n-10)
	}

	var during int
	if err := long.QueryRowContext(ctx, "SELECT count(*) FROM contacts").Scan(&during); err != nil {
		t.Fatalf("long read after the writes: %v", err)
	}
	if during != before {
		t.Errorf("the long read saw %d contacts, then %d: its snapshot moved", before, during)
	}
	if got := count(t, e.Main.DB, "contacts", ""); got != before+writers*perWriter {
		t.Errorf("%d contacts in the database, want %d", got, before+writers*perWriter)
	}
	if got := listAll(t, e, "/contacts?limit=200"); got != before+writers*perWriter {
		t.Errorf("paging through GET /contacts gave %d contacts, want %d", got, before+writers*perWriter)
	}
}

// listAll follows next_cursor from path and counts the items.
func listAll(t *testing.T, e *apitest.Env, path string) int {
	t.Helper()
	total := 0
	for next := path; ; {
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		e.Get(e.Admin, next).Expect(t, http.StatusOK).JSON(t, &page)
		total += len(page.Items)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return total
		}
		next = path + "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
}
