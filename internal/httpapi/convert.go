package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/guichet/guichet/internal/guichet"
)

func parseUUID(s string) uuid.UUID {
	u, _ := uuid.Parse(s)
	return u
}

// optString returns nil for "", so that empty fields are left out.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullableUUID(s string) nullable.Nullable[uuid.UUID] {
	if s == "" {
		return nullable.NewNullNullable[uuid.UUID]()
	}
	return nullable.NewNullableWithValue(parseUUID(s))
}

func nullableString(s string) nullable.Nullable[string] {
	if s == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(s)
}

// patchString maps a nullable JSON field to an update pointer: nil when
// absent, "" when null, the value otherwise.
func patchString(n nullable.Nullable[string]) *string {
	if !n.IsSpecified() {
		return nil
	}
	if n.IsNull() {
		empty := ""
		return &empty
	}
	v := n.MustGet()
	return &v
}

func patchUUID(n nullable.Nullable[uuid.UUID]) *string {
	if !n.IsSpecified() {
		return nil
	}
	s := ""
	if !n.IsNull() {
		s = n.MustGet().String()
	}
	return &s
}

func etag(version int) *string {
	s := `"` + strconv.Itoa(version) + `"`
	return &s
}

// ifMatch parses an If-Match header into the version it names: 428 when
// missing, 412 when it cannot be one of ours.
func ifMatch(h *string) (int, error) {
	if h == nil || strings.TrimSpace(*h) == "" {
		return 0, guichet.Errorf(guichet.EPRECONDITIONMISSING, "send If-Match with the ETag of the version you are changing")
	}
	v := strings.TrimPrefix(strings.TrimSpace(*h), "W/")
	n, err := strconv.Atoi(strings.Trim(v, `"`))
	if err != nil || n < 1 {
		return 0, guichet.Errorf(guichet.EPRECONDITION, "If-Match %q names no version of this resource", *h)
	}
	return n, nil
}

func pageRequest(limit *int, cursor *string) guichet.PageRequest {
	p := guichet.PageRequest{}
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func nullableTime(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(*t)
}
