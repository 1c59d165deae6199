package seed

import "github.com/guichet/guichet/internal/store"

// document returns a new ticket's search document, as the store writes it.
func document(number, subject, description string) string {
	return store.TicketDocument(number, subject, description)
}
