// Package loadgen drives a request function from concurrent workers, either
// for a fixed measured window after a warm-up or for a fixed number of
// requests, and summarises the latencies of the requests that succeeded.
//
// Every run is bounded in time: the context handed to the request function
// carries a deadline, so a stuck server cannot hold a run forever.
package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Op makes one request on behalf of worker (0 ≤ worker < Workers). It
// returns the kind of request it made, "" when there is only one kind, and
// its error; a failed request counts as an error and its latency is not
// recorded.
type Op func(ctx context.Context, worker int) (kind string, err error)

// ErrNoMore is what an Op returns when its worker has nothing left to do
// (say, each worker acts as its own user on its own items): that worker
// stops, and the call is neither counted nor, for RunCount, one of the N.
var ErrNoMore = errors.New("loadgen: nothing left for this worker")

// Window configures a run measured over a fixed duration.
type Window struct {
	Workers  int
	Warmup   time.Duration // requests completing before the window are not counted
	Duration time.Duration // the measured window
	// Grace bounds the requests still running when the window closes; their
	// context expires Grace after it.
	Grace time.Duration
}

// Run calls op from w.Workers goroutines until the window closes, and
// returns the requests that completed inside the window. It returns early,
// with what was recorded, when ctx is done.
func Run(ctx context.Context, w Window, op Op) Result {
	start := time.Now().Add(w.Warmup)
	end := start.Add(w.Duration)
	ctx, cancel := context.WithDeadline(ctx, end.Add(w.Grace))
	defer cancel()

	recs := runWorkers(w.Workers, func(worker int, r *recorder) {
		for ctx.Err() == nil && time.Now().Before(end) {
			t0 := time.Now()
			kind, err := op(ctx, worker)
			t1 := time.Now()
			if errors.Is(err, ErrNoMore) {
				return
			}
			if t1.Before(start) || t1.After(end) {
				continue
			}
			r.add(kind, t1.Sub(t0), err)
		}
	})
	elapsed := w.Duration
	if now := time.Now(); now.Before(end) { // cut short by ctx
		elapsed = max(now.Sub(start), 0)
	}
	return summarise(recs, elapsed)
}

// Count configures a run of a fixed number of requests.
type Count struct {
	Workers int
	N       int           // requests to make
	Timeout time.Duration // bound on the whole run
	// MaxErrors stops the run once that many requests have failed; 0 means
	// no limit.
	MaxErrors int
}

// RunCount calls op c.N times in all from c.Workers goroutines, and stops
// early when c.Timeout passes, ctx is done or c.MaxErrors is reached.
// Result.OK says how many succeeded.
func RunCount(ctx context.Context, c Count, op Op) Result {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	// next counts the operations claimed, inflight those still running:
	// a worker that runs out gives its claim back, so the others must not
	// stop while a claim may still come back.
	var next, inflight, failed atomic.Int64
	start := time.Now()

	recs := runWorkers(c.Workers, func(worker int, r *recorder) {
		for ctx.Err() == nil {
			inflight.Add(1)
			if next.Add(1) > int64(c.N) {
				next.Add(-1)
				if inflight.Add(-1) == 0 {
					return
				}
				time.Sleep(time.Millisecond)
				continue
			}
			t0 := time.Now()
			kind, err := op(ctx, worker)
			if errors.Is(err, ErrNoMore) {
				next.Add(-1) // another worker may make it
				inflight.Add(-1)
				return
			}
			inflight.Add(-1)
			r.add(kind, time.Since(t0), err)
			if err != nil && failed.Add(1) == int64(c.MaxErrors) {
				cancel()
			}
		}
	})
	return summarise(recs, time.Since(start))
}

// runWorkers runs loop in n goroutines, each with its own recorder, and
// returns the recorders once all have returned.
func runWorkers(n int, loop func(worker int, r *recorder)) []*recorder {
	n = max(n, 1)
	recs := make([]*recorder, n)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder()
		wg.Go(func() { loop(i, recs[i]) })
	}
	wg.Wait()
	return recs
}
