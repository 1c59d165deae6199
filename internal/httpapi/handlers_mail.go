package httpapi

import (
	"context"
	"io"
	"mime/multipart"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// The lifecycle of letters and bailiff acts: scan, processing into
// tickets, answered, archived; each step with If-Match.

// putScan streams an upload, multipart or raw, to the store.
func (s *Server) putScan(ctx context.Context, kind guichet.InteractionKind, id string, ifMatchHeader, filename *string,
	body io.Reader, form *multipart.Reader) (guichet.Interaction, error) {
	version, err := ifMatch(ifMatchHeader)
	if err != nil {
		return guichet.Interaction{}, err
	}
	name := str(filename)
	if form != nil {
		part, err := filePart(form)
		if err != nil {
			return guichet.Interaction{}, err
		}
		defer part.Close()
		if name == "" {
			name = part.FileName()
		}
		body = part
	}
	if body == nil {
		return guichet.Interaction{}, guichet.Invalid("file", "send multipart/form-data with a file part, or the raw bytes as application/octet-stream")
	}
	return s.svc.Interactions.PutScan(ctx, kind, id, version, name, body)
}

func (s *Server) openScan(ctx context.Context, kind guichet.InteractionKind, id string) (fileDownload, error) {
	sc, rc, err := s.svc.Interactions.OpenScan(ctx, kind, id)
	return fileDownload{name: sc.Filename, contentType: sc.ContentType, size: sc.Size, sha256: sc.SHA256, rc: rc}, err
}

// UploadLetterScan files a letter's scan.
func (s *Server) UploadLetterScan(ctx context.Context, r api.UploadLetterScanRequestObject) (api.UploadLetterScanResponseObject, error) {
	i, err := s.putScan(ctx, guichet.KindLetter, r.InteractionId.String(), r.Params.IfMatch, r.Params.Filename, r.Body, r.MultipartBody)
	if err != nil {
		return nil, err
	}
	return api.UploadLetterScan200JSONResponse{Body: letterDTO(i), Headers: api.UploadLetterScan200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// DownloadLetterScan streams a letter's scan.
func (s *Server) DownloadLetterScan(ctx context.Context, r api.DownloadLetterScanRequestObject) (api.DownloadLetterScanResponseObject, error) {
	d, err := s.openScan(ctx, guichet.KindLetter, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ProcessLetter opens or links a scanned letter's tickets.
func (s *Server) ProcessLetter(ctx context.Context, r api.ProcessLetterRequestObject) (api.ProcessLetterResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.ProcessMail(ctx, guichet.KindLetter, r.InteractionId.String(), version, subjectsIn(r.Body.TicketIds, r.Body.Tickets))
	if err != nil {
		return nil, err
	}
	return api.ProcessLetter200JSONResponse{Body: letterDTO(i), Headers: api.ProcessLetter200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// MarkLetterAnswered checks the replies of a processed letter.
func (s *Server) MarkLetterAnswered(ctx context.Context, r api.MarkLetterAnsweredRequestObject) (api.MarkLetterAnsweredResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.MarkMailAnswered(ctx, guichet.KindLetter, r.InteractionId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.MarkLetterAnswered200JSONResponse{Body: letterDTO(i), Headers: api.MarkLetterAnswered200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ArchiveLetter archives an answered letter.
func (s *Server) ArchiveLetter(ctx context.Context, r api.ArchiveLetterRequestObject) (api.ArchiveLetterResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.ArchiveMail(ctx, guichet.KindLetter, r.InteractionId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.ArchiveLetter200JSONResponse{Body: letterDTO(i), Headers: api.ArchiveLetter200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// UploadBailiffActScan files a bailiff act's scan.
func (s *Server) UploadBailiffActScan(ctx context.Context, r api.UploadBailiffActScanRequestObject) (api.UploadBailiffActScanResponseObject, error) {
	i, err := s.putScan(ctx, guichet.KindBailiffAct, r.InteractionId.String(), r.Params.IfMatch, r.Params.Filename, r.Body, r.MultipartBody)
	if err != nil {
		return nil, err
	}
	return api.UploadBailiffActScan200JSONResponse{Body: bailiffActDTO(i), Headers: api.UploadBailiffActScan200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// DownloadBailiffActScan streams a bailiff act's scan.
func (s *Server) DownloadBailiffActScan(ctx context.Context, r api.DownloadBailiffActScanRequestObject) (api.DownloadBailiffActScanResponseObject, error) {
	d, err := s.openScan(ctx, guichet.KindBailiffAct, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ProcessBailiffAct opens or links a scanned act's tickets.
func (s *Server) ProcessBailiffAct(ctx context.Context, r api.ProcessBailiffActRequestObject) (api.ProcessBailiffActResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.ProcessMail(ctx, guichet.KindBailiffAct, r.InteractionId.String(), version, subjectsIn(r.Body.TicketIds, r.Body.Tickets))
	if err != nil {
		return nil, err
	}
	return api.ProcessBailiffAct200JSONResponse{Body: bailiffActDTO(i), Headers: api.ProcessBailiffAct200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// MarkBailiffActAnswered checks the replies of a processed act.
func (s *Server) MarkBailiffActAnswered(ctx context.Context, r api.MarkBailiffActAnsweredRequestObject) (api.MarkBailiffActAnsweredResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.MarkMailAnswered(ctx, guichet.KindBailiffAct, r.InteractionId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.MarkBailiffActAnswered200JSONResponse{Body: bailiffActDTO(i), Headers: api.MarkBailiffActAnswered200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ArchiveBailiffAct archives an answered act.
func (s *Server) ArchiveBailiffAct(ctx context.Context, r api.ArchiveBailiffActRequestObject) (api.ArchiveBailiffActResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	i, err := s.svc.Interactions.ArchiveMail(ctx, guichet.KindBailiffAct, r.InteractionId.String(), version)
	if err != nil {
		return nil, err
	}
	return api.ArchiveBailiffAct200JSONResponse{Body: bailiffActDTO(i), Headers: api.ArchiveBailiffAct200ResponseHeaders{ETag: etag(i.Version)}}, nil
}
