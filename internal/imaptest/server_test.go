package imaptest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/imaptest"
)

func TestResetUIDValidityKeepsMessagesFlagsAndDates(t *testing.T) {
	t.Parallel()
	srv := imaptest.Start(t, imaptest.Options{})
	if err := srv.AddUser("u", "p"); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	raws := []string{"Subject: one\r\n\r\nA\r\n", "Subject: two\r\n\r\nB\r\n"}
	for i, raw := range raws {
		flags := []string{}
		if i == 1 {
			flags = append(flags, `\Seen`, `\Flagged`)
		}
		if _, err := srv.Append("u", "INBOX", []byte(raw), date.Add(time.Duration(i)*time.Hour), flags...); err != nil {
			t.Fatal(err)
		}
	}
	before, err := srv.Messages("u", "INBOX")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := srv.ResetUIDValidity("u", "INBOX"); err != nil {
		t.Fatal(err)
	}
	after, err := srv.Messages("u", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d messages after the reset, want %d", len(after), len(before))
	}
	for i := range after {
		b, a := before[i], after[i]
		slices.Sort(a.Flags)
		slices.Sort(b.Flags)
		if string(a.Raw) != raws[i] || !a.InternalDate.Equal(b.InternalDate) || !slices.Equal(a.Flags, b.Flags) {
			t.Errorf("message %d: %q %v %v, want %q %v %v", i, a.Raw, a.InternalDate, a.Flags, raws[i], b.InternalDate, b.Flags)
		}
	}
}
