package imapsync

import (
	"context"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// Folders lists the folders that can be selected, sorted by name.
func (s *Session) Folders(ctx context.Context) ([]string, error) {
	var names []string
	err := s.run(ctx, "list folders", func() error {
		list, err := s.c.List("", "*", nil).Collect()
		for _, data := range list {
			if !slices.Contains(data.Attrs, imap.MailboxAttrNoSelect) && !slices.Contains(data.Attrs, imap.MailboxAttrNonExistent) {
				names = append(names, data.Mailbox)
			}
		}
		return err
	})
	slices.Sort(names)
	return names, err
}

// Status reads a folder's state without selecting it; ErrNoFolder if it
// does not exist.
func (s *Session) Status(ctx context.Context, folder string) (FolderState, error) {
	var state FolderState
	err := s.run(ctx, "status of "+folder, func() error {
		data, err := s.c.Status(folder, &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true}).Wait()
		if err != nil {
			return err
		}
		state = FolderState{UIDValidity: data.UIDValidity, UIDNext: uint32(data.UIDNext)}
		if data.NumMessages != nil {
			state.Messages = *data.NumMessages
		}
		return nil
	})
	return state, err
}
