package app

import "context"

// outgoingJobs adapts the sender and the store to the jobs package.
type outgoingJobs struct{ m *Main }

func (j outgoingJobs) SendOutgoing(ctx context.Context, id string, lastAttempt bool) error {
	return j.m.Sender.Send(ctx, id, lastAttempt)
}

func (j outgoingJobs) SweepClientNotifications(ctx context.Context) (int, error) {
	return j.m.Store.SweepClientNotifications(ctx)
}
