package imaptest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Message is a message as the server stores it.
type Message struct {
	UID          uint32
	Flags        []string
	InternalDate time.Time
	Size         int64
	Raw          []byte
}

// Seen reports whether the message carries \Seen.
func (m Message) Seen() bool {
	for _, f := range m.Flags {
		if imap.Flag(f) == imap.FlagSeen {
			return true
		}
	}
	return false
}

// Append stores raw in a folder, straight into the in-memory store (no
// network, so a benchmark can load 10,000 mails quickly), and returns its
// UID. A zero date means now. Clients idling on the folder see EXISTS.
func (s *Server) Append(name, folder string, raw []byte, date time.Time, flags ...string) (uint32, error) {
	u, err := s.user(name)
	if err != nil {
		return 0, err
	}
	data, err := u.mem.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Time: date, Flags: imapFlags(flags)})
	if err != nil {
		return 0, fmt.Errorf("imaptest: append to %q: %w", folder, err)
	}
	return uint32(data.UID), nil
}

// MarkSeen sets \Seen on a message, as reading it in another client would.
func (s *Server) MarkSeen(name, folder string, uid uint32) error {
	return s.store(name, folder, uid, imap.FlagSeen, false)
}

// Expunge deletes one message, as another client would.
func (s *Server) Expunge(name, folder string, uid uint32) error {
	return s.store(name, folder, uid, imap.FlagDeleted, true)
}

func (s *Server) store(name, folder string, uid uint32, flag imap.Flag, expunge bool) error {
	return s.as(name, func(c *imapclient.Client) error {
		if _, err := c.Select(folder, nil).Wait(); err != nil {
			return err
		}
		uids := imap.UIDSetNum(imap.UID(uid))
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{flag}}
		if err := c.Store(uids, store, nil).Close(); err != nil {
			return err
		}
		if !expunge {
			return nil
		}
		return c.UIDExpunge(uids).Close()
	})
}

// Messages lists a folder's messages in UID order, read with BODY.PEEK so
// that looking does not change \Seen.
func (s *Server) Messages(name, folder string) ([]Message, error) {
	var msgs []Message
	err := s.as(name, func(c *imapclient.Client) error {
		data, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil || data.NumMessages == 0 {
			return err
		}
		body := &imap.FetchItemBodySection{Peek: true}
		bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
			UID: true, Flags: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{body},
		}).Collect()
		for _, b := range bufs {
			msgs = append(msgs, Message{
				UID: uint32(b.UID), Flags: flagStrings(b.Flags), InternalDate: b.InternalDate,
				Size: b.RFC822Size, Raw: b.FindBodySection(body),
			})
		}
		return err
	})
	return msgs, err
}

// ResetUIDValidity recreates a folder with the same messages, flags and
// dates under a new UIDVALIDITY, numbered again from UID 1, as a server
// does after a rebuild of its index, and returns the new UIDVALIDITY. Clients that had
// the folder selected keep seeing the old one until they select it again.
func (s *Server) ResetUIDValidity(name, folder string) (uint32, error) {
	u, err := s.user(name)
	if err != nil {
		return 0, err
	}
	msgs, err := s.Messages(name, folder)
	if err != nil {
		return 0, err
	}
	if err := u.mem.Delete(folder); err != nil {
		return 0, fmt.Errorf("imaptest: delete %q: %w", folder, err)
	}
	if err := u.mem.Create(folder, nil); err != nil {
		return 0, fmt.Errorf("imaptest: recreate %q: %w", folder, err)
	}
	for _, m := range msgs {
		if _, err := s.Append(name, folder, m.Raw, m.InternalDate, m.Flags...); err != nil {
			return 0, err
		}
	}
	status, err := u.mem.Status(folder, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return 0, fmt.Errorf("imaptest: status %q: %w", folder, err)
	}
	return status.UIDValidity, nil
}

// as runs f on a fresh session of the user through the fault-free listener.
func (s *Server) as(name string, f func(*imapclient.Client) error) error {
	u, err := s.user(name)
	if err != nil {
		return err
	}
	c, err := imapclient.DialInsecure(s.admin, nil)
	if err != nil {
		return fmt.Errorf("imaptest: dial: %w", err)
	}
	defer c.Close()
	if err := c.Login(name, u.password).Wait(); err != nil {
		return fmt.Errorf("imaptest: login: %w", err)
	}
	if err := f(c); err != nil {
		return fmt.Errorf("imaptest: %w", err)
	}
	return c.Logout().Wait()
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

func flagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}
