package store

import (
	"encoding/base64"
	"encoding/json"

	"github.com/guichet/guichet/internal/guichet"
)

// cursor is the position after the last item of a page: the sort key and
// the id that breaks ties. Order names the list and its sort, so that a
// cursor from one list is refused by another.
type cursor struct {
	Order string `json:"o"`
	Key   string `json:"k,omitempty"`
	ID    string `json:"i"`
}

func encodeCursor(order, key, id string) string {
	b, _ := json.Marshal(cursor{Order: order, Key: key, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor fills c from s; "" leaves c zero. A cursor that is not ours
// or belongs to another order is EBADREQUEST.
func decodeCursor(s, order string, c *cursor) error {
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, c) != nil || c.Order != order || !validID(c.ID) {
		return badCursor()
	}
	return nil
}

func badCursor() error {
	return &guichet.Error{Code: guichet.EBADREQUEST, Message: "cursor is not valid for this list; start again without it",
		Fields: []guichet.FieldError{{Field: "cursor", Message: "invalid cursor"}}}
}
