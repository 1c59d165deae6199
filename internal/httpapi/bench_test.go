package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
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

// BenchmarkIngestMail measures the fetch of new mail from an in-process
// IMAP server into tickets, one mail per iteration (a new request from one
// of 200 clients); make bench measures it with varied mail against a
// separate server process.
func BenchmarkIngestMail(b *testing.B) {
	for _, backend := range testdb.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := apitest.Start(b, backend)
			mt := &mailTest{env: e, srv: imaptest.Start(b, imaptest.Options{})}
			_, manager := e.Agent("gerant", "manager")
			respID, _ := e.Agent("accueil", "agent")
			box := mt.boxTB(b, manager, "contact", map[string]any{"kind": "shared", "purpose": "contact", "responsible_id": respID})
			if _, err := e.Main.FetchMailbox(context.Background(), box); err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				raw := eml(fmt.Sprintf("Client %d <client%d@example.fr>", i%200, i%200), "contact@guichet.example",
					fmt.Sprintf("Demande %d", i), fmt.Sprintf("bench-%d@example.fr", i), strings.Repeat("Bonjour, l'export FEC échoue. ", 40))
				if _, err := mt.srv.Append("contact", "INBOX", raw, time.Now().Add(-time.Minute)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for got := 0; got < b.N; {
				res, err := e.Main.FetchMailbox(context.Background(), box)
				if err != nil {
					b.Fatal(err)
				}
				got += res.Mails
			}
		})
	}
}
