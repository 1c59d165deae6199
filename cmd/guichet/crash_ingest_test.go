package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/app"
	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imaptest"
	"github.com/guichet/guichet/internal/testdb"
)

// The ingestion crash test (issue 5): `guichet fetch-once` runs as its own
// process against a real database and an IMAP server in the test process,
// and is killed with SIGKILL at random points while it ingests 1,000
// mails; a last run finishes. Every mail must then be in Guichet exactly
// once: one message, location and queue item each, a ticket per new
// request, a client message per reply, and the checkpoint on the last UID.

var crashSeed = flag.Uint64("crash-seed", 0, "seed of the ingestion crash test's mail and kill delays (0: random, logged)")

const (
	crashMails   = 1000
	crashKills   = 8
	crashSenders = 36
	crashUser    = "contact"
	// Kill delays are drawn between crashMinDelay and a window from the
	// start of the process: its start-up takes a few hundred
	// milliseconds, then it commits a batch of 50 mails every 0.2 to 0.7
	// s (the disk's fsyncs decide), so kills land before the fetch,
	// before its first commit, and between and during later ones. The
	// window follows the disk's speed: it shrinks when a run got through
	// more than twice its share of the mail (crashShare), so that every
	// kill still finds work, and grows when a run died before its fetch.
	crashMinDelay = 30 * time.Millisecond
	crashWindow   = 1500 * time.Millisecond
	crashShare    = crashMails / (2 * crashKills)
	crashRunLimit = 3 * time.Minute // one run that is not killed
)

// TestIngestionExactlyOnceAcrossSIGKILL proves issue 5's "1,000 mails
// ingested exactly once across repeated SIGKILLs" on each database.
func TestIngestionExactlyOnceAcrossSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped with -short: it SIGKILLs `guichet fetch-once` repeatedly while it ingests 1,000 mails (10 to 30 s per database)")
	}
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		seed := *crashSeed
		if seed == 0 {
			seed = rand.Uint64()
		}
		t.Logf("seed %d (go test ./cmd/guichet -run IngestionExactlyOnce -args -crash-seed=%[1]d replays the mail and the delays)", seed)
		rng := rand.New(rand.NewPCG(seed, 5))
		ci := newCrashIngest(t, b)
		want := ci.fill(t, rng, crashMails)
		kills := ci.killRepeatedly(t, rng)
		ci.finish(t)
		logKills(t, kills)
		ci.exactlyOnce(t, want)
	})
}

// crashIngest is a Guichet database with one shared contact mailbox read
// from an IMAP server in this process. Its Main opens the database for
// the set-up and the checks only: no job runs here.
type crashIngest struct {
	m       *app.Main
	srv     *imaptest.Server
	id      string   // the mailbox
	env     []string // of the fetch-once processes
	blobDir string   // SQLite: the blob files
	lastUID uint32
	// contacts is how many contacts there were before any mail.
	contacts int
}

func newCrashIngest(t *testing.T, b testdb.Backend) *crashIngest {
	t.Helper()
	ctx := context.Background()
	cfg := b.Config(t)
	cfg.AdminPassword = "crash-test-password"
	m := &app.Main{Config: cfg, Spec: api.Spec, Hasher: auth.NewHasherWithParams(2, 64, 1)}
	if err := m.Open(ctx, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := m.Store.EnsureAdmin(ctx, cfg.AdminPassword); err != nil {
		t.Fatal(err)
	}
	ci := &crashIngest{m: m, srv: imaptest.Start(t, imaptest.Options{}), blobDir: filepath.Join(cfg.DataDir, "blobs")}
	ci.env = append(environWithout("GUICHET_"), "GUICHET_DATA_DIR="+cfg.DataDir, "GUICHET_SECRET_KEY="+cfg.SecretKey,
		"GUICHET_LOG_LEVEL=warn")
	if cfg.DatabaseURL != "" {
		ci.env = append(ci.env, "GUICHET_DATABASE_URL="+cfg.DatabaseURL)
	}
	ci.id = ci.mailbox(t)
	ci.contacts = ci.count(t, "contacts", "1 = 1")
	return ci
}

// mailbox creates the IMAP account, with mail that is already there, and
// the mailbox reading it (as the system); its first fetch starts at the
// end of the folders.
func (ci *crashIngest) mailbox(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	pw := "imap-crash-password"
	if err := ci.srv.AddUser(crashUser, pw); err != nil {
		t.Fatal(err)
	}
	if err := ci.srv.CreateFolder(crashUser, "Sent"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // older mail: never ingested
		raw := fmt.Sprintf("From: ancien%d@client.example\r\nTo: contact@guichet.example\r\nSubject: Ancien %d\r\n"+
			"Message-ID: <old-%d@client.example>\r\n\r\nDéjà là avant Guichet.\r\n", i, i, i)
		if _, err := ci.srv.Append(crashUser, "INBOX", []byte(raw), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var admin string
	if err := ci.m.DB.Reader().NewSelect().Table("agents").Column("id").Where("username = 'admin'").Scan(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	mb, err := ci.m.Store.CreateMailbox(ctx, guichet.MailboxCreate{Kind: guichet.MailboxShared, Purpose: "contact",
		Name: "Contact", Address: "contact@guichet.example", ResponsibleID: admin, Imap: &guichet.ImapInput{Password: &pw,
			ImapSettings: guichet.ImapSettings{Host: ci.srv.Host, Port: ci.srv.Port, Security: guichet.SecurityNone,
				Username: crashUser, FetchIntervalSeconds: 3600}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ci.m.FetchMailbox(ctx, mb.ID); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	if got := ci.checkpoint(t, mb.ID); got != 5 {
		t.Fatalf("first fetch: checkpoint at UID %d, want 5 (the end of the folder)", got)
	}
	return mb.ID
}

// crashWant is what the mail appended must give.
type crashWant struct {
	requests, replies, attachments, senders int
	ids                                     []string // the Message-IDs, the missing one left out
}

var crashTopics = []string{"export FEC en erreur", "relance facture impayée", "question sur la TVA intracommunautaire",
	"changement d'adresse du siège", "accès au portail client", "bilan 2025 : pièces manquantes", "rendez-vous à fixer",
	"attestation de vigilance URSSAF", "erreur sur le bulletin de paie", "résiliation du contrat"}

// fill appends n mails from crashSenders clients: new requests, about one
// in eight a client's reply to one of its earlier requests, one in forty
// with an attachment, one without a Message-ID.
func (ci *crashIngest) fill(t *testing.T, rng *rand.Rand, n int) crashWant {
	t.Helper()
	type request struct {
		id, subject string
		sender      int
	}
	var (
		w       crashWant
		reqs    []request
		senders = map[int]bool{}
	)
	for i := range n {
		sender := rng.IntN(crashSenders)
		id := fmt.Sprintf("crash-%d-%08x@client%02d.example", i, rng.Uint32(), sender)
		subject, thread := fmt.Sprintf("Demande %d : %s", i, crashTopics[rng.IntN(len(crashTopics))]), ""
		switch {
		case i == n/2:
			id = "" // its synthetic Message-ID must be stable across refetches
		case len(reqs) > 0 && rng.IntN(8) == 0:
			r := reqs[rng.IntN(len(reqs))]
			sender, subject = r.sender, "Re: "+r.subject
			thread = fmt.Sprintf("In-Reply-To: <%s>\r\nReferences: <%s>\r\n", r.id, r.id)
		}
		attach := rng.IntN(40) == 0
		raw := crashMail(rng, sender, id, subject, thread, attach)
		uid, err := ci.srv.Append(crashUser, "INBOX", raw, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ci.lastUID, senders[sender] = uid, true
		if thread != "" {
			w.replies++
		} else {
			w.requests++
			if id != "" {
				reqs = append(reqs, request{id, subject, sender})
			}
		}
		if id != "" {
			w.ids = append(w.ids, id)
		}
		if attach {
			w.attachments++
		}
	}
	w.senders = len(senders)
	return w
}

// crashMail writes one client's mail, with an attachment of a few
// kilobytes when attach.
func crashMail(rng *rand.Rand, sender int, id, subject, thread string, attach bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Client %d <client%02d@client%02d.example>\r\nTo: Contact <contact@guichet.example>\r\n", sender, sender, sender)
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\n", subject, time.Now().Add(-time.Hour).Format(time.RFC1123Z))
	if id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	}
	b.WriteString(thread + "MIME-Version: 1.0\r\n")
	text := fmt.Sprintf("Bonjour,\r\n\r\nJe reviens vers vous au sujet de : %s.\r\nMerci d'avance pour votre réponse.\r\n\r\n"+
		"Cordialement,\r\nClient %d\r\n", subject, sender)
	if thread != "" {
		text += "\r\n> Message précédent cité, à ne pas garder sur la fiche.\r\n"
	}
	if !attach {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text)
		return b.Bytes()
	}
	file := make([]byte, 2048+rng.IntN(8192))
	for i := range file {
		file[i] = byte(rng.Uint32())
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text +
		"--b1\r\nContent-Type: application/pdf; name=\"piece.pdf\"\r\nContent-Disposition: attachment; filename=\"piece.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(file)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	return b.Bytes()
}

// crashKill is one run of fetch-once that was killed.
type crashKill struct {
	delay         time.Duration
	before, after int  // mail messages before the run and after the kill
	heldLease     bool // the process died holding the mailbox's lease: in the middle of a fetch
	orphans       int  // blobs it stored for mail it did not commit: killed in the middle of a batch
}

// killRepeatedly starts fetch-once and SIGKILLs it after a random delay,
// crashKills times; after each kill, the dead process's lease is expired
// at once rather than after FetchLeaseTTL.
func (ci *crashIngest) killRepeatedly(t *testing.T, rng *rand.Rand) []crashKill {
	t.Helper()
	var kills []crashKill
	orphans, window := ci.orphanBlobs(t), crashWindow
	for len(kills) < crashKills {
		k := crashKill{before: ci.count(t, "mail_messages", "mailbox_id = ?", ci.id),
			delay: crashMinDelay + time.Duration(rng.Int64N(int64(window-crashMinDelay)+1))}
		cmd, out := ci.start(t)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("fetch-once ended on its own before its kill: %v\n%s", err, out)
			}
			t.Logf("run %d finished within %s, before its kill: %s", len(kills)+1, k.delay, strings.TrimSpace(out.String()))
			return kills
		case <-time.After(k.delay):
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; !killed(err) {
			t.Fatalf("fetch-once ended with %v before its kill:\n%s", err, out)
		}
		k.heldLease = ci.expireLease(t, cmd.Process.Pid)
		k.after = ci.count(t, "mail_messages", "mailbox_id = ?", ci.id)
		now := ci.orphanBlobs(t)
		k.orphans, orphans = now-orphans, now
		kills = append(kills, k)
		switch {
		case k.after-k.before > 2*crashShare:
			window = max(window*2/3, 300*time.Millisecond)
		case !k.heldLease:
			window = min(window*4/3, 3*time.Second)
		}
	}
	return kills
}

func killed(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// start runs `guichet fetch-once` on the mailbox.
func (ci *crashIngest) start(t *testing.T) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, "fetch-once", "-mailbox", ci.id, "-until-done", "-batch", "50")
	cmd.Env = ci.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// finish runs fetch-once to its end.
func (ci *crashIngest) finish(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), crashRunLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "fetch-once", "-mailbox", ci.id, "-until-done", "-batch", "50")
	cmd.Env = ci.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the last fetch-once: %v\n%s", err, out)
	}
	t.Logf("last run, not killed: %s", strings.TrimSpace(string(out)))
}

// expireLease reports whether the killed process (pid) still held the
// mailbox's fetch lease, and expires the lease: its holder is dead, so
// the next run need not wait FetchLeaseTTL for it.
func (ci *crashIngest) expireLease(t *testing.T, pid int) bool {
	t.Helper()
	ctx := context.Background()
	var holders []string
	err := ci.m.DB.Writer().NewSelect().Table("mail_fetch_leases").Column("holder").Where("mailbox_id = ?", ci.id).Scan(ctx, &holders)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ci.m.DB.Writer().NewUpdate().Table("mail_fetch_leases").Set("expires_at = ?", time.Now().UTC().Add(-time.Hour)).
		Where("mailbox_id = ?", ci.id).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(holders, func(h string) bool { return strings.Contains(h, fmt.Sprintf("/%d/", pid)) })
}

// orphanBlobs counts the stored blobs that no row references: mail a
// killed run stored but did not commit (the price of never losing one).
func (ci *crashIngest) orphanBlobs(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	var used []string
	err := ci.m.DB.Reader().NewRaw(`SELECT raw_blob_key FROM mail_messages WHERE raw_blob_key IS NOT NULL
		UNION SELECT blob_key FROM mail_attachments WHERE blob_key IS NOT NULL
		UNION SELECT blob_key FROM attachments`).Scan(ctx, &used)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	if ci.m.DB.Postgres() {
		if err := ci.m.DB.Reader().NewSelect().Table("blobs").Column("key").Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
	} else {
		entries, err := os.ReadDir(ci.blobDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				stored = append(stored, e.Name())
			}
		}
	}
	n := 0
	for _, k := range stored {
		if !slices.Contains(used, k) {
			n++
		}
	}
	return n
}

func logKills(t *testing.T, kills []crashKill) {
	t.Helper()
	var midFetch, progressed, midBatch int
	for i, k := range kills {
		where := "before its fetch began"
		if k.heldLease {
			where, midFetch = "mid-fetch", midFetch+1
		}
		if k.after > k.before {
			progressed++
		}
		if k.orphans > 0 {
			midBatch++
			where += fmt.Sprintf(", mid-batch (%d blobs stored, not committed)", k.orphans)
		}
		t.Logf("kill %d after %3d ms: %4d → %4d messages, %s", i+1, k.delay.Milliseconds(), k.before, k.after, where)
	}
	t.Logf("%d kills: %d mid-fetch, %d after some commits, %d mid-batch", len(kills), midFetch, progressed, midBatch)
	if midBatch == 0 {
		t.Error("no kill landed in the middle of a batch: the test proved nothing")
	}
}

// exactlyOnce checks that each mail appended is in Guichet once.
func (ci *crashIngest) exactlyOnce(t *testing.T, w crashWant) {
	t.Helper()
	n, id := crashMails, ci.id
	checks := []struct {
		what      string
		got, want int
	}{
		{"mail messages", ci.count(t, "mail_messages", "mailbox_id = ?", id), n},
		{"distinct Message-IDs", ci.scalar(t, "SELECT count(DISTINCT message_id) FROM mail_messages WHERE mailbox_id = ?", id), n},
		{"synthetic Message-IDs", ci.count(t, "mail_messages", "mailbox_id = ? AND synthetic_id", id), 1},
		{"locations", ci.count(t, "mail_locations", "mailbox_id = ?", id), n},
		{"distinct UIDs", ci.scalar(t, "SELECT count(DISTINCT uid) FROM mail_locations WHERE mailbox_id = ? AND folder = 'INBOX'", id), n},
		{"queue items", ci.count(t, "mail_items", "mailbox_id = ?", id), n},
		{"items opening a ticket", ci.count(t, "mail_items", "mailbox_id = ? AND routing_reason = 'new_ticket'", id), w.requests},
		{"items threaded into their ticket", ci.count(t, "mail_items", "mailbox_id = ? AND routing_reason = 'thread_header'", id), w.replies},
		{"tickets", ci.count(t, "tickets", "1 = 1"), w.requests},
		{"client messages", ci.count(t, "ticket_events", "kind = ?", guichet.EventClientMessage), w.replies},
		{"mail attachments", ci.count(t, "mail_attachments", "1 = 1"), w.attachments},
		{"ticket attachments", ci.count(t, "attachments", "1 = 1"), w.attachments},
		{"contacts created", ci.count(t, "contacts", "1 = 1") - ci.contacts, w.senders},
		{"checkpoint (last UID)", ci.checkpoint(t, id), int(ci.lastUID)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	var stored []string
	if err := ci.m.DB.Reader().NewSelect().Table("mail_messages").Column("message_id").Where("mailbox_id = ?", id).
		Scan(context.Background(), &stored); err != nil {
		t.Fatal(err)
	}
	for _, m := range w.ids {
		if !slices.Contains(stored, m) {
			t.Errorf("mail <%s> lost", m)
		}
	}
	t.Logf("exactly once: %d messages, locations and queue items; %d tickets, %d replies threaded, %d attachments, "+
		"%d contacts; checkpoint at UID %d", n, w.requests, w.replies, w.attachments, w.senders, ci.lastUID)
}

func (ci *crashIngest) count(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	n, err := ci.m.DB.Reader().NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (ci *crashIngest) scalar(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := ci.m.DB.Reader().NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (ci *crashIngest) checkpoint(t *testing.T, id string) int {
	t.Helper()
	return ci.scalar(t, "SELECT last_uid FROM mail_folders WHERE mailbox_id = ? AND folder = 'INBOX'", id)
}

// environWithout returns this process's environment minus the variables
// starting with prefix.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}
