package calendar

import (
	"slices"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/fr"
)

// Holiday is a public holiday on which the company is closed.
type Holiday struct {
	Date   Date   `json:"date"`
	Name   string `json:"name"`             // French name, e.g. "Lundi de Pâques"
	Region Region `json:"region,omitempty"` // empty for national holidays
}

// Region names an optional set of regional public holidays.
type Region string

// Regional holiday sets.
const (
	// AlsaceMoselle adds Vendredi saint (Good Friday) and Saint-Étienne (26 December).
	AlsaceMoselle Region = "alsace_moselle"
	// The overseas departments add the day of the abolition of slavery.
	Guadeloupe Region = "guadeloupe" // 27 May
	Martinique Region = "martinique" // 22 May
	Guyane     Region = "guyane"     // 10 June
	LaReunion  Region = "la_reunion" // 20 December
	Mayotte    Region = "mayotte"    // 27 April
)

// The library's rules, renamed to the names Guichet shows. Clones, so that
// the library's shared values are never modified.
var (
	whitMonday = fr.LundiDePentecôte.Clone(&cal.Holiday{Name: "Lundi de Pentecôte"})

	national = []*cal.Holiday{
		fr.NouvelAn.Clone(&cal.Holiday{Name: "Jour de l'an"}),
		fr.LundiDePâques.Clone(&cal.Holiday{Name: "Lundi de Pâques"}),
		fr.FêteDuTravail.Clone(&cal.Holiday{Name: "Fête du Travail"}),
		fr.FêteDeLaVictoire.Clone(&cal.Holiday{Name: "Victoire 1945"}),
		fr.Ascension.Clone(&cal.Holiday{Name: "Ascension"}),
		whitMonday,
		fr.FêteNationale.Clone(&cal.Holiday{Name: "Fête nationale"}),
		fr.Assomption.Clone(&cal.Holiday{Name: "Assomption"}),
		fr.Toussaint.Clone(&cal.Holiday{Name: "Toussaint"}),
		fr.Armistice1918.Clone(&cal.Holiday{Name: "Armistice 1918"}),
		fr.Noël.Clone(&cal.Holiday{Name: "Noël"}),
	}

	regional = map[Region][]*cal.Holiday{
		AlsaceMoselle: {
			aa.GoodFriday.Clone(&cal.Holiday{Name: "Vendredi saint", Type: cal.ObservancePublic}),
			aa.ChristmasDay2.Clone(&cal.Holiday{Name: "Saint-Étienne", Type: cal.ObservancePublic}),
		},
		Guadeloupe: {abolition(time.May, 27)},
		Martinique: {abolition(time.May, 22)},
		Guyane:     {abolition(time.June, 10)},
		LaReunion:  {abolition(time.December, 20)},
		Mayotte:    {abolition(time.April, 27)},
	}
)

func abolition(m time.Month, day int) *cal.Holiday {
	return &cal.Holiday{
		Name:  "Abolition de l'esclavage",
		Type:  cal.ObservancePublic,
		Month: m,
		Day:   day,
		Func:  cal.CalcDayOfMonth,
	}
}

func regionNames() []string {
	names := make([]string, 0, len(regional))
	for r := range regional {
		names = append(names, string(r))
	}
	slices.Sort(names)
	return names
}

// Easter returns the date of Easter Sunday in the Gregorian calendar.
func Easter(year int) Date {
	d, _ := aa.Easter.Calc(year)
	return DateOf(d)
}

// Holidays returns the public holidays c observes in year, sorted by date:
// the national ones (without Whit Monday if c.WhitMondayWorked), then those
// of c.Regions. Two holidays on one date (Ascension on 1 May 2008) are both
// listed. Closures are not holidays and are not listed.
func (c Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	add := func(rules []*cal.Holiday, r Region) {
		for _, h := range rules {
			if h == whitMonday && c.WhitMondayWorked {
				continue
			}
			// The library returns local midnight of the right date; only
			// the date is kept.
			if d, _ := h.Calc(year); !d.IsZero() {
				out = append(out, Holiday{Date: DateOf(d), Name: h.Name, Region: r})
			}
		}
	}
	add(national, "")
	for _, r := range c.Regions {
		add(regional[r], r)
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// holidayNames maps each holiday date of year to its name, joining the
// names of holidays that share a date.
func (c Calendar) holidayNames(year int) map[Date]string {
	m := make(map[Date]string)
	for _, h := range c.Holidays(year) {
		if prev, ok := m[h.Date]; ok && !strings.Contains(prev, h.Name) {
			m[h.Date] = prev + ", " + h.Name
		} else if !ok {
			m[h.Date] = h.Name
		}
	}
	return m
}
