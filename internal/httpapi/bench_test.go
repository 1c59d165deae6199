package httpapi_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// BenchmarkCreateContact measures the full HTTP stack (auth, validation,
// audit, commit) in process; make bench measures it over TCP against a
// separate server process.
func BenchmarkCreateContact(b *testing.B) {
	for _, backend := range testdb.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := apitest.Start(b, backend)
			_, key := e.APIToken(e.Admin, "contacts:write")
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					r := e.Post(key, "/contacts", map[string]any{"first_name": "Mélanie", "last_name": fmt.Sprintf("Loubet %d", i),
						"email": fmt.Sprintf("m%d@example.fr", i), "individual": true})
					if r.Status != 201 {
						b.Fatalf("create: %d %s", r.Status, r.Body)
					}
				}
			})
		})
	}
}

// BenchmarkCreateTicket measures opening an email ticket (number, response
// clock with its due date, creation event, audit) through the full HTTP
// stack in process.
func BenchmarkCreateTicket(b *testing.B) {
	for _, backend := range testdb.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := apitest.Start(b, backend)
			_, key := e.APIToken(e.Admin, "tickets:write")
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := e.Post(key, "/tickets", map[string]any{"subject": "Export FEC en erreur", "channel": "email",
						"category": "bug_report", "description": "Depuis la mise à jour, l'export échoue."})
					if r.Status != 201 {
						b.Fatalf("create: %d %s", r.Status, r.Body)
					}
				}
			})
		})
	}
}
