package calendar_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/guichet/guichet/internal/calendar"
)

func TestEasterMatchesKnownDates(t *testing.T) {
	t.Parallel()
	known := map[int]string{
		2024: "2024-03-31",
		2025: "2025-04-20",
		2026: "2026-04-05",
		2027: "2027-03-28",
		2028: "2028-04-16",
		2029: "2029-04-01",
		2030: "2030-04-21",
	}
	for year, want := range known {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			t.Parallel()
			if got := calendar.Easter(year); got.String() != want {
				t.Errorf("Easter(%d) = %s, want %s", year, got, want)
			}
		})
	}
}

func TestHolidaysListsFrenchNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*calendar.Calendar)
		year int
		want []string
	}{
		{"National2026", nil, 2026, []string{
			"2026-01-01 Jour de l'an", "2026-04-06 Lundi de Pâques", "2026-05-01 Fête du Travail",
			"2026-05-08 Victoire 1945", "2026-05-14 Ascension", "2026-05-25 Lundi de Pentecôte",
			"2026-07-14 Fête nationale", "2026-08-15 Assomption", "2026-11-01 Toussaint",
			"2026-11-11 Armistice 1918", "2026-12-25 Noël",
		}},
		{"EasterBased2027", nil, 2027, []string{
			"2027-01-01 Jour de l'an", "2027-03-29 Lundi de Pâques", "2027-05-01 Fête du Travail",
			"2027-05-06 Ascension", "2027-05-08 Victoire 1945", "2027-05-17 Lundi de Pentecôte",
			"2027-07-14 Fête nationale", "2027-08-15 Assomption", "2027-11-01 Toussaint",
			"2027-11-11 Armistice 1918", "2027-12-25 Noël",
		}},
		{"WhitMondayWorked", func(c *calendar.Calendar) { c.WhitMondayWorked = true }, 2026, []string{
			"2026-01-01 Jour de l'an", "2026-04-06 Lundi de Pâques", "2026-05-01 Fête du Travail",
			"2026-05-08 Victoire 1945", "2026-05-14 Ascension",
			"2026-07-14 Fête nationale", "2026-08-15 Assomption", "2026-11-01 Toussaint",
			"2026-11-11 Armistice 1918", "2026-12-25 Noël",
		}},
		{"AlsaceMoselleAndLaReunion", func(c *calendar.Calendar) {
			c.Regions = []calendar.Region{calendar.AlsaceMoselle, calendar.LaReunion}
		}, 2026, []string{
			"2026-01-01 Jour de l'an", "2026-04-03 Vendredi saint", "2026-04-06 Lundi de Pâques", "2026-05-01 Fête du Travail",
			"2026-05-08 Victoire 1945", "2026-05-14 Ascension", "2026-05-25 Lundi de Pentecôte",
			"2026-07-14 Fête nationale", "2026-08-15 Assomption", "2026-11-01 Toussaint",
			"2026-11-11 Armistice 1918", "2026-12-20 Abolition de l'esclavage", "2026-12-25 Noël", "2026-12-26 Saint-Étienne",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			if tc.edit != nil {
				tc.edit(&c)
			}
			var got []string
			for _, h := range c.Holidays(tc.year) {
				got = append(got, h.Date.String()+" "+h.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Holidays(%d) =\n%q\nwant\n%q", tc.year, got, tc.want)
			}
		})
	}
}

func TestHolidaysOnTheSameDateAreBothListed(t *testing.T) {
	t.Parallel()
	got := calendar.Default().Holidays(2008) // Ascension fell on 1 May 2008
	var may1 []string
	for _, h := range got {
		if h.Date.String() == "2008-05-01" {
			may1 = append(may1, h.Name)
		}
	}
	if !slices.Equal(may1, []string{"Fête du Travail", "Ascension"}) {
		t.Errorf("1 May 2008: %q, want Fête du Travail and Ascension", may1)
	}
}

func TestOverseasAbolitionDays(t *testing.T) {
	t.Parallel()
	cases := map[calendar.Region]string{
		calendar.Guadeloupe: "2026-05-27",
		calendar.Martinique: "2026-05-22",
		calendar.Guyane:     "2026-06-10",
		calendar.LaReunion:  "2026-12-20",
		calendar.Mayotte:    "2026-04-27",
	}
	for region, want := range cases {
		t.Run(string(region), func(t *testing.T) {
			t.Parallel()
			c := calendar.Default()
			c.Regions = []calendar.Region{region}
			found := slices.ContainsFunc(c.Holidays(2026), func(h calendar.Holiday) bool {
				return h.Date.String() == want && h.Region == region && h.Name == "Abolition de l'esclavage"
			})
			if !found {
				t.Errorf("%s: no abolition day on %s", region, want)
			}
		})
	}
}
