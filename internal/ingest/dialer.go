package ingest

import (
	"context"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/imapsync"
)

// Dialer connects to a mailbox's IMAP server; the fetch, the IDLE watcher
// and the checks' survey share it.
type Dialer struct {
	// Dial connects (default imapsync.Dial); tests replace it to break
	// connections.
	Dial func(ctx context.Context, acct imapsync.Account) (*imapsync.Session, error)
	// Account adjusts the account before dialling (tests trust their
	// server's certificate).
	Account func(*imapsync.Account)
}

// connect logs in with the mailbox's settings and opened password.
func (d Dialer) connect(ctx context.Context, s guichet.ImapSettings, password string) (*imapsync.Session, error) {
	acct := imapsync.Account{Host: s.Host, Port: s.Port, Security: string(s.Security), Username: s.Username, Password: password}
	if d.Account != nil {
		d.Account(&acct)
	}
	if d.Dial == nil {
		return imapsync.Dial(ctx, acct)
	}
	return d.Dial(ctx, acct)
}
