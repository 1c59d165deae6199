package httpapi

import (
	"context"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// RecordMailboxCheck records that someone in charge checked a mailbox.
func (s *Server) RecordMailboxCheck(ctx context.Context, r api.RecordMailboxCheckRequestObject) (api.RecordMailboxCheckResponseObject, error) {
	note := ""
	if r.Body != nil {
		note = str(r.Body.Note)
	}
	c, err := s.svc.Mailboxes.RecordMailboxCheck(ctx, r.MailboxId.String(), note)
	if err != nil {
		return nil, err
	}
	return api.RecordMailboxCheck201JSONResponse{Id: parseUUID(c.ID), MailboxId: parseUUID(c.MailboxID),
		AgentId: parseUUID(c.AgentID), CheckedAt: c.CheckedAt, SlotAt: nullableTime(c.SlotAt), Note: &c.Note,
		WatchedFolders: watchedFolders(c.WatchedFolders), WatchedFoldersError: nullableString(c.WatchedError)}, nil
}

// watchedFolders is null when the check reports none.
func watchedFolders(in []guichet.WatchedFolder) nullable.Nullable[[]api.WatchedFolder] {
	if in == nil {
		return nullable.NewNullNullable[[]api.WatchedFolder]()
	}
	out := make([]api.WatchedFolder, 0, len(in))
	for _, f := range in {
		out = append(out, api.WatchedFolder{Folder: f.Folder, Messages: f.Messages, OldestAt: nullableTime(f.OldestAt),
			Error: nullableString(f.Error)})
	}
	return nullable.NewNullableWithValue(out)
}

// ListMailboxCheckSlots reports the check slots met, missed or exempt.
func (s *Server) ListMailboxCheckSlots(ctx context.Context, r api.ListMailboxCheckSlotsRequestObject) (api.ListMailboxCheckSlotsResponseObject, error) {
	var from, to time.Time
	if r.Params.From != nil {
		from = *r.Params.From
	}
	if r.Params.To != nil {
		to = *r.Params.To
	}
	slots, err := s.svc.Mailboxes.MailboxCheckSlots(ctx, r.MailboxId.String(), from, to)
	if err != nil {
		return nil, err
	}
	out := api.CheckSlotList{Items: []api.CheckSlot{}}
	for _, sl := range slots {
		item := api.CheckSlot{At: sl.At, Deadline: sl.Deadline, Status: api.CheckSlotStatus(sl.Status),
			CheckId: nullableUUID(sl.CheckID), CheckedAt: nullableTime(sl.CheckedAt), CheckedBy: nullableUUID(sl.CheckedBy)}
		if sl.ExemptReason != "" {
			item.ExemptReason = nullable.NewNullableWithValue(api.CheckSlotExemptReason(sl.ExemptReason))
		}
		out.Items = append(out.Items, item)
	}
	return api.ListMailboxCheckSlots200JSONResponse(out), nil
}
