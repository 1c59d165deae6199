package csvexport

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"
)

// dangerous reports whether a spreadsheet could run the cell as a formula.
func dangerous(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// FuzzCell: a neutralised cell is the input or the input behind one
// quote, and never starts a formula unless it is a plain number or an
// E.164 phone number.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"=SUM(A1)", "-12.5", "+33612345678", "+ cher", "@x", "\tx", "\rx", "Mélanie", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q", s, got)
		}
		if dangerous(got) && !plainNumber.MatchString(got) && !e164.MatchString(got) {
			t.Fatalf("Cell(%q) = %q still starts a formula", s, got)
		}
		if got == s && dangerous(s) && !plainNumber.MatchString(s) && !e164.MatchString(s) {
			t.Fatalf("Cell(%q) left a formula", s)
		}
	})
}

// FuzzWriter: what the writer writes reads back, after the BOM, as the
// neutralised cells, whatever the text.
func FuzzWriter(f *testing.F) {
	f.Add("=SUM(A1)", "Mélanie; \"LOUBET\"\nRésidence", "-12.5")
	f.Add("+33612345678", "@x", "\r\n")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, s := range []string{a, b, c} {
			// encoding/csv reads \r\n inside a quoted cell as \n.
			if !utf8.ValidString(s) || strings.Contains(s, "\r\n") {
				t.Skip()
			}
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, []string{"a", "b", "c"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]string{a, b, c}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out.Bytes(), []byte(BOM)) {
			t.Fatal("no BOM")
		}
		r := csv.NewReader(bytes.NewReader(out.Bytes()[len(BOM):]))
		r.Comma, r.LazyQuotes = Separator, false
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("read back %q: %v", out.String(), err)
		}
		want := []string{Cell(a), Cell(b), Cell(c)}
		if len(rows) != 2 || strings.Join(rows[1], "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("read back %q, want %q", rows, want)
		}
	})
}
