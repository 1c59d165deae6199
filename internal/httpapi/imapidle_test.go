package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/ingest"
	"github.com/guichet/guichet/internal/testdb"
)

// IMAP IDLE only wakes the fetch: a mail delivered while Guichet listens
// becomes a ticket long before the next poll (the mailbox polls hourly
// here), through the River fetch job.
func TestIMAPIdleWakesTheFetch(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		id := mt.box(t, mt.p.manager, "idle", map[string]any{"kind": "shared", "purpose": "contact", "responsible_id": mt.p.agentID})
		mt.mustFetch(t, id) // the checkpoint: a new mailbox starts at the end
		mt.quiesce(t)

		w := &ingest.Watcher{Store: env.Main.Store, Refresh: 50 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); w.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		waitFor(t, "the watcher to listen", func() bool { return slices.Contains(w.Watching(), id) })
		select {
		case <-mt.srv.IdleStarted():
		case <-time.After(5 * time.Second):
			t.Fatal("the watcher never issued IDLE")
		}
		mt.quiesce(t) // the wake-up on listening fetches nothing new

		mt.deliver(t, "idle", "INBOX", eml("Client <c@client.example>", "idle@guichet.example", "Fuite au 3e", "<idle-1@client.example>", "Bonjour"))
		waitFor(t, "the mail to become a ticket", func() bool {
			items := mt.items(t, mt.p.agent, id, "")
			return len(items) == 1 && items[0].TicketID != nil
		})

		// Ingestion turned off: the watcher lets go of the mailbox.
		env.Patch(mt.p.manager, "/mailboxes/"+id, `"1"`, map[string]any{"ingestion_enabled": false}).Expect(t, http.StatusOK)
		waitFor(t, "the watcher to stop", func() bool { return !slices.Contains(w.Watching(), id) })
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
