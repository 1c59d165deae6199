package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func attachmentDTO(a guichet.Attachment) api.Attachment {
	return api.Attachment{Id: parseUUID(a.ID), TicketId: parseUUID(a.TicketID), Filename: a.Filename, ContentType: a.ContentType,
		Size: a.Size, Sha256: a.SHA256, Direction: api.AttachmentDirection(a.Direction), CreatedBy: nullableUUID(a.CreatedBy),
		CreatedAt: a.CreatedAt}
}

// UploadTicketAttachment streams an upload, multipart or raw, to the store.
func (s *Server) UploadTicketAttachment(ctx context.Context, r api.UploadTicketAttachmentRequestObject) (api.UploadTicketAttachmentResponseObject, error) {
	filename, body := str(r.Params.Filename), r.Body
	if r.MultipartBody != nil {
		part, err := filePart(r.MultipartBody)
		if err != nil {
			return nil, err
		}
		defer part.Close()
		if filename == "" {
			filename = part.FileName()
		}
		body = part
	}
	if body == nil {
		return nil, guichet.Invalid("file", "send multipart/form-data with a file part, or the raw bytes as application/octet-stream")
	}
	a, created, err := s.svc.Tickets.AddAttachment(ctx, r.TicketId, filename, enumString(r.Params.Direction), body)
	if err != nil {
		return nil, err
	}
	if !created {
		return api.UploadTicketAttachment200JSONResponse(attachmentDTO(a)), nil
	}
	loc := "/tickets/" + a.TicketID + "/attachments/" + a.ID
	return api.UploadTicketAttachment201JSONResponse{Body: attachmentDTO(a), Headers: api.UploadTicketAttachment201ResponseHeaders{Location: &loc}}, nil
}

// filePart returns the multipart part named "file", skipping others.
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, guichet.Invalid("file", "the form has no part named file")
		}
		if err != nil {
			return nil, &guichet.Error{Code: guichet.EBADREQUEST, Message: "malformed multipart body: " + err.Error()}
		}
		if p.FormName() == "file" {
			return p, nil
		}
		p.Close()
	}
}

// ListTicketAttachments lists a ticket's attachments.
func (s *Server) ListTicketAttachments(ctx context.Context, r api.ListTicketAttachmentsRequestObject) (api.ListTicketAttachmentsResponseObject, error) {
	list, err := s.svc.Tickets.ListAttachments(ctx, r.TicketId)
	if err != nil {
		return nil, err
	}
	out := api.AttachmentList{Items: make([]api.Attachment, 0, len(list))}
	for _, a := range list {
		out.Items = append(out.Items, attachmentDTO(a))
	}
	return api.ListTicketAttachments200JSONResponse(out), nil
}

// DownloadTicketAttachment streams an attachment.
func (s *Server) DownloadTicketAttachment(ctx context.Context, r api.DownloadTicketAttachmentRequestObject) (api.DownloadTicketAttachmentResponseObject, error) {
	a, rc, err := s.svc.Tickets.OpenAttachment(ctx, r.TicketId, r.AttachmentId.String())
	if err != nil {
		return nil, err
	}
	return fileDownload{name: a.Filename, contentType: a.ContentType, size: a.Size, sha256: a.SHA256, rc: rc}, nil
}

// fileDownload writes a stored file (attachment, mandate document, scan)
// with its sniffed type: the generated responses would label every file
// application/octet-stream.
type fileDownload struct {
	name, contentType, sha256 string
	size                      int64
	rc                        io.ReadCloser
}

func (d fileDownload) write(w http.ResponseWriter) error {
	defer d.rc.Close()
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Content-Length", strconv.FormatInt(d.size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.name}))
	h.Set("ETag", `"`+d.sha256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, d.rc)
	return err
}

func (d fileDownload) VisitDownloadTicketAttachmentResponse(w http.ResponseWriter) error {
	return d.write(w)
}
func (d fileDownload) VisitDownloadMandateDocumentResponse(w http.ResponseWriter) error {
	return d.write(w)
}
func (d fileDownload) VisitDownloadLetterScanResponse(w http.ResponseWriter) error { return d.write(w) }
func (d fileDownload) VisitDownloadBailiffActScanResponse(w http.ResponseWriter) error {
	return d.write(w)
}
