package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// mandate is the JSON of a mandate.
type mandate struct {
	ID             string   `json:"id"`
	IntervenantID  string   `json:"intervenant_id"`
	ContactID      *string  `json:"contact_id"`
	OrganisationID *string  `json:"organisation_id"`
	Direction      string   `json:"direction"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     *string  `json:"valid_until"`
	Scope          []string `json:"scope"`
	Status         string   `json:"status"`
	RevokedAt      *string  `json:"revoked_at"`
	Document       *struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
	} `json:"document"`
	Version int `json:"version"`
}

func (m mandate) etag() string { return fmt.Sprintf(`"%d"`, m.Version) }

// clients are the registered and unregistered clients mandates refer to.
type clients struct {
	orgID, orgContactID string // a registered organisation and one of its contacts
	individualID        string // a registered private person
	unregisteredID      string // a contact who is not a client
}

func newClients(t *testing.T, env *apitest.Env, token string) clients {
	t.Helper()
	var c clients
	c.orgID = postOrganisation(t, env, token, map[string]any{"name": "Résidence Les Flamboyants", "registered_client": true}).ID
	c.orgContactID = postContact(t, env, token, map[string]any{"first_name": "Jean", "last_name": "HOAREAU", "organisation_id": c.orgID}).ID
	c.individualID = postContact(t, env, token, map[string]any{"first_name": "Marie", "last_name": "PAYET", "individual": true, "registered_client": true}).ID
	c.unregisteredID = postContact(t, env, token, map[string]any{"first_name": "Paul", "last_name": "INCONNU", "individual": true}).ID
	return c
}

// day is the Paris civil day n days from the server's now.
func day(t *testing.T, env *apitest.Env, n int) string {
	return env.Clock.Now().In(paris(t)).AddDate(0, 0, n).Format(time.DateOnly)
}

func postMandate(t *testing.T, env *apitest.Env, token, intervenantID string, body map[string]any) mandate {
	t.Helper()
	var m mandate
	env.Post(token, "/intervenants/"+intervenantID+"/mandates", body).Expect(t, http.StatusCreated).JSON(t, &m)
	return m
}

func putDocument(env *apitest.Env, token, mandateID string, body []byte, contentType, query string) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPut, Path: "/mandates/" + mandateID + "/document" + query, Token: token,
		Body: body, Headers: map[string]string{"Content-Type": contentType}})
}

func TestMandates(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		c := newClients(t, env, p.agent)
		comptable := postIntervenant(t, env, p.agent, map[string]any{"name": "Cabinet Fidal", "kind": "comptable"})
		t.Run("BadInputRefusedAndNothingWritten", func(t *testing.T) { badMandates(t, env, p, c, comptable) })
		t.Run("CreateReadListAudited", func(t *testing.T) { mandateLifecycle(t, env, p, c, comptable) })
		t.Run("DocumentUploadedStreamedAndDownloaded", func(t *testing.T) { mandateDocument(t, env, p, c, comptable) })
		t.Run("RevokedByDeleteOrByAnEndInThePast", func(t *testing.T) { mandateRevocation(t, env, p, c, comptable) })
	})
}

func badMandates(t *testing.T, env *apitest.Env, p people, c clients, iv intervenant) {
	path := "/intervenants/" + iv.ID + "/mandates"
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
		detail string
	}{
		{"EndsBeforeItStarts", map[string]any{"organisation_id": c.orgID, "direction": "for_client", "valid_from": day(t, env, 0),
			"valid_until": day(t, env, -1), "scope": []string{"accounting_question"}}, 422, "valid_until", "before it starts"},
		{"UnregisteredClient", map[string]any{"contact_id": c.unregisteredID, "direction": "by_client", "valid_from": day(t, env, 0),
			"scope": []string{"accounting_question"}}, 422, "contact_id", "client enregistré"},
		{"ContactOfARegisteredOrganisationIsNotItself", map[string]any{"contact_id": c.orgContactID, "direction": "by_client",
			"valid_from": day(t, env, 0), "scope": []string{"accounting_question"}}, 422, "contact_id", "not a registered client"},
		{"NoClient", map[string]any{"direction": "by_client", "valid_from": day(t, env, 0), "scope": []string{"other"}}, 422, "contact_id", ""},
		{"TwoClients", map[string]any{"contact_id": c.individualID, "organisation_id": c.orgID, "direction": "by_client",
			"valid_from": day(t, env, 0), "scope": []string{"other"}}, 422, "contact_id", ""},
		{"UnknownCategory", map[string]any{"organisation_id": c.orgID, "direction": "for_client", "valid_from": day(t, env, 0),
			"scope": []string{"accounting_question", "gossip"}}, 422, "scope", "gossip"},
		{"EmptyScope", map[string]any{"organisation_id": c.orgID, "direction": "for_client", "valid_from": day(t, env, 0),
			"scope": []string{}}, 422, "scope", ""},
		{"UnknownClient", map[string]any{"organisation_id": "0193b2f0-7c1e-7a00-9000-0000000000c9", "direction": "for_client",
			"valid_from": day(t, env, 0), "scope": []string{"other"}}, 422, "organisation_id", ""},
		{"BadDirection", map[string]any{"organisation_id": c.orgID, "direction": "sideways", "valid_from": day(t, env, 0),
			"scope": []string{"other"}}, 400, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Post(p.agent, path, tc.body).Expect(t, tc.status)
			problem := r.Problem(t)
			if tc.field != "" && !slices.Equal(fieldsOf(problem), []string{tc.field}) || !strings.Contains(problem.Detail, tc.detail) {
				t.Fatalf("problem %+v, want field %s and %q", problem, tc.field, tc.detail)
			}
		})
	}
	expectProblem(t, env.Post(p.agent, "/intervenants/0193b2f0-7c1e-7a00-9000-000000000599/mandates", cases[1].body), http.StatusNotFound, "not-found")
	var page struct {
		Items []mandate `json:"items"`
	}
	env.Get(p.agent, path).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("refused mandates were written: %+v", page.Items)
	}
}

func mandateLifecycle(t *testing.T, env *apitest.Env, p people, c clients, iv intervenant) {
	r := env.Post(p.agent, "/intervenants/"+iv.ID+"/mandates", map[string]any{"organisation_id": c.orgID, "direction": "for_client",
		"valid_from": day(t, env, -30), "valid_until": day(t, env, 335), "scope": []string{"accounting_question", "routine_request", "accounting_question"}}).
		Expect(t, http.StatusCreated)
	var m mandate
	r.JSON(t, &m)
	if r.Header.Get("Location") != "/mandates/"+m.ID || r.Header.Get("ETag") != `"1"` || m.Status != "valid" ||
		!slices.Equal(m.Scope, []string{"accounting_question", "routine_request"}) || m.ContactID != nil || *m.OrganisationID != c.orgID ||
		m.ValidFrom != day(t, env, -30) || *m.ValidUntil != day(t, env, 335) || m.Document != nil {
		t.Fatalf("created %+v, headers %v", m, r.Header)
	}
	future := postMandate(t, env, p.agent, iv.ID, map[string]any{"contact_id": c.individualID, "direction": "by_client",
		"valid_from": day(t, env, 10), "scope": []string{"other"}})
	if future.Status != "not_yet_valid" || future.ValidUntil != nil {
		t.Fatalf("future mandate %+v", future)
	}
	var page struct {
		Items []mandate `json:"items"`
	}
	env.Get(p.agent, "/intervenants/"+iv.ID+"/mandates?current=true").Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != m.ID {
		t.Fatalf("current mandates %+v", page.Items)
	}
	env.Get(p.agent, "/intervenants/"+iv.ID+"/mandates?current=false&contact_id="+c.individualID).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != future.ID {
		t.Fatalf("not current mandates %+v", page.Items)
	}
	var got mandate
	env.Get(p.agent, "/mandates/"+m.ID).Expect(t, http.StatusOK).JSON(t, &got)
	if got.ID != m.ID || got.Version != 1 {
		t.Fatalf("read %+v", got)
	}
	if a := auditActions(t, env, m.ID); !slices.Equal(a, []string{"mandate:create"}) {
		t.Fatalf("audit %v", a)
	}
}

func mandateDocument(t *testing.T, env *apitest.Env, p people, c clients, iv intervenant) {
	m := postMandate(t, env, p.agent, iv.ID, map[string]any{"contact_id": c.individualID, "direction": "by_client",
		"valid_from": day(t, env, 0), "scope": []string{"accounting_question"}})
	expectProblem(t, env.Get(p.agent, "/mandates/"+m.ID+"/document"), http.StatusNotFound, "not-found")

	content := scan(3 << 20) // over the 1 MiB JSON body limit: streamed
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", "mandat-signé.pdf")
	_, _ = part.Write(content)
	_ = w.Close()
	var up mandate
	putDocument(env, p.agent, m.ID, body.Bytes(), w.FormDataContentType(), "").Expect(t, http.StatusOK).JSON(t, &up)
	sum := sha256.Sum256(content)
	if d := up.Document; d == nil || d.Filename != "mandat-signé.pdf" || d.ContentType != "application/pdf" ||
		d.Size != int64(len(content)) || d.SHA256 != hex.EncodeToString(sum[:]) || up.Version != 2 {
		t.Fatalf("uploaded %+v", up)
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/mandates/"+m.ID+"/document", nil)
	req.Header.Set("Authorization", "Bearer "+p.agent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("ETag") != `"`+up.Document.SHA256+`"` {
		t.Fatalf("download: %d, %d bytes, %v", resp.StatusCode, len(got), resp.Header)
	}
	// A raw body replaces it; an empty one is refused and changes nothing.
	var raw mandate
	putDocument(env, p.agent, m.ID, []byte("Mandat de gestion, version texte."), "application/octet-stream", "?filename=mandat.txt").
		Expect(t, http.StatusOK).JSON(t, &raw)
	if raw.Document.Filename != "mandat.txt" || raw.Document.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("replaced %+v", raw.Document)
	}
	expectProblem(t, putDocument(env, p.agent, m.ID, nil, "application/octet-stream", "?filename=vide.pdf"), http.StatusUnprocessableEntity, "invalid")
	env.Get(p.agent, "/mandates/"+m.ID).Expect(t, http.StatusOK).JSON(t, &up)
	if up.Document.Filename != "mandat.txt" || up.Version != 3 {
		t.Fatalf("after a refused upload %+v", up)
	}
	if a := auditActions(t, env, m.ID); !slices.Equal(a, []string{"mandate:update", "mandate:update", "mandate:create"}) {
		t.Fatalf("audit %v", a)
	}
}

func mandateRevocation(t *testing.T, env *apitest.Env, p people, c clients, iv intervenant) {
	scope := []string{"routine_request"}
	m := postMandate(t, env, p.agent, iv.ID, map[string]any{"organisation_id": c.orgID, "direction": "for_client",
		"valid_from": day(t, env, -100), "scope": scope})
	var ended mandate
	env.Patch(p.agent, "/mandates/"+m.ID, m.etag(), map[string]any{"valid_until": day(t, env, -1)}).Expect(t, http.StatusOK).JSON(t, &ended)
	if ended.Status != "expired" || *ended.ValidUntil != day(t, env, -1) {
		t.Fatalf("ended %+v", ended)
	}
	expectProblem(t, env.Patch(p.agent, "/mandates/"+m.ID, ended.etag(), map[string]any{"valid_from": day(t, env, 0)}),
		http.StatusUnprocessableEntity, "invalid")
	var reopened mandate
	env.Patch(p.agent, "/mandates/"+m.ID, ended.etag(), map[string]any{"valid_until": nil, "scope": []string{"other", "routine_request"}}).
		Expect(t, http.StatusOK).JSON(t, &reopened)
	if reopened.Status != "valid" || reopened.ValidUntil != nil || len(reopened.Scope) != 2 {
		t.Fatalf("reopened %+v", reopened)
	}
	env.Delete(p.agent, "/mandates/"+m.ID, "").Expect(t, http.StatusPreconditionRequired)
	env.Delete(p.agent, "/mandates/"+m.ID, reopened.etag()).Expect(t, http.StatusNoContent)
	var revoked mandate
	env.Get(p.agent, "/mandates/"+m.ID).Expect(t, http.StatusOK).JSON(t, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil {
		t.Fatalf("revoked %+v", revoked)
	}
	expectProblem(t, env.Delete(p.agent, "/mandates/"+m.ID, revoked.etag()), http.StatusConflict, "conflict")
	expectProblem(t, env.Patch(p.agent, "/mandates/"+m.ID, revoked.etag(), map[string]any{"notes": "x"}), http.StatusConflict, "conflict")
	if a := auditActions(t, env, m.ID); !slices.Equal(a, []string{"mandate:revoke", "mandate:update", "mandate:revoke", "mandate:create"}) {
		t.Fatalf("audit %v", a)
	}
}
