package httpapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// postWithKey sends POST path with an Idempotency-Key.
func postWithKey(e *apitest.Env, token, path, key string, body any) *apitest.Response {
	return e.Do(apitest.Req{Method: http.MethodPost, Path: path, Token: token, Body: body,
		Headers: map[string]string{"Idempotency-Key": key}})
}

// searchContacts returns the contacts matching q.
func searchContacts(t *testing.T, e *apitest.Env, token, q string) []contact {
	t.Helper()
	return walkContacts(t, e, token, url.Values{"q": {q}}, 200)
}

func TestIdempotentCreate(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		// allow_duplicate, so that duplicate detection cannot hide a second
		// create that idempotency should have prevented.
		body := map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "email": "m.loubet@example.fr",
			"phone": "06 12 34 56 78", "individual": true, "allow_duplicate": true}

		first := postWithKey(e, tok, "/contacts", "creer-loubet", body).Expect(t, http.StatusCreated)
		var created contact
		first.JSON(t, &created)
		t.Run("FirstResponseIsNotAReplay", func(t *testing.T) {
			if h := first.Header.Get("Idempotent-Replayed"); h != "" {
				t.Errorf("Idempotent-Replayed %q on the first response", h)
			}
		})
		t.Run("RetryReplaysTheFirstResponse", func(t *testing.T) {
			again := postWithKey(e, tok, "/contacts", "creer-loubet", body).Expect(t, http.StatusCreated)
			if h := again.Header.Get("Idempotent-Replayed"); h != "true" {
				t.Errorf("Idempotent-Replayed %q, want true", h)
			}
			if !bytes.Equal(again.Body, first.Body) {
				t.Errorf("replayed body\n%s\nfirst body\n%s", again.Body, first.Body)
			}
			for _, h := range []string{"Location", "ETag"} {
				if again.Header.Get(h) != first.Header.Get(h) {
					t.Errorf("%s %q, first %q", h, again.Header.Get(h), first.Header.Get(h))
				}
			}
			if got := searchContacts(t, e, tok, "melanie loubet"); len(got) != 1 || got[0].ID != created.ID {
				t.Errorf("contacts named Mélanie LOUBET: %q, want only %s", contactIDs(got), created.ID)
			}
		})
		t.Run("SameKeyOtherBodyIs422", func(t *testing.T) {
			other := map[string]any{"first_name": "Marie", "last_name": "GRONDIN", "individual": true, "allow_duplicate": true}
			expectProblem(t, postWithKey(e, tok, "/contacts", "creer-loubet", other), http.StatusUnprocessableEntity, "invalid")
			if got := searchContacts(t, e, tok, "grondin"); len(got) != 0 {
				t.Errorf("the refused request created %q", contactNames(got))
			}
		})
		t.Run("SameKeyOtherPathIs422", func(t *testing.T) {
			expectProblem(t, postWithKey(e, tok, "/organisations", "creer-loubet", map[string]any{"name": "Résidence Les Flamboyants"}),
				http.StatusUnprocessableEntity, "invalid")
			if n := countOrganisations(t, e); n != 0 {
				t.Errorf("%d organisations, want 0", n)
			}
		})
		t.Run("KeyIsScopedToTheCaller", func(t *testing.T) {
			_, other := e.Agent("jpayet", "agent")
			r := postWithKey(e, other, "/contacts", "creer-loubet", body).Expect(t, http.StatusCreated)
			if h := r.Header.Get("Idempotent-Replayed"); h != "" {
				t.Errorf("another agent got a replay (%q)", h)
			}
			var c contact
			r.JSON(t, &c)
			if c.ID == created.ID {
				t.Fatal("another agent got the first agent's contact")
			}
			if got := searchContacts(t, e, tok, "melanie loubet"); len(got) != 2 {
				t.Errorf("%d contacts named Mélanie LOUBET, want 2", len(got))
			}
		})
		t.Run("FailedRequestIsReplayedAsIs", func(t *testing.T) {
			dup := map[string]any{"last_name": "Secrétariat", "email": "M.LOUBET@example.fr", "individual": true}
			r := postWithKey(e, tok, "/contacts", "doublon-loubet", dup)
			p := expectProblem(t, r, http.StatusConflict, "duplicate")
			if len(p.Duplicates) == 0 {
				t.Fatalf("no duplicates in %s", r.Body)
			}
			again := postWithKey(e, tok, "/contacts", "doublon-loubet", dup)
			expectProblem(t, again, http.StatusConflict, "duplicate")
			if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Body, r.Body) {
				t.Errorf("retry: replayed %q, body\n%s\nfirst\n%s", again.Header.Get("Idempotent-Replayed"), again.Body, r.Body)
			}
			if got := searchContacts(t, e, tok, "secretariat"); len(got) != 0 {
				t.Errorf("a refused duplicate was created: %q", contactNames(got))
			}
		})
	})
}

func TestIdempotentAPITokenNeverReplaysTheSecret(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		body := map[string]any{"name": "import des contacts du syndic", "scopes": []string{"contacts:read", "contacts:write"}}
		r := postWithKey(e, tok, "/api-tokens", "jeton-import", body).Expect(t, http.StatusCreated)
		m := r.Map(t)
		id, secret := m["id"].(string), m["token"].(string)
		if !strings.HasPrefix(secret, "gch_") {
			t.Fatalf("token %q", secret)
		}

		again := postWithKey(e, tok, "/api-tokens", "jeton-import", body)
		p := expectProblem(t, again, http.StatusConflict, "conflict")
		if want := "/api-tokens/" + id; p.Resource != want {
			t.Errorf("resource %q, want %q", p.Resource, want)
		}
		if bytes.Contains(again.Body, []byte(secret)) || bytes.Contains(again.Body, []byte("gch_")) {
			t.Errorf("the retry shows the secret: %s", again.Body)
		}
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		e.Get(tok, "/api-tokens").Expect(t, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != id {
			t.Errorf("tokens %+v, want only %s", list.Items, id)
		}
		// The secret still works: the retry did not replace the token.
		e.Get(secret, "/me").Expect(t, http.StatusOK)
	})
}

// TestIdempotentConcurrentRetries sends the same request ten times at once:
// one runs, the others replay it or are told that it is in progress.
func TestIdempotentConcurrentRetries(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		body := map[string]any{"first_name": "Jean-Pierre", "last_name": "DUPONT", "job_title": "Huissier de justice",
			"phone": "0262 12 34 56", "individual": true, "allow_duplicate": true}
		const n = 10
		responses := make([]*apitest.Response, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				responses[i] = postWithKey(e, tok, "/contacts", "appel-huissier", body)
			})
		}
		close(start)
		wg.Wait()

		var runs, replays, inProgress int
		ids := map[string]bool{}
		for _, r := range responses {
			switch {
			case r.Status == http.StatusCreated && r.Header.Get("Idempotent-Replayed") == "true":
				replays++
				ids[r.Map(t)["id"].(string)] = true
			case r.Status == http.StatusCreated:
				runs++
				ids[r.Map(t)["id"].(string)] = true
			case r.Status == http.StatusConflict:
				p := expectProblem(t, r, http.StatusConflict, "conflict")
				if !strings.Contains(p.Detail, "in progress") {
					t.Errorf("409 %q, want in progress", p.Detail)
				}
				inProgress++
			default:
				t.Errorf("unexpected response %d %s", r.Status, r.Body)
			}
		}
		if runs != 1 || len(ids) != 1 {
			t.Errorf("%d runs, %d distinct ids; want 1 and 1 (%d replays, %d in progress)", runs, len(ids), replays, inProgress)
		}
		if got := searchContacts(t, e, tok, "dupont"); len(got) != 1 {
			t.Errorf("%d contacts created, want 1", len(got))
		}
	})
}

func TestIdempotencyKeyExpires(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		e.Agent("mloubet", "agent")
		login := func() string { return e.Login("mloubet", "password-mloubet").AccessToken }
		body := map[string]any{"first_name": "Marie", "last_name": "GRONDIN", "job_title": "Notaire",
			"individual": true, "allow_duplicate": true}
		var first contact
		postWithKey(e, login(), "/contacts", "notaire-grondin", body).Expect(t, http.StatusCreated).JSON(t, &first)

		t.Run("KeptWithinTheTTL", func(t *testing.T) {
			e.Clock.Advance(23 * time.Hour)
			r := postWithKey(e, login(), "/contacts", "notaire-grondin", body).Expect(t, http.StatusCreated)
			if r.Header.Get("Idempotent-Replayed") != "true" || r.Map(t)["id"] != first.ID {
				t.Errorf("after 23h: replayed %q, body %s", r.Header.Get("Idempotent-Replayed"), r.Body)
			}
		})
		t.Run("ForgottenAfterTheTTL", func(t *testing.T) {
			e.Clock.Advance(2 * time.Hour)
			tok := login()
			r := postWithKey(e, tok, "/contacts", "notaire-grondin", body).Expect(t, http.StatusCreated)
			if h := r.Header.Get("Idempotent-Replayed"); h != "" {
				t.Errorf("after 25h, Idempotent-Replayed %q", h)
			}
			var c contact
			r.JSON(t, &c)
			if c.ID == first.ID {
				t.Fatal("after 25h, the key replayed the first contact")
			}
			if got := searchContacts(t, e, tok, "marie grondin"); len(got) != 2 {
				t.Errorf("%d contacts, want 2", len(got))
			}
			again := postWithKey(e, tok, "/contacts", "notaire-grondin", body).Expect(t, http.StatusCreated)
			if again.Header.Get("Idempotent-Replayed") != "true" || again.Map(t)["id"] != c.ID {
				t.Errorf("the renewed key does not replay the new contact: %s", again.Body)
			}
		})
	})
}
