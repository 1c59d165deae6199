package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/guichet/guichet/internal/seed"
)

var mailDomains = []string{
	"orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "gmail.com",
	"hotmail.fr", "yahoo.fr", "outlook.fr", "bbox.fr", "mairie-lyon.fr",
	"cabinet-martin.fr", "notaires.fr", "exemple.fr",
}

// people makes plausible contacts, deterministically from its seed. It is
// not safe for concurrent use: give each worker its own.
type people struct {
	rng *rand.Rand
}

func newPeople(seed uint64) *people {
	return &people{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

func (p *people) pick(list []string) string { return list[p.rng.IntN(len(list))] }

// next returns a new contact; about one in ten has no email, one in ten no
// phone, one in five a last name in capitals.
func (p *people) next() contact {
	first, last := p.pick(seed.FirstNames), p.pick(seed.LastNames)
	c := contact{FirstName: first, LastName: last, Individual: true, AllowDuplicate: true}
	if p.rng.IntN(5) == 0 {
		c.LastName = strings.ToUpper(last)
	}
	if p.rng.IntN(10) != 0 {
		c.Email = p.email(first, last)
	}
	if p.rng.IntN(10) != 0 {
		c.Phone = p.phone()
	}
	return c
}

// email builds an address from the names, in one of the usual shapes.
func (p *people) email(first, last string) string {
	f, l := mailWord(first), mailWord(last)
	var local string
	switch p.rng.IntN(4) {
	case 0:
		local = f + "." + l
	case 1:
		local = f[:1] + "." + l
	case 2:
		local = fmt.Sprintf("%s%s%d", f, l, p.rng.IntN(100))
	default:
		local = l + "." + f
	}
	return local + "@" + p.pick(mailDomains)
}

// phone returns a French number, mobile (06, 07) or not, written the ways
// people write them.
func (p *people) phone() string {
	var d [5]int
	switch n := p.rng.IntN(10); {
	case n < 5:
		d[0] = 6
	case n < 7:
		d[0] = 7
		d[1] = 50 + p.rng.IntN(40) // 07 50–89 are the allocated mobile ranges
	default:
		d[0] = []int{1, 2, 3, 4, 5, 9}[p.rng.IntN(6)]
	}
	if d[1] == 0 {
		d[1] = 10 + p.rng.IntN(90)
	}
	for i := 2; i < 5; i++ {
		d[i] = p.rng.IntN(100)
	}
	switch p.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("0%d %02d %02d %02d %02d", d[0], d[1], d[2], d[3], d[4])
	case 1:
		return fmt.Sprintf("0%d%02d%02d%02d%02d", d[0], d[1], d[2], d[3], d[4])
	default:
		return fmt.Sprintf("+33 %d %02d %02d %02d %02d", d[0], d[1], d[2], d[3], d[4])
	}
}

// mailWord spells a name for an e-mail address: lower case, ASCII,
// without spaces or apostrophes ("N'Diaye" gives "ndiaye", "Œuvray" gives
// "oeuvray").
func mailWord(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case r == 'œ':
			b.WriteString("oe")
		case r == '-' || (r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Search query kinds, in report order.
const (
	queryLetter    = "1 letter"
	queryPrefix3   = "3 letters"
	queryFirstLast = "prénom nom"
	queryEmail     = "email"
	queryPhone     = "phone"
)

var queryKinds = []string{queryLetter, queryPrefix3, queryFirstLast, queryEmail, queryPhone}

// query returns a search a user could type, of a random kind: "m", "lou",
// "mélanie lou", "m.loubet@or", "06 12". The last two kinds look for one
// of known, the contacts created so far, as a user would; without them
// they make up a person.
func (p *people) query(known []contact) (kind, q string) {
	kind = queryKinds[p.rng.IntN(len(queryKinds))]
	someone := p.next()
	if len(known) > 0 {
		someone = known[p.rng.IntN(len(known))]
	}
	switch kind {
	case queryLetter:
		return kind, strings.ToLower(prefix(p.pick(seed.LastNames), 1))
	case queryPrefix3:
		last := p.pick(seed.LastNames)
		if p.rng.IntN(2) == 0 {
			last = mailWord(last) // typed without accents
		}
		return kind, strings.ToLower(prefix(last, 3))
	case queryFirstLast:
		return kind, strings.ToLower(someone.FirstName + " " + prefix(someone.LastName, 2+p.rng.IntN(3)))
	case queryEmail:
		addr := someone.Email
		if addr == "" {
			addr = p.email(someone.FirstName, someone.LastName)
		}
		at := strings.IndexByte(addr, '@')
		return kind, addr[:at+1+p.rng.IntN(3)]
	default:
		return kind, fmt.Sprintf("06 %02d", 10+p.rng.IntN(90))
	}
}

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
