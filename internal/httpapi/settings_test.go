package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

func put(env *apitest.Env, token, path, etag string, body any) *apitest.Response {
	return env.Do(apitest.Req{Method: http.MethodPut, Path: path, Token: token, Body: body, Headers: map[string]string{"If-Match": etag}})
}

func TestSettingsDriveNewTickets(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		monday := "2026-11-16T10:00:00+01:00"
		t.Run("ResponsePolicyPerChannelAndProcedure", func(t *testing.T) {
			before := createTicket(t, env, p.agent, map[string]any{"subject": "Courriel", "channel": "email", "category": "routine_request", "received_at": monday})
			if before.DueAt == nil || *before.DueAt != "2026-11-18T09:00:00Z" {
				t.Fatalf("email due %v, want two business days later", before.DueAt)
			}
			r := env.Get(p.agent, "/settings/response-policies").Expect(t, http.StatusOK)
			body := map[string]any{"channels": map[string]any{"email": map[string]any{"kind": "business_days", "days": 2}},
				"procedures": map[string]any{"assistance": map[string]any{"email": map[string]any{"kind": "business_hours", "hours": "4h"}}}}
			put(env, p.agent, "/settings/response-policies", r.Header.Get("ETag"), body).Expect(t, http.StatusForbidden)
			put(env, p.manager, "/settings/response-policies", r.Header.Get("ETag"), body).Expect(t, http.StatusOK)
			after := createTicket(t, env, p.agent, map[string]any{"subject": "Courriel", "channel": "email", "category": "routine_request", "received_at": monday})
			if after.DueAt == nil || *after.DueAt != "2026-11-16T14:00:00Z" {
				t.Fatalf("email due %v, want four business hours later (lunch break skipped)", after.DueAt)
			}
			letter := createTicket(t, env, p.agent, map[string]any{"subject": "Courrier", "channel": "letter", "category": "routine_request", "received_at": monday})
			if letter.DueAt != nil {
				t.Fatalf("a channel without a policy opened a clock due %v", *letter.DueAt)
			}
			bad := map[string]any{"channels": map[string]any{}, "procedures": map[string]any{"nope": map[string]any{}}}
			r = env.Get(p.agent, "/settings/response-policies")
			put(env, p.manager, "/settings/response-policies", r.Header.Get("ETag"), bad).Expect(t, http.StatusUnprocessableEntity)
			put(env, p.manager, "/settings/response-policies", r.Header.Get("ETag"), map[string]any{"channels": map[string]any{"email": map[string]any{"kind": "business_hours", "hours": "soon"}}}).Expect(t, http.StatusUnprocessableEntity)
		})
		t.Run("CategoryMappingPicksTheProcedure", func(t *testing.T) {
			r := env.Get(p.agent, "/settings/procedure-mapping").Expect(t, http.StatusOK)
			var m struct {
				Mapping map[string]string `json:"mapping"`
			}
			r.JSON(t, &m)
			m.Mapping["routine_request"] = "travaux"
			put(env, p.manager, "/settings/procedure-mapping", r.Header.Get("ETag"), map[string]any{"mapping": m.Mapping}).Expect(t, http.StatusOK)
			tk := createTicket(t, env, p.agent, map[string]any{"subject": "Demande courante", "channel": "phone", "category": "routine_request"})
			if tk.Procedure.Code != "travaux" {
				t.Fatalf("routine request follows %s", tk.Procedure.Code)
			}
			put(env, p.manager, "/settings/procedure-mapping", `"1"`, map[string]any{"mapping": m.Mapping}).Expect(t, http.StatusPreconditionFailed)
			m.Mapping["other"] = "unknown"
			delete(m.Mapping, "appointment")
			problem := put(env, p.manager, "/settings/procedure-mapping", `"2"`, map[string]any{"mapping": m.Mapping}).Expect(t, http.StatusUnprocessableEntity).Problem(t)
			if !slices.Contains(fieldsOf(problem), "mapping.other") || !slices.Contains(fieldsOf(problem), "mapping.appointment") {
				t.Fatalf("bad mapping: %v", fieldsOf(problem))
			}
		})
		t.Run("ProceduresAreListedWithTheirVersions", func(t *testing.T) {
			var list struct {
				Items []struct {
					Code           string `json:"code"`
					CurrentVersion string `json:"current_version"`
					Versions       []struct {
						Status string `json:"status"`
					} `json:"versions"`
				} `json:"items"`
			}
			env.Get(p.agent, "/procedures").Expect(t, http.StatusOK).JSON(t, &list)
			codes := map[string]string{}
			for _, it := range list.Items {
				codes[it.Code] = it.CurrentVersion
			}
			if codes["assistance"] != "09-2025" || codes["travaux"] != "11-2026" {
				t.Fatalf("procedures %v", codes)
			}
		})
	})
}

func TestTicketListsAndPages(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		var ids []string
		for i := range 7 {
			body := map[string]any{"subject": fmt.Sprintf("Sujet %d", i), "channel": "email", "category": "bug_report",
				"received_at": fmt.Sprintf("2026-11-%02dT10:00:00+01:00", 2+i)}
			if i%2 == 0 {
				body["assignee_id"] = p.agentID
				body["category"] = "accounting_question"
			}
			ids = append(ids, createTicket(t, env, p.agent, body).ID)
		}
		closed := createTicket(t, env, p.agent, map[string]any{"subject": "Clos", "channel": "phone", "category": "other"})
		mustTransition(t, env, p.agent, closed, "answer_and_close", map[string]any{"message": "Fait."})
		page := func(query string) ([]ticket, string) {
			var out struct {
				Items      []ticket `json:"items"`
				NextCursor *string  `json:"next_cursor"`
			}
			env.Get(p.agent, "/tickets?"+query).Expect(t, http.StatusOK).JSON(t, &out)
			next := ""
			if out.NextCursor != nil {
				next = *out.NextCursor
			}
			return out.Items, next
		}
		all := []string{}
		for cursor := ""; ; {
			items, next := page("status=open&limit=3&cursor=" + cursor)
			for _, it := range items {
				all = append(all, it.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		want := slices.Clone(ids)
		slices.Reverse(want)
		if !slices.Equal(all, want) {
			t.Fatalf("open tickets newest first over pages: %v, want %v", all, want)
		}
		if items, _ := page("assignee_id=" + p.agentID + "&category=accounting_question"); len(items) != 4 {
			t.Fatalf("assignee and category: %d", len(items))
		}
		if items, _ := page("status=closed"); len(items) != 1 || items[0].ID != closed.ID {
			t.Fatalf("closed: %v", items)
		}
		if items, _ := page("overdue=true"); len(items) != 7 {
			t.Fatalf("overdue: %d, want the 7 past-due open tickets", len(items))
		}
		if items, _ := page("overdue=false"); len(items) != 1 {
			t.Fatalf("not overdue: %d", len(items))
		}
		items, next := page("sort=due&limit=4")
		if len(items) != 4 || items[0].ID != ids[0] || next == "" {
			t.Fatalf("by due date: first %v", items)
		}
		rest, _ := page("sort=due&limit=4&cursor=" + next)
		if len(rest) != 3 || rest[2].ID != ids[6] {
			t.Fatalf("second page by due date: %d", len(rest))
		}
		if items, _ := page("due_before=2026-11-06T00:00:00Z"); len(items) != 2 {
			t.Fatalf("due before: %d", len(items))
		}
		env.Get(p.agent, "/tickets?cursor="+next).Expect(t, http.StatusBadRequest)
		env.Get(p.agent, "/tickets?level=4").Expect(t, http.StatusBadRequest)

		// The timeline pages too, oldest first.
		tk := ids[0]
		for i := range 4 {
			env.Post(p.agent, "/tickets/"+tk+"/notes", map[string]any{"body": fmt.Sprintf("note %d", i)}).Expect(t, http.StatusCreated)
		}
		var first struct {
			Items      []timelineEvent `json:"items"`
			NextCursor *string         `json:"next_cursor"`
		}
		env.Get(p.agent, "/tickets/"+tk+"/timeline?limit=2").Expect(t, http.StatusOK).JSON(t, &first)
		if len(first.Items) != 2 || first.Items[0].Kind != "created" || first.NextCursor == nil {
			t.Fatalf("timeline first page %+v", first)
		}
		var second struct {
			Items []timelineEvent `json:"items"`
		}
		env.Get(p.agent, "/tickets/"+tk+"/timeline?limit=2&cursor="+*first.NextCursor).Expect(t, http.StatusOK).JSON(t, &second)
		if len(second.Items) != 2 || second.Items[0].Body != "note 1" {
			t.Fatalf("timeline second page %+v", second.Items)
		}
		// Unread notifications filter.
		env.Patch(p.agent, "/tickets/"+ids[1], `"1"`, map[string]any{"assignee_id": p.supervisorID}).Expect(t, http.StatusOK)
		var unread struct {
			Items []agentNotification `json:"items"`
		}
		env.Get(p.supervisor, "/me/notifications?unread=true").Expect(t, http.StatusOK).JSON(t, &unread)
		if len(unread.Items) != 1 || unread.Items[0].Kind != "assignment" {
			t.Fatalf("unread %+v", unread.Items)
		}
		env.Post(p.supervisor, "/me/notifications/"+unread.Items[0].ID+"/read", nil).Expect(t, http.StatusOK)
		env.Get(p.supervisor, "/me/notifications?unread=true").Expect(t, http.StatusOK).JSON(t, &unread)
		if len(unread.Items) != 0 {
			t.Fatalf("still unread %+v", unread.Items)
		}
	})
}
