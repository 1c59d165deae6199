package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// Roles.

func TestPlainAgentCannotCreateAgentsNorReadTheAudit(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		_, agent := e.Agent("alice", "agent")
		_, manager := e.Agent("mona", "manager")

		expect403(t, e.Post(agent, "/agents", agentCreateBody("eve", "agent")))
		expect403(t, e.Post(manager, "/agents", agentCreateBody("eve", "agent")))
		expect403(t, e.Get(agent, "/audit-events"))

		var page api.AuditEventPage
		e.Get(manager, "/audit-events").Expect(t, http.StatusOK).JSON(t, &page)
		if len(page.Items) == 0 {
			t.Fatal("the manager sees no audit event; creating two agents wrote some")
		}
		e.Get(e.Admin, "/audit-events").Expect(t, http.StatusOK)
	})
}

func TestAdminCreatesAgents(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		r := e.Post(e.Admin, "/agents", agentCreateBody("alice", "agent", "accountant")).Expect(t, http.StatusCreated)
		if etag := r.Header.Get("ETag"); etag != `"1"` {
			t.Fatalf("ETag %q, want \"1\"", etag)
		}
		var a api.Agent
		r.JSON(t, &a)
		if a.Username != "alice" || a.Version != 1 || !a.Active || a.Level != 1 ||
			!slices.Equal(a.Roles, []api.Role{"agent", "accountant"}) {
			t.Fatalf("created %+v", a)
		}
		if strings.Contains(string(r.Body), "password") {
			t.Fatalf("the agent's representation mentions its password: %s", r.Body)
		}
		if got := e.Get(e.Admin, "/agents/"+a.Id.String()).Expect(t, http.StatusOK).Header.Get("ETag"); got != `"1"` {
			t.Fatalf("read ETag %q, want \"1\"", got)
		}
		e.Login("alice", "password-alice")

		p := e.Post(e.Admin, "/agents", agentCreateBody("alice", "supervisor")).Expect(t, http.StatusConflict).Problem(t)
		if !strings.Contains(p.Detail, "alice") {
			t.Fatalf("conflict detail %q does not name the username", p.Detail)
		}
	})
}

func TestUpdateAgentNeedsTheCurrentIfMatch(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		id, alice := e.Agent("alice", "agent")
		path := "/agents/" + id
		rename := func(name string) map[string]any { return map[string]any{"display_name": name} }

		if p := e.Patch(e.Admin, path, "", rename("Missing")).Expect(t, http.StatusPreconditionRequired).Problem(t); !strings.HasSuffix(p.Type, "/precondition-required") {
			t.Fatalf("problem type %q", p.Type)
		}
		expect403(t, e.Patch(alice, path, `"1"`, rename("By herself")))

		r := e.Patch(e.Admin, path, `"1"`, rename("Alice Martin")).Expect(t, http.StatusOK)
		var a api.Agent
		r.JSON(t, &a)
		if etag := r.Header.Get("ETag"); etag != `"2"` || a.Version != 2 || a.DisplayName != "Alice Martin" {
			t.Fatalf("ETag %q, agent %+v; want version 2 renamed", etag, a)
		}

		if p := e.Patch(e.Admin, path, `"1"`, rename("Stale")).Expect(t, http.StatusPreconditionFailed).Problem(t); !strings.HasSuffix(p.Type, "/stale") {
			t.Fatalf("problem type %q", p.Type)
		}
		r = e.Get(e.Admin, path).Expect(t, http.StatusOK)
		r.JSON(t, &a)
		if r.Header.Get("ETag") != `"2"` || a.DisplayName != "Alice Martin" {
			t.Fatalf("after refused updates: ETag %q, %+v", r.Header.Get("ETag"), a)
		}
	})
}

func TestReportingLineCannotLoop(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		a, _ := e.Agent("anne", "agent")
		bb, _ := e.Agent("bruno", "supervisor")
		c, _ := e.Agent("carla", "manager")
		supervise := func(agent, etag, supervisor string) *apitest.Response {
			return e.Patch(e.Admin, "/agents/"+agent, etag, map[string]any{"supervisor_id": supervisor})
		}
		loops := func(r *apitest.Response) {
			t.Helper()
			if p := r.Expect(t, http.StatusUnprocessableEntity).Problem(t); !problemHasField(p, "supervisor_id") {
				t.Fatalf("errors %+v, want one for supervisor_id", p.Errors)
			}
		}

		supervise(a, `"1"`, bb).Expect(t, http.StatusOK) // anne -> bruno
		loops(supervise(bb, `"1"`, a))                   // bruno -> anne -> bruno
		loops(supervise(a, `"2"`, a))                    // anne -> anne
		supervise(bb, `"1"`, c).Expect(t, http.StatusOK) // anne -> bruno -> carla
		loops(supervise(c, `"1"`, a))                    // carla -> anne -> bruno -> carla

		var got api.Agent
		e.Get(e.Admin, "/agents/"+c).Expect(t, http.StatusOK).JSON(t, &got)
		if got.SupervisorId.IsSpecified() && !got.SupervisorId.IsNull() {
			t.Fatalf("carla has supervisor %v after a refused loop", got.SupervisorId)
		}
	})
}

func TestDeactivatedAgentLosesAccess(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		id, _ := e.Agent("alice", "agent")
		tk := e.Login("alice", "password-alice")
		_, secret := e.APIToken(tk.AccessToken, "contacts:read")
		whoAmI(t, e, tk.AccessToken)
		e.Get(secret, "/contacts").Expect(t, http.StatusOK)
		wrongPassword := expect401(t, tryLogin(e, "alice", "wrong-password", nil))

		e.Patch(e.Admin, "/agents/"+id, `"1"`, map[string]any{"active": false}).Expect(t, http.StatusOK)
		expect401(t, e.Get(tk.AccessToken, "/me"))
		expect401(t, tryRefresh(e, tk.RefreshToken))
		expect401(t, e.Get(secret, "/contacts"))
		// Logging in tells nothing more than a wrong password.
		if p := expect401(t, tryLogin(e, "alice", "password-alice", nil)); p.Detail != wrongPassword.Detail {
			t.Fatalf("inactive agent's login says %q, a wrong password %q", p.Detail, wrongPassword.Detail)
		}
	})
}

// Absences.

func TestAgentDeclaresTheirOwnAbsence(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		id, alice := e.Agent("alice", "agent")
		path := "/agents/" + id + "/absences"
		day := e.Clock.Now().Truncate(24 * time.Hour).Add(7 * 24 * time.Hour)

		r := e.Post(alice, path, absenceBody(day, day.Add(48*time.Hour), "Congés")).Expect(t, http.StatusCreated)
		var abs api.Absence
		r.JSON(t, &abs)
		if abs.AgentId.String() != id || !abs.StartsAt.Equal(day) || !abs.EndsAt.Equal(day.Add(48*time.Hour)) {
			t.Fatalf("created %+v", abs)
		}

		if p := e.Post(alice, path, absenceBody(day.Add(24*time.Hour), day.Add(72*time.Hour), "")).
			Expect(t, http.StatusConflict).Problem(t); !strings.HasSuffix(p.Type, "/conflict") {
			t.Fatalf("overlap problem type %q", p.Type)
		}
		// Back to back is not an overlap.
		e.Post(alice, path, absenceBody(day.Add(48*time.Hour), day.Add(72*time.Hour), "")).Expect(t, http.StatusCreated)

		r = e.Post(alice, path, absenceBody(day.Add(-24*time.Hour), day.Add(-48*time.Hour), ""))
		if p := r.Expect(t, http.StatusUnprocessableEntity).Problem(t); !problemHasField(p, "ends_at") {
			t.Fatalf("errors %+v, want one for ends_at", p.Errors)
		}
		if n := len(absencesOf(t, e, alice, id, false)); n != 2 {
			t.Fatalf("%d absences, want 2", n)
		}
	})
}

func TestAbsencesAreManagedByTheAgentTheirSupervisorOrAnAdmin(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		supID, sup := e.Agent("sam", "supervisor")
		_, colleague := e.Agent("bob", "agent")
		body := agentCreateBody("alice", "agent")
		body["supervisor_id"] = supID
		var alice api.Agent
		e.Post(e.Admin, "/agents", body).Expect(t, http.StatusCreated).JSON(t, &alice)
		path := "/agents/" + alice.Id.String() + "/absences"
		week := e.Clock.Now().Truncate(24 * time.Hour).Add(7 * 24 * time.Hour)

		expect403(t, e.Post(colleague, path, absenceBody(week, week.Add(24*time.Hour), "")))
		var abs api.Absence
		e.Post(sup, path, absenceBody(week, week.Add(24*time.Hour), "Maladie")).Expect(t, http.StatusCreated).JSON(t, &abs)
		e.Post(e.Admin, path, absenceBody(week.Add(48*time.Hour), week.Add(72*time.Hour), "")).Expect(t, http.StatusCreated)

		expect403(t, e.Delete(colleague, path+"/"+abs.Id.String(), ""))
		e.Delete(sup, path+"/"+abs.Id.String(), "").Expect(t, http.StatusNoContent)
	})
}

func TestCurrentAbsencesFollowTheClock(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		id, alice := e.Agent("alice", "agent")
		path := "/agents/" + id + "/absences"
		now := e.Clock.Now().Truncate(time.Second)
		var current, later api.Absence
		e.Post(alice, path, absenceBody(now.Add(48*time.Hour), now.Add(72*time.Hour), "later")).Expect(t, http.StatusCreated).JSON(t, &later)
		e.Post(alice, path, absenceBody(now.Add(-time.Hour), now.Add(time.Hour), "now")).Expect(t, http.StatusCreated).JSON(t, &current)

		if got := absenceIDs(absencesOf(t, e, alice, id, false)); !slices.Equal(got, []string{current.Id.String(), later.Id.String()}) {
			t.Fatalf("all absences %v, want [now later] by start", got)
		}
		if got := absenceIDs(absencesOf(t, e, alice, id, true)); !slices.Equal(got, []string{current.Id.String()}) {
			t.Fatalf("current absences %v, want [%s]", got, current.Id)
		}

		e.Clock.Advance(60 * time.Hour)
		alice = e.Login("alice", "password-alice").AccessToken
		if got := absenceIDs(absencesOf(t, e, alice, id, true)); !slices.Equal(got, []string{later.Id.String()}) {
			t.Fatalf("current absences two days on %v, want [%s]", got, later.Id)
		}
	})
}

func TestWithdrawnAbsenceIsGone(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		id, alice := e.Agent("alice", "agent")
		path := "/agents/" + id + "/absences"
		day := e.Clock.Now().Truncate(24 * time.Hour).Add(24 * time.Hour)
		var abs api.Absence
		e.Post(alice, path, absenceBody(day, day.Add(24*time.Hour), "")).Expect(t, http.StatusCreated).JSON(t, &abs)

		e.Delete(alice, path+"/"+abs.Id.String(), "").Expect(t, http.StatusNoContent)
		if got := absencesOf(t, e, alice, id, false); len(got) != 0 {
			t.Fatalf("absences after withdrawal: %+v", got)
		}
		e.Delete(alice, path+"/"+abs.Id.String(), "").Expect(t, http.StatusNotFound).Problem(t)
		// The period is free again.
		e.Post(alice, path, absenceBody(day, day.Add(24*time.Hour), "")).Expect(t, http.StatusCreated)
	})
}

func absenceBody(start, end time.Time, reason string) map[string]any {
	b := map[string]any{"starts_at": start.Format(time.RFC3339), "ends_at": end.Format(time.RFC3339)}
	if reason != "" {
		b["reason"] = reason
	}
	return b
}

func absencesOf(t *testing.T, e *apitest.Env, token, agentID string, current bool) []api.Absence {
	t.Helper()
	path := "/agents/" + agentID + "/absences"
	if current {
		path += "?current=true"
	}
	var list api.AbsenceList
	e.Get(token, path).Expect(t, http.StatusOK).JSON(t, &list)
	return list.Items
}

func absenceIDs(list []api.Absence) []string {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.Id.String()
	}
	return ids
}
