package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/guichet/guichet/internal/guichet"
)

// works returns the ticket's works request part, nil when it has none.
func (r *ticketRow) works() *guichet.TicketWorks {
	if r.WorksIntervenantID == nil {
		return nil
	}
	return &guichet.TicketWorks{IntervenantID: *r.WorksIntervenantID, ExternalProject: r.WorksExternalProject}
}

// splitWorks is what a ticket split off src into category keeps of src's
// works request: its artisan, when the new ticket is a works request too.
func splitWorks(src *ticketRow, category guichet.Category) *guichet.TicketWorks {
	if category != guichet.CategoryWorksRequest {
		return nil
	}
	return src.works()
}

// checkTicketIntervenants applies the intervenant rules of a new ticket
// before anything is written (so that a refusal consumes no number):
//
//   - a works request names an approved technical intervenant ("une fois
//     l'agrément de l'artisan validé par la Direction") and its external
//     project, "travaux gestion" by default;
//   - a ticket opened at an intervenant's request on a client's file needs
//     a mandate of that client, valid now and covering the category; an
//     authority acting by law needs none, but its request goes to the
//     legal role: the ticket is assigned to a legal agent, and every legal
//     agent is told by a job enqueued in the same transaction.
//
// Refusals are EINVALID naming works.intervenant_id or
// requested_by_intervenant_id, with the reason.
func (s *Store) checkTicketIntervenants(ctx context.Context, tx *Tx, row *ticketRow, in guichet.TicketCreate) error {
	if err := checkWorks(ctx, tx, row, in); err != nil {
		return err
	}
	if in.RequestedByIntervenantID == "" {
		return nil
	}
	return s.checkRequester(ctx, tx, row, in.RequestedByIntervenantID)
}

// checkWorks sets the works request's artisan and project, or refuses.
func checkWorks(ctx context.Context, tx *Tx, row *ticketRow, in guichet.TicketCreate) error {
	const field = "works.intervenant_id"
	isWorks := guichet.Category(row.Category) == guichet.CategoryWorksRequest
	switch {
	case !isWorks && in.Works != nil:
		return guichet.Invalid("works", "only a works request (category works_request) names an artisan")
	case !isWorks:
		return nil
	case in.Works == nil || in.Works.IntervenantID == "":
		return guichet.Invalid(field, "a works request names the approved artisan (technical intervenant) who will do the works")
	}
	iv, err := intervenantField(ctx, tx, field, in.Works.IntervenantID)
	if err != nil {
		return err
	}
	if guichet.IntervenantCategory(iv.Category) != guichet.CategoryTechnical {
		return guichet.Invalid(field, fmt.Sprintf("%q is a %s intervenant, not a technical one (artisan, société, expert)", iv.Name, iv.Category))
	}
	switch guichet.AgreementStatus(iv.AgreementStatus) {
	case guichet.AgreementPending:
		return guichet.Invalid(field, fmt.Sprintf("agrément en attente de la direction : %q cannot be given works until a manager approves it", iv.Name))
	case guichet.AgreementRejected:
		return guichet.Invalid(field, fmt.Sprintf("agrément refusé par la direction : %q was rejected (%s)", iv.Name, iv.AgreementReason))
	}
	project := strings.TrimSpace(in.Works.ExternalProject)
	if project == "" {
		project = guichet.DefaultWorksProject
	}
	row.WorksIntervenantID, row.WorksExternalProject = &iv.ID, project
	return nil
}

// intervenantField loads the intervenant a ticket field names; a missing
// one is EINVALID on that field.
func intervenantField(ctx context.Context, tx *Tx, field, id string) (intervenantRow, error) {
	iv, err := loadIntervenant(ctx, tx, id)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return iv, guichet.Invalid(field, "no such intervenant")
	}
	return iv, err
}

// checkRequester records the requesting intervenant when its mandate
// allows the request, and routes an authority's request to the legal role.
func (s *Store) checkRequester(ctx context.Context, tx *Tx, row *ticketRow, id string) error {
	const field = "requested_by_intervenant_id"
	iv, err := intervenantField(ctx, tx, field, id)
	if err != nil {
		return err
	}
	check, err := s.CheckMandate(ctx, tx, iv.ID, deref(row.ContactID), deref(row.OrganisationID), guichet.Category(row.Category), tx.Now)
	if err != nil {
		return err
	}
	if !check.Allows() {
		return guichet.Invalid(field, check.Detail)
	}
	row.RequestedByIntervenantID = &iv.ID
	if check.Status != guichet.MandateAuthority {
		return nil
	}
	legal, err := legalAssignee(ctx, tx, row.AssigneeID)
	if err != nil {
		return err
	}
	row.AssigneeID = &legal
	return tx.InsertJob(ctx, guichet.LegalRequestJob{TicketID: row.ID, IntervenantID: iv.ID}, nil)
}

// legalRoleLike matches the legal role in agents.roles (a JSON array).
const legalRoleLike = `%"legal"%`

// legalAssignee keeps the requested assignee when it is an active legal
// agent, else picks the active legal agent with the fewest open tickets
// (then by name); EINVALID when nobody holds the legal role.
func legalAssignee(ctx context.Context, tx *Tx, requested *string) (string, error) {
	if requested != nil && validID(*requested) {
		ok, err := tx.NewSelect().Table("agents").Where("id = ? AND active = ? AND roles LIKE ?", *requested, true, legalRoleLike).Exists(ctx)
		if err != nil || ok {
			return *requested, err
		}
	}
	var id string
	err := tx.NewRaw(`SELECT a.id FROM agents AS a WHERE a.active = ? AND a.roles LIKE ?
		ORDER BY (SELECT count(*) FROM tickets AS t WHERE t.assignee_id = a.id AND t.status <> ?), a.display_name, a.id
		LIMIT 1`, true, legalRoleLike, guichet.StatusClosed).Scan(ctx, &id)
	if isNoRows(err) {
		return "", guichet.Invalid("requested_by_intervenant_id",
			"a request from an authority acting by law goes to the legal role (service juridique), and no active agent holds it")
	}
	if err != nil {
		return "", fmt.Errorf("find a legal agent: %w", err)
	}
	return id, nil
}

// DeliverLegalRequest tells every active legal agent about a ticket an
// authority acting by law asked for. Idempotent: an agent already told
// about the ticket is not told again.
func (s *Store) DeliverLegalRequest(ctx context.Context, job guichet.LegalRequestJob) error {
	return wrap("deliver legal request", s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, job.TicketID)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		var agents []string
		err = tx.NewRaw(`SELECT a.id FROM agents AS a WHERE a.active = ? AND a.roles LIKE ?
			AND NOT EXISTS (SELECT 1 FROM agent_notifications AS n WHERE n.agent_id = a.id AND n.ticket_id = ? AND n.kind = 'assignment')
			ORDER BY a.id`, true, legalRoleLike, row.ID).Scan(ctx, &agents)
		if err != nil || len(agents) == 0 {
			return err
		}
		msg, err := legalRequestMessage(ctx, tx, row, job.IntervenantID)
		if err != nil {
			return err
		}
		for _, a := range agents {
			if err := notifyAgent(ctx, tx, a, row.ID, "assignment", msg); err != nil {
				return err
			}
		}
		_, err = addEvent(ctx, tx, row.ID, guichet.EventNotification, true, msg, map[string]any{"legal_agents": agents})
		return err
	}))
}

// legalRequestMessage names the authority, the ticket and who has it.
func legalRequestMessage(ctx context.Context, tx *Tx, row *ticketRow, intervenantID string) (string, error) {
	who := "une autorité"
	if iv, err := loadIntervenant(ctx, tx, intervenantID); err == nil {
		who = fmt.Sprintf("%s (%s)", iv.Name, iv.Kind)
	} else if guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return "", err
	}
	msg := fmt.Sprintf("Demande de %s, autorité agissant de par la loi : ticket %s « %s » pour le service juridique", who, row.Number, row.Subject)
	if row.AssigneeID != nil {
		var name string
		if err := tx.NewSelect().Table("agents").Column("display_name").Where("id = ?", *row.AssigneeID).Scan(ctx, &name); err == nil {
			msg += ", attribué à " + name
		}
	}
	return msg, nil
}

// recheckMandate keeps a ticket opened at an intervenant's request within
// the mandate: moving it to another client or category needs a valid
// mandate in scope there too.
func (s *Store) recheckMandate(ctx context.Context, tx *Tx, before, row *ticketRow) error {
	if row.RequestedByIntervenantID == nil || (deref(before.ContactID) == deref(row.ContactID) &&
		deref(before.OrganisationID) == deref(row.OrganisationID) && before.Category == row.Category) {
		return nil
	}
	check, err := s.CheckMandate(ctx, tx, *row.RequestedByIntervenantID, deref(row.ContactID), deref(row.OrganisationID),
		guichet.Category(row.Category), tx.Now)
	if err != nil {
		return err
	}
	if !check.Allows() {
		return guichet.Invalid("requested_by_intervenant_id", "the ticket was opened at the intervenant's request: "+check.Detail)
	}
	return nil
}
