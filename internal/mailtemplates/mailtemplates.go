// Package mailtemplates renders the French emails that tell clients where
// their request stands: one template per name that procedures' notify_client
// actions use. The client is told the ticket number and never a delay (« on
// ne donne jamais de délai »): the data never holds a due date, and no
// template speaks of one.
//
// A template file's first line is the subject; the rest, after it, is the
// plain-text body. Templates share the blocks of _common.txt.
package mailtemplates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"text/template"
)

//go:embed templates/*.txt
var files embed.FS

// ErrUnknown is returned by Render for a name without a template.
var ErrUnknown = errors.New("mailtemplates: no template of that name")

// Mail is a rendered notification.
type Mail struct {
	Subject string
	Text    string
}

var templates = mustParse()

func mustParse() map[string]*template.Template {
	common, err := files.ReadFile("templates/_common.txt")
	if err != nil {
		panic(err)
	}
	names, err := fs.Glob(files, "templates/*.txt")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template)
	for _, p := range names {
		name := strings.TrimSuffix(path.Base(p), ".txt")
		if strings.HasPrefix(name, "_") {
			continue
		}
		body, err := files.ReadFile(p)
		if err != nil {
			panic(err)
		}
		t := template.Must(template.New(name).Option("missingkey=zero").Parse(string(common)))
		out[name] = template.Must(t.Parse(string(body)))
	}
	return out
}

// Names lists the templates.
func Names() []string {
	out := make([]string, 0, len(templates))
	for n := range templates {
		out = append(out, n)
	}
	return out
}

// Render renders template name with data (the notification's data: the
// ticket number, subject and file reference, and the inputs the action
// names). ErrUnknown when there is no such template.
func Render(name string, data map[string]any) (Mail, error) {
	t, ok := templates[name]
	if !ok {
		return Mail{}, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return Mail{}, fmt.Errorf("mailtemplates: render %s: %w", name, err)
	}
	subject, text, _ := strings.Cut(b.String(), "\n")
	text = strings.TrimLeft(text, "\n")
	return Mail{Subject: strings.TrimSpace(subject), Text: collapseBlankLines(text)}, nil
}

// collapseBlankLines keeps at most one empty line in a row, which optional
// blocks would otherwise leave, and ends the text with one newline.
func collapseBlankLines(s string) string {
	var out []string
	blank := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " ")
		if line == "" {
			if blank || len(out) == 0 {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, line)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
