package store

import "github.com/guichet/guichet/internal/guichet"

// routeFacts is what the routing of a new mail depends on, gathered from
// the mail, its mailbox and the database.
type routeFacts struct {
	Personal    bool // a personal mailbox: its owner's private queue
	AutoTickets bool // a shared mailbox that opens tickets by itself
	Sent        bool // from the mailbox's Sent folder
	FromMailbox bool // From is the mailbox's own address
	OwnLoop     bool // carries this instance's loop header
	AutoReply   bool
	Bounce      bool
	Quarantined bool
	NoSender    bool
	Backfill    bool         // old mail imported by a backfill: no automatic action
	Thread      *threadFacts // the ticket the mail refers to, if any
}

// threadFacts describe the ticket a mail refers to.
type threadFacts struct {
	ByHeader bool // through In-Reply-To/References, else the number in the subject
	Allowed  bool // the sender may write on that ticket's file (never across clients)
	Closed   bool
}

// effect is what a mail does to tickets.
type effect int

const (
	effectNone  effect = iota
	effectLink         // the message belongs to the thread's ticket, without a timeline event
	effectJoin         // a client message on the thread's ticket (clock, on_client_message)
	effectReply        // an answer on the thread's ticket (closes the response clock)
	effectOpen         // a new ticket
)

// route is the routing decision.
type route struct {
	Reason  string
	Item    bool // an item in the mailbox's queue
	Effect  effect
	Related bool // the new ticket is related to the thread's (closed) ticket
}

// decideRoute applies the routing rules of procedure #46's mailboxes and
// issue 5 to a new mail. It is pure: the table tests are its spec.
func decideRoute(f routeFacts) route {
	switch {
	case f.Quarantined:
		return route{Reason: guichet.RouteQuarantined, Item: true}
	case f.OwnLoop:
		return route{Reason: guichet.RouteOwnMail}
	case f.Sent:
		return sentRoute(f)
	case f.Personal:
		return route{Reason: guichet.RoutePersonal, Item: true}
	case f.Bounce || f.AutoReply:
		r := route{Reason: guichet.RouteAutoReply, Item: true}
		if f.Bounce {
			r.Reason = guichet.RouteBounce
		}
		if f.Thread != nil {
			r.Effect = effectLink // shown with its ticket, never reopening it
		}
		return r
	case f.NoSender:
		return route{Reason: guichet.RouteNoSender, Item: true}
	case f.Thread != nil:
		return threadRoute(f)
	case f.AutoTickets:
		return route{Reason: guichet.RouteNewTicket, Item: true, Effect: effectOpen}
	}
	return route{Reason: guichet.RouteQueued, Item: true}
}

// sentRoute: a reply written from another client counts as an answer on
// its ticket; the Sent folder never opens a ticket nor fills the queue.
func sentRoute(f routeFacts) route {
	if f.Thread == nil {
		return route{Reason: guichet.RouteSent}
	}
	if f.FromMailbox && !f.Thread.Closed {
		return route{Reason: guichet.RouteSentReply, Effect: effectReply}
	}
	return route{Reason: guichet.RouteSent, Effect: effectLink}
}

func threadRoute(f routeFacts) route {
	t := f.Thread
	opener := effectNone
	if f.AutoTickets {
		opener = effectOpen
	}
	switch {
	case !t.Allowed:
		// Never across clients: a new ticket (or the queue), not a join.
		return route{Reason: guichet.RouteOtherClient, Item: true, Effect: opener}
	case t.Closed:
		return route{Reason: guichet.RouteTicketClosed, Item: true, Effect: opener, Related: opener == effectOpen}
	}
	r := route{Reason: guichet.RouteThreadSubject, Item: true, Effect: effectJoin}
	if t.ByHeader {
		r.Reason = guichet.RouteThreadHeader
	}
	if f.Backfill {
		r.Effect = effectLink // old mail: no clock, no procedure move
	}
	return r
}
