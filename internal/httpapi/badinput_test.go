package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/testdb"
)

// TestBadInput sends malformed requests: each gets a precise problem, never
// a 500, and a refused write writes nothing.
func TestBadInput(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b, func(c *config.Config) { c.MaxBodyBytes = 2048 })
		_, tok := e.Agent("mloubet", "agent")
		postOrganisation(t, e, tok, map[string]any{"name": "Résidence Les Flamboyants"})
		postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "individual": true})

		tests := []struct {
			name   string
			req    apitest.Req
			status int
			slug   string // the problem type
			field  string // a field error naming this, when not ""
		}{
			{"MalformedJSON", post("/contacts", `{"last_name": "LOUBET"`), 400, "validation", ""},
			{"TrailingGarbage", post("/contacts", `{"last_name": "LOUBET"} {}`), 400, "validation", ""},
			{"EmptyBody", post("/contacts", ""), 400, "validation", ""},
			{"JSONArrayBody", post("/contacts", `[{"last_name": "LOUBET"}]`), 400, "validation", ""},
			{"UnknownField", post("/organisations", `{"nmae": "Résidence Les Flamboyants"}`), 400, "validation", "nmae"},
			{"UnknownContactField", post("/contacts", `{"last_name": "LOUBET", "telephone": "06 12 34 56 78"}`), 400, "validation", "telephone"},
			{"WrongType", post("/contacts", `{"last_name": 42}`), 400, "validation", "last_name"},
			{"WrongBooleanType", post("/contacts", `{"last_name": "LOUBET", "individual": "oui"}`), 400, "validation", "individual"},
			{"OrganisationWithoutName", post("/organisations", `{"email": "syndic@flamboyants.fr"}`), 400, "validation", "name"},
			{"EmptyOrganisationName", post("/organisations", `{"name": ""}`), 400, "validation", "name"},
			{"NameOverMaxLength", post("/contacts", `{"last_name": "`+strings.Repeat("é", 101)+`"}`), 400, "validation", "last_name"},
			{"InvalidEmail", post("/contacts", `{"last_name": "LOUBET", "email": "m.loubet-at-example.fr"}`), 400, "validation", "email"},
			{"InvalidOrganisationID", post("/contacts", `{"last_name": "LOUBET", "organisation_id": "flamboyants"}`), 400, "validation", "organisation_id"},
			{"BodyOverLimit", post("/contacts", `{"last_name": "LOUBET", "notes": "`+strings.Repeat("a", 3000)+`"}`), 413, "too-large", ""},
			{"PatchWithoutFields", apitest.Req{Method: http.MethodPatch, Path: "/organisations/" + zeroUUID, Body: `{}`,
				Headers: map[string]string{"If-Match": `"1"`}}, 400, "validation", ""},
			{"UnknownRoute", apitest.Req{Method: http.MethodGet, Path: "/contactz"}, 404, "not-found", ""},
			{"BadQueryType", apitest.Req{Method: http.MethodGet, Path: "/contacts?limit=abc"}, 400, "validation", "limit"},
			{"BadBooleanQuery", apitest.Req{Method: http.MethodGet, Path: "/contacts?unidentified=peut-etre"}, 400, "validation", "unidentified"},
			{"BadSort", apitest.Req{Method: http.MethodGet, Path: "/contacts?sort=prenom"}, 400, "validation", "sort"},
			{"BadUUIDQuery", apitest.Req{Method: http.MethodGet, Path: "/contacts?organisation_id=flamboyants"}, 400, "validation", "organisation_id"},
			{"QueryOverMaxLength", apitest.Req{Method: http.MethodGet, Path: "/contacts?" + url.Values{"q": {strings.Repeat("loubet ", 29)}}.Encode()},
				400, "validation", "q"},
			{"HugeQuery", apitest.Req{Method: http.MethodGet, Path: "/organisations?" + url.Values{"q": {strings.Repeat("flamboyants ", 500)}}.Encode()},
				400, "validation", "q"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				contacts, orgs := countContacts(t, e), countOrganisations(t, e)
				tt.req.Token = tok
				r := e.Do(tt.req)
				p := expectProblem(t, r, tt.status, tt.slug)
				if p.Detail == "" {
					t.Errorf("no detail: %s", r.Body)
				}
				if tt.field != "" && !fieldErrorMentions(p, tt.field) {
					t.Errorf("errors %+v, want one naming %q", p.Errors, tt.field)
				}
				if c, o := countContacts(t, e), countOrganisations(t, e); c != contacts || o != orgs {
					t.Errorf("%d contacts and %d organisations, want %d and %d", c, o, contacts, orgs)
				}
			})
		}

		t.Run("WrongContentType", func(t *testing.T) {
			before := countContacts(t, e)
			r := e.Do(apitest.Req{Method: http.MethodPost, Path: "/contacts", Token: tok, Body: `{"last_name": "GRONDIN"}`,
				Headers: map[string]string{"Content-Type": "text/plain"}})
			if r.Status != http.StatusBadRequest && r.Status != http.StatusUnsupportedMediaType {
				t.Fatalf("status %d, want 400 or 415; body %s", r.Status, r.Body)
			}
			r.Problem(t)
			if n := countContacts(t, e); n != before {
				t.Errorf("%d contacts, want %d", n, before)
			}
		})
		t.Run("WrongMethod", func(t *testing.T) {
			for _, m := range []string{http.MethodPut, http.MethodDelete} {
				r := e.Do(apitest.Req{Method: m, Path: "/contacts", Token: tok, Body: `{"last_name": "GRONDIN"}`})
				if r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusBadRequest {
					t.Fatalf("%s: status %d, want 405 or 400; body %s", m, r.Status, r.Body)
				}
				r.Problem(t)
			}
		})
		t.Run("QueryAtMaxLengthIsServed", func(t *testing.T) {
			q := strings.Repeat("loubet ", 28) + "loub"
			if len(q) != 200 {
				t.Fatalf("q is %d bytes", len(q))
			}
			if got := getContacts(t, e, tok, url.Values{"q": {q}}).Items; len(got) != 1 {
				t.Errorf("%d contacts, want LOUBET", len(got))
			}
			manyWords := strings.TrimSpace(strings.Repeat("a b c d e f g h i j ", 10))
			getContacts(t, e, tok, url.Values{"q": {manyWords}})
		})
	})
}

const zeroUUID = "00000000-0000-0000-0000-000000000000"

// post is a JSON POST of a raw body; the test sets the token.
func post(path, body string) apitest.Req {
	return apitest.Req{Method: http.MethodPost, Path: path, Body: body}
}

func fieldErrorMentions(p apitest.Problem, name string) bool {
	for _, f := range p.Errors {
		if strings.Contains(f.Field, name) {
			return true
		}
	}
	return false
}
