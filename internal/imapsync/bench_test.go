package imapsync_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

// BenchmarkFetch10000 streams 10,000 mails of about 4 KB from the
// in-process server: the IMAP half of the ingestion benchmark.
func BenchmarkFetch10000(b *testing.B) {
	srv := imaptest.Start(b, imaptest.Options{})
	if err := srv.AddUser(user, password); err != nil {
		b.Fatal(err)
	}
	const count = 10_000
	for i := range count {
		if _, err := srv.Append(user, "INBOX", rawMail(i+1, 4_000), received); err != nil {
			b.Fatal(err)
		}
	}
	acct := imapsync.Account{Host: srv.Host, Port: srv.Port, Security: imapsync.SecurityNone, Username: user, Password: password}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		s, err := imapsync.Dial(ctx, acct)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		start := time.Now()
		_, err = s.Fetch(ctx, "INBOX", 0, 0, 0, func(m imapsync.Mail) error {
			n++
			_, err := io.Copy(io.Discard, m.Body)
			return err
		})
		if err != nil || n != count {
			b.Fatalf("fetched %d mails: %v", n, err)
		}
		b.ReportMetric(float64(count)/time.Since(start).Seconds(), "mails/s")
		s.Close()
	}
}
