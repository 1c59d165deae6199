package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
	"github.com/guichet/guichet/internal/textsearch"
)

// TestTicketSearch searches tickets through GET /tickets?q= the way a
// reception frontend would. Each subtest uses words of its own, so that
// they share one server.
func TestTicketSearch(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		p := team(t, env)
		t.Run("AccentsAndCaseAreIgnored", func(t *testing.T) { searchAccents(t, env, p) })
		t.Run("EveryWordMustMatch", func(t *testing.T) { searchAllWords(t, env, p) })
		t.Run("RepliesAndClientMessagesFoundInternalNotesNot", func(t *testing.T) { searchTimeline(t, env, p) })
		t.Run("NumberFindsItsTicket", func(t *testing.T) { searchNumber(t, env, p) })
		t.Run("FilterAndCursorNewestFirst", func(t *testing.T) { searchPages(t, env, p) })
		t.Run("SubjectChangeIsReindexed", func(t *testing.T) { searchAfterUpdate(t, env, p) })
		t.Run("QueryWithoutLetterOrDigitRefused", func(t *testing.T) { searchNothing(t, env, p) })
		t.Run("LongThreadIndexedUpToACap", func(t *testing.T) { searchLongThread(t, env, p) })
	})
}

// search returns the subjects of every ticket GET /tickets finds for
// query (url-encoded here) and extra parameters, page after page of limit
// items; it fails the test on a repeated ticket.
func search(t *testing.T, env *apitest.Env, token, query, extra string, limit int) []string {
	t.Helper()
	var subjects []string
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		path := fmt.Sprintf("/tickets?q=%s&limit=%d%s", url.QueryEscape(query), limit, extra)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var out struct {
			Items      []ticket `json:"items"`
			NextCursor *string  `json:"next_cursor"`
		}
		env.Get(token, path).Expect(t, http.StatusOK).JSON(t, &out)
		for _, tk := range out.Items {
			if seen[tk.ID] {
				t.Fatalf("q=%q%s: %s (%s) on two pages", query, extra, tk.Number, tk.Subject)
			}
			seen[tk.ID] = true
			subjects = append(subjects, tk.Subject)
		}
		if out.NextCursor == nil || *out.NextCursor == "" {
			return subjects
		}
		if len(out.Items) != limit || page > 1000 {
			t.Fatalf("q=%q%s: a page of %d items with a next cursor", query, extra, len(out.Items))
		}
		cursor = *out.NextCursor
	}
}

func wantFound(t *testing.T, env *apitest.Env, token, query string, want ...string) {
	t.Helper()
	if got := search(t, env, token, query, "", 50); !slices.Equal(got, want) {
		t.Errorf("q=%q found %q, want %q", query, got, want)
	}
}

func newTicket(t *testing.T, env *apitest.Env, p people, subject, description string) ticket {
	t.Helper()
	return createTicket(t, env, p.agent, map[string]any{"subject": subject, "description": description,
		"channel": "phone", "category": "routine_request"})
}

func searchAccents(t *testing.T, env *apitest.Env, p people) {
	s := "Coupure d'Électricité au 3ème étage"
	newTicket(t, env, p, s, "Le disjoncteur ŒUVRE saute dès 8 h.")
	for _, q := range []string{"electr", "ELEC", "électricité", "ÉLECTRICITÉ", "Electricite", "etage", "oeuvre", "DISJONCT", "3eme"} {
		wantFound(t, env, p.agent, q, s)
	}
	wantFound(t, env, p.agent, "lectricite") // a prefix of a word, not any substring
	wantFound(t, env, p.agent, "electricites")
}

func searchAllWords(t *testing.T, env *apitest.Env, p people) {
	a := newTicket(t, env, p, "Radiateur froid salle Gutenberg", "").Subject
	b := newTicket(t, env, p, "Radiateur bruyant accueil", "Le radiateur de la salle Gutenberg fuit.").Subject
	wantFound(t, env, p.agent, "radiat", b, a)
	wantFound(t, env, p.agent, "radiateur gutenb", b, a)
	wantFound(t, env, p.agent, "gutenberg froid", a)
	wantFound(t, env, p.agent, "radiateur chaudiere")
	wantFound(t, env, p.agent, "radiateur, accueil !", b)
}

func searchTimeline(t *testing.T, env *apitest.Env, p people) {
	tk := newTicket(t, env, p, "Badge perdu", "")
	wantFound(t, env, p.agent, "serrurier")
	env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "email",
		"body": "Le serrurier passera jeudi avec un nouveau badge."}).Expect(t, http.StatusCreated)
	wantFound(t, env, p.agent, "serru", tk.Subject)
	wantFound(t, env, p.agent, "badge serrurier jeud", tk.Subject)
	env.Post(p.agent, "/tickets/"+tk.ID+"/messages", map[string]any{"channel": "email",
		"body": "Merci, je serai présente à la loge."}).Expect(t, http.StatusCreated)
	wantFound(t, env, p.agent, "presente loge", tk.Subject)
	env.Post(p.agent, "/tickets/"+tk.ID+"/notes", map[string]any{"body": "Cliente très pénible, rester zygomatique."}).Expect(t, http.StatusCreated)
	wantFound(t, env, p.agent, "zygomat")
	wantFound(t, env, p.agent, "penible")
	// A later reply rewrites the document: the note stays out.
	env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "phone", "body": "Rappelée."}).Expect(t, http.StatusCreated)
	wantFound(t, env, p.agent, "zygomat")
	wantFound(t, env, p.agent, "rappelee serrurier", tk.Subject)
}

func searchNumber(t *testing.T, env *apitest.Env, p people) {
	tk := newTicket(t, env, p, "Demande d'attestation", "")
	_, digits, _ := strings.Cut(tk.Number[2:], "-") // T-2026-000042: "000042"
	year := tk.Number[2:6]
	for _, q := range []string{tk.Number, strings.ToLower(tk.Number), year + "-" + digits, digits, "T " + year + " " + digits} {
		wantFound(t, env, p.agent, q, tk.Subject)
	}
	short := strings.TrimLeft(digits, "0")
	if got := search(t, env, p.agent, short, "", 50); !slices.Contains(got, tk.Subject) {
		t.Errorf("q=%q found %q, want %q among them", short, got, tk.Subject)
	}
}

func searchPages(t *testing.T, env *apitest.Env, p people) {
	var bugs, all []string
	for i := range 9 {
		cat := "routine_request"
		if i%3 == 0 {
			cat = "bug_report"
		}
		s := fmt.Sprintf("Quokka %d en %s", i, cat)
		createTicket(t, env, p.agent, map[string]any{"subject": s, "channel": "email", "category": cat})
		all = append([]string{s}, all...) // newest first
		if cat == "bug_report" {
			bugs = append([]string{s}, bugs...)
		}
	}
	if got := search(t, env, p.agent, "quokka", "", 2); !slices.Equal(got, all) {
		t.Errorf("quokka, 2 a page: %q, want %q", got, all)
	}
	if got := search(t, env, p.agent, "quokka", "&category=bug_report", 2); !slices.Equal(got, bugs) {
		t.Errorf("quokka in bug reports, 2 a page: %q, want %q", got, bugs)
	}
	oldest := slices.Clone(all)
	slices.Reverse(oldest)
	if got := search(t, env, p.agent, "quokka", "&sort=created", 4); !slices.Equal(got, oldest) {
		t.Errorf("quokka oldest first: %q, want %q", got, oldest)
	}
	if got := search(t, env, p.agent, "quokka", "&category=appointment", 2); len(got) != 0 {
		t.Errorf("quokka in appointments: %q, want none", got)
	}
}

func searchAfterUpdate(t *testing.T, env *apitest.Env, p people) {
	tk := newTicket(t, env, p, "Fuite au plafond", "Tache brunâtre")
	wantFound(t, env, p.agent, "fuite", tk.Subject)
	var up ticket
	env.Patch(p.agent, "/tickets/"+tk.ID, tk.etag(), map[string]any{"subject": "Infiltration toiture", "description": "Tuiles cassées"}).
		Expect(t, http.StatusOK).JSON(t, &up)
	// The old description is gone; the old subject is still in the
	// timeline, as the text of the creation event.
	wantFound(t, env, p.agent, "brunatre")
	wantFound(t, env, p.agent, "fuite plafond", up.Subject)
	wantFound(t, env, p.agent, "infiltr toit", up.Subject)
	wantFound(t, env, p.agent, "tuiles cass", up.Subject)
}

func searchNothing(t *testing.T, env *apitest.Env, p people) {
	for _, q := range []string{"--- !!", "’", "🙂"} {
		pb := env.Get(p.agent, "/tickets?q="+url.QueryEscape(q)).Expect(t, http.StatusUnprocessableEntity).Problem(t)
		if !slices.Equal(fieldsOf(pb), []string{"q"}) {
			t.Errorf("q=%q: fields %v, want [q]", q, fieldsOf(pb))
		}
	}
}

// words returns n distinct words made of prefix and a number, 8 bytes
// each with the space that follows.
func words(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%06d ", prefix, i)
	}
	return b.String()
}

func searchLongThread(t *testing.T, env *apitest.Env, p people) {
	// Some 96 kB of distinct words each: the third text goes past the
	// 200 kB a document keeps (PostgreSQL refuses a tsvector of 1 MB).
	tk := newTicket(t, env, p, "Journal d'erreurs", words("d", 12000))
	for _, prefix := range []string{"r", "m"} {
		env.Post(p.agent, "/tickets/"+tk.ID+"/replies", map[string]any{"channel": "email", "body": words(prefix, 12000)}).
			Expect(t, http.StatusCreated)
	}
	wantFound(t, env, p.agent, "d000000 d011999", tk.Subject)
	wantFound(t, env, p.agent, "r000000 r011999", tk.Subject)
	wantFound(t, env, p.agent, "m011999")
}

// searchWords is the vocabulary of the parity corpus: word w is in one
// ticket in searchEvery[w] (see corpusHolds), so that some searches are
// answered by a walk of the list and others by the index.
var (
	searchWords = []string{"facture", "relance", "courrier", "échéancier", "huissier", "mutation", "quittance", "zèbre", "yaourt"}
	searchEvery = []int{2, 3, 5, 7, 11, 3, 5, 7, 4}
)

const (
	// searchCorpusSize is the first window of a walk (200 rows) and
	// searchOld: a walk from either end meets no rare word in its first
	// window.
	searchCorpusSize = 240
	searchOld        = 40
)

// TestTicketSearchSameOnBothDatabases runs the same searches on a corpus
// made the same way on each database, and compares every answer with what
// the search rules give and across databases.
func TestTicketSearchSameOnBothDatabases(t *testing.T) {
	t.Parallel()
	results := map[string]map[string][]string{}
	for _, b := range testdb.Backends() {
		env := apitest.Start(t, b)
		p := team(t, env)
		corpus := searchCorpus(t, env, p)
		byDue := listSubjects(t, env, p.agent, "sort=due")
		if len(byDue) != searchCorpusSize {
			t.Fatalf("%s: %d tickets with a due date, want all %d", b.Name, len(byDue), searchCorpusSize)
		}
		results[b.Name] = map[string][]string{}
		for _, c := range searchCases {
			got := search(t, env, p.agent, c.q, c.extra, c.limit)
			if want := expectedSearch(corpus, byDue, c.q, c.extra); !slices.Equal(got, want) {
				t.Errorf("%s: q=%q%s: found %d tickets\n%q\nwant %d\n%q", b.Name, c.q, c.extra, len(got), got, len(want), want)
			}
			results[b.Name][c.q+c.extra] = got
		}
	}
	if lite, pg := results["sqlite"], results["postgres"]; pg != nil {
		for k, v := range lite {
			if !slices.Equal(v, pg[k]) {
				t.Errorf("%s: sqlite found %q, postgres %q", k, v, pg[k])
			}
		}
	}
}

var searchCases = []struct {
	q, extra string
	limit    int
}{
	{"fact", "", 25},                       // every other ticket: a walk
	{"ECHEANCIER", "", 10},                 // one in seven: a longer walk
	{"zebre", "", 3},                       // only old tickets: the index
	{"quit", "", 2},                        // rare, from the index page after page
	{"mutation facture", "", 4},            // the index for "mutation", "facture" checked
	{"facture relance courrier", "", 7},    // three common words
	{"huissier zebre", "", 5},              // a common word and a rare one
	{"fac", "&category=bug_report", 6},     // a filter on a walk
	{"zèbre", "&category=bug_report", 2},   // a filter on a walk to the end
	{"relance", "&sort=created", 30},       // oldest first
	{"quittance", "&sort=created", 3},      // oldest first, from a walk
	{"yaourt", "&sort=created", 3},         // oldest first, from the index
	{"courrier", "&sort=due", 4},           // due order, a walk
	{"zebre", "&sort=due", 2},              // due order, from the index
	{"zebre", "&status=open", 2},           // a filter on the index
	{"courrier", "&status=open", 9},        // every ticket is open
	{"inconnu", "", 5},                     // nothing
	{"facture zebre quittance", "", 5},     // three words, one rare
	{"t-2026", "&category=appointment", 5}, // numbers; no such category in the corpus
}

// corpusTicket is what expectedSearch needs of a corpus ticket.
type corpusTicket struct {
	subject, description, category string
}

// searchCorpus creates searchCorpusSize tickets, oldest first, and
// returns them.
func searchCorpus(t *testing.T, env *apitest.Env, p people) []corpusTicket {
	t.Helper()
	var corpus []corpusTicket
	for i := range searchCorpusSize {
		var words []string
		for w := range searchWords {
			if corpusHolds(w, i) {
				words = append(words, searchWords[w])
			}
		}
		cat := []string{"routine_request", "bug_report", "accounting_question"}[i%3]
		c := corpusTicket{subject: fmt.Sprintf("Dossier n°%d", i), description: strings.Join(words, ", "), category: cat}
		// Letters and e-mails received at various times: the due order
		// is not the creation order.
		received := env.Clock.Now().Add(-time.Duration(searchCorpusSize-i) * 17 * time.Minute)
		createTicket(t, env, p.agent, map[string]any{"subject": c.subject, "description": c.description,
			"channel": []string{"email", "letter"}[i%2], "category": c.category, "received_at": received.Format(time.RFC3339)})
		corpus = append(corpus, c)
	}
	return corpus
}

// corpusHolds reports whether ticket i of the corpus holds word w: the
// first five words all along, the next three only in the searchOld oldest
// tickets, the last only in the searchOld newest.
func corpusHolds(w, i int) bool {
	if every := searchEvery[w]; i%every != w%every {
		return false
	}
	switch {
	case w < 5:
		return true
	case w < 8:
		return i < searchOld
	}
	return i >= searchCorpusSize-searchOld
}

// expectedSearch applies the search rules to the corpus: every word of q
// starts a word of the subject or description, ignoring case and accents
// (numbers left aside: the corpus is searched by words only). byDue is the
// corpus in due order, for sort=due.
func expectedSearch(corpus []corpusTicket, byDue []string, q, extra string) []string {
	terms := textsearch.Words(q)
	match := map[string]bool{}
	var out []string
	for _, c := range corpus {
		words := textsearch.Words(c.subject + " " + c.description)
		ok := !strings.Contains(extra, "category=") || strings.Contains(extra, "category="+c.category)
		for _, term := range terms {
			ok = ok && slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, term) })
		}
		if ok {
			out = append(out, c.subject)
			match[c.subject] = true
		}
	}
	switch {
	case strings.Contains(extra, "sort=due"):
		return slices.DeleteFunc(slices.Clone(byDue), func(s string) bool { return !match[s] })
	case !strings.Contains(extra, "sort=created"):
		slices.Reverse(out)
	}
	return out
}

// listSubjects returns the subjects of every ticket of GET /tickets?query.
func listSubjects(t *testing.T, env *apitest.Env, token, query string) []string {
	t.Helper()
	var subjects []string
	path := "/tickets?limit=100&" + query
	for {
		var out struct {
			Items      []ticket `json:"items"`
			NextCursor *string  `json:"next_cursor"`
		}
		env.Get(token, path).Expect(t, http.StatusOK).JSON(t, &out)
		for _, tk := range out.Items {
			subjects = append(subjects, tk.Subject)
		}
		if out.NextCursor == nil || *out.NextCursor == "" {
			return subjects
		}
		path = "/tickets?limit=100&" + query + "&cursor=" + url.QueryEscape(*out.NextCursor)
	}
}
