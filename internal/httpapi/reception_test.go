package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// "Consulter le dossier au préalable": the preparation view gathers the
// client's open tickets and pending messages and records that the file
// was read before the visit.
func TestAppointmentPreparationRecordsTheReading(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		org := postOrganisation(t, env, p.agent, map[string]any{"name": "Résidence Les Flamboyants", "registered_client": true})
		client := postContact(t, env, p.agent, map[string]any{"first_name": "Paul", "last_name": "HOAREAU", "organisation_id": org.ID})
		older := createTicket(t, env, p.agent, map[string]any{"subject": "Charges 2025", "channel": "phone", "category": "routine_request", "contact_id": client.ID})
		newer := createTicket(t, env, p.agent, map[string]any{"subject": "Fuite", "channel": "phone", "category": "accounting_question", "contact_id": client.ID})
		closed := createTicket(t, env, p.agent, map[string]any{"subject": "Clos", "channel": "phone", "category": "other", "contact_id": client.ID})
		mustTransition(t, env, p.agent, closed, "answer_and_close", map[string]any{"message": "Fait."})
		createTicket(t, env, p.agent, map[string]any{"subject": "Autre client", "channel": "phone", "category": "other", "contact_id": p.contactID})
		pending := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_agent_id": p.supervisorID, "contact_id": client.ID}, "Rappeler M. Hoareau"))
		taken := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_agent_id": p.agentID, "contact_id": client.ID}, "Déjà vu"))
		env.Post(p.agent, "/messages/"+taken.ID+"/acknowledgement", nil).Expect(t, http.StatusOK)
		a := mustAppointment(t, env, p.agent, slot(t, client.ID, p.supervisorID, "2026-12-02 10:00", "2026-12-02 10:30"))
		if a.PreparedAt != nil {
			t.Fatalf("prepared before anyone read it: %+v", a)
		}

		var prep struct {
			Appointment  appointment `json:"appointment"`
			Contact      contact     `json:"contact"`
			Organisation *struct {
				ID string `json:"id"`
			} `json:"organisation"`
			OpenTickets        []ticket         `json:"open_tickets"`
			PendingMessages    []message        `json:"pending_messages"`
			RecentInteractions []map[string]any `json:"recent_interactions"`
		}
		env.Get(p.supervisor, "/appointments/"+a.ID+"/preparation").Expect(t, http.StatusOK).JSON(t, &prep)
		var tickets []string
		for _, tk := range prep.OpenTickets {
			tickets = append(tickets, tk.ID)
		}
		if !slices.Equal(tickets, []string{newer.ID, older.ID}) {
			t.Fatalf("open tickets %v, want the contact's open ones newest first %v", tickets, []string{newer.ID, older.ID})
		}
		if len(prep.PendingMessages) != 1 || prep.PendingMessages[0].ID != pending.ID {
			t.Fatalf("pending messages %+v", prep.PendingMessages)
		}
		if prep.Contact.ID != client.ID || prep.Organisation == nil || prep.Organisation.ID != org.ID || prep.RecentInteractions == nil {
			t.Fatalf("file %+v", prep)
		}
		if prep.Appointment.PreparedBy == nil || *prep.Appointment.PreparedBy != p.supervisorID || prep.Appointment.PreparedAt == nil {
			t.Fatalf("the reading is not recorded: %+v", prep.Appointment)
		}
		r := env.Get(p.agent, "/appointments/"+a.ID).Expect(t, http.StatusOK)
		var after appointment
		r.JSON(t, &after)
		if after.PreparedBy == nil || *after.PreparedBy != p.supervisorID || r.Header.Get("ETag") != `"1"` {
			t.Fatalf("appointment after the reading %+v, ETag %s", after, r.Header.Get("ETag"))
		}
		var audit auditPage
		env.Get(env.Admin, "/audit-events?entity_type=appointment&entity_id="+a.ID+"&action=update").Expect(t, http.StatusOK).JSON(t, &audit)
		if len(audit.Items) != 1 || audit.Items[0].ActorID == nil || *audit.Items[0].ActorID != p.supervisorID ||
			audit.Items[0].After["prepared_by"] != p.supervisorID {
			t.Fatalf("the reading is not audited: %+v", audit.Items)
		}
		_, onlyReception := env.APIToken(p.agent, "reception:read")
		env.Get(onlyReception, "/appointments/"+a.ID+"/preparation").Expect(t, http.StatusForbidden)
		env.Get(p.agent, "/appointments/"+uuid.NewString()+"/preparation").Expect(t, http.StatusNotFound)
	})
}

// Reception settings: phone slots, greeting, documents, message delays
// and escalation per role; managers change them with If-Match.
func TestReceptionSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		r := env.Get(p.agent, "/settings/reception").Expect(t, http.StatusOK)
		var got map[string]any
		r.JSON(t, &got)
		if r.Header.Get("ETag") != `"1"` || got["remind_after_minutes"] != 30.0 || got["escalate_after_minutes"] != 120.0 {
			t.Fatalf("defaults %v (ETag %s)", got, r.Header.Get("ETag"))
		}
		empty := []any{}
		week := map[string]any{"monday": []any{map[string]any{"from": "09:00", "to": "12:00"}, map[string]any{"from": "14:00", "to": "17:00"}},
			"tuesday": []any{map[string]any{"from": "09:00", "to": "12:00"}}, "wednesday": empty, "thursday": empty, "friday": empty,
			"saturday": empty, "sunday": empty}
		body := map[string]any{"phone_slots": week, "greeting": "Société X, Véronique, bonjour !",
			"documents": []any{map[string]any{"title": "Tarifs 2026", "url": "https://example.fr/tarifs.pdf", "kind": "tariffs", "updated_on": "2026-01-02"},
				map[string]any{"title": "Avantages fiscaux", "url": "https://example.fr/fiscal.pdf", "kind": "tax_benefits"}},
			"remind_after_minutes": 5, "escalate_after_minutes": 15, "message_escalation": map[string]any{"accountant": p.managerID}}
		with := func(k string, v any) map[string]any {
			out := map[string]any{}
			for key, val := range body {
				out[key] = val
			}
			out[k] = v
			return out
		}
		put(env, p.agent, "/settings/reception", `"1"`, body).Expect(t, http.StatusForbidden)
		env.Do(apitest.Req{Method: http.MethodPut, Path: "/settings/reception", Token: p.manager, Body: body}).Expect(t, http.StatusPreconditionRequired)
		put(env, p.manager, "/settings/reception", `"9"`, body).Expect(t, http.StatusPreconditionFailed)
		bad := []struct {
			body  map[string]any
			field string
		}{
			{with("escalate_after_minutes", 5), "escalate_after_minutes"},
			{with("message_escalation", map[string]any{"accountant": uuid.NewString()}), "message_escalation.accountant"},
			{with("message_escalation", map[string]any{"pilot": p.managerID}), "message_escalation.pilot"},
			{with("phone_slots", map[string]any{"monday": []any{map[string]any{"from": "12:00", "to": "09:00"}}, "tuesday": empty,
				"wednesday": empty, "thursday": empty, "friday": empty, "saturday": empty, "sunday": empty}), "phone_slots.monday[0]"},
			{with("phone_slots", map[string]any{"monday": []any{map[string]any{"from": "09:00", "to": "12:00"}, map[string]any{"from": "11:00", "to": "13:00"}},
				"tuesday": empty, "wednesday": empty, "thursday": empty, "friday": empty, "saturday": empty, "sunday": empty}), "phone_slots.monday[1]"},
			{with("phone_slots", map[string]any{"monday": []any{map[string]any{"from": "25:00", "to": "26:00"}}, "tuesday": empty,
				"wednesday": empty, "thursday": empty, "friday": empty, "saturday": empty, "sunday": empty}), "phone_slots.monday[0]"},
		}
		for _, tc := range bad {
			problem := expectProblem(t, put(env, p.manager, "/settings/reception", `"1"`, tc.body), http.StatusUnprocessableEntity, "invalid")
			if !slices.Contains(fieldsOf(problem), tc.field) {
				t.Fatalf("fields %v, want %s", fieldsOf(problem), tc.field)
			}
		}
		put(env, p.manager, "/settings/reception", `"1"`, with("documents", []any{map[string]any{"title": "x", "url": "https://e.fr", "kind": "poster"}})).
			Expect(t, http.StatusBadRequest)
		r = put(env, p.manager, "/settings/reception", `"1"`, body).Expect(t, http.StatusOK)
		if r.Header.Get("ETag") != `"2"` {
			t.Fatalf("ETag after the update %s", r.Header.Get("ETag"))
		}
		r = env.Get(p.agent, "/settings/reception").Expect(t, http.StatusOK)
		r.JSON(t, &got)
		for _, k := range []string{"phone_slots", "greeting", "documents", "remind_after_minutes", "escalate_after_minutes", "message_escalation"} {
			if !equalJSON(t, got[k], body[k]) {
				t.Fatalf("%s: read back %v, sent %v", k, got[k], body[k])
			}
		}
		hours := got["opening_hours"].(map[string]any)
		if mondays := hours["monday"].([]any); len(mondays) != 2 || mondays[0].(map[string]any)["to"] != "12:30" {
			t.Fatalf("opening hours are not the calendar's: %v", hours)
		}
		// The delays apply to the messages taken from then on.
		m := postMessage(t, env, p.agent, messageFor(map[string]any{"recipient_agent_id": p.managerID}, "Délais"))
		var created time.Time
		if err := created.UnmarshalText([]byte(m.CreatedAt)); err != nil {
			t.Fatal(err)
		}
		var scheduled []time.Time
		err := env.Main.DB.Reader().NewSelect().TableExpr("river_job").Column("scheduled_at").
			Where("kind = ?", "message_follow_up").OrderExpr("scheduled_at").Scan(t.Context(), &scheduled)
		if err != nil {
			t.Fatal(err)
		}
		near := func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Millisecond } // River keeps milliseconds on SQLite
		if len(scheduled) != 2 || !near(scheduled[0], created.Add(5*time.Minute)) || !near(scheduled[1], created.Add(15*time.Minute)) {
			t.Fatalf("follow-ups scheduled at %v for a message taken at %v", scheduled, created)
		}
	})
}

// "Respecter les créneaux d'accueil téléphonique" and "les horaires
// d'ouverture du local": is the reception open, and when does it open?
func TestReceptionStatus(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		empty := []any{}
		slots := map[string]any{"monday": []any{map[string]any{"from": "09:00", "to": "12:00"}, map[string]any{"from": "14:00", "to": "17:00"}},
			"tuesday": []any{map[string]any{"from": "09:00", "to": "12:00"}}, "wednesday": empty, "thursday": empty,
			"friday": []any{map[string]any{"from": "09:00", "to": "12:00"}}, "saturday": empty, "sunday": empty}
		put(env, p.manager, "/settings/reception", `"1"`, map[string]any{"phone_slots": slots, "remind_after_minutes": 30,
			"escalate_after_minutes": 120}).Expect(t, http.StatusOK)
		type opening struct {
			Open         bool    `json:"open"`
			ClosesAt     *string `json:"closes_at"`
			OpensAt      *string `json:"opens_at"`
			ClosedReason *string `json:"closed_reason"`
		}
		status := func(at string) (phone, premises opening) {
			var st struct {
				Phone    opening `json:"phone"`
				Premises opening `json:"premises"`
			}
			env.Get(p.agent, "/reception/status?at="+rfc(parisTime(t, at))).Expect(t, http.StatusOK).JSON(t, &st)
			return st.Phone, st.Premises
		}
		check := func(name string, o opening, open bool, edge, reason string) {
			t.Helper()
			got := o.OpensAt
			if open {
				got = o.ClosesAt
			}
			if o.Open != open || got == nil || *got != rfc(parisTime(t, edge)) {
				t.Fatalf("%s: %+v, want open %t with edge %s", name, o, open, edge)
			}
			if (reason == "") != (o.ClosedReason == nil) || o.ClosedReason != nil && *o.ClosedReason != reason {
				t.Fatalf("%s: closed reason %v, want %q", name, o.ClosedReason, reason)
			}
		}
		phone, premises := status("2026-11-22 10:00") // a Sunday
		check("sunday phone", phone, false, "2026-11-23 09:00", "weekend")
		check("sunday premises", premises, false, "2026-11-23 09:00", "weekend")
		phone, premises = status("2026-12-25 10:00") // Christmas, a Friday
		check("christmas phone", phone, false, "2026-12-28 09:00", "holiday: Noël")
		check("christmas premises", premises, false, "2026-12-28 09:00", "holiday: Noël")
		phone, premises = status("2026-11-23 10:00") // Monday, in a slot
		check("slot phone", phone, true, "2026-11-23 12:00", "")
		check("slot premises", premises, true, "2026-11-23 12:30", "")
		phone, premises = status("2026-11-23 12:15") // the phone slot is over, the premises still open
		check("after slot phone", phone, false, "2026-11-23 14:00", "")
		check("after slot premises", premises, true, "2026-11-23 12:30", "")
		phone, premises = status("2026-11-24 15:00") // Tuesday afternoon: no phone slot
		check("tuesday phone", phone, false, "2026-11-27 09:00", "")
		check("tuesday premises", premises, true, "2026-11-24 17:30", "")
		// Default: now (by the store's clock, which access tokens would
		// not accept as their issue time).
		_, script := env.APIToken(p.agent, "reception:read")
		env.Clock.Set(parisTime(t, "2026-11-22 10:00"))
		var now struct {
			At    string  `json:"at"`
			Phone opening `json:"phone"`
		}
		env.Get(script, "/reception/status").Expect(t, http.StatusOK).JSON(t, &now)
		if now.At != rfc(parisTime(t, "2026-11-22 10:00")) || now.Phone.Open {
			t.Fatalf("status now %+v", now)
		}
		env.Get(script, "/reception/status?at=tomorrow").Expect(t, http.StatusBadRequest)
	})
}

// "Annuaire des services du territoire": orient people to outside
// services, found by domain and by words of their name or address.
func TestOutsideServicesDirectory(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		svc := map[string]any{"name": "Centre de Santé du Chaudron", "domain": "Santé", "address": "2 rue du Chaudron, 97490 Sainte-Clotilde",
			"phone": "0262 11 22 33", "email": "Accueil@Sante-Chaudron.re", "website": "https://sante-chaudron.re", "hours": "Lundi–vendredi 8h–17h"}
		env.Post(p.agent, "/outside-services", svc).Expect(t, http.StatusForbidden)
		var health struct {
			ID      string `json:"id"`
			Phone   string `json:"phone"`
			Email   string `json:"email"`
			Version int    `json:"version"`
		}
		env.Post(p.supervisor, "/outside-services", svc).Expect(t, http.StatusCreated).JSON(t, &health)
		if health.Phone != "+262262112233" || health.Email != "accueil@sante-chaudron.re" {
			t.Fatalf("not normalised: %+v", health)
		}
		adil := map[string]any{"name": "ADIL de La Réunion", "domain": "logement", "address": "14 rue Jean Chatel, 97400 Saint-Denis"}
		mjd := map[string]any{"name": "Maison de la Justice et du Droit", "domain": "juridique", "address": "Saint-Denis"}
		for _, body := range []map[string]any{adil, mjd} {
			env.Post(p.manager, "/outside-services", body).Expect(t, http.StatusCreated)
		}
		expectProblem(t, env.Post(p.manager, "/outside-services", map[string]any{"name": " ", "domain": "social"}), http.StatusUnprocessableEntity, "invalid")
		names := func(query string) []string {
			var page struct {
				Items []struct {
					Name string `json:"name"`
				} `json:"items"`
			}
			env.Get(p.agent, "/outside-services?"+query).Expect(t, http.StatusOK).JSON(t, &page)
			var out []string
			for _, it := range page.Items {
				out = append(out, it.Name)
			}
			return out
		}
		cases := []struct {
			query string
			want  []string
		}{
			{"q=sante", []string{"Centre de Santé du Chaudron"}},
			{"q=SANTÉ", []string{"Centre de Santé du Chaudron"}},
			{"q=saint-denis", []string{"ADIL de La Réunion", "Maison de la Justice et du Droit"}},
			{"q=justice+droit", []string{"Maison de la Justice et du Droit"}},
			{"q=logem", []string{"ADIL de La Réunion"}},
			{"domain=sante", []string{"Centre de Santé du Chaudron"}},
			{"domain=Logement", []string{"ADIL de La Réunion"}},
			{"domain=juridique&q=adil", nil},
			{"", []string{"ADIL de La Réunion", "Centre de Santé du Chaudron", "Maison de la Justice et du Droit"}},
		}
		for _, tc := range cases {
			if got := names(tc.query); !slices.Equal(got, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		path := "/outside-services/" + health.ID
		env.Patch(p.agent, path, `"1"`, map[string]any{"domain": "social"}).Expect(t, http.StatusForbidden)
		env.Patch(p.supervisor, path, "", map[string]any{"domain": "social"}).Expect(t, http.StatusPreconditionRequired)
		env.Patch(p.supervisor, path, `"1"`, map[string]any{"domain": "social", "email": nil}).Expect(t, http.StatusOK)
		env.Patch(p.supervisor, path, `"1"`, map[string]any{"domain": "santé"}).Expect(t, http.StatusPreconditionFailed)
		if got := names("domain=social&q=chaudron"); len(got) != 1 {
			t.Fatalf("after the update: %v", got)
		}
		if got := names("domain=sante"); len(got) != 0 {
			t.Fatalf("old domain still matches: %v", got)
		}
		env.Delete(p.agent, path, `"2"`).Expect(t, http.StatusForbidden)
		env.Delete(p.supervisor, path, `"2"`).Expect(t, http.StatusNoContent)
		env.Get(p.agent, path).Expect(t, http.StatusNotFound)
		if got := names("q=chaudron"); len(got) != 0 {
			t.Fatalf("deleted service still found: %v", got)
		}
	})
}
