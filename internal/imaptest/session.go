package imaptest

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// session wraps an imapmemserver session to tell tests when a client has
// entered IDLE, so that they append only once it listens instead of sleeping.
type session struct {
	imapserver.Session
	idling chan<- struct{}
}

var (
	_ imapserver.SessionMove      = (*session)(nil)
	_ imapserver.SessionNamespace = (*session)(nil)
)

func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idling <- struct{}{}:
	default: // nobody waits: do not block the server
	}
	return s.Session.Idle(w, stop)
}

// Move and Namespace pass through: embedding an interface hides the optional
// interfaces of what it holds, and imapserver looks for them.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

func (s *session) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}
