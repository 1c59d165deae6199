package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

func merge(env *apitest.Env, token string, tk ticket, into string) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + tk.ID + "/merge", Token: token,
		Body: map[string]any{"into": into}, Headers: map[string]string{"If-Match": tk.etag()}})
}

func split(env *apitest.Env, token string, tk ticket, body map[string]any) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPost, Path: "/tickets/" + tk.ID + "/split", Token: token,
		Body: body, Headers: map[string]string{"If-Match": tk.etag()}})
}

func TestMergeAndSplit(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("MergeMovesTimelineLinksAndClocksToTheSurvivor", func(t *testing.T) {
			survivor := newBug(t, env, p, "Export FEC en erreur")
			dup := newBug(t, env, p, "Export FEC (relance du client)")
			related := newBug(t, env, p, "Autre sujet")
			env.Post(p.agent, "/tickets/"+dup.ID+"/notes", map[string]any{"body": "Le client relance."}).Expect(t, http.StatusCreated)
			// The same scan on both, and one only on the duplicate.
			uploadMultipart(env, p.agent, survivor.ID, "courrier.pdf", scan(4096), "").Expect(t, http.StatusCreated)
			uploadMultipart(env, p.agent, dup.ID, "courrier-copie.pdf", scan(4096), "").Expect(t, http.StatusCreated)
			uploadMultipart(env, p.agent, dup.ID, "annexe.pdf", scan(5000), "").Expect(t, http.StatusCreated)
			tmp := createTicket(t, env, p.agent, map[string]any{"subject": "Lien", "channel": "phone", "category": "other", "links": []map[string]any{{"ticket_id": dup.Number}}})
			dup = getTicket(t, env, p.agent, dup.ID)

			merge(env, p.agent, dup, dup.Number).Expect(t, http.StatusUnprocessableEntity)
			stale := dup
			stale.Version++
			merge(env, p.agent, stale, survivor.Number).Expect(t, http.StatusPreconditionFailed)
			var out ticket
			merge(env, p.agent, dup, survivor.Number).Expect(t, http.StatusOK).JSON(t, &out)
			if out.ID != survivor.ID {
				t.Fatalf("merge answers %s, want the survivor", out.Number)
			}
			relations := map[string]string{}
			for _, l := range out.Links {
				relations[l.Number] = l.Relation
			}
			if relations[dup.Number] != "merged_from" || relations[tmp.Number] != "related" {
				t.Fatalf("survivor links %v", relations)
			}
			merged := getTicket(t, env, p.agent, dup.ID)
			if merged.Status != "closed" || len(merged.Clocks) != 0 {
				t.Fatalf("merged ticket: %s, %d clocks", merged.Status, len(merged.Clocks))
			}
			var raw map[string]any
			env.Get(p.agent, "/tickets/"+dup.ID).JSON(t, &raw)
			if raw["merged_into_id"] != survivor.ID {
				t.Fatalf("merged_into_id %v", raw["merged_into_id"])
			}
			full := getTicket(t, env, p.agent, survivor.ID)
			if len(full.Clocks) != 2 {
				t.Fatalf("survivor clocks %d, want its own and the merged one's", len(full.Clocks))
			}
			var atts struct {
				Items []attachment `json:"items"`
			}
			env.Get(p.agent, "/tickets/"+survivor.ID+"/attachments").Expect(t, http.StatusOK).JSON(t, &atts)
			if len(atts.Items) != 2 {
				t.Fatalf("survivor attachments %+v, want its scan once and the annex", atts.Items)
			}
			for _, a := range atts.Items {
				if resp := download(t, env, p.agent, survivor.ID, a.ID); resp.StatusCode != http.StatusOK {
					t.Fatalf("download %s after merge: %d", a.Filename, resp.StatusCode)
				}
			}
			bodies := []string{}
			for _, e := range timeline(t, env, p.agent, survivor.ID) {
				bodies = append(bodies, e.Body)
			}
			if !slices.Contains(bodies, "Le client relance.") {
				t.Fatalf("the merged timeline did not move: %v", bodies)
			}
			merge(env, p.agent, merged, related.Number).Expect(t, http.StatusConflict)
		})
		t.Run("SplitOpensATicketForTheSecondSubject", func(t *testing.T) {
			mixed := createTicket(t, env, p.agent, map[string]any{"subject": "Export FEC et duplicata de facture", "channel": "email",
				"category": "bug_report", "contact_id": p.contactID, "file_reference": "DOS-2026-0099", "received_at": "2026-11-20T10:00:00+01:00"})
			var msg timelineEvent
			var msgID struct {
				ID string `json:"id"`
			}
			r := env.Post(p.agent, "/tickets/"+mixed.ID+"/messages", map[string]any{"channel": "email", "body": "Et il me faut un duplicata de la facture 42."}).Expect(t, http.StatusCreated)
			r.JSON(t, &msg)
			r.JSON(t, &msgID)
			mixed = getTicket(t, env, p.agent, mixed.ID)
			split(env, p.agent, mixed, map[string]any{"subject": "x", "category": "accounting_question", "event_ids": []string{"0193b2f0-7c1e-7a00-9000-000000000999"}}).Expect(t, http.StatusUnprocessableEntity)
			var created ticket
			split(env, p.agent, mixed, map[string]any{"subject": "Duplicata de la facture 42", "category": "accounting_question",
				"event_ids": []string{msgID.ID}}).Expect(t, http.StatusCreated).JSON(t, &created)
			if created.Category != "accounting_question" || created.ContactID == nil || *created.ContactID != p.contactID ||
				created.FileReference != "DOS-2026-0099" || created.DueAt == nil || created.Number == mixed.Number {
				t.Fatalf("split ticket %+v", created)
			}
			if len(created.Links) != 1 || created.Links[0].Relation != "split_from" || created.Links[0].Number != mixed.Number {
				t.Fatalf("split links %+v", created.Links)
			}
			moved := false
			for _, e := range timeline(t, env, p.agent, created.ID) {
				moved = moved || e.Body == "Et il me faut un duplicata de la facture 42."
			}
			for _, e := range timeline(t, env, p.agent, mixed.ID) {
				if e.Body == "Et il me faut un duplicata de la facture 42." {
					t.Fatal("the moved message is still on the first ticket")
				}
			}
			if !moved {
				t.Fatal("the message did not move to the new ticket")
			}
		})
	})
}
