package textsearch

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"AccentsAndCapitals", "Mélanie LOUBET", "melanie loubet"},
		{"LigatureAndApostrophe", "Œuvre d'Art", "oeuvre d art"},
		{"CurlyApostrophe", "N’Diaye", "n diaye"},
		{"ModifierApostrophe", "Nʼdiaye", "n diaye"},
		{"HyphenKept", "Jean-Pierre", "jean-pierre"},
		{"WhiteSpaceCollapsed", "  Jean \t\n  Dupont  ", "jean dupont"},
		{"NoBreakSpace", "Jean\u00a0Dupont", "jean dupont"},
		{"ControlIsSpace", "Jean\x00Dupont", "jean dupont"},
		{"SoftHyphenDropped", "Mé\u00adlanie", "melanie"},
		{"TurkishDotlessI", "KILIÇ Kılıç", "kilic kilic"},
		{"TurkishDottedI", "İstanbul", "istanbul"},
		{"SharpS", "Straße STRAẞE", "strasse strasse"},
		{"NordicAndSlavic", "Søren Łukasz Đorđe Ærø", "soren lukasz dorde aero"},
		{"Cedilla", "François Çelik", "francois celik"},
		{"TypographicLigature", "ﬁnance", "finance"},
		{"FullWidth", "ＪＥＡＮ ０６", "jean 06"},
		{"GreekFinalSigma", "ΝΙΚΟΣ νίκος", "νικοσ νικοσ"},
		{"Cyrillic", "Пётр", "петр"},
		{"EmojiKeptForWords", "Zoé 🎉", "zoe 🎉"},
		{"InvalidUTF8Dropped", "Ren\xe9e", "rene"},
		{"OnlySpaces", " \t ", ""},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFoldIdempotentForEveryRune checks every code point, which the fuzzer
// would take long to reach (Cherokee, say).
func TestFoldIdempotentForEveryRune(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("walks all of Unicode")
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		f := Fold(string(r))
		if g := Fold(f); g != f {
			t.Errorf("%U: Fold = %q, Fold(Fold) = %q", r, f, g)
		}
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"Hyphenated", "Jean-Pierre", []string{"jean", "pierre"}},
		{"Apostrophe", "N'Diaye", []string{"n", "diaye"}},
		{"Particles", "Marie-Hélène de La Tour d’Auvergne",
			[]string{"marie", "helene", "de", "la", "tour", "d", "auvergne"}},
		{"Deduped", "Jean jean JEAN", []string{"jean"}},
		{"OrderKept", "Loubet Mélanie", []string{"loubet", "melanie"}},
		{"DigitsKept", "3M France", []string{"3m", "france"}},
		{"EmojisDropped", "Zoé 🎉 ❤️ 👨‍👩‍👧", []string{"zoe"}},
		{"Email", "jean.dupont@exemple.fr", []string{"jean", "dupont", "exemple", "fr"}},
		{"TurkishDotlessI", "Kılıç", []string{"kilic"}},
		{"Ligature", "Œdipe Bœuf", []string{"oedipe", "boeuf"}},
		{"OnlyPunctuation", "--- !", nil},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Words(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		wantLen  int
	}{
		{"Short", "jean", 4},
		{"ExactlyMax", strings.Repeat("a", MaxTokenBytes), MaxTokenBytes},
		{"CutBetweenRunes", strings.Repeat("α", 40), MaxTokenBytes},
		{"CutBeforeSplitRune", "a" + strings.Repeat("α", 40), MaxTokenBytes - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := truncate(tt.in)
			if len(got) != tt.wantLen || !utf8.ValidString(got) || !strings.HasPrefix(tt.in, got) {
				t.Errorf("truncate(%q) = %q (%d bytes), want a valid %d-byte prefix", tt.in, got, len(got), tt.wantLen)
			}
		})
	}
}
