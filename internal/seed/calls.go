package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
)

// CallOptions say what Calls seeds.
type CallOptions struct {
	N     int // calls to write
	Batch int // calls per transaction, one INSERT each (default 2000)
	// Contacts are created through the store first (default 1000), a
	// fifth of them unidentified as an unknown caller's would be; nearly
	// every call names one of them.
	Contacts int
	// Agents took the calls (required); Supervisors, when any, are whom
	// some were transferred to.
	Agents, Supervisors []string
	// The calls are spread evenly from Since (default a year before Now)
	// to Now (default time.Now).
	Now, Since time.Time
	Seed       uint64
	// Progress, when set, is called after each batch with the calls
	// written so far.
	Progress func(done int)
}

// CallResult is what Calls wrote.
type CallResult struct {
	Calls, Contacts int
	Unconfirmed     int // calls still to be confirmed in writing
	Took            time.Duration
}

// Calls writes opts.N calls into the book of calls as CreateInteraction
// would have logged them, without their audit rows: who called (the
// identity as said, its contact), the reason, the outcome and, for the
// older ones that need it, their written confirmation. Run it while no
// server writes to the database; on error, the batches already committed
// stay.
func Calls(ctx context.Context, s *store.Store, opts CallOptions) (CallResult, error) {
	start := time.Now()
	if opts.N <= 0 {
		return CallResult{}, nil
	}
	if len(opts.Agents) == 0 {
		return CallResult{}, errors.New("seed calls: no agents to take them")
	}
	opts = callDefaults(opts)
	cs, err := callers(ctx, s, opts.Contacts, opts.Seed)
	res := CallResult{Contacts: len(cs)}
	if err != nil {
		return res, fmt.Errorf("seed calls: %w", err)
	}
	db := s.DB().Writer()
	for lo := 0; lo < opts.N; lo += opts.Batch {
		rows := callRows(opts, cs, lo, min(lo+opts.Batch, opts.N))
		if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			res.Took = time.Since(start)
			return res, fmt.Errorf("seed calls: batch at %d: %w", lo, err)
		}
		res.Calls += len(rows)
		for _, r := range rows {
			if r.Unconfirmed {
				res.Unconfirmed++
			}
		}
		if opts.Progress != nil {
			opts.Progress(res.Calls)
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

func callDefaults(opts CallOptions) CallOptions {
	if opts.Batch <= 0 {
		opts.Batch = defaultBatch
	}
	if opts.Contacts <= 0 {
		opts.Contacts = 1000
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC().Truncate(time.Microsecond)
	if opts.Since.IsZero() || !opts.Since.Before(opts.Now) {
		opts.Since = opts.Now.AddDate(-1, 0, 0)
	}
	return opts
}

// caller is a contact as callers name themselves.
type caller struct {
	id, name, phone, email, structure string
}

// callers creates n contacts through the store, as the system, from
// four goroutines (SQLite shares their commits): four in five known
// clients, the others as an unknown caller leaves them — a name in
// capitals, a phone, the structure in the notes, no organisation.
func callers(ctx context.Context, s *store.Store, n int, seed uint64) ([]caller, error) {
	out := make([]caller, n)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range errs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)+0xca11))
			for i := w; i < n && errs[w] == nil; i += len(errs) {
				out[i], errs[w] = newCaller(ctx, s, rng, i%5 == 4)
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func newCaller(ctx context.Context, s *store.Store, rng *rand.Rand, unknown bool) (caller, error) {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	c := guichet.Contact{FirstName: pick(FirstNames), LastName: pick(LastNames), Phone: phone(rng), Individual: true}
	structure := ""
	if unknown || rng.IntN(3) == 0 {
		structure = pick(Structures)
	}
	if unknown {
		c = guichet.Contact{LastName: strings.ToUpper(c.LastName), Phone: c.Phone, Notes: "Structure : " + structure}
	}
	saved, err := s.CreateContact(ctx, c, true)
	if err != nil {
		return caller{}, fmt.Errorf("create contact: %w", err)
	}
	return caller{id: saved.ID, name: saved.DisplayName(), phone: saved.Phone, email: saved.Email, structure: structure}, nil
}

// phone returns a French number, mobile or not, as people write it.
func phone(rng *rand.Rand) string {
	lead := []int{6, 6, 6, 7, 1, 2, 3, 4, 5, 9}[rng.IntN(10)]
	second := 10 + rng.IntN(90)
	if lead == 7 {
		second = 50 + rng.IntN(40) // the allocated mobile ranges
	}
	return fmt.Sprintf("0%d %02d %02d %02d %02d", lead, second, rng.IntN(100), rng.IntN(100), rng.IntN(100))
}

// callRow is a call in the interactions table; the other kinds' columns
// take their defaults.
type callRow struct {
	bun.BaseModel `bun:"table:interactions"`

	ID                string     `bun:"id"`
	Kind              string     `bun:"kind"`
	OccurredAt        time.Time  `bun:"occurred_at"`
	AgentID           string     `bun:"agent_id"`
	ContactID         *string    `bun:"contact_id"`
	IdentityName      string     `bun:"identity_name"`
	IdentityStructure string     `bun:"identity_structure"`
	IdentityPhone     string     `bun:"identity_phone"`
	IdentityEmail     string     `bun:"identity_email"`
	Reason            string     `bun:"reason"`
	Notes             string     `bun:"notes"`
	Direction         string     `bun:"direction"`
	Outcome           string     `bun:"outcome"`
	TransferredTo     *string    `bun:"transferred_to"`
	OrientedTo        string     `bun:"oriented_to"`
	NeedsConfirmation bool       `bun:"needs_confirmation"`
	Unconfirmed       bool       `bun:"unconfirmed"`
	ConfirmedAt       *time.Time `bun:"confirmed_at"`
	ConfirmedBy       *string    `bun:"confirmed_by"`
	ConfirmationText  string     `bun:"confirmation_text"`
	Version           int        `bun:"version"`
	CreatedBy         *string    `bun:"created_by"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

var (
	outsideServices = []string{"ADIL 974", "CAF de La Réunion", "Conciliateur de justice", "Chambre des notaires",
		"France Services de Saint-Pierre", "Maison de la justice et du droit", "Service des impôts des particuliers"}
	callNotes = []string{"Rappeler avant 17 h.", "Envoie les pièces par courriel.", "Client mécontent du délai.",
		"Attend un devis.", "Déjà appelé la semaine dernière.", "Demande un rendez-vous.", "Préfère être contacté par SMS."}
	confirmations = []string{"Confirmé par courriel au client.", "Réponse écrite envoyée sur le ticket.",
		"Confirmation envoyée par courrier.", "Récapitulatif de l'échange envoyé par courriel."}
)

// callRows builds the calls lo to hi-1 of the run, deterministically
// from the seed and lo but for their ids (time-ordered UUIDs, as the
// store makes).
func callRows(opts CallOptions, cs []caller, lo, hi int) []callRow {
	g := NewGenerator(opts.Seed<<32 | uint64(lo))
	rng := g.Rand()
	span := float64(opts.Now.Sub(opts.Since))
	rows := make([]callRow, 0, hi-lo)
	for i := lo; i < hi; i++ {
		at := opts.Since.Add(time.Duration(span * (float64(i) + 0.5) / float64(opts.N))).Truncate(time.Microsecond)
		agent := opts.Agents[rng.IntN(len(opts.Agents))]
		r := callRow{ID: newID(), Kind: string(guichet.KindCall), OccurredAt: at, AgentID: agent,
			Reason: g.Next().Subject, Direction: "inbound", Version: 1, CreatedBy: &agent}
		setCaller(&r, rng, cs)
		setOutcome(&r, rng, opts.Supervisors)
		if rng.IntN(10) < 3 {
			r.Notes = callNotes[rng.IntN(len(callNotes))]
		}
		if rng.IntN(100) < 15 {
			r.Direction = "outbound"
		}
		r.CreatedAt = minTime(at.Add(time.Duration(1+rng.IntN(10))*time.Minute), opts.Now)
		r.UpdatedAt = r.CreatedAt
		confirm(&r, rng, opts.Now)
		rows = append(rows, r)
	}
	return rows
}

// setCaller names who called: one of the contacts, with or without the
// structure they speak for, or (one in thirty) a structure alone.
func setCaller(r *callRow, rng *rand.Rand, cs []caller) {
	if rng.IntN(30) == 0 {
		r.IdentityStructure = Structures[rng.IntN(len(Structures))]
		return
	}
	c := cs[rng.IntN(len(cs))]
	r.ContactID = &c.id
	r.IdentityName, r.IdentityPhone, r.IdentityEmail, r.IdentityStructure = c.name, c.phone, c.email, c.structure
}

// setOutcome: mostly answered, else a message taken, a transfer to a
// supervisor or an orientation elsewhere.
func setOutcome(r *callRow, rng *rand.Rand, supervisors []string) {
	o := guichet.OutcomeAnswered
	switch n := rng.IntN(100); {
	case n < 15:
		o = guichet.OutcomeMessageTaken
	case n < 23 && len(supervisors) > 0:
		o = guichet.OutcomeTransferredToSupervisor
		r.TransferredTo = &supervisors[rng.IntN(len(supervisors))]
	case n < 30:
		o = guichet.OutcomeOrientedElsewhere
		r.OrientedTo = outsideServices[rng.IntN(len(outsideServices))]
	}
	r.Outcome = string(o)
	r.NeedsConfirmation = guichet.NeedsConfirmation(guichet.KindCall, o)
	r.Unconfirmed = r.NeedsConfirmation
}

// confirm confirms in writing, hours after the call, nearly every call
// that needs it and is more than two days old.
func confirm(r *callRow, rng *rand.Rand, now time.Time) {
	if !r.NeedsConfirmation || now.Sub(r.OccurredAt) < 48*time.Hour || rng.IntN(100) < 3 {
		return
	}
	at, by := r.CreatedAt.Add(time.Duration(30+rng.IntN(300))*time.Minute), r.AgentID
	r.ConfirmedAt, r.ConfirmedBy, r.Unconfirmed = &at, &by, false
	r.ConfirmationText = confirmations[rng.IntN(len(confirmations))]
	r.Version, r.UpdatedAt = 2, at
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
