package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/textsearch"
)

// contractEmail is the pattern openapi.yaml's format "email" is checked with.
var contractEmail = regexp.MustCompile(`^[^@]+@[^@<>",\s]+$`)

func TestPeopleMakesValidContacts(t *testing.T) {
	t.Parallel()
	p := newPeople(42)
	for range 2000 {
		c := p.next()
		if c.FirstName == "" || c.LastName == "" {
			t.Fatalf("contact without a name: %+v", c)
		}
		if c.Email != "" {
			if _, ok := textsearch.NormalizeEmail(c.Email); !ok || !contractEmail.MatchString(c.Email) {
				t.Errorf("invalid email %q", c.Email)
			}
		}
		if c.Phone != "" {
			// Overseas departments share the plan: 0692… is Réunion, fine too.
			if _, ok := textsearch.NormalizePhone(c.Phone, "FR"); !ok {
				t.Errorf("phone %q is not a valid number", c.Phone)
			}
		}
	}
}

func TestMailWordSpellsNamesInASCII(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Mélanie": "melanie", "N'Diaye": "ndiaye", "Œuvray": "oeuvray", "Trần": "tran",
		"Jean-Pierre": "jean-pierre", "de La Tour": "delatour",
	}
	for in, want := range tests {
		if got := mailWord(in); got != want {
			t.Errorf("mailWord(%q) = %q, want %q", in, got, want)
		}
	}
}

// A search for a known contact must be able to find it: every term of the
// query is a prefix of one of the contact's tokens.
func TestQueriesForKnownContactsMatchThem(t *testing.T) {
	t.Parallel()
	p := newPeople(7)
	for range 500 {
		c := p.next()
		kind, q := p.query([]contact{c})
		if kind != queryFirstLast && (kind != queryEmail || c.Email == "") {
			continue
		}
		e164, _ := textsearch.NormalizePhone(c.Phone, "FR")
		tokens := textsearch.ContactTokens(c.FirstName, c.LastName, c.Email, e164, "FR")
		for _, term := range textsearch.QueryTerms(q) {
			if !hasPrefixed(tokens, term) {
				t.Errorf("%s query %q: term %q matches none of %q", kind, q, term, tokens)
			}
		}
	}
}

func hasPrefixed(tokens []string, term string) bool {
	for _, tok := range tokens {
		if strings.HasPrefix(tok, term) {
			return true
		}
	}
	return false
}
