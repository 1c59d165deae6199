package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"sync"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/imapsync"
	"github.com/guichet/guichet/internal/mailparse"
	"github.com/guichet/guichet/internal/store"
)

// Quarantine reasons of ingestion, beside mailparse's.
const (
	reasonEmpty = "empty" // the server gave no bytes
)

// smallMailBytes is the size up to which a mail is parsed from memory
// rather than read back from the blob store: most mail is far smaller,
// and reading it back cost a query per mail and its bytes twice over.
const smallMailBytes = blob.ChunkSize

// smallMails recycles the buffers of small mails, one per mail in flight.
var smallMails = sync.Pool{New: func() any { return new([smallMailBytes]byte) }}

// receive streams a mail into the blob store and parses it (its
// attachments going to the blob store as they are read). A mail that fits
// in smallMailBytes is parsed from memory; a larger one is streamed to the
// blob store and parsed from there, never whole in memory. A mail over
// the limits comes back quarantined with what its header told; an
// oversized one (fetched header only) too.
func (f *Fetcher) receive(ctx context.Context, mailboxID, folder string, m imapsync.Mail) (store.InboundMail, error) {
	in := store.InboundMail{Folder: folder, UIDValidity: m.UIDValidity, UID: m.UID, InternalDate: m.InternalDate,
		HeaderOnly: m.Oversized}
	buf := smallMails.Get().(*[smallMailBytes]byte)
	defer smallMails.Put(buf)
	n, err := io.ReadFull(m.Body, buf[:])
	var body io.Reader
	whole := err == io.EOF || err == io.ErrUnexpectedEOF // the mail is buf[:n]
	switch {
	case whole:
		body = bytes.NewReader(buf[:n])
	case err != nil:
		return in, fmt.Errorf("receive mail: %w", err)
	default:
		body = io.MultiReader(bytes.NewReader(buf[:n]), m.Body)
	}
	info, err := f.Blobs.Put(ctx, body, MaxMailBytes+1<<20)
	switch {
	case errors.Is(err, blob.ErrEmpty):
		in.Msg, in.Quarantine = headerMessage(nil, fmt.Sprintf("empty-%s-%s-%d-%d@guichet.invalid", mailboxID, folder, m.UIDValidity, m.UID)), reasonEmpty
		return in, nil
	case errors.Is(err, blob.ErrTooLarge):
		// The server announced less than it sent: keep nothing of it but
		// the fact, and let the next mail come.
		if _, err := io.Copy(io.Discard, m.Body); err != nil {
			return in, err
		}
		in.Msg = headerMessage(nil, fmt.Sprintf("oversized-%s-%s-%d-%d@guichet.invalid", mailboxID, folder, m.UIDValidity, m.UID))
		in.Quarantine = mailparse.ReasonTooLarge
		return in, nil
	case err != nil:
		return in, fmt.Errorf("store mail: %w", err)
	}
	in.RawKey, in.RawSHA256, in.RawSize = info.Key, info.SHA256, info.Size
	var src io.Reader
	if whole {
		src = bytes.NewReader(buf[:n])
	}
	if err := f.parse(ctx, &in, src); err != nil {
		f.drop(ctx, info.Key)
		return in, err
	}
	if m.Oversized {
		in.Quarantine, in.RawSize = mailparse.ReasonTooLarge, m.Size
	}
	return in, nil
}

// parse reads the mail from src, or from the blob store when src is nil;
// a message over the limits is quarantined with its header, its
// attachments dropped.
func (f *Fetcher) parse(ctx context.Context, in *store.InboundMail, src io.Reader) error {
	if src == nil {
		rc, err := f.Blobs.Open(ctx, in.RawKey)
		if err != nil {
			return fmt.Errorf("read stored mail: %w", err)
		}
		defer rc.Close()
		src = rc
	}
	sink := &blobSink{ctx: ctx, blobs: f.Blobs, infos: map[string]blob.Info{}}
	msg, err := mailparse.Parse(src, mailparse.Limits{}, sink)
	var q *mailparse.QuarantineError
	switch {
	case errors.As(err, &q):
		sink.drop(f)
		in.Msg, in.Quarantine = headerMessage(q.Headers, "sha256-"+in.RawSHA256+"@guichet.invalid"), q.Reason
	case err != nil:
		sink.drop(f)
		return err
	default:
		in.Msg, in.Files = msg, sink.files(msg.Attachments)
	}
	return nil
}

func (f *Fetcher) drop(ctx context.Context, key string) {
	if err := f.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		f.log().Warn("delete mail blob", "key", key, "error", err)
	}
}

// headerMessage is what a quarantined mail's header tells: enough to show
// it to a person and to deduplicate it (its Message-ID, else synthetic,
// which must be stable for the same mail).
func headerMessage(h map[string]string, synthetic string) *mailparse.Message {
	m := &mailparse.Message{Headers: h, Subject: h["Subject"]}
	if id := strings.Trim(strings.TrimSpace(h["Message-ID"]), "<>"); id != "" && !strings.ContainsAny(id, " \t<>") {
		m.MessageID = id
	} else {
		m.MessageID, m.Synthetic = synthetic, true
	}
	if a, err := mail.ParseAddress(h["From"]); err == nil {
		m.From = &mailparse.Address{Name: a.Name, Email: a.Address}
	}
	if d, err := mail.ParseDate(h["Date"]); err == nil {
		m.Date = &d
	}
	return m
}

// blobSink stores attachments in the blob store as Parse reads them.
type blobSink struct {
	ctx   context.Context
	blobs blob.Store
	infos map[string]blob.Info
	keys  []string
}

func (s *blobSink) Put(_ mailparse.PartInfo, r io.Reader) (string, int64, error) {
	info, err := s.blobs.Put(s.ctx, r, MaxMailBytes)
	if errors.Is(err, blob.ErrEmpty) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	s.infos[info.Key] = info
	s.keys = append(s.keys, info.Key)
	return info.Key, info.Size, nil
}

func (s *blobSink) files(atts []mailparse.Attachment) []store.InboundFile {
	out := make([]store.InboundFile, 0, len(atts))
	for _, a := range atts {
		out = append(out, store.InboundFile{PartInfo: a.PartInfo, Key: a.Ref, Size: a.Size, SHA256: s.infos[a.Ref].SHA256})
	}
	return out
}

func (s *blobSink) drop(f *Fetcher) {
	for _, k := range s.keys {
		f.drop(s.ctx, k)
	}
}
