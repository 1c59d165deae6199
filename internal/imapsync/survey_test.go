package imapsync_test

import (
	"errors"
	"testing"

	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/imaptest"
)

// « Chacun est responsable de surveiller/vider les dossiers spam,
// commercial, réseaux sociaux et promotions »: a check reports what waits
// there without touching it.
func TestSurveyCountsWatchedFolderWithoutMarkingIt(t *testing.T) {
	t.Parallel()
	srv, acct := setup(t, imaptest.Options{})
	must(t, srv.CreateFolder(user, "Spam"))
	must(t, srv.CreateFolder(user, "Promotions"))
	appendMails(t, srv, "Spam", 3, 200)
	s := dial(t, acct)

	got, err := s.Survey(testContext(t), "Spam")
	must(t, err)
	if got.Messages != 3 || !got.Oldest.Equal(received) {
		t.Errorf("Spam = %d messages, oldest %v; want 3, %v", got.Messages, got.Oldest, received)
	}
	for _, m := range messages(t, srv, "Spam") {
		if m.Seen() {
			t.Errorf("UID %d marked seen by the survey", m.UID)
		}
	}

	empty, err := s.Survey(testContext(t), "Promotions")
	must(t, err)
	if empty.Messages != 0 || !empty.Oldest.IsZero() {
		t.Errorf("Promotions = %+v, want empty", empty)
	}
	if _, err := s.Survey(testContext(t), "Réseaux sociaux"); !errors.Is(err, imapsync.ErrNoFolder) {
		t.Errorf("missing folder: %v, want ErrNoFolder", err)
	}
}
