package imapsync

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces reconnections: Min·2^attempt, capped at Max, less a random
// part of up to half, so that mailboxes that failed together do not retry
// together; never below Min. Zero values mean Min 1 s and Max 5 min.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a number in [0, 1); nil means math/rand/v2. Tests set it
	// to make Next a pure function.
	Rand func() float64
}

// Next is the delay before retry number attempt (0 for the first).
func (b Backoff) Next(attempt int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 5 * time.Minute
	}
	if hi < lo {
		hi = lo
	}
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		if d > hi/2 {
			d = hi // doubling would pass hi, and might overflow
		} else {
			d *= 2
		}
	}
	random := rand.Float64
	if b.Rand != nil {
		random = b.Rand
	}
	d -= time.Duration(random() * float64(d) / 2)
	return max(d, lo)
}
