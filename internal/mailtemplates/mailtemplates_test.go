package mailtemplates_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/mailtemplates"
)

// procedureTemplates lists the template names of the shipped procedures'
// notify_client actions.
func procedureTemplates(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "procedure", "definitions", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no procedure definitions: %v", err)
	}
	re := regexp.MustCompile(`"template":\s*"([a-z_]+)"`)
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				seen[m[1]], out = true, append(out, m[1])
			}
		}
	}
	return out
}

func TestEveryProcedureTemplateRendersWithoutADelay(t *testing.T) {
	t.Parallel()
	data := map[string]any{"ticket_number": "T-2026-000123", "subject": "Export FEC en erreur", "file_reference": "DOS-2026-0042",
		"message": "Merci de nous envoyer la capture.", "reason": "Rien d'anormal constaté.", "wiki_page_url": "https://wiki.example.fr/fec",
		"documentation_links": []any{map[string]any{"title": "Export FEC", "url": "https://doc.example.fr/fec"}}}
	for _, name := range procedureTemplates(t) {
		t.Run(name, func(t *testing.T) {
			m, err := mailtemplates.Render(name, data)
			if err != nil {
				t.Fatal(err)
			}
			all := m.Subject + "\n" + m.Text
			if !strings.Contains(m.Subject, "T-2026-000123") || !strings.Contains(m.Subject, "réf. DOS-2026-0042") {
				t.Errorf("subject %q lacks the ticket number or file reference", m.Subject)
			}
			for _, bad := range []string{"<no value>", "délai", "échéance", "sous 48", "jours"} {
				if strings.Contains(strings.ToLower(all), bad) {
					t.Errorf("%s says %q:\n%s", name, bad, all)
				}
			}
			if strings.Contains(m.Text, "\n\n\n") || !strings.HasPrefix(m.Text, "Bonjour,") {
				t.Errorf("layout:\n%s", m.Text)
			}
		})
	}
}

func TestMinimalDataAndUnknownName(t *testing.T) {
	t.Parallel()
	m, err := mailtemplates.Render("dev_ticket_created", map[string]any{"ticket_number": "T-2026-000001", "subject": "Bug"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Subject, "réf.") || strings.Contains(m.Text, "<no value>") {
		t.Errorf("without a file reference: %q\n%s", m.Subject, m.Text)
	}
	if _, err := mailtemplates.Render("nope", nil); !errors.Is(err, mailtemplates.ErrUnknown) {
		t.Errorf("err = %v, want ErrUnknown", err)
	}
}
