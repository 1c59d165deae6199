package mailparse

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy sanitises HTML bodies: user-generated-content rules (no script,
// style, form or event handler; links get rel=nofollow) plus cid: images,
// which the UI resolves to the message's inline parts. Remote images stay:
// blocking them is the UI's choice. A bluemonday policy is safe for
// concurrent use once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https", "cid")
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

func sanitizeHTML(s string) string { return policy.Sanitize(s) }

// finishBodies derives the HTML, text and excerpt fields from the bodies
// read.
func (p *parser) finishBodies() {
	m := p.msg
	m.Text = strings.TrimRight(p.text.String(), "\n\t ")
	raw := p.html.String()
	if raw != "" {
		m.HTML = strings.TrimSpace(sanitizeHTML(raw))
		if strings.TrimSpace(m.Text) == "" {
			m.Text = ""
			m.TextFromHTML = cutUTF8(htmlToText(raw, false), p.lim.MaxBodyText)
		}
	}
	switch {
	case m.Text != "":
		m.Excerpt = excerpt(m.Text)
	case raw != "":
		m.Excerpt = excerpt(cutUTF8(htmlToText(raw, true), p.lim.MaxBodyText))
	}
}

// htmlToText renders HTML as plain text: block elements on lines of their
// own, list items dashed, scripts and styles dropped. With trimQuotes, the
// quoted history that mail clients mark in HTML is left out: Gmail's
// gmail_quote, Apple Mail's and Thunderbird's blockquote type=cite, and
// everything from Outlook's reply header on.
func htmlToText(src string, trimQuotes bool) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var w textWriter
	hiddenDepth := 0             // inside script, style…: no text
	skipName, skipDepth := "", 0 // inside a quote: no token
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		if skipDepth > 0 {
			skipDepth += nesting(tt, tok, skipName)
			continue
		}
		switch tt {
		case html.TextToken:
			if hiddenDepth == 0 {
				w.text(tok.Data)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if trimQuotes && isHistoryStart(tok) {
				return w.String()
			}
			if trimQuotes && isQuote(tok) && tt == html.StartTagToken {
				skipName, skipDepth = tok.Data, 1
				continue
			}
			if hidden(tok.DataAtom) && tt == html.StartTagToken {
				hiddenDepth++
			}
			w.startTag(tok)
		case html.EndTagToken:
			if hidden(tok.DataAtom) && hiddenDepth > 0 {
				hiddenDepth--
			}
			w.endTag(tok)
		}
	}
	return w.String()
}

// nesting tells how a token changes the depth of the skipped element.
func nesting(tt html.TokenType, tok html.Token, name string) int {
	switch {
	case tok.Data != name:
		return 0
	case tt == html.StartTagToken:
		return 1
	case tt == html.EndTagToken:
		return -1
	}
	return 0
}

func hidden(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript:
		return true
	}
	return false
}

func attr(tok html.Token, name string) string {
	for _, a := range tok.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasClass(tok html.Token, class string) bool {
	for _, c := range strings.Fields(attr(tok, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// isQuote matches the element that holds a quoted message.
func isQuote(tok html.Token) bool {
	switch tok.DataAtom {
	case atom.Blockquote:
		return strings.EqualFold(attr(tok, "type"), "cite") || hasClass(tok, "gmail_quote")
	case atom.Div:
		return hasClass(tok, "gmail_quote") || hasClass(tok, "gmail_quote_container") ||
			hasClass(tok, "moz-cite-prefix")
	}
	return false
}

// outlookBorder is the style of the rule Outlook draws above its "De :
// Envoyé :" reply header.
var outlookBorder = regexp.MustCompile(`(?i)border-top:\s*solid\s+#(E1E1E1|B5C4DF)`)

// isHistoryStart matches what Outlook puts before the quoted history,
// which then runs to the end of the body.
func isHistoryStart(tok html.Token) bool {
	switch tok.DataAtom {
	case atom.Div:
		id := attr(tok, "id")
		return id == "divRplyFwdMsg" || id == "appendonsend" || outlookBorder.MatchString(attr(tok, "style"))
	case atom.Hr:
		return attr(tok, "id") == "stopSpelling"
	}
	return false
}

// textWriter accumulates rendered text, collapsing white space as a
// browser does and keeping at most one blank line.
type textWriter struct {
	b        strings.Builder
	pre      int  // depth of <pre>
	space    bool // a space is pending
	newlines int  // trailing newlines written
}

func (w *textWriter) text(s string) {
	if w.pre > 0 {
		w.write(s)
		return
	}
	for i, f := range strings.Fields(s) {
		if i > 0 || startsWithSpace(s) {
			w.space = true
		}
		w.write(f)
	}
	if endsWithSpace(s) {
		w.space = true
	}
}

func startsWithSpace(s string) bool { return s != "" && strings.TrimLeft(s[:1], " \t\r\n\f") == "" }
func endsWithSpace(s string) bool {
	return s != "" && strings.TrimRight(s[len(s)-1:], " \t\r\n\f") == ""
}

func (w *textWriter) write(s string) {
	if w.space && w.newlines == 0 && w.b.Len() > 0 {
		w.b.WriteByte(' ')
	}
	w.space = false
	w.b.WriteString(s)
	if s != "" {
		w.newlines = 0
		if strings.HasSuffix(s, "\n") {
			w.newlines = 1
		}
	}
}

// newline ends the current line; n = 2 leaves a blank line.
func (w *textWriter) newline(n int) {
	w.space = false
	if w.b.Len() == 0 {
		return
	}
	for w.newlines < n {
		w.b.WriteByte('\n')
		w.newlines++
	}
}

func (w *textWriter) startTag(tok html.Token) {
	switch tok.DataAtom {
	case atom.Br:
		w.b.WriteByte('\n')
		w.newlines++
		w.space = false
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table, atom.Ul, atom.Ol, atom.Hr:
		w.newline(2)
	case atom.Pre:
		w.newline(2)
		w.pre++
	case atom.Li:
		w.newline(1)
		w.write("- ")
	case atom.Div, atom.Tr, atom.Section, atom.Article, atom.Header, atom.Footer:
		w.newline(1)
	case atom.Td, atom.Th:
		w.space = true
	case atom.Img:
		if alt := strings.TrimSpace(attr(tok, "alt")); alt != "" {
			w.space = true
			w.write("[" + alt + "]")
		}
	}
}

func (w *textWriter) endTag(tok html.Token) {
	switch tok.DataAtom {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table, atom.Ul, atom.Ol:
		w.newline(2)
	case atom.Pre:
		w.newline(2)
		if w.pre > 0 {
			w.pre--
		}
	case atom.Div, atom.Tr, atom.Li, atom.Section, atom.Article, atom.Header, atom.Footer:
		w.newline(1)
	}
}

func (w *textWriter) String() string {
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	s := strings.Join(lines, "\n")
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return strings.TrimSpace(s)
}
