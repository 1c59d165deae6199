package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// contact is the JSON of a contact; pointers tell an absent field from "".
type contact struct {
	ID               string  `json:"id"`
	FirstName        string  `json:"first_name"`
	LastName         string  `json:"last_name"`
	Email            string  `json:"email"`
	Phone            string  `json:"phone"`
	JobTitle         *string `json:"job_title"`
	Notes            *string `json:"notes"`
	OrganisationID   *string `json:"organisation_id"`
	Individual       bool    `json:"individual"`
	RegisteredClient bool    `json:"registered_client"`
	Unidentified     bool    `json:"unidentified"`
	Version          int     `json:"version"`
}

type organisation struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Email            string  `json:"email"`
	Phone            string  `json:"phone"`
	Address          *string `json:"address"`
	Notes            *string `json:"notes"`
	RegisteredClient bool    `json:"registered_client"`
	Version          int     `json:"version"`
}

type contactPage struct {
	Items      []contact `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

type organisationPage struct {
	Items      []organisation `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// auditEvent is the JSON of an audit event.
type auditEvent struct {
	ID         string         `json:"id"`
	ActorID    *string        `json:"actor_id"`
	APITokenID *string        `json:"api_token_id"`
	Action     string         `json:"action"`
	EntityType string         `json:"entity_type"`
	EntityID   *string        `json:"entity_id"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
}

type auditPage struct {
	Items      []auditEvent `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

func postOrganisation(t *testing.T, e *apitest.Env, token string, body map[string]any) organisation {
	t.Helper()
	var o organisation
	e.Post(token, "/organisations", body).Expect(t, http.StatusCreated).JSON(t, &o)
	return o
}

func postContact(t *testing.T, e *apitest.Env, token string, body map[string]any) contact {
	t.Helper()
	var c contact
	e.Post(token, "/contacts", body).Expect(t, http.StatusCreated).JSON(t, &c)
	return c
}

// getContacts reads one page of GET /contacts?query.
func getContacts(t *testing.T, e *apitest.Env, token string, query url.Values) contactPage {
	t.Helper()
	var p contactPage
	e.Get(token, "/contacts?"+query.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
	return p
}

// walkContacts follows next_cursor from the first page to the last.
func walkContacts(t *testing.T, e *apitest.Env, token string, query url.Values, limit int) []contact {
	t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(limit))
	var all []contact
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("walk %v: no last page after 1000 pages", query)
		}
		p := getContacts(t, e, token, q)
		if len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		q.Set("cursor", *p.NextCursor)
	}
}

func countContacts(t *testing.T, e *apitest.Env) int {
	t.Helper()
	return len(walkContacts(t, e, e.Admin, nil, 200))
}

func countOrganisations(t *testing.T, e *apitest.Env) int {
	t.Helper()
	n := 0
	q := url.Values{"limit": {"200"}}
	for {
		var p organisationPage
		e.Get(e.Admin, "/organisations?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
		n += len(p.Items)
		if p.NextCursor == nil {
			return n
		}
		q.Set("cursor", *p.NextCursor)
	}
}

func contactIDs(cs []contact) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// contactNames returns "first last" of each contact, trimmed.
func contactNames(cs []contact) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	return names
}

// expectProblem checks the status, the problem+json body and its type.
func expectProblem(t *testing.T, r *apitest.Response, status int, slug string) apitest.Problem {
	t.Helper()
	r.Expect(t, status)
	p := r.Problem(t)
	if want := "https://guichet.dev/problems/" + slug; p.Type != want {
		t.Fatalf("problem type %q, want %q; body %s", p.Type, want, r.Body)
	}
	return p
}

func TestOrganisationCRUD(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")

		r := e.Post(tok, "/organisations", map[string]any{
			"name": "Résidence Les Flamboyants", "email": "Syndic@Flamboyants.FR", "phone": "0262 12 34 56",
			"address": "12 rue des Flamboyants, 97400 Saint-Denis", "registered_client": true,
		}).Expect(t, http.StatusCreated)
		var o organisation
		r.JSON(t, &o)
		t.Run("CreateNormalisesAndVersions", func(t *testing.T) {
			if got, want := r.Header.Get("Location"), "/organisations/"+o.ID; got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
			if got := r.Header.Get("ETag"); got != `"1"` {
				t.Errorf("ETag %q, want \"1\"", got)
			}
			if o.Email != "syndic@flamboyants.fr" || o.Phone != "+262262123456" || o.Version != 1 || !o.RegisteredClient {
				t.Errorf("created %+v", o)
			}
		})
		path := "/organisations/" + o.ID

		t.Run("GetHasETag", func(t *testing.T) {
			r := e.Get(tok, path).Expect(t, http.StatusOK)
			if got := r.Header.Get("ETag"); got != `"1"` {
				t.Errorf("ETag %q, want \"1\"", got)
			}
			var got organisation
			r.JSON(t, &got)
			if got.Name != "Résidence Les Flamboyants" || got.Address == nil {
				t.Errorf("read %+v", got)
			}
		})
		t.Run("PatchWithoutIfMatchIs428", func(t *testing.T) {
			expectProblem(t, e.Patch(tok, path, "", map[string]any{"notes": "x"}), http.StatusPreconditionRequired, "precondition-required")
		})
		t.Run("PatchWithStaleIfMatchIs412", func(t *testing.T) {
			expectProblem(t, e.Patch(tok, path, `"2"`, map[string]any{"notes": "x"}), http.StatusPreconditionFailed, "stale")
		})
		t.Run("PatchWithRightIfMatchUpdatesAndNullClears", func(t *testing.T) {
			r := e.Patch(tok, path, `"1"`, map[string]any{"notes": "Syndic : cabinet Hoarau", "address": nil}).Expect(t, http.StatusOK)
			if got := r.Header.Get("ETag"); got != `"2"` {
				t.Errorf("ETag %q, want \"2\"", got)
			}
			var got organisation
			r.JSON(t, &got)
			if got.Version != 2 || got.Address != nil || got.Notes == nil || *got.Notes != "Syndic : cabinet Hoarau" {
				t.Errorf("updated %s", r.Body)
			}
			if got.Name != o.Name || got.Phone != o.Phone || got.Email != o.Email {
				t.Errorf("fields absent from the patch changed: %s", r.Body)
			}
			e.Get(tok, path).Expect(t, http.StatusOK).JSON(t, &got)
			if got.Address != nil || got.Version != 2 {
				t.Errorf("after patch, read %+v", got)
			}
		})
		t.Run("DeleteNeedsIfMatch", func(t *testing.T) {
			expectProblem(t, e.Delete(tok, path, ""), http.StatusPreconditionRequired, "precondition-required")
			expectProblem(t, e.Delete(tok, path, `"1"`), http.StatusPreconditionFailed, "stale")
		})
		t.Run("DeleteWithContactsIs409", func(t *testing.T) {
			c := postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "organisation_id": o.ID})
			expectProblem(t, e.Delete(tok, path, `"2"`), http.StatusConflict, "conflict")
			e.Get(tok, path).Expect(t, http.StatusOK)
			e.Delete(tok, "/contacts/"+c.ID, `"1"`).Expect(t, http.StatusNoContent)
		})
		t.Run("DeleteWithoutContacts", func(t *testing.T) {
			e.Delete(tok, path, `"2"`).Expect(t, http.StatusNoContent)
			expectProblem(t, e.Get(tok, path), http.StatusNotFound, "not-found")
		})
		t.Run("UnknownIDIs404", func(t *testing.T) {
			expectProblem(t, e.Get(tok, "/organisations/"+uuid.NewString()), http.StatusNotFound, "not-found")
		})
		t.Run("MalformedIDIs400", func(t *testing.T) {
			expectProblem(t, e.Get(tok, "/organisations/not-a-uuid"), http.StatusBadRequest, "validation")
		})
	})
}

func TestContactCRUD(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		org := postOrganisation(t, e, tok, map[string]any{"name": "SCP Maillot & Associés, huissiers de justice"})

		r := e.Post(tok, "/contacts", map[string]any{
			"first_name": "Mélanie", "last_name": "LOUBET", "email": "M.Loubet@Example.fr", "phone": "06 12 34 56 78",
			"job_title": "Huissier de justice", "organisation_id": org.ID,
		}).Expect(t, http.StatusCreated)
		var c contact
		r.JSON(t, &c)
		t.Run("CreateNormalisesAndVersions", func(t *testing.T) {
			if got, want := r.Header.Get("Location"), "/contacts/"+c.ID; got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
			if got := r.Header.Get("ETag"); got != `"1"` {
				t.Errorf("ETag %q, want \"1\"", got)
			}
			if c.Email != "m.loubet@example.fr" || c.Phone != "+33612345678" || c.Version != 1 || c.Unidentified ||
				c.OrganisationID == nil || *c.OrganisationID != org.ID {
				t.Errorf("created %s", r.Body)
			}
		})
		path := "/contacts/" + c.ID

		t.Run("GetHasETag", func(t *testing.T) {
			r := e.Get(tok, path).Expect(t, http.StatusOK)
			if got := r.Header.Get("ETag"); got != `"1"` {
				t.Errorf("ETag %q, want \"1\"", got)
			}
			var got contact
			r.JSON(t, &got)
			if got.LastName != "LOUBET" || got.JobTitle == nil || *got.JobTitle != "Huissier de justice" {
				t.Errorf("read %s", r.Body)
			}
		})
		t.Run("PatchWithoutIfMatchIs428", func(t *testing.T) {
			expectProblem(t, e.Patch(tok, path, "", map[string]any{"job_title": "Clerc"}), http.StatusPreconditionRequired, "precondition-required")
		})
		t.Run("PatchWithStaleIfMatchIs412", func(t *testing.T) {
			expectProblem(t, e.Patch(tok, path, `"7"`, map[string]any{"job_title": "Clerc"}), http.StatusPreconditionFailed, "stale")
		})
		t.Run("PatchWithRightIfMatchUpdatesAndNullClears", func(t *testing.T) {
			r := e.Patch(tok, path, `"1"`, map[string]any{"job_title": nil, "phone": "0262 12 34 56"}).Expect(t, http.StatusOK)
			if got := r.Header.Get("ETag"); got != `"2"` {
				t.Errorf("ETag %q, want \"2\"", got)
			}
			var got contact
			r.JSON(t, &got)
			if got.Version != 2 || got.JobTitle != nil || got.Phone != "+262262123456" {
				t.Errorf("updated %s", r.Body)
			}
			if got.Email != c.Email || got.LastName != c.LastName || got.OrganisationID == nil {
				t.Errorf("fields absent from the patch changed: %s", r.Body)
			}
			expectProblem(t, e.Patch(tok, path, `"1"`, map[string]any{"job_title": "Clerc"}), http.StatusPreconditionFailed, "stale")
		})
		t.Run("DeleteNeedsIfMatch", func(t *testing.T) {
			expectProblem(t, e.Delete(tok, path, ""), http.StatusPreconditionRequired, "precondition-required")
			expectProblem(t, e.Delete(tok, path, `"1"`), http.StatusPreconditionFailed, "stale")
			e.Get(tok, path).Expect(t, http.StatusOK)
			e.Delete(tok, path, `"2"`).Expect(t, http.StatusNoContent)
			expectProblem(t, e.Get(tok, path), http.StatusNotFound, "not-found")
		})
		t.Run("UnknownOrganisationIs422", func(t *testing.T) {
			before := countContacts(t, e)
			p := expectProblem(t, e.Post(tok, "/contacts", map[string]any{"last_name": "GRONDIN", "organisation_id": uuid.NewString()}),
				http.StatusUnprocessableEntity, "invalid")
			if len(p.Errors) == 0 || p.Errors[0].Field != "organisation_id" {
				t.Errorf("errors %+v, want organisation_id", p.Errors)
			}
			if n := countContacts(t, e); n != before {
				t.Errorf("%d contacts after a refused create, want %d", n, before)
			}
		})
		t.Run("UnknownIDIs404", func(t *testing.T) {
			expectProblem(t, e.Get(tok, "/contacts/"+uuid.NewString()), http.StatusNotFound, "not-found")
			expectProblem(t, e.Patch(tok, "/contacts/"+uuid.NewString(), `"1"`, map[string]any{"notes": "x"}), http.StatusNotFound, "not-found")
		})
		t.Run("MalformedIDIs400", func(t *testing.T) {
			expectProblem(t, e.Get(tok, "/contacts/not-a-uuid"), http.StatusBadRequest, "validation")
		})
	})
}

func TestContactUnidentified(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		org := postOrganisation(t, e, tok, map[string]any{"name": "Résidence Les Flamboyants"})

		caller := postContact(t, e, tok, map[string]any{"phone": "0262 12 34 56"})
		private := postContact(t, e, tok, map[string]any{"phone": "0692 98 76 54"})
		known := postContact(t, e, tok, map[string]any{"first_name": "Marie", "last_name": "GRONDIN", "individual": true})

		t.Run("OnlyAPhoneIsUnidentified", func(t *testing.T) {
			if !caller.Unidentified || !private.Unidentified {
				t.Errorf("phone-only contacts: unidentified %v, %v; want true", caller.Unidentified, private.Unidentified)
			}
			if known.Unidentified {
				t.Error("a named individual is unidentified")
			}
		})
		t.Run("LastNameAloneIsNotEnough", func(t *testing.T) {
			var c contact
			e.Patch(tok, "/contacts/"+caller.ID, `"1"`, map[string]any{"last_name": "HOARAU"}).Expect(t, http.StatusOK).JSON(t, &c)
			if !c.Unidentified {
				t.Error("a contact without a structure is identified")
			}
		})
		t.Run("OrganisationIdentifies", func(t *testing.T) {
			var c contact
			e.Patch(tok, "/contacts/"+caller.ID, `"2"`, map[string]any{"organisation_id": org.ID}).Expect(t, http.StatusOK).JSON(t, &c)
			if c.Unidentified {
				t.Errorf("last name and organisation: still unidentified: %+v", c)
			}
		})
		t.Run("IndividualIdentifies", func(t *testing.T) {
			var c contact
			e.Patch(tok, "/contacts/"+private.ID, `"1"`, map[string]any{"last_name": "PAYET", "individual": true}).Expect(t, http.StatusOK).JSON(t, &c)
			if c.Unidentified {
				t.Errorf("last name and individual: still unidentified: %+v", c)
			}
		})
		t.Run("FilterUnidentified", func(t *testing.T) {
			lone := postContact(t, e, tok, map[string]any{"email": "inconnu@example.fr"})
			got := contactIDs(getContacts(t, e, tok, url.Values{"unidentified": {"true"}}).Items)
			if !slices.Equal(got, []string{lone.ID}) {
				t.Errorf("unidentified=true gives %v, want [%s]", got, lone.ID)
			}
			got = contactIDs(getContacts(t, e, tok, url.Values{"unidentified": {"false"}}).Items)
			if len(got) != 3 || slices.Contains(got, lone.ID) {
				t.Errorf("unidentified=false gives %v, want the 3 others", got)
			}
		})
		t.Run("ClearingTheOrganisationUnidentifies", func(t *testing.T) {
			var c contact
			e.Patch(tok, "/contacts/"+caller.ID, `"3"`, map[string]any{"organisation_id": nil}).Expect(t, http.StatusOK).JSON(t, &c)
			if !c.Unidentified || c.OrganisationID != nil {
				t.Errorf("organisation cleared: %+v", c)
			}
			got := contactIDs(getContacts(t, e, tok, url.Values{"unidentified": {"true"}}).Items)
			if !slices.Contains(got, caller.ID) {
				t.Errorf("unidentified=true gives %v, missing %s", got, caller.ID)
			}
		})
	})
}

func TestContactSearch(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		flamboyants := postOrganisation(t, e, tok, map[string]any{"name": "Résidence Les Flamboyants", "email": "syndic@flamboyants.fr"})
		scp := postOrganisation(t, e, tok, map[string]any{"name": "SCP Maillot & Associés, huissiers de justice"})
		etude := postOrganisation(t, e, tok, map[string]any{"name": "Étude de Maître Grondin, notaire", "phone": "0262 41 00 00"})
		postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "email": "M.Loubet@Example.fr",
			"phone": "06 12 34 56 78", "organisation_id": flamboyants.ID})
		postContact(t, e, tok, map[string]any{"first_name": "Jean-Pierre", "last_name": "DUPONT", "email": "jp.dupont@huissiers-maillot.fr",
			"phone": "0262 12 34 56", "job_title": "Huissier de justice", "organisation_id": scp.ID})
		postContact(t, e, tok, map[string]any{"first_name": "Marie", "last_name": "GRONDIN", "phone": "0692 98 76 54",
			"job_title": "Notaire", "organisation_id": etude.ID})
		postContact(t, e, tok, map[string]any{"first_name": "Mélodie", "last_name": "LOUVEL", "individual": true})

		tests := []struct {
			name, q string
			want    []string
		}{
			{"AccentAndCaseInsensitiveWordPrefixes", "melanie lou", []string{"Mélanie LOUBET"}},
			{"UpperCasePrefix", "LOUB", []string{"Mélanie LOUBET"}},
			{"AccentedQuery", "MÉLANIE", []string{"Mélanie LOUBET"}},
			{"PrefixOfSeveralNames", "lou", []string{"Mélanie LOUBET", "Mélodie LOUVEL"}},
			{"EveryWordMustMatch", "melanie dupont", nil},
			{"WordOrderIgnored", "loubet mel", []string{"Mélanie LOUBET"}},
			{"EmailPrefix", "m.loubet@ex", []string{"Mélanie LOUBET"}},
			{"EmailOfAnother", "m.loubet@huiss", nil},
			{"NationalPhonePrefix", "06 12 34", []string{"Mélanie LOUBET"}},
			{"InternationalPhonePrefix", "+33 6 12", []string{"Mélanie LOUBET"}},
			{"ReunionPhone", "0262 12 34", []string{"Jean-Pierre DUPONT"}},
			{"ReunionInternational", "+262 262 12", []string{"Jean-Pierre DUPONT"}},
			{"HyphenatedFirstName", "jean pierre", []string{"Jean-Pierre DUPONT"}},
			{"HyphenatedJoined", "jeanpierre", []string{"Jean-Pierre DUPONT"}},
			{"NoMatch", "hoarau", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := contactNames(getContacts(t, e, tok, url.Values{"q": {tt.q}}).Items)
				if !slices.Equal(got, tt.want) {
					t.Errorf("q=%q gives %q, want %q", tt.q, got, tt.want)
				}
			})
		}
		orgTests := []struct {
			name, q string
			want    []string
		}{
			{"OrganisationNamePrefix", "flamboy", []string{"Résidence Les Flamboyants"}},
			{"OrganisationAccentFolded", "maitre", []string{"Étude de Maître Grondin, notaire"}},
			{"OrganisationSeveralWords", "huissier scp", []string{"SCP Maillot & Associés, huissiers de justice"}},
			{"OrganisationEmail", "syndic@flamb", []string{"Résidence Les Flamboyants"}},
			{"OrganisationPhone", "0262 41", []string{"Étude de Maître Grondin, notaire"}},
			{"OrganisationNoMatch", "flamboyants notaire", nil},
		}
		for _, tt := range orgTests {
			t.Run(tt.name, func(t *testing.T) {
				var p organisationPage
				e.Get(tok, "/organisations?"+url.Values{"q": {tt.q}}.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
				var got []string
				for _, o := range p.Items {
					got = append(got, o.Name)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("q=%q gives %q, want %q", tt.q, got, tt.want)
				}
			})
		}
	})
}

// TestContactSortIsByteOrderOnEveryDatabase fixes the order of names that a
// locale collation would order otherwise (spaces, hyphens and letters that
// fold alike), so that both databases list, and cut pages, identically.
func TestContactSortIsByteOrderOnEveryDatabase(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		// Created in this order: equal folded names ("Zoé", "zoe") tie on
		// the id, which grows with creation.
		for _, name := range [][2]string{
			{"", "Zoé"}, {"", "emma"}, {"Eugène", "Delacroix"}, {"", "Ølsen"}, {"", "zoe"}, {"", "Émile"},
			{"Anne", "de La Tour"}, {"", "Martinez"}, {"", "Martin-Rivière"}, {"", "Ærø"}, {"", "Åberg"}, {"", "Łukaszewski"},
		} {
			postContact(t, e, tok, map[string]any{"first_name": name[0], "last_name": name[1], "individual": true})
		}
		want := []string{"Åberg", "Ærø", "Anne de La Tour", "Eugène Delacroix", "Émile", "emma", "Łukaszewski",
			"Martin-Rivière", "Martinez", "Ølsen", "Zoé", "zoe"}
		full := getContacts(t, e, tok, url.Values{"sort": {"name"}, "limit": {"200"}}).Items
		if got := contactNames(full); !slices.Equal(got, want) {
			t.Fatalf("sort=name gives\n%q\nwant\n%q", got, want)
		}
		for _, limit := range []int{1, 2, 5} {
			walked := walkContacts(t, e, tok, url.Values{"sort": {"name"}}, limit)
			if !slices.Equal(contactIDs(walked), contactIDs(full)) {
				t.Errorf("pages of %d give %q, want %q", limit, contactNames(walked), want)
			}
		}
	})
}

func TestContactDuplicates(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		flamboyants := postOrganisation(t, e, tok, map[string]any{"name": "Résidence Les Flamboyants"})
		etude := postOrganisation(t, e, tok, map[string]any{"name": "Étude de Maître Grondin, notaire"})
		melanie := postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET",
			"email": "m.loubet@example.fr", "phone": "06 12 34 56 78", "organisation_id": flamboyants.ID})

		refused := func(t *testing.T, body map[string]any, matchedOn string) {
			t.Helper()
			before := countContacts(t, e)
			p := expectProblem(t, e.Post(tok, "/contacts", body), http.StatusConflict, "duplicate")
			if len(p.Duplicates) != 1 || p.Duplicates[0].ID != melanie.ID || p.Duplicates[0].Name != "Mélanie LOUBET" ||
				!slices.Equal(p.Duplicates[0].MatchedOn, []string{matchedOn}) {
				t.Errorf("duplicates %+v, want [{%s Mélanie LOUBET [%s]}]", p.Duplicates, melanie.ID, matchedOn)
			}
			if n := countContacts(t, e); n != before {
				t.Errorf("%d contacts after a refused duplicate, want %d", n, before)
			}
		}
		t.Run("SameEmailOtherCase", func(t *testing.T) {
			refused(t, map[string]any{"last_name": "Assistante", "email": "M.LOUBET@EXAMPLE.FR", "individual": true}, "email")
		})
		t.Run("SamePhoneOtherFormat", func(t *testing.T) {
			refused(t, map[string]any{"last_name": "Standard", "phone": "+33 6 12 34 56 78", "individual": true}, "phone")
		})
		t.Run("SameFoldedNameSameOrganisation", func(t *testing.T) {
			refused(t, map[string]any{"first_name": "melanie", "last_name": "Loubet", "organisation_id": flamboyants.ID}, "name")
		})
		t.Run("SeveralMatches", func(t *testing.T) {
			p := expectProblem(t, e.Post(tok, "/contacts", map[string]any{"first_name": "MÉLANIE", "last_name": "loubet",
				"email": "m.loubet@example.fr", "phone": "0612345678", "organisation_id": flamboyants.ID}), http.StatusConflict, "duplicate")
			if len(p.Duplicates) != 1 || !slices.Equal(p.Duplicates[0].MatchedOn, []string{"email", "phone", "name"}) {
				t.Errorf("duplicates %+v, want one matched on email, phone and name", p.Duplicates)
			}
		})
		t.Run("AllowDuplicateCreates", func(t *testing.T) {
			c := postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "email": "m.loubet@example.fr",
				"organisation_id": flamboyants.ID, "allow_duplicate": true})
			if c.ID == melanie.ID {
				t.Fatal("allow_duplicate returned the existing contact")
			}
		})
		t.Run("SameNameOtherOrganisationIsNotADuplicate", func(t *testing.T) {
			postContact(t, e, tok, map[string]any{"first_name": "Mélanie", "last_name": "LOUBET", "organisation_id": etude.ID})
		})
	})
}

// paginationNames are common surnames of La Réunion.
var paginationNames = []string{"Payet", "Hoarau", "Grondin", "Técher", "Fontaine", "Boyer", "Lebon", "Rivière", "Robert", "Maillot"}

func TestContactPagination(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		var created []string
		for i := range 23 {
			c := postContact(t, e, tok, map[string]any{"first_name": fmt.Sprintf("Client %02d", i),
				"last_name": paginationNames[i%len(paginationNames)], "individual": true})
			created = append(created, c.ID)
		}
		for _, sort := range []string{"name", "created_at"} {
			t.Run("WalkEveryContactOnceBy_"+sort, func(t *testing.T) {
				full := getContacts(t, e, tok, url.Values{"sort": {sort}, "limit": {"200"}}).Items
				if len(full) != len(created) {
					t.Fatalf("one page holds %d contacts, want %d", len(full), len(created))
				}
				if sort == "created_at" && !slices.Equal(contactIDs(full), created) {
					t.Errorf("sort=created_at is not the creation order")
				}
				if sort == "name" && !slices.IsSortedFunc(full, func(a, b contact) int {
					return strings.Compare(strings.ToLower(a.LastName+" "+a.FirstName), strings.ToLower(b.LastName+" "+b.FirstName))
				}) {
					t.Errorf("sort=name is not by name: %q", contactNames(full))
				}
				for _, limit := range []int{1, 5, 7, 23} {
					walked := walkContacts(t, e, tok, url.Values{"sort": {sort}}, limit)
					if !slices.Equal(contactIDs(walked), contactIDs(full)) {
						t.Errorf("pages of %d: %d contacts, not the order of one page", limit, len(walked))
					}
				}
			})
		}
		t.Run("CursorOfAnotherListIs400", func(t *testing.T) {
			postOrganisation(t, e, tok, map[string]any{"name": "Résidence Les Flamboyants"})
			postOrganisation(t, e, tok, map[string]any{"name": "Étude de Maître Grondin"})
			var p organisationPage
			e.Get(tok, "/organisations?limit=1").Expect(t, http.StatusOK).JSON(t, &p)
			if p.NextCursor == nil {
				t.Fatal("no next_cursor for organisations")
			}
			pr := expectProblem(t, e.Get(tok, "/contacts?"+url.Values{"cursor": {*p.NextCursor}}.Encode()), http.StatusBadRequest, "validation")
			if len(pr.Errors) == 0 || pr.Errors[0].Field != "cursor" {
				t.Errorf("errors %+v, want cursor", pr.Errors)
			}
		})
		t.Run("CursorOfAnotherSortIs400", func(t *testing.T) {
			next := getContacts(t, e, tok, url.Values{"sort": {"name"}, "limit": {"2"}}).NextCursor
			if next == nil {
				t.Fatal("no next_cursor")
			}
			expectProblem(t, e.Get(tok, "/contacts?"+url.Values{"sort": {"created_at"}, "cursor": {*next}}.Encode()),
				http.StatusBadRequest, "validation")
		})
		t.Run("GarbageCursorIs400", func(t *testing.T) {
			forged := base64.RawURLEncoding.EncodeToString([]byte(`{"o":"contacts:name","k":"payet","i":"'; DROP TABLE contacts; --"}`))
			for _, cur := range []string{"garbage", "%%%", forged, base64.RawURLEncoding.EncodeToString([]byte("[]"))} {
				expectProblem(t, e.Get(tok, "/contacts?"+url.Values{"cursor": {cur}}.Encode()), http.StatusBadRequest, "validation")
			}
			if n := countContacts(t, e); n != len(created) {
				t.Errorf("%d contacts, want %d", n, len(created))
			}
		})
		t.Run("LimitOutOfRangeIs400", func(t *testing.T) {
			for _, limit := range []string{"0", "-1", "201", "500"} {
				p := expectProblem(t, e.Get(tok, "/contacts?limit="+limit), http.StatusBadRequest, "validation")
				if len(p.Errors) == 0 || !strings.Contains(p.Errors[0].Field, "limit") {
					t.Errorf("limit=%s: errors %+v, want limit", limit, p.Errors)
				}
			}
			e.Get(tok, "/contacts?limit=200").Expect(t, http.StatusOK)
		})
	})
}

// TestContactPaginationStableUnderConcurrentInserts walks pages while
// contacts are inserted before and after the cursor: the contacts that
// existed before the walk each appear exactly once.
func TestContactPaginationStableUnderConcurrentInserts(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, tok := e.Agent("mloubet", "agent")
		existing := map[string]bool{}
		for i := range 60 {
			c := postContact(t, e, tok, map[string]any{"first_name": fmt.Sprintf("Client %02d", i),
				"last_name": paginationNames[i%len(paginationNames)], "individual": true})
			existing[c.ID] = true
		}
		for _, sort := range []string{"name", "created_at"} {
			t.Run("By_"+sort, func(t *testing.T) {
				inserted := insertConcurrently(t, e, tok, sort, 4, 15)
				seen := map[string]int{}
				q := url.Values{"sort": {sort}, "limit": {"7"}}
				for pages := 0; ; pages++ {
					if pages > 100 {
						t.Fatal("no last page after 100 pages")
					}
					p := getContacts(t, e, tok, q)
					for _, c := range p.Items {
						seen[c.ID]++
					}
					// Let some inserts land between this page and the next.
					for range 7 {
						<-inserted
					}
					if p.NextCursor == nil {
						break
					}
					q.Set("cursor", *p.NextCursor)
				}
				for range inserted {
				}
				for id := range existing {
					if seen[id] != 1 {
						t.Errorf("contact %s seen %d times, want once", id, seen[id])
					}
				}
				for id, n := range seen {
					if n > 1 {
						t.Errorf("contact %s repeated %d times", id, n)
					}
				}
			})
		}
	})
}

// insertConcurrently starts workers that each create n contacts spread
// over the alphabet, and returns a channel that gets a value per insert and
// is closed when all are done (or that stays closed once drained).
func insertConcurrently(t *testing.T, e *apitest.Env, tok, tag string, workers, n int) <-chan struct{} {
	done := make(chan struct{}, workers*n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range n {
				r := e.Do(apitest.Req{Method: http.MethodPost, Path: "/contacts", Token: tok, Body: map[string]any{
					"first_name": fmt.Sprintf("Nouveau %s %d-%02d", tag, w, i),
					"last_name":  paginationNames[(w*n+i)%len(paginationNames)], "individual": true}})
				if r.Status != http.StatusCreated {
					t.Errorf("concurrent insert: %d %s", r.Status, r.Body)
				}
				done <- struct{}{}
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	t.Cleanup(wg.Wait)
	return done
}

func TestContactAudit(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		agentID, tok := e.Agent("mloubet", "agent")
		adminID := fmt.Sprint(e.Get(e.Admin, "/me").Expect(t, http.StatusOK).Map(t)["agent"].(map[string]any)["id"])
		etude := postOrganisation(t, e, tok, map[string]any{"name": "Étude de Maître Grondin, notaire"})
		c := postContact(t, e, tok, map[string]any{"first_name": "Paul", "last_name": "HOARAU", "job_title": "Clerc de notaire",
			"organisation_id": etude.ID})
		e.Patch(tok, "/contacts/"+c.ID, `"1"`, map[string]any{"job_title": "Notaire"}).Expect(t, http.StatusOK)
		e.Delete(tok, "/contacts/"+c.ID, `"2"`).Expect(t, http.StatusNoContent)

		audit := func(t *testing.T, q url.Values) []auditEvent {
			t.Helper()
			var p auditPage
			e.Get(e.Admin, "/audit-events?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
			return p.Items
		}
		t.Run("CreateUpdateDeleteNewestFirst", func(t *testing.T) {
			events := audit(t, url.Values{"entity_id": {c.ID}})
			var actions []string
			for _, ev := range events {
				actions = append(actions, ev.Action)
				if ev.ActorID == nil || *ev.ActorID != agentID {
					t.Errorf("%s: actor %v, want %s", ev.Action, ev.ActorID, agentID)
				}
				if ev.EntityType != "contact" || ev.EntityID == nil || *ev.EntityID != c.ID {
					t.Errorf("%s: entity %s %v", ev.Action, ev.EntityType, ev.EntityID)
				}
			}
			if !slices.Equal(actions, []string{"delete", "update", "create"}) {
				t.Fatalf("actions %q, want delete, update, create", actions)
			}
			del, upd, cre := events[0], events[1], events[2]
			if cre.Before != nil || cre.After["last_name"] != "HOARAU" || cre.After["job_title"] != "Clerc de notaire" {
				t.Errorf("create: before %v, after %v", cre.Before, cre.After)
			}
			if upd.Before["job_title"] != "Clerc de notaire" || upd.After["job_title"] != "Notaire" {
				t.Errorf("update: before %v, after %v", upd.Before, upd.After)
			}
			if del.After != nil || del.Before["job_title"] != "Notaire" || del.Before["last_name"] != "HOARAU" {
				t.Errorf("delete: before %v, after %v", del.Before, del.After)
			}
		})
		t.Run("FilterByAction", func(t *testing.T) {
			events := audit(t, url.Values{"entity_id": {c.ID}, "action": {"update"}})
			if len(events) != 1 || events[0].Action != "update" {
				t.Errorf("action=update gives %+v", events)
			}
			for _, ev := range audit(t, url.Values{"action": {"create"}, "limit": {"200"}}) {
				if ev.Action != "create" {
					t.Errorf("action=create gives a %s", ev.Action)
				}
			}
		})
		t.Run("FilterByActor", func(t *testing.T) {
			events := audit(t, url.Values{"actor_id": {agentID}, "limit": {"200"}})
			var contactEvents int
			for _, ev := range events {
				if ev.ActorID == nil || *ev.ActorID != agentID {
					t.Errorf("actor_id filter gives an event by %v", ev.ActorID)
				}
				if ev.EntityType == "contact" {
					contactEvents++
				}
			}
			if contactEvents != 3 {
				t.Errorf("%d contact events by the agent, want 3", contactEvents)
			}
			if got := audit(t, url.Values{"actor_id": {adminID}, "entity_id": {c.ID}}); len(got) != 0 {
				t.Errorf("admin's events on the contact: %+v, want none", got)
			}
		})
		t.Run("PlainAgentIsForbidden", func(t *testing.T) {
			expectProblem(t, e.Get(tok, "/audit-events"), http.StatusForbidden, "forbidden")
			expectProblem(t, e.Get(tok, "/audit-events?entity_id="+c.ID), http.StatusForbidden, "forbidden")
		})
	})
}

// TestAuditNeverHoldsSecrets scans the whole trail after the writes that
// handle secrets: passwords, API token secrets, refresh tokens.
func TestAuditNeverHoldsSecrets(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		const password, newPassword = "Flamboyants-Syndic-974!", "Maître-Grondin-Notaire-2026"
		r := e.Post(e.Admin, "/agents", map[string]any{"username": "jpayet", "display_name": "Jessica Payet",
			"email": "j.payet@example.fr", "roles": []string{"agent"}, "password": password}).Expect(t, http.StatusCreated)
		agentID := fmt.Sprint(r.Map(t)["id"])
		tokens := e.Login("jpayet", password)
		tokenID, secret := e.APIToken(tokens.AccessToken, "contacts:read", "contacts:write")
		if !strings.HasPrefix(secret, "gch_") {
			t.Fatalf("secret %q has no gch_ prefix", secret)
		}
		postContact(t, e, secret, map[string]any{"last_name": "LOUBET", "individual": true})
		e.Post(tokens.AccessToken, "/me/password", map[string]any{"current_password": password, "new_password": newPassword}).
			Expect(t, http.StatusNoContent)
		e.Delete(e.Admin, "/api-tokens/"+tokenID, "").Expect(t, http.StatusNoContent)
		e.Patch(e.Admin, "/agents/"+agentID, `"1"`, map[string]any{"password": newPassword + "-reset"}).Expect(t, http.StatusOK)

		secrets := []string{password, newPassword, newPassword + "-reset", apitest.AdminPassword, secret,
			strings.TrimPrefix(secret, "gch_"), tokens.RefreshToken, tokens.AccessToken}
		kinds := map[string]bool{}
		q := url.Values{"limit": {"200"}}
		for {
			r := e.Get(e.Admin, "/audit-events?"+q.Encode()).Expect(t, http.StatusOK)
			for _, s := range secrets {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("the audit trail holds the secret %q", s)
				}
			}
			var p auditPage
			r.JSON(t, &p)
			for _, ev := range p.Items {
				kinds[ev.EntityType+":"+ev.Action] = true
			}
			if p.NextCursor == nil {
				break
			}
			q.Set("cursor", *p.NextCursor)
		}
		for _, k := range []string{"agent:create", "agent:update", "agent:password_change", "api_token:create", "api_token:revoke", "session:login", "contact:create"} {
			if !kinds[k] {
				t.Errorf("no %s event in the trail; scanned %v", k, kinds)
			}
		}
	})
}

// A contact or an organisation that the records refer to is kept as their
// history: deleting it is a conflict, never a 500, and nothing changes.
func TestDeletingAReferencedContactIsAConflict(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		org := postOrganisation(t, env, p.agent, map[string]any{"name": "Résidence Les Flamboyants"})
		createTicket(t, env, p.agent, map[string]any{"subject": "Charges", "channel": "phone", "category": "other",
			"contact_id": p.contactID, "organisation_id": org.ID})
		expectProblem(t, env.Delete(p.agent, "/contacts/"+p.contactID, `"1"`), http.StatusConflict, "conflict")
		expectProblem(t, env.Delete(p.agent, "/organisations/"+org.ID, `"1"`), http.StatusConflict, "conflict")
		env.Get(p.agent, "/contacts/"+p.contactID).Expect(t, http.StatusOK)
		env.Get(p.agent, "/organisations/"+org.ID).Expect(t, http.StatusOK)
	})
}
