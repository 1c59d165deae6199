package mailparse

import (
	"bytes"
	"strings"
	"testing"
)

// benchMessage composes a reply with text and HTML bodies of about
// textSize bytes each, and an attachment of attachSize bytes.
func benchMessage(b *testing.B, textSize, attachSize int) []byte {
	b.Helper()
	out := outgoing()
	para := "Bonjour, nous avons bien reçu votre règlement de la facture n°12 ; votre compte est à jour.\n"
	out.Text = strings.Repeat(para, textSize/len(para)) + "\n> " + strings.Repeat(para, 10)
	out.HTML = "<div>" + strings.Repeat("<p>"+para+"</p>", textSize/(len(para)+7)) + `<blockquote type="cite">` + para + "</blockquote></div>"
	if attachSize > 0 {
		out.Attachments = []OutgoingAttachment{{Filename: "scan.pdf", ContentType: "application/pdf",
			Body: bytes.NewReader(bytes.Repeat([]byte("%PDF-1.4 binary\x00\xff"), attachSize/17))}}
	}
	var buf bytes.Buffer
	if _, err := Compose(&buf, out); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkParse(b *testing.B) {
	for name, raw := range map[string][]byte{
		"Typical30KB":     benchMessage(b, 12<<10, 0),
		"Attachment5MB":   benchMessage(b, 2<<10, 5<<20),
		"OutlookFixture":  readFixture(b, "outlook.eml"),
		"BounceFixture":   readFixture(b, "bounce-postfix.eml"),
		"WideBombFixture": readFixture(b, "bomb-wide.eml"),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				Parse(bytes.NewReader(raw), Limits{}, &discardSink{})
			}
		})
	}
}
