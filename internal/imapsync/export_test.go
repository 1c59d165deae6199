package imapsync

import "time"

// SetIdleRestart shortens the IDLE restart delay, to test the restart.
func SetIdleRestart(s *Session, d time.Duration) { s.idleRestart = d }
