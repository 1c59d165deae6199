package seed

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/guichet"
)

// The API takes what Generator makes: the contract's bounds, known
// channels, categories and urgencies, no formatting left-overs.
func TestGeneratorMakesValidTickets(t *testing.T) {
	t.Parallel()
	g := NewGenerator(42)
	seen := map[guichet.Category]int{}
	for range 5000 {
		tk := g.Next()
		seen[tk.Category]++
		switch {
		case tk.Subject == "" || utf8.RuneCountInString(tk.Subject) > 300:
			t.Fatalf("subject %q: want 1 to 300 characters", tk.Subject)
		case len(tk.Description) > 100_000 || strings.TrimSpace(tk.Description) == "":
			t.Fatalf("description %q", tk.Description)
		case !tk.Channel.Valid() || !tk.Category.Valid() || !tk.Urgency.Valid():
			t.Fatalf("ticket %+v: unknown channel, category or urgency", tk)
		case len(tk.FileReference) > 100:
			t.Fatalf("file reference %q", tk.FileReference)
		}
		for _, s := range []string{tk.Subject, tk.Description} {
			if strings.Contains(s, "%!") || strings.Contains(s, "%[") || strings.Contains(s, "%s") {
				t.Fatalf("formatting left in %q", s)
			}
		}
		if r, _ := utf8.DecodeRuneInString(tk.Subject); !unicode.IsUpper(r) {
			t.Errorf("subject %q does not start with a capital", tk.Subject)
		}
	}
	for _, c := range Categories {
		if seen[c] == 0 {
			t.Errorf("no ticket of category %s in 5000", c)
		}
	}
}

func TestGeneratorKeepsToItsCategories(t *testing.T) {
	t.Parallel()
	want := []guichet.Category{guichet.CategoryBugReport, guichet.CategoryRoutineRequest}
	g := NewGenerator(7, want...)
	for range 500 {
		if c := g.Next().Category; !slices.Contains(want, c) {
			t.Fatalf("category %s, want one of %v", c, want)
		}
	}
}

func TestGeneratorIsRepeatable(t *testing.T) {
	t.Parallel()
	a, b := NewGenerator(3), NewGenerator(3)
	for range 100 {
		if x, y := a.Next(), b.Next(); x != y {
			t.Fatalf("same seed, different tickets:\n%+v\n%+v", x, y)
		}
	}
	if NewGenerator(3).Next() == NewGenerator(4).Next() {
		t.Error("seeds 3 and 4 begin with the same ticket")
	}
}

func TestCapitalise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"l'export FEC": "L'export FEC", "écran blanc": "Écran blanc", "": "", "Déjà": "Déjà"} {
		if got := capitalise(in); got != want {
			t.Errorf("capitalise(%q) = %q, want %q", in, got, want)
		}
	}
}
