package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/testdb"
)

// TestTicketSearchStrategiesAgree: a ticket search that finds its page by
// walking the list and one sent to the index after its first row (on
// PostgreSQL: with and without the planner's statistics, which decide
// which terms the index intersects) return the same tickets in the same
// order, page after page, newest or oldest first.
func TestTicketSearchStrategiesAgree(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, nil)
		ctx := context.Background()
		if err := e.Store.Seed(ctx); err != nil { // the shipped procedures
			t.Fatal(err)
		}
		words := []string{"facture", "relance", "quittance", "export", "fec", "mandat", "zèbre"}
		for i := range 60 {
			subject := "Demande"
			for j, w := range words {
				if i%(j+2) == 0 {
					subject += " " + w
				}
			}
			_, err := e.Store.CreateTicket(ctx, guichet.TicketCreate{Subject: fmt.Sprintf("%s n°%d", subject, i),
				Channel: guichet.ChannelEmail, Category: guichet.CategoryOther})
			if err != nil {
				t.Fatal(err)
			}
		}
		queries := []string{"facture", "fact relance", "quittance export", "zebre", "fec mandat zebre", "demande facture",
			"inconnu", "t-2026", "2026 n"}
		check := func(t *testing.T) {
			for _, f := range []guichet.TicketFilter{{Sort: "-created"}, {Sort: "created"}, {Status: guichet.StatusOpen}} {
				for _, q := range queries {
					f.Query = q
					e.Store.SetTicketWalkForTest(20000)
					walked := searchTicketsAll(t, e, f)
					for _, rows := range []int{1, 10} { // at once; after a few rows and the estimate
						e.Store.SetTicketWalkForTest(rows)
						if indexed := searchTicketsAll(t, e, f); !slices.Equal(walked, indexed) {
							t.Errorf("%+v: the walk found %v, the index after %d rows %v", f, walked, rows, indexed)
						}
					}
					if q == "facture" && len(walked) != 30 {
						t.Errorf("%+v found %d tickets, want 30", f, len(walked))
					}
				}
			}
		}
		t.Run("NoStatistics", check)
		if b.Name == "postgres" {
			if _, err := e.DB.Writer().ExecContext(ctx, "ANALYZE tickets, ticket_texts"); err != nil {
				t.Fatal(err)
			}
			t.Run("Statistics", check)
		}
	})
}

// searchTicketsAll pages through a ticket search 4 tickets at a time.
func searchTicketsAll(t *testing.T, e *env, f guichet.TicketFilter) []string {
	t.Helper()
	var numbers []string
	cursor := ""
	for {
		f.Page = guichet.PageRequest{Limit: 4, Cursor: cursor}
		page, err := e.Store.ListTickets(context.Background(), f)
		if err != nil {
			t.Fatalf("search %+v: %v", f, err)
		}
		for _, tk := range page.Items {
			numbers = append(numbers, tk.Number)
		}
		if page.NextCursor == "" {
			return numbers
		}
		cursor = page.NextCursor
	}
}
