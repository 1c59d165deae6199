package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// A process killed between storing a blob and committing its row leaves a
// blob nobody uses: the sweep deletes it once it is older than the grace
// period, and never a blob a row uses.
func TestOrphanBlobSweep(t *testing.T) {
	t.Parallel()
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		env := apitest.Start(t, b)
		ctx := context.Background()
		mt := &mailTest{env: env, srv: imaptest.Start(t, imaptest.Options{}), p: team(t, env)}
		contact := mt.box(t, mt.p.manager, "contact", map[string]any{"kind": "shared", "purpose": "contact",
			"responsible_id": mt.p.agentID})
		mt.mustFetch(t, contact)
		mt.deliver(t, "contact", "INBOX", eml("m.loubet@example.fr", "contact@guichet.example",
			"Export FEC", "fec-sweep@example.fr", "Bonjour, l'export FEC s'arrête."))
		mt.mustFetch(t, contact)
		item := itemBySubject(t, mt.items(t, mt.p.agent, contact, ""), "Export FEC")

		orphan, err := env.Main.Blobs.Put(ctx, strings.NewReader("left by a SIGKILL mid-batch"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		exists := func(key string) bool {
			r, err := env.Main.Blobs.Open(ctx, key)
			if errors.Is(err, blob.ErrNotFound) {
				return false
			} else if err != nil {
				t.Fatal(err)
			}
			r.Close()
			return true
		}
		sweep := func() int {
			n, err := env.Main.Store.SweepOrphanBlobs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		if n := sweep(); n != 0 || !exists(orphan.Key) {
			t.Fatalf("a young blob may belong to an upload in progress: %d deleted", n)
		}
		env.Clock.Set(env.Clock.Now().Add(store.BlobGrace + time.Hour))
		if n := sweep(); n != 1 || exists(orphan.Key) {
			t.Fatalf("the sweep deleted %d blobs, want the orphan only", n)
		}
		token := env.Login("accueil", "password-accueil").AccessToken
		raw := env.Get(token, "/mail-messages/"+item.MessageID+"/raw").Expect(t, http.StatusOK)
		if !strings.Contains(string(raw.Body), "l'export FEC") {
			t.Fatalf("the ingested mail's source is gone: %q", raw.Body)
		}
		if n := sweep(); n != 0 {
			t.Fatalf("a second sweep deleted %d", n)
		}
	})
}
