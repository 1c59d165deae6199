package guichet

// DefaultPageSize is the page size when a list request names none.
const DefaultPageSize = 50

// PageRequest asks for one page of a list: Cursor is the opaque
// NextCursor of the previous page ("" for the first).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Size returns the page size to use.
func (p PageRequest) Size() int {
	if p.Limit <= 0 {
		return DefaultPageSize
	}
	return p.Limit
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}
