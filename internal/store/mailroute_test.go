package store

import (
	"testing"

	"github.com/guichet/guichet/internal/guichet"
)

// The routing rules of ingested mail, as a table: procedure #46's
// mailboxes and issue 5's threading, loops and bounces.
func TestDecideRoute(t *testing.T) {
	t.Parallel()
	thread := func(byHeader, allowed, closed bool) *threadFacts {
		return &threadFacts{ByHeader: byHeader, Allowed: allowed, Closed: closed}
	}
	cases := []struct {
		name string
		f    routeFacts
		want route
	}{
		{"NewMailOpensTicketInContact", routeFacts{AutoTickets: true},
			route{Reason: guichet.RouteNewTicket, Item: true, Effect: effectOpen}},
		{"NewMailWaitsInCompta", routeFacts{},
			route{Reason: guichet.RouteQueued, Item: true}},
		{"ReplyByHeaderJoins", routeFacts{AutoTickets: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RouteThreadHeader, Item: true, Effect: effectJoin}},
		{"ReplyBySubjectJoinsEvenWithoutAutoTickets", routeFacts{Thread: thread(false, true, false)},
			route{Reason: guichet.RouteThreadSubject, Item: true, Effect: effectJoin}},
		{"OtherClientQuotingANumberOpensANewTicket", routeFacts{AutoTickets: true, Thread: thread(false, false, false)},
			route{Reason: guichet.RouteOtherClient, Item: true, Effect: effectOpen}},
		{"OtherClientWaitsWithoutAutoTickets", routeFacts{Thread: thread(false, false, false)},
			route{Reason: guichet.RouteOtherClient, Item: true}},
		{"ClosedTicketGetsARelatedNewOne", routeFacts{AutoTickets: true, Thread: thread(true, true, true)},
			route{Reason: guichet.RouteTicketClosed, Item: true, Effect: effectOpen, Related: true}},
		{"AutoReplyNeverJoinsNorOpens", routeFacts{AutoTickets: true, AutoReply: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RouteAutoReply, Item: true, Effect: effectLink}},
		{"AutoReplyAloneWaits", routeFacts{AutoTickets: true, AutoReply: true},
			route{Reason: guichet.RouteAutoReply, Item: true}},
		{"BounceNeverOpens", routeFacts{AutoTickets: true, Bounce: true, AutoReply: true},
			route{Reason: guichet.RouteBounce, Item: true}},
		{"OwnLoopIsNeverARequest", routeFacts{AutoTickets: true, OwnLoop: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RouteOwnMail}},
		{"QuarantineWaitsForAPerson", routeFacts{AutoTickets: true, Quarantined: true, OwnLoop: true},
			route{Reason: guichet.RouteQuarantined, Item: true}},
		{"NoSenderWaits", routeFacts{AutoTickets: true, NoSender: true},
			route{Reason: guichet.RouteNoSender, Item: true}},
		{"PersonalNeverTouchesTickets", routeFacts{Personal: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RoutePersonal, Item: true}},
		{"SentReplyAnswersItsTicket", routeFacts{AutoTickets: true, Sent: true, FromMailbox: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RouteSentReply, Effect: effectReply}},
		{"SentWithoutThreadIsStoredOnly", routeFacts{AutoTickets: true, Sent: true, FromMailbox: true},
			route{Reason: guichet.RouteSent}},
		{"SentFromAnotherAddressOnlyLinks", routeFacts{Sent: true, Thread: thread(true, false, false)},
			route{Reason: guichet.RouteSent, Effect: effectLink}},
		{"SentOnClosedTicketOnlyLinks", routeFacts{Sent: true, FromMailbox: true, Thread: thread(true, true, true)},
			route{Reason: guichet.RouteSent, Effect: effectLink}},
		{"BackfillReplyOnlyLinks", routeFacts{AutoTickets: true, Backfill: true, Thread: thread(true, true, false)},
			route{Reason: guichet.RouteThreadHeader, Item: true, Effect: effectLink}},
		{"BackfillNewMailStillOpens", routeFacts{AutoTickets: true, Backfill: true},
			route{Reason: guichet.RouteNewTicket, Item: true, Effect: effectOpen}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decideRoute(c.f); got != c.want {
				t.Fatalf("decideRoute(%+v) = %+v, want %+v", c.f, got, c.want)
			}
		})
	}
}
