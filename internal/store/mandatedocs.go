package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/guichet/guichet/internal/blob"
	"github.com/guichet/guichet/internal/guichet"
)

// PutMandateDocument streams r into the blob store (at most the
// attachment size limit) as the mandate's signed document, replacing the
// previous one, whose blob is deleted once the change has committed.
// ETOOLARGE over the limit, EINVALID when empty, ECONFLICT for a revoked
// mandate; nothing is kept then.
func (s *Store) PutMandateDocument(ctx context.Context, id, filename string, r io.Reader) (guichet.Mandate, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Mandate{}, err
	}
	name, err := cleanFilename(filename)
	if err != nil {
		return guichet.Mandate{}, err
	}
	if _, err := loadByID[mandateRow](ctx, s.db.read, id, "mandate"); err != nil {
		return guichet.Mandate{}, err
	}
	info, err := s.putBlob(ctx, r)
	if err != nil {
		return guichet.Mandate{}, err
	}
	var out guichet.Mandate
	var replaced *string
	err = s.inTx(ctx, func(tx *Tx) error {
		old, err := loadByID[mandateRow](ctx, tx, id, "mandate")
		if err != nil {
			return err
		}
		if old.RevokedAt != nil {
			return guichet.Errorf(guichet.ECONFLICT, "the mandate is revoked")
		}
		row := old
		row.DocumentBlobKey, row.DocumentFilename, row.DocumentContentType = &info.Key, name, info.ContentType
		row.DocumentSize, row.DocumentSHA256, row.DocumentUploadedAt = info.Size, info.SHA256, &tx.Now
		row.DocumentUploadedBy, row.Version, row.UpdatedAt = nullable(c.Agent.ID), old.Version+1, tx.Now
		if err := updateMandateRow(ctx, tx, &row, old.Version); err != nil {
			return err
		}
		replaced, out = old.DocumentBlobKey, row.domain(tx.Now)
		return audit(ctx, tx, "update", "mandate", id, old.domain(tx.Now), out)
	})
	drop := replaced
	if err != nil {
		drop = &info.Key
	}
	if drop != nil {
		s.dropBlob(ctx, *drop)
	}
	return out, wrap("put mandate document", err)
}

// OpenMandateDocument returns the mandate's document and its content to
// stream (the caller closes it); ENOTFOUND when none was uploaded.
func (s *Store) OpenMandateDocument(ctx context.Context, id string) (guichet.MandateDocument, io.ReadCloser, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.MandateDocument{}, nil, err
	}
	row, err := loadByID[mandateRow](ctx, s.db.read, id, "mandate")
	if err != nil {
		return guichet.MandateDocument{}, nil, err
	}
	m := row.domain(s.now())
	if m.Document == nil {
		return guichet.MandateDocument{}, nil, guichet.Errorf(guichet.ENOTFOUND, "the mandate has no document yet: upload it with PUT /mandates/%s/document", id)
	}
	rc, err := s.opts.Blobs.Open(ctx, *row.DocumentBlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return guichet.MandateDocument{}, nil, fmt.Errorf("mandate %s: blob %s is missing", row.ID, *row.DocumentBlobKey)
	}
	return *m.Document, rc, wrap("open mandate document", err)
}
