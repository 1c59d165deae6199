package mailparse_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/mailparse"
)

// sizeSink stands for the blob store: it would stream r to storage.
type sizeSink struct{}

func (sizeSink) Put(p mailparse.PartInfo, r io.Reader) (string, int64, error) {
	n, err := io.Copy(io.Discard, r)
	return "blob:" + p.Filename, n, err
}

func ExampleParse() {
	raw := "From: =?utf-8?q?Andr=C3=A9?= <andre@exemple.fr>\r\n" +
		"Subject: Re: [T-2026-000124] =?utf-8?q?Attestation_de_r=C3=A9ception?=\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n\r\n> Merci de nous l'envoyer.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=attestation.pdf\r\n\r\n%PDF-1.4\r\n" +
		"--b--\r\n"
	m, err := mailparse.Parse(strings.NewReader(raw), mailparse.Limits{}, sizeSink{})
	var q *mailparse.QuarantineError
	if errors.As(err, &q) {
		fmt.Println("quarantined:", q.Reason, q.Headers["Subject"])
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.From.Name, m.From.Email, mailparse.TicketNumbers(m.Subject))
	fmt.Printf("%q\n", m.Excerpt)
	fmt.Println(m.Attachments[0].Ref, m.Attachments[0].Size, m.Synthetic, m.MayAutoRespond())
	// Output:
	// André andre@exemple.fr [T-2026-000124]
	// "Ci-joint."
	// blob:attestation.pdf 8 true true
}

func ExampleCompose() {
	var b strings.Builder
	id, err := mailparse.Compose(&b, mailparse.Outgoing{
		From:          mailparse.Address{Name: "Support", Email: "support@guichet.example"},
		To:            []mailparse.Address{{Email: "andre@exemple.fr"}},
		Subject:       "[T-2026-000124] Accusé de réception",
		Date:          time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC),
		MessageID:     "ack-124@guichet.example",
		InReplyTo:     "6b1f3c2e@exemple.fr",
		Text:          "Nous avons bien reçu votre demande.",
		AutoSubmitted: mailparse.AutoReplied,
		LoopID:        "guichet-prod-1",
	})
	fmt.Println(id, err)
	// Output: ack-124@guichet.example <nil>
}
