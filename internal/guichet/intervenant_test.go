package guichet

import (
	"slices"
	"testing"
)

// The definitions of procedure 20 04 01 03: "A - Administratifs et
// juridique", "B - Techniques", "C - Commercial" (confrères in A and C).
func TestKindCategories(t *testing.T) {
	t.Parallel()
	admin, tech, com := CategoryAdministrativeLegal, CategoryTechnical, CategoryCommercial
	want := map[IntervenantKind][]IntervenantCategory{
		KindHuissier: {admin}, KindAvocat: {admin}, KindAdministrateur: {admin}, KindNotaire: {admin},
		KindIEDOM: {admin}, KindImpots: {admin}, KindAssurance: {admin}, KindProtectionJuridique: {admin},
		KindCAF: {admin}, KindSecuriteSociale: {admin}, KindComptable: {admin},
		KindArtisan: {tech}, KindSociete: {tech}, KindExpert: {tech},
		KindPublicite: {com}, KindConfrere: {admin, com}, KindOther: {admin, com},
	}
	if len(want) != len(kindCategories) {
		t.Fatalf("%d kinds in the table, want %d", len(kindCategories), len(want))
	}
	for kind, cats := range want {
		if !kind.Valid() || !slices.Equal(kind.Categories(), cats) {
			t.Errorf("%s: categories %v, want %v", kind, kind.Categories(), cats)
		}
		for _, c := range []IntervenantCategory{admin, tech, com} {
			if got := kind.Allows(c); got != slices.Contains(cats, c) {
				t.Errorf("%s allows %s: %t", kind, c, got)
			}
		}
	}
	if IntervenantKind("plombier").Valid() || IntervenantKind("plombier").Allows(tech) {
		t.Error("an unknown kind is valid")
	}
}

// Authorities act by law (no mandate, requests to the legal role); the
// others need a mandate.
func TestActsByLaw(t *testing.T) {
	t.Parallel()
	for kind := range kindCategories {
		want := kind == KindHuissier || kind == KindImpots || kind == KindCAF || kind == KindSecuriteSociale
		if kind.ActsByLaw() != want {
			t.Errorf("%s acts by law: %t", kind, kind.ActsByLaw())
		}
	}
}

// "Privilégier le courrier/mail" for administrative contacts, Redmine for
// technical ones; only technical ones wait for an agreement.
func TestCategoryDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cat       IntervenantCategory
		channel   IntervenantChannel
		agreement AgreementStatus
	}{
		{CategoryAdministrativeLegal, ChannelPrefLetter, AgreementNotRequired},
		{CategoryTechnical, ChannelPrefRedmine, AgreementPending},
		{CategoryCommercial, ChannelPrefEmail, AgreementNotRequired},
	}
	for _, c := range cases {
		if DefaultChannel(c.cat) != c.channel || InitialAgreement(c.cat) != c.agreement {
			t.Errorf("%s: channel %s, agreement %s", c.cat, DefaultChannel(c.cat), InitialAgreement(c.cat))
		}
	}
}
