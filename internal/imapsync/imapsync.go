// Package imapsync moves mail between Guichet and an IMAP server: it lists
// folders and their state, streams the messages after a UID checkpoint,
// waits for new mail with IDLE, archives a processed message and appends a
// sent reply. It keeps no state: the caller owns the checkpoints and commits
// each one in the same transaction as the mail it covers.
//
// Ingesting one folder:
//
//  1. Status(folder). If its UIDValidity differs from the checkpoint's, the
//     server renumbered the folder: the checkpoint's UID means nothing, so
//     fetch again from UID 0 and let the Message-ID deduplicate.
//  2. Fetch(folder, checkpoint UID, ...). Every Mail carries the
//     UIDValidity it was fetched under; its identity is (folder,
//     UIDValidity, UID). If Mail.UIDValidity differs from the value checked
//     in step 1, the folder was recreated in between: return an error from
//     fn and start again at step 1.
//  3. Commit the mail and the new checkpoint together, every few mails and
//     after Fetch returns, even with an error: fn returned nil only for
//     mail it received whole.
//  4. Idle on a dedicated Session (or poll when it returns ErrNoIdle), and
//     start again at step 1 when it wakes you.
//
// Nothing here marks a message \Seen or deletes it: Fetch uses EXAMINE and
// BODY.PEEK, and never asks for unseen mail only, so mail read in another
// client is still fetched. Only Move changes the server.
package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Security modes of Account.Security.
const (
	SecurityTLS      = "tls"      // implicit TLS, port 993; the default
	SecurityStartTLS = "starttls" // STARTTLS on port 143
	SecurityNone     = "none"     // clear text: tests and local relays only
)

// Account says where and how to log in.
type Account struct {
	Host               string
	Port               int    // 0: 993 for "tls", 143 otherwise
	Security           string // SecurityTLS (also when empty), SecurityStartTLS or SecurityNone
	Username, Password string
	TLSConfig          *tls.Config // nil: system roots; ServerName defaults to Host
}

// FolderState is what a folder's STATUS or EXAMINE tells.
type FolderState struct {
	UIDValidity uint32 // changes when the server renumbers the folder
	UIDNext     uint32 // the UID the next message will get (0 if the server did not say)
	Messages    uint32
}

// Session is one logged-in IMAP connection. It is not safe for concurrent
// use. A method whose context ends closes the connection: go-imap's
// commands take no context, so that is the only way to interrupt them; the
// Session is then unusable (Idle is the exception: it leaves IDLE cleanly).
type Session struct {
	c           *imapclient.Client
	idleRestart time.Duration

	selected string // folder of the last SELECT or EXAMINE
	readOnly bool   // whether it was EXAMINE

	mu      sync.Mutex
	newMail chan struct{} // set while Idle listens for EXISTS
}

// Close logs out, waiting a second at most for the server, and closes the
// connection.
func (s *Session) Close() error {
	select {
	case <-s.c.Closed(): // nothing to log out of
	default:
		done := make(chan struct{})
		go func() {
			s.c.Logout().Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	if err := s.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("imapsync: close: %w", err)
	}
	return nil
}

// run executes f, a sequence of commands, and closes the connection if ctx
// ends first. Errors from go-imap are classified; errors wrapped by local()
// pass through.
func (s *Session) run(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("imapsync: %s: %w", op, err)
	}
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	err := f()
	if !stop() {
		return fmt.Errorf("imapsync: %s: %w", op, context.Cause(ctx))
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("imapsync: %s: %w", op, classify(err))
}
