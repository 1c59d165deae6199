package store

import (
	"testing"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/guichet"
)

// FuzzDecodeCursor: a cursor comes from the client, so any string must be
// either accepted as one of ours or refused with EBADREQUEST, never panic;
// and what encodeCursor writes decodes to the same position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("", "contacts:name", "loubet melanie", "01a206a3-8087-7eb7-aac3-faeb4f7d992d")
	f.Add("eyJvIjoiYXVkaXQiLCJpIjoieCJ9", "audit", "", "01a206a3-8087-7eb7-aac3-faeb4f7d992d")
	f.Add("%%%", "contacts:created_at", "", "not-a-uuid")
	f.Fuzz(func(t *testing.T, raw, order, key, id string) {
		var c cursor
		if err := decodeCursor(raw, order, &c); err != nil && guichet.ErrorCode(err) != guichet.EBADREQUEST {
			t.Fatalf("decode %q: %v, want EBADREQUEST", raw, err)
		}
		// Orders are ours and keys are folded text: both valid UTF-8 (JSON
		// would replace anything else).
		if !validID(id) || !utf8.ValidString(order) || !utf8.ValidString(key) {
			return
		}
		var back cursor
		if err := decodeCursor(encodeCursor(order, key, id), order, &back); err != nil {
			t.Fatalf("round trip of (%q, %q, %q): %v", order, key, id, err)
		}
		if back.Key != key || back.ID != id || back.Order != order {
			t.Fatalf("round trip gave %+v", back)
		}
		if order != "" && decodeCursor(encodeCursor(order, key, id), order+"x", &back) == nil {
			t.Fatal("a cursor of one list was accepted by another")
		}
	})
}
