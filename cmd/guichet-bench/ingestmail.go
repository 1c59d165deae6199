package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/guichet/guichet/internal/seed"
)

// Shares of the generated mail, in percent.
const (
	replyShare      = 15 // a client's answer to one of its earlier requests, quoting it
	attachmentShare = 5  // with a PDF of 20–200 KB
	htmlShare       = 30 // multipart/alternative, text and HTML
	latin1Share     = 15 // ISO-8859-1, quoted-printable, RFC 2047 headers
	mailSenders     = 400
)

// sender is a client writing to the mailbox.
type sender struct{ name, email string }

// mailGen writes plausible client mail to a mailbox, deterministically
// from its seed: new requests from a few hundred clients, their replies
// (In-Reply-To, References, quoted history), HTML, French charsets and
// attachments. Not safe for concurrent use.
type mailGen struct {
	to       string
	rng      *rand.Rand
	text     *seed.Generator
	senders  []sender
	requests []request // new requests so far, for replies to answer
}

type request struct {
	id, subject, text string
	from              int
}

// mailStats counts what a generator wrote.
type mailStats struct {
	Requests    int   `json:"requests"`
	Replies     int   `json:"replies"`
	Attachments int   `json:"attachments"`
	Bytes       int64 `json:"bytes"`
}

func newMailGen(seedValue uint64, to string) *mailGen {
	p := newPeople(seedValue)
	g := &mailGen{to: to, rng: rand.New(rand.NewPCG(seedValue, 0xba5e)), text: seed.NewGenerator(seedValue)}
	for len(g.senders) < mailSenders {
		c := p.next()
		if c.Email != "" {
			g.senders = append(g.senders, sender{name: c.FirstName + " " + c.LastName, email: c.Email})
		}
	}
	return g
}

// next writes the i-th mail, dated date, and counts it in st.
func (g *mailGen) next(i int, date time.Time, st *mailStats) []byte {
	from := g.rng.IntN(len(g.senders))
	t := g.text.Next()
	subject, body := t.Subject, t.Description
	id := fmt.Sprintf("%d.%08x@%s", i, g.rng.Uint32(), strings.SplitN(g.senders[from].email, "@", 2)[1])
	var thread string
	if len(g.requests) > 0 && g.rng.IntN(100) < replyShare {
		r := g.requests[g.rng.IntN(len(g.requests))]
		from, subject = r.from, "Re: "+r.subject
		thread = fmt.Sprintf("In-Reply-To: <%s>\r\nReferences: <%s>\r\n", r.id, r.id)
		body = fmt.Sprintf("Bonjour,\n\nJe complète ma demande : %s\n\nLe %s, %s a écrit :\n> %s\n", t.Description,
			date.Add(-time.Hour).Format("02/01/2006 à 15:04"), g.to, strings.ReplaceAll(r.text, "\n", "\n> "))
		st.Replies++
	} else {
		g.requests = append(g.requests, request{id: id, subject: subject, text: body, from: from})
		st.Requests++
	}
	body += "\n\nCordialement,\n" + g.senders[from].name + "\n"
	latin1 := g.rng.IntN(100) < latin1Share
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%sMIME-Version: 1.0\r\n",
		header(g.senders[from].name, latin1), g.senders[from].email, g.to, header(subject, latin1),
		date.Format(time.RFC1123Z), id, thread)
	g.body(&b, body, latin1, st)
	st.Bytes += int64(b.Len())
	return b.Bytes()
}

// body writes the content: text, or text and HTML, with an attachment
// now and then.
func (g *mailGen) body(b *bytes.Buffer, text string, latin1 bool, st *mailStats) {
	attach := g.rng.IntN(100) < attachmentShare
	if attach {
		st.Attachments++
		b.WriteString("Content-Type: multipart/mixed; boundary=\"mixed\"\r\n\r\n--mixed\r\n")
	}
	if g.rng.IntN(100) < htmlShare {
		b.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n")
		textPart(b, "text/plain", text, latin1)
		b.WriteString("\r\n--alt\r\n")
		textPart(b, "text/html", "<html><body><p>"+strings.ReplaceAll(htmlEscape(text), "\n\n", "</p><p>")+"</p></body></html>", latin1)
		b.WriteString("\r\n--alt--\r\n")
	} else {
		textPart(b, "text/plain", text, latin1)
	}
	if !attach {
		return
	}
	b.WriteString("\r\n--mixed\r\nContent-Type: application/pdf; name=\"justificatif.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"justificatif.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	file := make([]byte, 20<<10+g.rng.IntN(180<<10))
	copy(file, "%PDF-1.4\n")
	for i := 9; i+8 <= len(file); i += 8 {
		v := g.rng.Uint64()
		for j := range 8 {
			file[i+j] = byte(v >> (8 * j))
		}
	}
	enc := base64.StdEncoding.EncodeToString(file)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--mixed--\r\n")
}

// textPart writes one text part: UTF-8 in 8 bits, or ISO-8859-1 in
// quoted-printable.
func textPart(b *bytes.Buffer, contentType, text string, latin1 bool) {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	if !latin1 {
		fmt.Fprintf(b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", contentType, text)
		return
	}
	enc, err := charmap.ISO8859_1.NewEncoder().String(text)
	if err != nil { // a character outside Latin-1: keep UTF-8
		fmt.Fprintf(b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", contentType, text)
		return
	}
	fmt.Fprintf(b, "Content-Type: %s; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", contentType)
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(enc))
	_ = w.Close()
}

// header encodes a header value as RFC 2047 when it is not ASCII.
func header(s string, latin1 bool) string {
	charset := "utf-8"
	if latin1 {
		if enc, err := charmap.ISO8859_1.NewEncoder().String(s); err == nil {
			return mime.QEncoding.Encode("iso-8859-1", enc)
		}
	}
	return mime.QEncoding.Encode(charset, s)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace(s)
}
