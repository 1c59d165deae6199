package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"EmptyIsZero", nil, 99, 0},
		{"SingleValue", ms(7), 50, 7 * time.Millisecond},
		{"MedianOfFourIsSecond", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"P99OfHundred", ms(hundred...), 99, 99 * time.Millisecond},
		{"P100IsMax", ms(hundred...), 100, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p=%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestRunCountMakesExactlyNRequests(t *testing.T) {
	t.Parallel()
	res := RunCount(context.Background(), Count{Workers: 4, N: 103, Timeout: 5 * time.Second},
		func(ctx context.Context, worker int) (string, error) {
			if worker%2 == 0 {
				return "even", nil
			}
			return "odd", nil
		})
	if res.All.OK != 103 || res.All.Failed != 0 {
		t.Fatalf("OK=%d Failed=%d, want 103 and 0", res.All.OK, res.All.Failed)
	}
	if got := res.ByKind["even"].OK + res.ByKind["odd"].OK; got != 103 {
		t.Errorf("per-kind counts sum to %d, want 103", got)
	}
}

func TestRunCountStopsAtMaxErrors(t *testing.T) {
	t.Parallel()
	res := RunCount(context.Background(), Count{Workers: 2, N: 1_000_000, Timeout: 5 * time.Second, MaxErrors: 10},
		func(ctx context.Context, worker int) (string, error) {
			return "", fmt.Errorf("HTTP %d", 500+worker)
		})
	if res.All.Failed < 10 || res.All.Failed > 12 {
		t.Errorf("Failed = %d, want about 10", res.All.Failed)
	}
	if res.Errors["HTTP 500"]+res.Errors["HTTP 501"] != res.All.Failed {
		t.Errorf("Errors = %v, want them grouped by message", res.Errors)
	}
}

func TestRunCountsOnlyTheWindow(t *testing.T) {
	t.Parallel()
	res := Run(context.Background(), Window{Workers: 2, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond, Grace: time.Second},
		func(ctx context.Context, worker int) (string, error) {
			time.Sleep(10 * time.Millisecond)
			return "", nil
		})
	// Two workers at one request per ~10 ms over 200 ms: about 40.
	if res.All.OK < 10 || res.All.OK > 42 {
		t.Errorf("OK = %d, want at most about 40 (warm-up excluded)", res.All.OK)
	}
	if res.All.P50 < 10*time.Millisecond {
		t.Errorf("P50 = %v, want at least the 10 ms each request sleeps", res.All.P50)
	}
}

func TestRunStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	begin := time.Now()
	res := Run(ctx, Window{Workers: 2, Duration: time.Hour, Grace: time.Second},
		func(ctx context.Context, worker int) (string, error) {
			<-ctx.Done()
			return "", errors.New("cancelled")
		})
	if took := time.Since(begin); took > 2*time.Second {
		t.Fatalf("Run took %v after its context ended", took)
	}
	if res.Elapsed > time.Second {
		t.Errorf("Elapsed = %v, want the time actually run", res.Elapsed)
	}
}

// Each worker acts on its own items; one that runs out leaves its turns
// to the others, so that every item is handled and none counts as failed.
func TestRunCountLetsWorkersRunOut(t *testing.T) {
	t.Parallel()
	left := make([]atomic.Int64, 4)
	for i, n := range []int64{5, 10, 0, 20} {
		left[i].Store(n)
	}
	res := RunCount(context.Background(), Count{Workers: 4, N: 35, Timeout: 5 * time.Second},
		func(ctx context.Context, worker int) (string, error) {
			if left[worker].Add(-1) < 0 {
				return "", ErrNoMore
			}
			return "", nil
		})
	if res.All.OK != 35 || res.All.Failed != 0 {
		t.Errorf("OK=%d Failed=%d, want 35 and 0", res.All.OK, res.All.Failed)
	}
}

func TestRunStopsAWorkerWithNothingLeft(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	res := Run(context.Background(), Window{Workers: 2, Duration: 200 * time.Millisecond, Grace: time.Second},
		func(ctx context.Context, worker int) (string, error) {
			if worker == 1 || calls.Add(1) > 3 {
				return "", ErrNoMore
			}
			return "", nil
		})
	if res.All.OK != 3 || res.All.Failed != 0 {
		t.Errorf("OK=%d Failed=%d, want 3 and 0", res.All.OK, res.All.Failed)
	}
}
