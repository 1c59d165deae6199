package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// memSink keeps attachments in memory, for tests.
type memSink struct{ blobs map[string][]byte }

func (s *memSink) Put(p PartInfo, r io.Reader) (string, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	if s.blobs == nil {
		s.blobs = make(map[string][]byte)
	}
	ref := fmt.Sprintf("blob-%d", len(s.blobs))
	s.blobs[ref] = b
	return ref, int64(len(b)), nil
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseFixture parses a fixture as written (LF) and as IMAP serves it
// (CRLF), checks that both agree on the decoded fields, and returns the
// CRLF one.
func parseFixture(t *testing.T, name string) (*Message, *memSink) {
	t.Helper()
	lf := readFixture(t, name)
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	var mLF *Message
	for _, raw := range [][]byte{lf, crlf} {
		sink := &memSink{}
		m, err := Parse(bytes.NewReader(raw), Limits{}, sink)
		if err != nil {
			t.Fatalf("Parse(%s): %v", name, err)
		}
		if m.Size != int64(len(raw)) {
			t.Errorf("Size = %d, want %d", m.Size, len(raw))
		}
		if sum := sha256.Sum256(raw); m.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("SHA256 = %s, want the raw message's", m.SHA256)
		}
		if mLF == nil {
			mLF = m
			continue
		}
		if m.Text != mLF.Text || m.Excerpt != mLF.Excerpt || m.Subject != mLF.Subject || m.TextFromHTML != mLF.TextFromHTML {
			t.Errorf("CRLF and LF versions differ:\nLF   %q\nCRLF %q", mLF.Excerpt, m.Excerpt)
		}
		return m, sink
	}
	panic("unreachable")
}

type wantAttachment struct {
	name, typ, cid string
	inline         bool
	size           int64 // -1: any non-zero size
}

type wantMessage struct {
	messageID, inReplyTo string
	subject              string
	from                 *Address
	to, cc, replyTo      []Address
	date                 string // RFC 3339, "" for none
	text, excerpt        string // exact, after TrimSpace; "" skips
	textFromHTML         []string
	html, htmlNot        []string // substrings
	attachments          []wantAttachment
	autoReply            string // AutoReplyReason, "" for none
	suppress             bool
	bounce               *DSN
	tickets              []string
	warnings             []string // substrings, in order
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	support := []Address{{Name: "Support Guichet", Email: "support@guichet.example"}}
	tests := map[string]wantMessage{
		"outlook.eml": {
			messageID: "PR3P192MB07459D1C3F0B2E4A8C7D6E5FA1B2C@PR3P192MB0745.EURP192.PROD.OUTLOOK.COM",
			inReplyTo: "a41f0c9e-5b7d-4e2a-9c1b-0d3e6f7a8b90@guichet.example",
			subject:   "RE : [T-2026-000123] Problème de facturation – réf. 12",
			from:      &Address{Name: "Marie Lefèvre", Email: "marie.lefevre@cabinet-lefevre.fr"},
			to:        support,
			cc:        []Address{{Name: "Comptabilite", Email: "compta@cabinet-lefevre.fr"}},
			date:      "2026-03-03T09:41:07Z",
			excerpt: "Bonjour,\n\nJe vous confirme que la facture n°12 a bien été réglée le 28 février par virement.\n" +
				"Pourriez-vous vérifier de votre côté et mettre à jour notre compte ?\n\n" +
				"Cordialement,\nMarie Lefèvre\nCabinet Lefèvre & Associés",
			html:     []string{"<b>Marie Lefèvre</b>", "réglée le 28 février"},
			htmlNot:  []string{"<script", "alert(", "<style", "font-family"},
			suppress: true,
			tickets:  []string{"T-2026-000123"},
		},
		"gmail.eml": {
			messageID: "CAF7x2kQ9mZp3vN8rT1wY5uB4cD6eF0gH2iJ4kL6mN8oP0qR2sT@mail.gmail.com",
			inReplyTo: "a41f0c9e-5b7d-4e2a-9c1b-0d3e6f7a8b91@guichet.example",
			subject:   "Re: [T-2026-000123] Accès au portail",
			from:      &Address{Name: "Paul Girard", Email: "paul.girard@gmail.com"},
			to:        support,
			date:      "2026-03-03T11:14:41+01:00",
			excerpt: "Bonjour,\n\nJe n'arrive toujours pas à me connecter au portail, voici la capture d'écran :\n" +
				"[image: image.png]\n\nMerci d'avance,\nPaul Girard",
			html:        []string{`<img src="cid:ii_m7x2k3l40"`, "Paul Girard"},
			attachments: []wantAttachment{{"image.png", "image/png", "ii_m7x2k3l40", true, 76}},
			tickets:     []string{"T-2026-000123"},
		},
		"thunderbird.eml": {
			messageID: "6b1f3c2e-8d4a-4f0b-9e7c-2a1d5f3b8c90@laposte.net",
			subject:   "Re: [T-2026-000124] Attestation de réception",
			from:      &Address{Name: "André Dupré", Email: "andre.dupre@laposte.net"},
			to:        support,
			date:      "2026-03-03T11:02:45+01:00",
			// format=flowed: the soft breaks after "par" and "complément" are joined.
			excerpt: "Bonjour,\n\nVeuillez trouver ci-joint l'attestation de réception demandée, signée par notre directeur. " +
				"Je reste à votre disposition pour tout complément d'information.\n\nCordialement,\nAndré Dupré",
			attachments: []wantAttachment{{"Attestation de réception – décembre 2025.pdf", "application/pdf", "", false, 339}},
			tickets:     []string{"T-2026-000124"},
		},
		"apple.eml": {
			messageID:   "8C2F4A1B-6D3E-4F5A-9B7C-0E1D2F3A4B5C@icloud.com",
			subject:     "Re: [T-2026-000125] Contrat de maintenance",
			from:        &Address{Name: "Claire Martin", Email: "claire.martin@icloud.com"},
			to:          support,
			date:        "2026-03-04T08:15:32+01:00",
			excerpt:     "Bonjour,\n\nVoici le contrat signé.\n\nBien à vous,\nClaire",
			html:        []string{"Voici le contrat signé.", "Bien à vous,", "<blockquote>"},
			attachments: []wantAttachment{{"Contrat maintenance 2026.pdf", "application/pdf", "", true, 342}},
			tickets:     []string{"T-2026-000125"},
		},
		"bounce-postfix.eml": {
			subject:   "Undelivered Mail Returned to Sender",
			from:      &Address{Name: "Mail Delivery System", Email: "MAILER-DAEMON@mx1.guichet.example"},
			date:      "2026-03-04T10:00:03+01:00",
			autoReply: "Content-Type: multipart/report; report-type=delivery-status",
			attachments: []wantAttachment{
				{"", "message/delivery-status", "", false, -1},
				{"", "text/rfc822-headers", "", false, -1},
			},
			bounce: &DSN{
				Standard: true, Action: "failed", Status: "5.1.1",
				FinalRecipient:    "jean.inconnu@exemple.fr",
				DiagnosticCode:    "smtp; 550 5.1.1 <jean.inconnu@exemple.fr>: Recipient address rejected: User unknown in virtual mailbox table",
				ReportingMTA:      "mx1.guichet.example",
				OriginalMessageID: "b7e2d9f4-1c3a-4e5b-8f6d-9a0b1c2d3e4f@guichet.example",
			},
		},
		"bounce-exim.eml": {
			subject:   "Mail delivery failed: returning message to sender",
			from:      &Address{Name: "Mail Delivery System", Email: "Mailer-Daemon@mail.exemple.net"},
			autoReply: "Auto-Submitted: auto-replied",
			bounce: &DSN{
				Action: "failed", Status: "5.1.1",
				FinalRecipient:    "paul.martin@exemple.net",
				OriginalMessageID: "c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b@guichet.example",
			},
		},
		"ooo.eml": {
			subject:   "Réponse automatique\u00a0: [T-2026-000128] Demande de renseignements",
			from:      &Address{Name: "Jean Moreau", Email: "jean.moreau@mairie-exemple.fr"},
			text:      "Bonjour,\n\nJe suis absent du 2 au 13 mars 2026 inclus, sans accès à ma messagerie.\nPour toute urgence, merci de contacter l'accueil de la mairie au 01 23 45 67 89.\n\nCordialement,\nJean Moreau",
			autoReply: "Auto-Submitted: auto-replied",
			suppress:  true,
			tickets:   []string{"T-2026-000128"},
		},
		"newsletter.eml": {
			subject: "Les nouveautés de mars 🚀",
			from:    &Address{Name: "Actualités Logiciels Pro", Email: "newsletter@news.logiciels-pro.example"},
			replyTo: []Address{{Name: "Actualités Logiciels Pro", Email: "contact@logiciels-pro.example"}},
			to:      []Address{{Email: "support@guichet.example"}},
			textFromHTML: []string{
				"Les nouveautés de mars\n\nDécouvrez la nouvelle version 4.2 de Logiciels Pro Compta : export FEC",
				"- Export FEC en un clic\n- Relances automatiques des impayés",
			},
			html:      []string{"<h1>Les nouveautés de mars</h1>", `rel="nofollow noopener"`},
			htmlNot:   []string{"onclick", "<style", "<title"},
			autoReply: "Precedence: bulk",
			suppress:  true,
		},
		"minimal.eml": {
			subject: "demande sans en-tetes",
			to:      []Address{{Email: "support@guichet.example"}},
			text:    "Bonjour, ceci est un message sans expediteur, sans date ni identifiant.",
		},
		"encoded-headers.eml": {
			messageID: "20260305090000.1234@exemple.fr",
			subject:   "Problème de facturation – réf. 12",
			from:      &Address{Name: "Élodie Béranger", Email: "elodie.beranger@exemple.fr"},
			to:        []Address{{Name: "François Lécuyer", Email: "francois.lecuyer@exemple.fr"}},
			cc: []Address{
				{Name: "Gaël Noël", Email: "gael.noel@exemple.fr"},
				{Name: "Zélie Roux", Email: "zelie.roux@exemple.fr"},
			},
			replyTo: []Address{{Name: "Service comptabilité", Email: "compta@exemple.fr"}},
			date:    "2026-03-05T09:00:00+01:00",
			text:    "Bonjour,\n\nLa facture n°12 comporte une erreur sur le montant de la TVA.\n\nÉlodie",
		},
		"unknown-charset.eml": {
			from:     &Address{Email: "client@exemple.fr"},
			subject:  "café crème et thé",
			text:     "Un café, s'il vous plaît.",
			warnings: []string{`unknown charset "x-unknown"`, `unknown charset "x-mac-unknown"`},
		},
	}
	for name, want := range tests {
		t.Run(strings.TrimSuffix(name, ".eml"), func(t *testing.T) {
			t.Parallel()
			m, sink := parseFixture(t, name)
			checkMessage(t, m, want)
			checkAttachments(t, m, sink, want.attachments)
		})
	}
}

func checkMessage(t *testing.T, m *Message, want wantMessage) {
	t.Helper()
	if want.messageID != "" && m.MessageID != want.messageID {
		t.Errorf("MessageID = %q, want %q", m.MessageID, want.messageID)
	}
	if m.InReplyTo != want.inReplyTo && want.inReplyTo != "" {
		t.Errorf("InReplyTo = %q, want %q", m.InReplyTo, want.inReplyTo)
	}
	if m.Subject != want.subject {
		t.Errorf("Subject = %q, want %q", m.Subject, want.subject)
	}
	if fmt.Sprint(m.From) != fmt.Sprint(want.from) {
		t.Errorf("From = %v, want %v", m.From, want.from)
	}
	for _, f := range []struct {
		name      string
		got, want []Address
	}{{"To", m.To, want.to}, {"Cc", m.Cc, want.cc}, {"ReplyTo", m.ReplyTo, want.replyTo}} {
		if want.to != nil || f.name != "To" {
			if !slices.Equal(f.got, f.want) {
				t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
			}
		}
	}
	if want.date != "" && (m.Date == nil || !m.Date.Equal(mustTime(t, want.date))) {
		t.Errorf("Date = %v, want %s", m.Date, want.date)
	}
	if want.text != "" && m.Text != want.text {
		t.Errorf("Text = %q\nwant %q", m.Text, want.text)
	}
	if want.excerpt != "" && m.Excerpt != want.excerpt {
		t.Errorf("Excerpt = %q\nwant %q", m.Excerpt, want.excerpt)
	}
	checkSubstrings(t, "TextFromHTML", m.TextFromHTML, want.textFromHTML, nil)
	checkSubstrings(t, "HTML", m.HTML, want.html, want.htmlNot)
	if m.AutoReplyReason != want.autoReply || m.AutoReply != (want.autoReply != "") {
		t.Errorf("AutoReply = %v %q, want %q", m.AutoReply, m.AutoReplyReason, want.autoReply)
	}
	if m.SuppressAutoResponse != want.suppress {
		t.Errorf("SuppressAutoResponse = %v, want %v", m.SuppressAutoResponse, want.suppress)
	}
	if m.Loop {
		t.Errorf("Loop set on a message without %s", LoopHeader)
	}
	if fmt.Sprint(m.Bounce) != fmt.Sprint(want.bounce) {
		t.Errorf("Bounce = %+v\nwant %+v", m.Bounce, want.bounce)
	}
	if got := TicketNumbers(m.Subject); !slices.Equal(got, want.tickets) {
		t.Errorf("TicketNumbers = %v, want %v", got, want.tickets)
	}
	checkSubstrings(t, "Warnings", strings.Join(m.Warnings, "\n"), want.warnings, nil)
	if len(want.warnings) == 0 && len(m.Warnings) > 0 {
		t.Errorf("Warnings = %q, want none", m.Warnings)
	}
	if m.Truncated {
		t.Error("Truncated set")
	}
}

func checkSubstrings(t *testing.T, field, got string, want, not []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Errorf("%s lacks %q:\n%s", field, s, got)
		}
	}
	for _, s := range not {
		if strings.Contains(got, s) {
			t.Errorf("%s has %q:\n%s", field, s, got)
		}
	}
}

func checkAttachments(t *testing.T, m *Message, sink *memSink, want []wantAttachment) {
	t.Helper()
	if len(m.Attachments) != len(want) {
		t.Fatalf("%d attachments, want %d: %+v", len(m.Attachments), len(want), m.Attachments)
	}
	for i, w := range want {
		a := m.Attachments[i]
		got := wantAttachment{a.Filename, a.ContentType, a.ContentID, a.Inline, a.Size}
		if w.size < 0 && a.Size > 0 {
			got.size = -1
		}
		if got != w {
			t.Errorf("attachment %d = %+v, want %+v", i, got, w)
		}
		if b, ok := sink.blobs[a.Ref]; !ok || int64(len(b)) != a.Size {
			t.Errorf("attachment %d: ref %q holds %d bytes, want %d", i, a.Ref, len(b), a.Size)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestParseAttachmentContent(t *testing.T) {
	t.Parallel()
	m, sink := parseFixture(t, "thunderbird.eml")
	pdf := sink.blobs[m.Attachments[0].Ref]
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Errorf("PDF content not decoded: %q…", pdf[:min(len(pdf), 20)])
	}
	m, sink = parseFixture(t, "gmail.eml")
	if png := sink.blobs[m.Attachments[0].Ref]; !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("PNG content not decoded: %q", png)
	}
}

func TestParseMissingHeaders(t *testing.T) {
	t.Parallel()
	raw := readFixture(t, "minimal.eml")
	m1, err := Parse(bytes.NewReader(raw), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := Parse(bytes.NewReader(raw), Limits{}, nil)
	sum := sha256.Sum256(raw)
	want := "sha256-" + hex.EncodeToString(sum[:]) + "@guichet.invalid"
	if !m1.Synthetic || m1.MessageID != want || m2.MessageID != want {
		t.Errorf("MessageID = %q (synthetic %v), %q; want %q twice", m1.MessageID, m1.Synthetic, m2.MessageID, want)
	}
	if m1.From != nil || m1.Date != nil {
		t.Errorf("From = %v, Date = %v; want nil", m1.From, m1.Date)
	}
	if _, ok := m1.Headers["From"]; ok || m1.Headers["Subject"] != "demande sans en-tetes" {
		t.Errorf("Headers = %v", m1.Headers)
	}
}

func TestParseUnparsableHeaders(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		header string
		from   *Address
		date   bool
	}{
		"NoAddress":         {"From: Jean Dupont\nDate: hier", nil, false},
		"UnclosedAngle":     {"From: Jean Dupont <jean.dupont@exemple.fr\nDate: Mon, 2 Mar 2026 10:00 +0100", &Address{"Jean Dupont", "jean.dupont@exemple.fr"}, true},
		"RawLatin1Name":     {"From: Ren\xe9 <rene@exemple.fr>", &Address{"René", "rene@exemple.fr"}, false},
		"RawUTF8Name":       {"From: \"Ren\xc3\xa9 Ch\xc3\xa2r\" <rene@exemple.fr>", &Address{"René Châr", "rene@exemple.fr"}, false},
		"Empty":             {"From:", nil, false},
		"DateWithoutZone":   {"From: a@b.fr\nDate: Mon Mar  2 10:00:00 2026", &Address{"", "a@b.fr"}, true},
		"DateWithComment":   {"From: a@b.fr\nDate: Mon, 2 Mar 2026 10:00:00 +0100 (CET)", &Address{"", "a@b.fr"}, true},
		"GroupUndisclosed":  {"From: a@b.fr\nTo: undisclosed-recipients:;", &Address{"", "a@b.fr"}, false},
		"ControlCharInName": {"From: \"A\x01B\" <a@b.fr>", &Address{"A B", "a@b.fr"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse(strings.NewReader(tt.header+"\nSubject: x\n\nbody\n"), Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(m.From) != fmt.Sprint(tt.from) {
				t.Errorf("From = %v, want %v", m.From, tt.from)
			}
			if (m.Date != nil) != tt.date {
				t.Errorf("Date = %v, want set: %v", m.Date, tt.date)
			}
		})
	}
}

func TestParseReferences(t *testing.T) {
	t.Parallel()
	var refs strings.Builder
	for i := range 80 {
		fmt.Fprintf(&refs, " <id%d@exemple.fr>", i)
	}
	raw := "Message-ID: a1@exemple.fr\nIn-Reply-To: <id79@exemple.fr> (Jean's message of Monday)\nReferences:" + refs.String() + "\n\nx"
	m, err := Parse(strings.NewReader(raw), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != "a1@exemple.fr" || m.InReplyTo != "id79@exemple.fr" {
		t.Errorf("MessageID %q, InReplyTo %q", m.MessageID, m.InReplyTo)
	}
	if len(m.References) != maxReferences || m.References[0] != "id0@exemple.fr" || m.References[maxReferences-1] != "id79@exemple.fr" {
		t.Errorf("References = %v", m.References)
	}
}

func TestParseBodies(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		raw      string
		text     string
		warnings []string
	}{
		"UnknownTransferEncodingKeepsRawBytes": {
			"Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n",
			"begin 644 a", []string{`unknown transfer encoding "x-uuencode"`},
		},
		"BrokenBase64": {
			"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nQm9u am91\n!!ciwg=\nbW9uZGU",
			"Bonjour, monde", nil,
		},
		"BrokenQuotedPrintable": {
			"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nprix =3D 10 =80 =ZZ caf=E9=\nier\x01\n",
			"prix = 10 € =ZZ caféier\x01", nil,
		},
		"InvalidUTF8DeclaredUTF8": {
			"Content-Type: text/plain; charset=utf-8\n\ncaf\xe9",
			"café", []string{`bytes not valid in charset "utf-8"`},
		},
		"Latin1Label": {
			"Content-Type: text/plain; charset=\"ISO-8859-15\"\n\n\xa4 et \xe9",
			"€ et é", nil,
		},
		"MultipartWithoutBoundary": {
			"Content-Type: multipart/mixed\n\nhello",
			"hello", []string{"multipart/mixed without boundary"},
		},
		"MissingClosingBoundary": {
			"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nstart of a cut message",
			"start of a cut message", []string{"part cut short"},
		},
		"TextPartsJoined": {
			"Content-Type: multipart/mixed; boundary=x\n\n--x\n\nfirst\n--x\nContent-Type: text/plain\n\nsecond\n--x--\n",
			"first\nsecond", nil,
		},
		"Utf16": {
			"Content-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n\nYwBhAGYA6QA=",
			"café", nil,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse(strings.NewReader(tt.raw), Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			checkSubstrings(t, "Warnings", strings.Join(m.Warnings, "\n"), tt.warnings, nil)
		})
	}
}

func TestParseFilenames(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ headers, want string }{
		"RFC2231Latin1":     {"Content-Disposition: attachment; filename*=iso-8859-1'fr'Re%E7u%20sign%E9.pdf", "Reçu signé.pdf"},
		"RFC2231Sections":   {"Content-Disposition: attachment; filename*0=\"Relev\"; filename*1*=%C3%A9.pdf", "Relevé.pdf"},
		"RFC2047InQuotes":   {"Content-Disposition: attachment; filename=\"=?utf-8?B?ZMOpY29tcHRlLnBkZg==?=\"", "décompte.pdf"},
		"NameParamFallback": {"Content-Type: application/pdf; name=\"=?iso-8859-1?Q?r=E9f.pdf?=\"", "réf.pdf"},
		"WindowsPath":       {"Content-Disposition: attachment; filename=\"C:\\Users\\jean\\facture.pdf\"", "facture.pdf"},
		"Malformed":         {"Content-Disposition: attachment; ; filename=a.pdf; =x; size", "a.pdf"},
		"Raw8Bit":           {"Content-Disposition: attachment; filename=\"r\xe9sum\xe9.txt\"", "résumé.txt"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw := "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n--b\n" + tt.headers + "\n\ndata\n--b--\n"
			m, err := Parse(strings.NewReader(raw), Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Attachments) != 1 || m.Attachments[0].Filename != tt.want {
				t.Errorf("Attachments = %+v, want one named %q", m.Attachments, tt.want)
			}
		})
	}
}

func TestParseHTMLOnlyReply(t *testing.T) {
	t.Parallel()
	raw := "Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"<div dir=3D\"ltr\">Merci, c'est r=E9gl=E9.</div><div class=3D\"gmail_quote\">Le lun., X a =E9crit :" +
		"<blockquote class=3D\"gmail_quote\">Bonjour</blockquote></div>"
	m, err := Parse(strings.NewReader(raw), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "" || m.TextFromHTML != "Merci, c'est réglé.\nLe lun., X a écrit :\n\nBonjour" || m.Excerpt != "Merci, c'est réglé." {
		t.Errorf("Text %q, TextFromHTML %q, Excerpt %q", m.Text, m.TextFromHTML, m.Excerpt)
	}
}
