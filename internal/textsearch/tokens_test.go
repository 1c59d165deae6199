package textsearch

import (
	"slices"
	"strings"
	"testing"
)

func TestNameTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parts []string
		want  []string
	}{
		{"FirstAndLast", []string{"Mélanie", "LOUBET"}, []string{"melanie", "loubet"}},
		{"CompoundsAlsoJoined", []string{"Jean-Pierre", "N'Diaye"},
			[]string{"jean", "pierre", "n", "diaye", "jeanpierre", "ndiaye"}},
		{"DedupedAcrossParts", []string{"Jean", "JEAN"}, []string{"jean"}},
		{"Organisation", []string{"Société Générale d’Œuvres"},
			[]string{"societe", "generale", "d", "oeuvres", "doeuvres"}},
		{"EmojisDropped", []string{"🎉", "Zoé 🎉"}, []string{"zoe"}},
		{"LongWordTruncated", []string{strings.Repeat("α", 40)}, []string{strings.Repeat("α", 32)}},
		{"Empty", []string{"", " "}, nil},
		{"NoParts", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NameTokens(tt.parts...); !slices.Equal(got, tt.want) {
				t.Errorf("NameTokens(%q) = %q, want %q", tt.parts, got, tt.want)
			}
		})
	}
}

func TestEmailTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"Plain", "jean.dupont@exemple.fr",
			[]string{"jean.dupont@exemple.fr", "jean", "dupont", "exemple", "fr"}},
		{"TrimmedAndLowered", " Jean.Dupont@Exemple.FR ",
			[]string{"jean.dupont@exemple.fr", "jean", "dupont", "exemple", "fr"}},
		{"AccentFolded", "josé@exemple.fr", []string{"jose@exemple.fr", "jose", "exemple", "fr"}},
		{"ApostropheAsQueried", "o'neil@exemple.fr",
			[]string{"o neil@exemple.fr", "o", "neil", "exemple", "fr"}},
		{"InvalidGivesWords", "jean dupont", []string{"jean", "dupont"}},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := EmailTokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("EmailTokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"Plain", "jean.dupont@exemple.fr", "jean.dupont@exemple.fr", true},
		{"TrimmedAndLowered", "  Jean.Dupont@Exemple.FR\n", "jean.dupont@exemple.fr", true},
		{"PlusTag", "jean+sav@exemple.co.uk", "jean+sav@exemple.co.uk", true},
		{"Empty", "", "", false},
		{"NoAt", "jean.dupont", "", false},
		{"EmptyLocal", "@exemple.fr", "", false},
		{"EmptyDomain", "jean@", "", false},
		{"DomainWithoutDot", "jean@localhost", "", false},
		{"TwoAts", "jean@dupont@exemple.fr", "", false},
		{"Space", "jean dupont@exemple.fr", "", false},
		{"ControlCharacter", "jean\x00@exemple.fr", "", false},
		{"LeadingDotDomain", "jean@.fr", "", false},
		{"TrailingDotDomain", "jean@exemple.fr.", "", false},
		{"DoubleDotDomain", "jean@exemple..fr", "", false},
		{"InvalidUTF8", "j\xffean@exemple.fr", "", false},
		{"TooLong", strings.Repeat("a", 250) + "@exemple.fr", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := NormalizeEmail(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeEmail(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestContactTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                              string
		first, last, email, phone, region string
		want                              []string
	}{
		{"Everything", "Mélanie", "Loubet", "m.loubet@exemple.fr", "+33612345678", "FR",
			[]string{"0612345678", "33612345678", "exemple", "fr", "loubet", "m", "m.loubet@exemple.fr", "melanie"}},
		{"NameOnly", "Jean-Pierre", "N'Diaye", "", "", "FR",
			[]string{"diaye", "jean", "jeanpierre", "n", "ndiaye", "pierre"}},
		{"DedupedAcrossSources", "Jean", "Dupont", "jean@dupont.fr", "", "FR",
			[]string{"dupont", "fr", "jean", "jean@dupont.fr"}},
		{"Nothing", "", "", "", "", "FR", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ContactTokens(tt.first, tt.last, tt.email, tt.phone, tt.region)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ContactTokens = %q, want %q", got, tt.want)
			}
		})
	}
}
