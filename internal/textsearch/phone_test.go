package textsearch

import (
	"slices"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, region, want string
		ok                      bool
	}{
		{"MobileSpaced", "06 12 34 56 78", "FR", "+33612345678", true},
		{"MobileInternational", "+33 6 12 34 56 78", "FR", "+33612345678", true},
		{"MobileDoubleZero", "0033612345678", "FR", "+33612345678", true},
		{"MobileDotted", "06.12.34.56.78", "FR", "+33612345678", true},
		{"MobileTrunkInBrackets", "+33 (0)6 12 34 56 78", "FR", "+33612345678", true},
		{"Landline", "01 42 68 53 00", "FR", "+33142685300", true},
		{"LowerCaseRegion", "01 42 68 53 00", "fr", "+33142685300", true},
		{"ReunionMobileDialledFromFrance", "0692 12 34 56", "FR", "+262692123456", true},
		{"ReunionInternational", "+262 692 12 34 56", "FR", "+262692123456", true},
		{"ReunionLandline", "02 62 12 34 56", "FR", "+262262123456", true},
		{"MayotteLandline", "02 69 61 00 00", "FR", "+262269610000", true},
		{"GuadeloupeLandline", "05 90 12 34 56", "FR", "+590590123456", true},
		{"GuyaneMobile", "06 94 12 34 56", "FR", "+594694123456", true},
		{"MainlandMobileDialledFromReunion", "06 12 34 56 78", "RE", "+33612345678", true},
		{"ForeignWithFrenchDefault", "+44 20 7946 0958", "FR", "+442079460958", true},
		{"ForeignDoubleZero", "0044 20 7946 0958", "FR", "+442079460958", true},
		{"TooShort", "12", "FR", "", false},
		{"E164WouldNotParseBack", "0000000000", "BA", "", false},
		{"Letters", "pas de numéro", "FR", "", false},
		{"Empty", "", "FR", "", false},
		{"NationalWithoutRegion", "06 12 34 56 78", "", "", false},
		{"InternationalWithoutRegion", "+33 6 12 34 56 78", "", "+33612345678", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := NormalizePhone(tt.raw, tt.region)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizePhone(%q, %q) = %q, %v, want %q, %v", tt.raw, tt.region, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPhoneTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, e164, region string
		want               []string
	}{
		{"FrenchMobile", "+33612345678", "FR", []string{"33612345678", "0612345678"}},
		{"FrenchLandline", "+33142685300", "FR", []string{"33142685300", "0142685300"}},
		{"ReunionFromFrance", "+262692123456", "FR", []string{"262692123456", "0692123456"}},
		{"FrenchFromReunion", "+33612345678", "RE", []string{"33612345678", "0612345678"}},
		{"ForeignFromFrance", "+442079460958", "FR", []string{"442079460958"}},
		{"ForeignAtHome", "+442079460958", "GB", []string{"442079460958", "02079460958"}},
		{"FrenchFromUnknownRegion", "+33612345678", "", []string{"33612345678"}},
		{"NotANumber", "inconnu", "FR", nil},
		{"Empty", "", "FR", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PhoneTokens(tt.e164, tt.region); !slices.Equal(got, tt.want) {
				t.Errorf("PhoneTokens(%q, %q) = %q, want %q", tt.e164, tt.region, got, tt.want)
			}
		})
	}
}

// TestQueryFindsPhone checks that the ways people type a number find the
// tokens of its normalised form.
func TestQueryFindsPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stored, query string
	}{
		{"NationalPrefix", "06 12 34 56 78", "06 12 34"},
		{"InternationalPrefix", "06 12 34 56 78", "+33 6 12"},
		{"DoubleZeroPrefix", "06 12 34 56 78", "0033 6 12 34"},
		{"TrunkInBrackets", "06 12 34 56 78", "+33 (0)6 12"},
		{"Dotted", "01 42 68 53 00", "01.42.68"},
		{"Overseas", "0692 12 34 56", "0692 12"},
		{"OverseasInternational", "0692 12 34 56", "+262 692"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e164, ok := NormalizePhone(tt.stored, "FR")
			if !ok {
				t.Fatalf("NormalizePhone(%q) failed", tt.stored)
			}
			tokens := PhoneTokens(e164, "FR")
			terms := QueryTerms(tt.query)
			if len(terms) != 1 || !anyHasPrefix(tokens, terms[0]) {
				t.Errorf("QueryTerms(%q) = %q, no prefix of %q", tt.query, terms, tokens)
			}
		})
	}
}

func anyHasPrefix(tokens []string, prefix string) bool {
	return slices.ContainsFunc(tokens, func(tok string) bool {
		return len(tok) >= len(prefix) && tok[:len(prefix)] == prefix
	})
}
