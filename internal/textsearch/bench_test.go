package textsearch

import "testing"

func BenchmarkFold(b *testing.B) {
	for b.Loop() {
		Fold("Marie-Hélène de La Tour d’Auvergne")
	}
}

func BenchmarkContactTokens(b *testing.B) {
	for b.Loop() {
		ContactTokens("Jean-Pierre", "N'Diaye", "jp.ndiaye@exemple.fr", "+33612345678", "FR")
	}
}

func BenchmarkQueryTerms(b *testing.B) {
	for b.Loop() {
		QueryTerms("jean-pierre ndia")
	}
}
