package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// A mail is claimed before any SMTP: concurrent runs of its job send it
// once, and a claim left by a killed process is retaken once it expires.
// A merged ticket's outgoing mail moves to the survivor.
func TestOutgoingClaims(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		ot := newOutTest(t, b)
		t.Run("ConcurrentRunsSendOnce", func(t *testing.T) { concurrentRuns(t, ot) })
		t.Run("KilledSenderClaimRetakenAfterItExpires", func(t *testing.T) { staleClaim(t, ot) })
		t.Run("MergeMovesOutgoingMail", func(t *testing.T) { mergeMovesOutgoing(t, ot) })
	})
}

func concurrentRuns(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := ot.clientTicket(t, "Envoi concurrent", "concurrent-1@example.fr")
	var out outgoingMail
	env.Post(p.agent, "/tickets/"+tk.ID+"/email-replies", map[string]any{"text": "Une seule fois."}).Expect(t, http.StatusAccepted).JSON(t, &out)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := env.Main.Sender.Send(context.Background(), out.ID, false); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ot.waitStatus(t, tk.ID, out.ID, "sent")
	n := 0
	for _, m := range sentTo(ot.smtp, "m.loubet@example.fr") {
		if parseMail(t, m.Data).messageID() == out.MessageID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("four runs and River's job delivered the mail %d times", n)
	}
}

func staleClaim(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	tk := ot.clientTicket(t, "Processus tué", "killed-1@example.fr")
	ot.smtp.FailNext(1, 451)
	var out outgoingMail
	env.Post(p.agent, "/tickets/"+tk.ID+"/email-replies", map[string]any{"text": "Après la panne."}).Expect(t, http.StatusAccepted).JSON(t, &out)
	waitFor(t, "the first attempt", func() bool { m := ot.outgoingByID(t, tk.ID, out.ID); return m.Attempts == 1 && m.Status == "queued" })
	// A process claimed it and was killed before talking SMTP.
	res, err := env.Main.DB.Writer().NewUpdate().Table("mail_outbox").Set("status = 'sending', claimed_at = ?", env.Clock.Now()).
		Where("id = ? AND status = 'queued'", out.ID).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatal("River's retry sent the mail before the test could stand for a killed process")
	}
	if err := env.Main.Sender.Send(context.Background(), out.ID, false); err != nil {
		t.Fatal(err)
	}
	if m := ot.outgoingByID(t, tk.ID, out.ID); m.Status != "sending" {
		t.Fatalf("a fresh claim was taken over: %+v", m)
	}
	env.Clock.Advance(store.OutgoingClaimTTL + time.Second)
	if err := env.Main.Sender.Send(context.Background(), out.ID, false); err != nil {
		t.Fatal(err)
	}
	if m := ot.outgoingByID(t, tk.ID, out.ID); m.Status != "sent" || m.Attempts != 2 {
		t.Fatalf("the expired claim was not retaken: %+v", m)
	}
}

func mergeMovesOutgoing(t *testing.T, ot *outTest) {
	env, p := ot.env, ot.p
	src := ot.clientTicket(t, "Doublon A", "doublon-a@example.fr")
	dst := ot.clientTicket(t, "Doublon B", "doublon-b@example.fr")
	var out outgoingMail
	env.Post(p.agent, "/tickets/"+src.ID+"/email-replies", map[string]any{"text": "Réponse au doublon."}).Expect(t, http.StatusAccepted).JSON(t, &out)
	merge(env, p.agent, getTicket(t, env, p.agent, src.ID), dst.ID).Expect(t, http.StatusOK)
	moved := ot.outgoing(t, dst.ID)
	if len(moved) != 1 || moved[0].ID != out.ID || len(ot.outgoing(t, src.ID)) != 0 {
		t.Fatalf("after the merge: survivor %+v, absorbed %+v", moved, ot.outgoing(t, src.ID))
	}
	ot.waitStatus(t, dst.ID, out.ID, "sent")
}
