package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// intervenant is the JSON of an intervenant.
type intervenant struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Structure        string  `json:"structure"`
	Kind             string  `json:"kind"`
	Category         string  `json:"category"`
	PreferredChannel string  `json:"preferred_channel"`
	Email            string  `json:"email"`
	Phone            string  `json:"phone"`
	Notes            *string `json:"notes"`
	Agreement        struct {
		Status    string  `json:"status"`
		DecidedBy *string `json:"decided_by"`
		DecidedAt *string `json:"decided_at"`
		Reason    string  `json:"reason"`
	} `json:"agreement"`
	Version int `json:"version"`
}

func (v intervenant) etag() string { return fmt.Sprintf(`"%d"`, v.Version) }

type intervenantPage struct {
	Items      []intervenant `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func postIntervenant(t *testing.T, env *apitest.Env, token string, body map[string]any) intervenant {
	t.Helper()
	var v intervenant
	env.Post(token, "/intervenants", body).Expect(t, http.StatusCreated).JSON(t, &v)
	return v
}

func listIntervenants(t *testing.T, env *apitest.Env, token string, q url.Values) []intervenant {
	t.Helper()
	var p intervenantPage
	env.Get(token, "/intervenants?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &p)
	return p.Items
}

func intervenantNames(vs []intervenant) []string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	return names
}

func decideAgreement(env *apitest.Env, token, id, decision, reason string) *apitest.Response {
	body := map[string]any{"decision": decision}
	if reason != "" {
		body["reason"] = reason
	}
	return env.Post(token, "/intervenants/"+id+"/approval", body)
}

// approvedArtisan registers an artisan and has the manager approve it.
func approvedArtisan(t *testing.T, env *apitest.Env, p people, name string) intervenant {
	t.Helper()
	v := postIntervenant(t, env, p.agent, map[string]any{"name": name, "kind": "artisan"})
	decideAgreement(env, p.manager, v.ID, "approve", "Devis et assurance décennale vérifiés").Expect(t, http.StatusOK).JSON(t, &v)
	return v
}

// auditActions returns the actions of the audit trail of one entity.
func auditActions(t *testing.T, env *apitest.Env, entityID string) []string {
	t.Helper()
	var page auditPage
	env.Get(env.Admin, "/audit-events?entity_id="+entityID).Expect(t, http.StatusOK).JSON(t, &page)
	var out []string
	for _, e := range page.Items {
		out = append(out, e.EntityType+":"+e.Action)
	}
	return out
}

func TestIntervenants(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("CRUDWithNormalisedReachAndETags", func(t *testing.T) { intervenantCRUD(t, env, p) })
		t.Run("SearchLikeContactsWithFiltersAndPages", func(t *testing.T) { intervenantSearch(t, env, p) })
		t.Run("KindAndCategoryMustMatch", func(t *testing.T) { kindCategoryMismatch(t, env, p) })
		t.Run("AgreementByAManagerOnlyOnce", func(t *testing.T) { agreement(t, env, p) })
		t.Run("RolesAndScopes", func(t *testing.T) { intervenantRights(t, env, p) })
	})
}

func intervenantCRUD(t *testing.T, env *apitest.Env, p people) {
	r := env.Post(p.agent, "/intervenants", map[string]any{"name": "Maître Paul DUPRÉ", "structure": "Étude Maître DUPRÉ",
		"kind": "huissier", "email": "Etude.Dupre@Example.FR", "phone": "0262 99 88 77"}).Expect(t, http.StatusCreated)
	var v intervenant
	r.JSON(t, &v)
	if v.Category != "administrative_legal" || v.PreferredChannel != "letter" || v.Agreement.Status != "not_required" ||
		v.Email != "etude.dupre@example.fr" || v.Phone != "+262262998877" || v.Version != 1 {
		t.Fatalf("created %+v", v)
	}
	if r.Header.Get("Location") != "/intervenants/"+v.ID || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("headers %v", r.Header)
	}
	artisan := postIntervenant(t, env, p.agent, map[string]any{"name": "Plomberie Martin", "kind": "artisan"})
	pub := postIntervenant(t, env, p.agent, map[string]any{"name": "Régie Océan", "kind": "publicite"})
	if artisan.Category != "technical" || artisan.PreferredChannel != "redmine" || artisan.Agreement.Status != "pending" ||
		pub.Category != "commercial" || pub.PreferredChannel != "email" || pub.Agreement.Status != "not_required" {
		t.Fatalf("defaults: %+v %+v", artisan, pub)
	}
	path := "/intervenants/" + v.ID
	env.Patch(p.agent, path, "", map[string]any{"notes": "x"}).Expect(t, http.StatusPreconditionRequired)
	env.Patch(p.agent, path, `"7"`, map[string]any{"notes": "x"}).Expect(t, http.StatusPreconditionFailed)
	var up intervenant
	env.Patch(p.agent, path, v.etag(), map[string]any{"notes": "Actes le mardi.", "email": nil, "preferred_channel": "email"}).
		Expect(t, http.StatusOK).JSON(t, &up)
	if up.Version != 2 || up.Notes == nil || *up.Notes != "Actes le mardi." || up.Email != "" || up.PreferredChannel != "email" {
		t.Fatalf("updated %+v", up)
	}
	// A publicity agency that becomes an expert is technical: it now waits
	// for the direction's agreement.
	var moved intervenant
	env.Patch(p.agent, "/intervenants/"+pub.ID, pub.etag(), map[string]any{"kind": "expert"}).Expect(t, http.StatusOK).JSON(t, &moved)
	if moved.Category != "technical" || moved.Agreement.Status != "pending" {
		t.Fatalf("publicité → expert: %+v", moved)
	}
	env.Delete(p.agent, path, "").Expect(t, http.StatusPreconditionRequired)
	env.Delete(p.agent, path, up.etag()).Expect(t, http.StatusNoContent)
	expectProblem(t, env.Get(p.agent, path), http.StatusNotFound, "not-found")
	if got := auditActions(t, env, v.ID); !slices.Equal(got, []string{"intervenant:delete", "intervenant:update", "intervenant:create"}) {
		t.Fatalf("audit %v", got)
	}
}

func intervenantSearch(t *testing.T, env *apitest.Env, p people) {
	dupre := postIntervenant(t, env, p.agent, map[string]any{"name": "Étude Maître DUPRÉ", "kind": "notaire", "phone": "0262 41 22 33"})
	postIntervenant(t, env, p.agent, map[string]any{"name": "Étude Durand", "kind": "notaire"})
	postIntervenant(t, env, p.agent, map[string]any{"name": "Menuiserie Dupré", "structure": "SARL Bois Créole", "kind": "artisan"})
	postIntervenant(t, env, p.agent, map[string]any{"name": "Cabinet Confraternel", "kind": "confrere", "category": "commercial"})

	search := func(q url.Values) []string { return intervenantNames(listIntervenants(t, env, p.agent, q)) }
	if got := search(url.Values{"q": {"etude maitre dupré"}}); !slices.Equal(got, []string{"Étude Maître DUPRÉ"}) {
		t.Fatalf(`"etude maitre dupré" found %v`, got)
	}
	if got := search(url.Values{"q": {"DUPRE"}}); !slices.Equal(got, []string{"Étude Maître DUPRÉ", "Menuiserie Dupré"}) {
		t.Fatalf(`"DUPRE" found %v`, got)
	}
	if got := search(url.Values{"q": {"bois creole"}}); !slices.Equal(got, []string{"Menuiserie Dupré"}) {
		t.Fatalf("the structure is not searched: %v", got)
	}
	if got := search(url.Values{"q": {"0262 41"}}); !slices.Equal(got, []string{dupre.Name}) {
		t.Fatalf("the phone is not searched: %v", got)
	}
	if got := search(url.Values{"q": {"dupre"}, "category": {"technical"}}); !slices.Equal(got, []string{"Menuiserie Dupré"}) {
		t.Fatalf("category filter %v", got)
	}
	if got := search(url.Values{"kind": {"notaire"}}); !slices.Equal(got, []string{"Étude Durand", "Étude Maître DUPRÉ"}) {
		t.Fatalf("kind filter %v", got)
	}
	if got := search(url.Values{"agreement_status": {"pending"}, "q": {"menuiserie"}}); !slices.Equal(got, []string{"Menuiserie Dupré"}) {
		t.Fatalf("agreement filter %v", got)
	}
	if got := search(url.Values{"kind": {"confrere"}}); !slices.Equal(got, []string{"Cabinet Confraternel"}) {
		t.Fatalf("confrère %v", got)
	}
	for _, sort := range []string{"name", "created_at"} {
		var all []string
		q := url.Values{"limit": {"1"}, "sort": {sort}}
		for range 100 {
			var page intervenantPage
			env.Get(p.agent, "/intervenants?"+q.Encode()).Expect(t, http.StatusOK).JSON(t, &page)
			all = append(all, intervenantNames(page.Items)...)
			if page.NextCursor == nil {
				break
			}
			q.Set("cursor", *page.NextCursor)
		}
		if len(all) != len(search(url.Values{"limit": {"200"}})) || len(slices.Compact(slices.Sorted(slices.Values(all)))) != len(all) {
			t.Fatalf("sort %s walked %v", sort, all)
		}
	}
	env.Get(p.agent, "/intervenants?kind=plombier").Expect(t, http.StatusBadRequest)
}

func kindCategoryMismatch(t *testing.T, env *apitest.Env, p people) {
	before := len(listIntervenants(t, env, p.agent, url.Values{"limit": {"200"}}))
	for _, body := range []map[string]any{
		{"name": "Plombier", "kind": "artisan", "category": "administrative_legal"},
		{"name": "Huissier", "kind": "huissier", "category": "technical"},
		{"name": "Pub", "kind": "publicite", "category": "administrative_legal"},
	} {
		problem := expectProblem(t, env.Post(p.agent, "/intervenants", body), http.StatusUnprocessableEntity, "invalid")
		if !slices.Equal(fieldsOf(problem), []string{"category"}) || !strings.Contains(problem.Detail, "belongs to") {
			t.Fatalf("%v: %+v", body, problem)
		}
	}
	v := postIntervenant(t, env, p.agent, map[string]any{"name": "Maître Avocat", "kind": "avocat"})
	expectProblem(t, env.Patch(p.agent, "/intervenants/"+v.ID, v.etag(), map[string]any{"category": "commercial"}), http.StatusUnprocessableEntity, "invalid")
	if after := len(listIntervenants(t, env, p.agent, url.Values{"limit": {"200"}})); after != before+1 {
		t.Fatalf("%d intervenants after the refusals, want %d", after, before+1)
	}
	var same intervenant
	env.Get(p.agent, "/intervenants/"+v.ID).Expect(t, http.StatusOK).JSON(t, &same)
	if same.Version != 1 || same.Category != "administrative_legal" {
		t.Fatalf("a refused update changed %+v", same)
	}
}

// "Une fois l'agrément de l'artisan validé par la Direction": a manager
// decides, once, and a rejection says why.
func agreement(t *testing.T, env *apitest.Env, p people) {
	v := postIntervenant(t, env, p.agent, map[string]any{"name": "Toiture Express", "kind": "artisan"})
	expectProblem(t, decideAgreement(env, p.supervisor, v.ID, "approve", ""), http.StatusForbidden, "forbidden")
	expectProblem(t, decideAgreement(env, p.agent, v.ID, "reject", "non"), http.StatusForbidden, "forbidden")
	problem := expectProblem(t, decideAgreement(env, p.manager, v.ID, "reject", "  "), http.StatusUnprocessableEntity, "invalid")
	if !slices.Equal(fieldsOf(problem), []string{"reason"}) {
		t.Fatalf("reject without a reason: %+v", problem)
	}
	var rejected intervenant
	decideAgreement(env, p.manager, v.ID, "reject", "Pas d'attestation décennale").Expect(t, http.StatusOK).JSON(t, &rejected)
	if a := rejected.Agreement; a.Status != "rejected" || a.DecidedBy == nil || *a.DecidedBy != p.managerID || a.DecidedAt == nil ||
		a.Reason != "Pas d'attestation décennale" || rejected.Version != 2 {
		t.Fatalf("rejected %+v", rejected)
	}
	expectProblem(t, decideAgreement(env, p.manager, v.ID, "approve", ""), http.StatusConflict, "conflict")
	expectProblem(t, decideAgreement(env, p.manager, v.ID, "reject", "encore"), http.StatusConflict, "conflict")
	notaire := postIntervenant(t, env, p.agent, map[string]any{"name": "Maître Notaire", "kind": "notaire"})
	expectProblem(t, decideAgreement(env, p.manager, notaire.ID, "approve", ""), http.StatusConflict, "conflict")

	ok := approvedArtisan(t, env, p, "Électricité Payet")
	if ok.Agreement.Status != "approved" || ok.Agreement.Reason != "Devis et assurance décennale vérifiés" {
		t.Fatalf("approved %+v", ok)
	}
	var page auditPage
	env.Get(env.Admin, "/audit-events?entity_type=intervenant&entity_id="+v.ID+"&action=reject").Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ActorID == nil || *page.Items[0].ActorID != p.managerID ||
		page.Items[0].Before["agreement"].(map[string]any)["status"] != "pending" || page.Items[0].After["agreement"].(map[string]any)["status"] != "rejected" {
		t.Fatalf("reject audit %+v", page.Items)
	}
	if got := auditActions(t, env, ok.ID); !slices.Equal(got, []string{"intervenant:approve", "intervenant:create"}) {
		t.Fatalf("approve audit %v", got)
	}
}

func intervenantRights(t *testing.T, env *apitest.Env, p people) {
	expectProblem(t, env.Post(p.developer, "/intervenants", map[string]any{"name": "X", "kind": "expert"}), http.StatusForbidden, "forbidden")
	_, contactsOnly := env.APIToken(p.agent, "contacts:read")
	expectProblem(t, env.Get(contactsOnly, "/intervenants"), http.StatusForbidden, "forbidden")
	_, reader := env.APIToken(p.agent, "intervenants:read")
	env.Get(reader, "/intervenants").Expect(t, http.StatusOK)
	expectProblem(t, env.Post(reader, "/intervenants", map[string]any{"name": "X", "kind": "expert"}), http.StatusForbidden, "forbidden")
}
