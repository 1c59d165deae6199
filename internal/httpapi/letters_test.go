package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// TestRegisteredLetter walks a registered letter through the gérance
// lifecycle: "le courrier doit être traité, analysé, scanné dans la GED"
// and "en cas de réception d'une demande en recommandé, la réponse doit
// être envoyée en recommandée également".
func TestRegisteredLetter(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		existing := createTicket(t, env, p.agent, map[string]any{"subject": "Décompte de charges 2025", "channel": "email",
			"category": "accounting_question", "contact_id": p.contactID})

		before := countAll(t, env)
		expectProblem(t, env.Post(p.agent, "/letters", map[string]any{"registered": true, "contact_id": p.contactID}),
			http.StatusUnprocessableEntity, "invalid")
		expectProblem(t, env.Post(p.agent, "/letters", map[string]any{"contact_id": p.contactID,
			"tickets": []map[string]any{{"subject": "x", "category": "other"}}}), http.StatusBadRequest, "validation")
		if after := countAll(t, env); after != before {
			t.Fatalf("refused letters wrote: %+v then %+v", before, after)
		}

		letter := logEntry(t, env, p.agent, "letters", map[string]any{"registered": true, "tracking_number": "1A23456789012",
			"contact_id": p.contactID, "reason": "Contestation du décompte de charges"})
		path := "/letters/" + letter.ID
		if letter.Status != "received" || !letter.Registered || letter.TrackingNumber != "1A23456789012" {
			t.Fatalf("letter %+v", letter)
		}

		// The scan comes before anything else.
		process := map[string]any{"ticket_ids": []string{existing.ID},
			"tickets": []map[string]any{{"subject": "Demande de remboursement du trop-perçu", "category": "accounting_question", "file_reference": "DOS-2026-0042"}}}
		pr := expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/processing", letter.etag(), process), http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(pr.Detail, "scan first") {
			t.Fatalf("detail %q", pr.Detail)
		}
		expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", letter.etag(), nil), http.StatusUnprocessableEntity, "invalid")
		expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/archive", letter.etag(), nil), http.StatusUnprocessableEntity, "invalid")
		expectProblem(t, env.Get(p.agent, path+"/scan"), http.StatusNotFound, "not-found")
		expectProblem(t, env.Do(apitest.Req{Method: http.MethodPut, Path: path + "/scan?filename=c.pdf", Token: p.agent, Body: scan(100),
			Headers: map[string]string{"Content-Type": "application/octet-stream"}}), http.StatusPreconditionRequired, "precondition-required")
		expectProblem(t, putScan(env, p.agent, path, `"7"`, scan(100)), http.StatusPreconditionFailed, "stale")

		// Scanned: a first scan, replaced by a better one.
		var scanned interaction
		putScan(env, p.agent, path, letter.etag(), scan(2048)).Expect(t, http.StatusOK).JSON(t, &scanned)
		content := scan(3 << 20 / 2) // over the JSON body limit: streamed
		putScan(env, p.agent, path, scanned.etag(), content).Expect(t, http.StatusOK).JSON(t, &scanned)
		sum := sha256.Sum256(content)
		if scanned.Status != "scanned" || scanned.Scan == nil || scanned.Scan.SHA256 != hex.EncodeToString(sum[:]) ||
			scanned.Scan.ContentType != "application/pdf" || scanned.Version != 3 {
			t.Fatalf("scanned %+v", scanned)
		}
		got := env.Get(p.agent, path+"/scan").Expect(t, http.StatusOK)
		if !bytes.Equal(got.Body, content) || got.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("scan download: %d bytes, %v", len(got.Body), got.Header)
		}

		// Processed: a new ticket and an existing one, each with the scan.
		var processed interaction
		ifMatchDo(env, http.MethodPost, p.agent, path+"/processing", scanned.etag(), process).Expect(t, http.StatusOK).JSON(t, &processed)
		if processed.Status != "processed" || len(processed.Tickets) != 2 || processed.Tickets[0].Opened || !processed.Tickets[1].Opened {
			t.Fatalf("processed %+v", processed)
		}
		expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/processing", processed.etag(), process), http.StatusConflict, "conflict")
		expectProblem(t, putScan(env, p.agent, path, processed.etag(), scan(10)), http.StatusConflict, "conflict")
		for _, ref := range processed.Tickets {
			tk := getTicket(t, env, p.agent, ref.TicketID)
			if !tk.AwaitingRegisteredReply || tk.DueAt == nil {
				t.Fatalf("ticket %s does not await a registered reply: %+v", tk.Number, tk)
			}
			var list struct {
				Items []attachment `json:"items"`
			}
			env.Get(p.agent, "/tickets/"+tk.ID+"/attachments").Expect(t, http.StatusOK).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].SHA256 != scanned.Scan.SHA256 {
				t.Fatalf("ticket %s attachments %+v", tk.Number, list.Items)
			}
			resp := download(t, env, p.agent, tk.ID, list.Items[0].ID)
			if b, _ := io.ReadAll(resp.Body); !bytes.Equal(b, content) {
				t.Fatalf("ticket %s: the attached scan has %d bytes", tk.Number, len(b))
			}
		}
		opened := getTicket(t, env, p.agent, processed.Tickets[1].TicketID)
		if opened.Channel != "registered_letter" || opened.ContactID == nil || *opened.ContactID != p.contactID || opened.FileReference != "DOS-2026-0042" {
			t.Fatalf("opened ticket %+v", opened)
		}

		// Answered only once every ticket has its registered reply.
		pr = expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", processed.etag(), nil), http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(pr.Detail, existing.Number) || !strings.Contains(pr.Detail, opened.Number) || len(pr.Errors) != 2 {
			t.Fatalf("answered refused with %+v", pr)
		}
		reply(t, env, p, existing.ID, "letter", "")
		reply(t, env, p, opened.ID, "registered_letter", "DOS-2026-0042")
		pr = expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", processed.etag(), nil), http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(pr.Detail, existing.Number) || strings.Contains(pr.Detail, opened.Number) || !strings.Contains(pr.Detail, "registered_letter") {
			t.Fatalf("a plain letter answered a registered one: %+v", pr)
		}
		reply(t, env, p, existing.ID, "registered_letter", "")
		var answered interaction
		ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", processed.etag(), nil).Expect(t, http.StatusOK).JSON(t, &answered)
		if answered.Status != "answered" {
			t.Fatalf("answered %+v", answered)
		}
		expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/answered", answered.etag(), nil), http.StatusConflict, "conflict")
		var archived interaction
		ifMatchDo(env, http.MethodPost, p.agent, path+"/archive", answered.etag(), nil).Expect(t, http.StatusOK).JSON(t, &archived)
		if archived.Status != "archived" {
			t.Fatalf("archived %+v", archived)
		}
		expectProblem(t, ifMatchDo(env, http.MethodPost, p.agent, path+"/archive", archived.etag(), nil), http.StatusConflict, "conflict")
		if letters := walkBook(t, env, p.agent, "letters", map[string][]string{"status": {"archived"}}); len(letters) != 1 || letters[0].ID != letter.ID {
			t.Fatalf("archived letters %v", ids(letters))
		}

		// The scan is stored once for the letter and its tickets: merging
		// the two tickets drops the duplicate attachment, not the bytes.
		merge(env, p.agent, getTicket(t, env, p.agent, opened.ID), existing.Number).Expect(t, http.StatusOK)
		if got := env.Get(p.agent, path+"/scan").Expect(t, http.StatusOK); !bytes.Equal(got.Body, content) {
			t.Fatal("the letter's scan is gone after a merge of its tickets")
		}
	})
}

// reply sends a letter reply with its scan (a letter reply carries one).
func reply(t *testing.T, env *apitest.Env, p people, ticketID, channel, fileRef string) {
	t.Helper()
	var a attachment
	uploadMultipart(env, p.agent, ticketID, "reponse.pdf", scan(900+len(channel)+len(fileRef)), "?direction=outgoing").JSON(t, &a)
	body := map[string]any{"channel": channel, "body": "Réponse point par point.", "attachment_ids": []string{a.ID}}
	if fileRef != "" {
		body["file_reference"] = fileRef
	}
	if channel == "registered_letter" {
		body["tracking_number"] = "1A98765432109"
	}
	env.Post(p.agent, "/tickets/"+ticketID+"/replies", body).Expect(t, http.StatusCreated)
}
