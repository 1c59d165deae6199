package httpapi

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/guichet/guichet/internal/csvexport"
	"github.com/guichet/guichet/internal/guichet"
)

// csvBatch is how many entries one query of an export reads: the export
// holds one batch in memory, whatever the period.
const csvBatch = 500

type acceptKey struct{}

// negotiate records in the request's context whether the client asked
// for CSV, for the strict handlers, which see only the context.
func negotiate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method == http.MethodGet && prefersCSV(req.Header.Get("Accept")) {
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), acceptKey{}, true)))
		}
		return next(c)
	}
}

func wantsCSV(ctx context.Context) bool {
	v, _ := ctx.Value(acceptKey{}).(bool)
	return v
}

// prefersCSV reports whether an Accept header ranks text/csv above JSON.
func prefersCSV(accept string) bool {
	csvQ, jsonQ := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		switch mt {
		case "text/csv":
			csvQ = max(csvQ, q)
		case "application/json", "application/*", "*/*":
			jsonQ = max(jsonQ, q)
		}
	}
	return csvQ > 0 && csvQ > jsonQ
}

// csvBook is the CSV export of a book, streamed batch by batch: it stands
// for the text/csv response of every book's list.
type csvBook struct {
	ctx   context.Context
	svc   guichet.InteractionService
	f     guichet.InteractionFilter
	book  string
	first guichet.Page[guichet.Interaction]
}

// newCSVBook reads the first batch now, so that a refused filter still
// gets its problem response before any CSV is written.
func (s *Server) newCSVBook(ctx context.Context, f guichet.InteractionFilter, book string) (*csvBook, error) {
	f.Names, f.Page = true, guichet.PageRequest{Limit: csvBatch}
	first, err := s.svc.Interactions.ListInteractions(ctx, f)
	if err != nil {
		return nil, err
	}
	return &csvBook{ctx: ctx, svc: s.svc.Interactions, f: f, book: book, first: first}, nil
}

func (b *csvBook) write(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Content-Type", csvexport.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": csvexport.Filename(b.book, time.Now().In(paris))}))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	cols := bookColumns(b.f.Kind)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.title
	}
	cw, err := csvexport.NewWriter(w, header)
	if err != nil {
		return err
	}
	return csvexport.Stream(cw, func(cursor string) (csvexport.Batch, error) {
		page := b.first
		if cursor != "" {
			f := b.f
			f.Page.Cursor = cursor
			var err error
			if page, err = b.svc.ListInteractions(b.ctx, f); err != nil {
				return csvexport.Batch{}, err
			}
		}
		out := csvexport.Batch{Rows: make([][]string, len(page.Items)), Next: page.NextCursor}
		for i, it := range page.Items {
			row := make([]string, len(cols))
			for j, c := range cols {
				row[j] = c.value(it)
			}
			out.Rows[i] = row
		}
		return out, nil
	})
}

func (b *csvBook) VisitListCallsResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b *csvBook) VisitListVoicemailsResponse(w http.ResponseWriter) error   { return b.write(w) }
func (b *csvBook) VisitListVisitsResponse(w http.ResponseWriter) error       { return b.write(w) }
func (b *csvBook) VisitListLettersResponse(w http.ResponseWriter) error      { return b.write(w) }
func (b *csvBook) VisitListBailiffActsResponse(w http.ResponseWriter) error  { return b.write(w) }
func (b *csvBook) VisitListInteractionsResponse(w http.ResponseWriter) error { return b.write(w) }

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// column is one column of a book's CSV, headed in French like the paper
// books it replaces.
type column struct {
	title string
	value func(guichet.Interaction) string
}

func parisTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(paris).Format("2006-01-02 15:04")
}

var kindNames = map[guichet.InteractionKind]string{guichet.KindCall: "appel", guichet.KindVoicemail: "message vocal",
	guichet.KindVisit: "visite", guichet.KindLetter: "courrier", guichet.KindBailiffAct: "acte d'huissier"}

var outcomeNames = map[guichet.Outcome]string{guichet.OutcomeAnswered: "répondu",
	guichet.OutcomeTransferredToSupervisor: "transféré à un encadrant", guichet.OutcomeReferredToSupervisor: "adressé à un encadrant",
	guichet.OutcomeOrientedElsewhere: "orienté ailleurs", guichet.OutcomeMessageTaken: "message pris"}

var statusNames = map[guichet.LetterStatus]string{guichet.LetterReceived: "reçu", guichet.LetterScanned: "scanné",
	guichet.LetterProcessed: "traité", guichet.LetterAnswered: "répondu", guichet.LetterArchived: "archivé"}

func yesNo(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

var (
	colDate      = column{"Date", func(i guichet.Interaction) string { return parisTime(&i.OccurredAt) }}
	colKind      = column{"Type", func(i guichet.Interaction) string { return kindNames[i.Kind] }}
	colAgent     = column{"Agent", func(i guichet.Interaction) string { return i.AgentName }}
	colContact   = column{"Contact", func(i guichet.Interaction) string { return i.ContactName }}
	colName      = column{"Nom donné", func(i guichet.Interaction) string { return i.Identity.Name }}
	colStructure = column{"Structure", func(i guichet.Interaction) string { return i.Identity.Structure }}
	colPhone     = column{"Téléphone", func(i guichet.Interaction) string { return i.Identity.Phone }}
	colEmail     = column{"Email", func(i guichet.Interaction) string { return i.Identity.Email }}
	colReason    = column{"Motif", func(i guichet.Interaction) string { return i.Reason }}
	colOutcome   = column{"Issue", func(i guichet.Interaction) string { return outcomeNames[i.Outcome] }}
	colOriented  = column{"Orienté vers", func(i guichet.Interaction) string { return i.OrientedTo }}
	colStatus    = column{"Statut", func(i guichet.Interaction) string { return statusNames[i.Status] }}
	colTickets   = column{"Tickets", func(i guichet.Interaction) string {
		n := make([]string, len(i.Tickets))
		for j, t := range i.Tickets {
			n[j] = t.Number
		}
		return strings.Join(n, " ")
	}}
	colConfirmation = column{"Confirmation écrite", func(i guichet.Interaction) string {
		switch {
		case i.Confirmation != nil:
			return parisTime(&i.Confirmation.At)
		case i.NeedsConfirmation:
			return "à confirmer"
		}
		return ""
	}}
	colNotes = column{"Notes", func(i guichet.Interaction) string { return i.Notes }}
	colID    = column{"Identifiant", func(i guichet.Interaction) string { return i.ID }}
)

// bookColumns are the columns of a book's export ("" for every book).
func bookColumns(kind guichet.InteractionKind) []column {
	who := []column{colAgent, colContact, colName, colStructure, colPhone, colEmail, colReason}
	end := []column{colTickets, colConfirmation, colNotes, colID}
	var own []column
	switch kind {
	case guichet.KindCall:
		own = []column{{"Sens", func(i guichet.Interaction) string {
			return map[string]string{"inbound": "entrant", "outbound": "sortant"}[i.Direction]
		}}, colOutcome, colOriented}
	case guichet.KindVoicemail:
		own = []column{{"Consulté le", func(i guichet.Interaction) string { return parisTime(i.ConsultedAt) }}}
	case guichet.KindVisit:
		own = []column{{"Sur rendez-vous", func(i guichet.Interaction) string { return yesNo(!i.WalkIn) }}, colOutcome, colOriented}
	case guichet.KindLetter:
		own = []column{colStatus, {"Recommandé", func(i guichet.Interaction) string { return yesNo(i.Registered) }},
			{"N° de suivi", func(i guichet.Interaction) string { return i.TrackingNumber }}}
	case guichet.KindBailiffAct:
		own = []column{colStatus, {"Acte", func(i guichet.Interaction) string { return i.ActType }},
			{"Signifié le", func(i guichet.Interaction) string { return parisTime(i.ServedAt) }},
			{"Huissier", func(i guichet.Interaction) string { return i.BailiffName }},
			{"Étude", func(i guichet.Interaction) string { return i.BailiffOffice }},
			{"Échéance", func(i guichet.Interaction) string { return parisTime(i.Deadline) }}}
	default:
		return append(append([]column{colDate, colKind}, who...), append([]column{colOutcome, colStatus}, end...)...)
	}
	return append(append(append([]column{colDate}, who...), own...), end...)
}
