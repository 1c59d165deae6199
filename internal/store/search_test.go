package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/testdb"
)

// TestSearchStrategiesAgree: whichever way a search picks its rows (the
// rarest term drives, every term probes while walking the list order, or
// the terms' matches are intersected first), it returns the same contacts
// in the same order, page after page.
func TestSearchStrategiesAgree(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, nil)
		ctx := context.Background()
		people := [][2]string{
			{"Mélanie", "LOUBET"}, {"Mélanie", "Dupont"}, {"Marc", "Loubière"}, {"Marie", "Louis"},
			{"Éric", "Martin"}, {"Émile", "Marchand"}, {"Zoé", "Lou"}, {"Jean-Pierre", "N'Diaye"},
			{"Maëlle", "Loupiac"}, {"Mathis", "Durand"}, {"Louise", "Mélan"}, {"Lou", "Martinez"},
		}
		for i := 0; i < 3; i++ { // several people share each name
			for _, p := range people {
				if _, err := e.Store.CreateContact(ctx, guichet.Contact{FirstName: p[0], LastName: p[1], Individual: true}, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		strategies := map[string][3]int{
			"drive":           {1 << 30, 1 << 30, 1 << 30}, // every term is rare
			"walk":            {0, 0, 1 << 30},             // every term is broad
			"walk-then-drive": {0, 0, 5},                   // a short walk, then the fallback
			"intersect":       {0, 1 << 30, 1 << 30},       // broad terms, rare combinations
		}
		queries := []string{"m", "mel", "melanie lou", "lou m", "ma lo", "jean pierre", "ndiaye", "lou", "zzz", "e m l"}
		for _, sort := range []string{guichet.SortByName, guichet.SortByCreatedAt} {
			for _, q := range queries {
				var want []string
				for name, lim := range strategies {
					e.Store.SetSearchLimitsForTest(lim[0], lim[1], lim[2])
					got := searchAll(t, e, q, sort)
					if want == nil {
						want = got
					} else if !slices.Equal(got, want) {
						t.Fatalf("q=%q sort=%s: %s gives %d contacts %v, another strategy %d %v", q, sort, name, len(got), got, len(want), want)
					}
				}
				if q == "melanie lou" && len(want) != 3 {
					t.Fatalf("q=%q found %d contacts, want the 3 Mélanie LOUBET", q, len(want))
				}
			}
		}
	})
}

// searchAll pages through a search 4 contacts at a time.
func searchAll(t *testing.T, e *env, q, sort string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for {
		page, err := e.Store.ListContacts(context.Background(), guichet.ContactFilter{Query: q, Sort: sort,
			Page: guichet.PageRequest{Limit: 4, Cursor: cursor}})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}
