package mailparse

import "testing"

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ text, want string }{
		"EnglishAttribution": {
			"Thanks, it works.\n\nOn Mon, 2 Mar 2026 at 10:12, Support <support@guichet.example> wrote:\n> Please retry.\n> \n> Support\n",
			"Thanks, it works.",
		},
		"FrenchAttributionOverTwoLines": {
			"Merci.\n\nLe lun. 2 mars 2026 à 10:12, Support Guichet <support@guichet.example> a\nécrit :\n\n> Bonjour\n",
			"Merci.",
		},
		"FrenchAttributionNoBreakSpace": {
			"Merci.\n\nLe 2 mars 2026 à 10:12, Support a écrit\u00a0:\n> Bonjour\n",
			"Merci.",
		},
		"AttributionOverUnquotedHistory": {
			"Merci.\n\nOn Mon, Mar 2, 2026 at 10:12 AM Support wrote:\n\nBonjour,\nvoici la procédure.\n",
			"Merci.",
		},
		"InterleavedAnswersAreKept": {
			"On Mon, Mar 2, 2026, Support wrote:\n> Quel est votre numéro client ?\n12345\n> Et votre logiciel ?\nCompta Pro\n",
			"On Mon, Mar 2, 2026, Support wrote:\n> Quel est votre numéro client ?\n12345\n> Et votre logiciel ?\nCompta Pro",
		},
		"TrailingQuoteWithoutAttribution": {
			"D'accord.\n\n> Pouvez-vous confirmer ?\n>\n",
			"D'accord.",
		},
		"OutlookOriginalMessage": {
			"Vu, merci.\n\n-----Original Message-----\nFrom: Support\nSent: Monday, March 2, 2026 10:12 AM\nSubject: RE: x\n\nBonjour",
			"Vu, merci.",
		},
		"OutlookMessageDOrigine": {
			"Vu.\n\n-----Message d'origine-----\nDe : Support\nEnvoyé : lundi 2 mars 2026 10:12\n\nBonjour",
			"Vu.",
		},
		"OutlookUnderlineHeader": {
			"Bien reçu.\n\n________________________________\nDe : Support Guichet <support@guichet.example>\nEnvoyé : lundi 2 mars 2026 10:12\nÀ : Jean\nObjet : x\n\nBonjour",
			"Bien reçu.",
		},
		"OutlookBoldHeader": {
			"Ok.\n\n*From:* Support <support@guichet.example>\n*Sent:* Monday, March 2, 2026 10:12 AM\n*To:* Jean\n\nHello",
			"Ok.",
		},
		"ForwardOnlyIsKeptWhole": {
			"-----Original Message-----\nFrom: Jean\nSent: Monday\n\nLe contenu transféré",
			"-----Original Message-----\nFrom: Jean\nSent: Monday\n\nLe contenu transféré",
		},
		"SignatureAfterQuote": {
			"Voici.\n\nLe 02/03/2026 à 16:20, Support a écrit :\n> Bonjour\n-- \nJean",
			"Voici.",
		},
		"NoHistory": {
			"Bonjour,\n\nOn the other hand, I wrote: nothing.\n",
			"Bonjour,\n\nOn the other hand, I wrote: nothing.",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := excerpt(tt.text); got != tt.want {
				t.Errorf("excerpt = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		html       string
		trimQuotes bool
		want       string
	}{
		"Blocks": {
			`<html><head><title>T</title><style>p{}</style></head><body><h1>Titre</h1><p>Un  <b>mot</b>
			 important.</p><ul><li>un</li><li>deux</li></ul><table><tr><td>a</td><td>b</td></tr></table><script>x()</script>fin</body></html>`,
			false, "Titre\n\nUn mot important.\n\n- un\n- deux\n\na b\n\nfin",
		},
		"Pre":      {"<pre>a  b\n  c</pre>", false, "a  b\n  c"},
		"Entities": {"<p>R&eacute;f&nbsp;: 12 &lt;ok&gt;</p>", false, "Réf : 12 <ok>"}, // no-break spaces become spaces
		"GmailQuote": {
			`<div dir="ltr">Merci !</div><br><div class="gmail_quote"><div class="gmail_attr">Le lun. 2 mars, X a écrit :</div><blockquote class="gmail_quote">Bonjour<div>nested</div></blockquote></div><div>après</div>`,
			true, "Merci !\n\naprès",
		},
		"AppleCite": {
			`<div>Voici.</div><div><br><blockquote type="cite"><div>Le 3 mars, X a écrit :</div><blockquote type="cite">old</blockquote></blockquote></div>`,
			true, "Voici.",
		},
		"ThunderbirdCite": {
			`<p>Ok.</p><div class="moz-cite-prefix">Le 02/03/2026 à 16:20, X a écrit :</div><blockquote type="cite">Bonjour</blockquote>`,
			true, "Ok.",
		},
		"OutlookWeb": {
			`<div>Bien reçu.</div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>De :</b> X</div><div>Bonjour</div>`,
			true, "Bien reçu.",
		},
		"OutlookDesktop": {
			`<p class="MsoNormal">Bien reçu.</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>De&nbsp;:</b> X</p></div><p>Bonjour</p>`,
			true, "Bien reçu.",
		},
		"QuotesKeptWithoutTrim": {
			`<div>Voici.</div><blockquote type="cite">Bonjour</blockquote>`,
			false, "Voici.\n\nBonjour",
		},
		"UnclosedQuoteSkipsTheRest": {`<p>a</p><blockquote type="cite"><div>b`, true, "a"},
		"ImageAlt":                  {`<p>voir <img src="cid:x" alt="capture"> ci-dessus</p>`, false, "voir [capture] ci-dessus"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := htmlToText(tt.html, tt.trimQuotes); got != tt.want {
				t.Errorf("htmlToText = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestUnflow(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text  string
		delsp bool
		want  string
	}{
		"SoftBreaks":      {"Un paragraphe \nsur deux lignes.\nFin.\n", false, "Un paragraphe sur deux lignes.\nFin.\n"},
		"DelSp":           {"Un mot coup\u00e9 \nen deux.\n", true, "Un mot coup\u00e9en deux.\n"},
		"SpaceStuffing":   {" From here\n >not a quote\n", false, "From here\n>not a quote\n"},
		"Quotes":          {"> Une citation \n> longue.\n>\n>> Plus ancienne.\n", false, "> Une citation longue.\n>\n>> Plus ancienne.\n"},
		"QuoteDepthBreak": {"> flowed \nnot quoted\n", false, "> flowed \nnot quoted\n"},
		"Signature":       {"Jean\n-- \nsig\n", false, "Jean\n-- \nsig\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := unflow(tt.text, tt.delsp); got != tt.want {
				t.Errorf("unflow = %q\nwant %q", got, tt.want)
			}
		})
	}
}
