package loadgen

import (
	"math"
	"slices"
	"time"
)

// maxErrorKinds bounds the distinct error messages kept per run; the rest
// are counted under OtherErrors.
const maxErrorKinds = 8

// OtherErrors is the Errors key of the messages past the first few.
const OtherErrors = "(other errors)"

// Result is what a run measured.
type Result struct {
	Elapsed time.Duration
	All     Stats            // every request
	ByKind  map[string]Stats // per kind returned by Op; empty when Op returns ""
	// Errors counts failed requests by message (at most maxErrorKinds
	// messages, then OtherErrors).
	Errors map[string]int
}

// Stats summarises the successful requests of one kind.
type Stats struct {
	OK     int     // requests that succeeded
	Failed int     // requests that failed
	Rate   float64 // successes per second of Elapsed
	P50    time.Duration
	P90    time.Duration
	P95    time.Duration
	P99    time.Duration
	Max    time.Duration
}

// recorder is one worker's tally; only that worker touches it.
type recorder struct {
	lat    map[string][]time.Duration
	failed map[string]int
	errs   map[string]int
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, failed: map[string]int{}, errs: map[string]int{}}
}

func (r *recorder) add(kind string, d time.Duration, err error) {
	if err != nil {
		r.failed[kind]++
		r.errs[err.Error()]++
		return
	}
	r.lat[kind] = append(r.lat[kind], d)
}

// summarise merges the workers' recorders.
func summarise(recs []*recorder, elapsed time.Duration) Result {
	lat := map[string][]time.Duration{}
	failed := map[string]int{}
	res := Result{Elapsed: elapsed, ByKind: map[string]Stats{}, Errors: map[string]int{}}
	var all []time.Duration
	allFailed := 0
	for _, r := range recs {
		for k, ds := range r.lat {
			lat[k] = append(lat[k], ds...)
			all = append(all, ds...)
		}
		for k, n := range r.failed {
			failed[k] += n
			allFailed += n
		}
		for msg, n := range r.errs {
			res.addError(msg, n)
		}
	}
	res.All = stats(all, allFailed, elapsed)
	for k := range union(lat, failed) {
		if k != "" {
			res.ByKind[k] = stats(lat[k], failed[k], elapsed)
		}
	}
	return res
}

func (res *Result) addError(msg string, n int) {
	if _, ok := res.Errors[msg]; !ok && len(res.Errors) >= maxErrorKinds {
		msg = OtherErrors
	}
	res.Errors[msg] += n
}

func union(a map[string][]time.Duration, b map[string]int) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// stats sorts ds and reads its percentiles.
func stats(ds []time.Duration, failed int, elapsed time.Duration) Stats {
	slices.Sort(ds)
	s := Stats{OK: len(ds), Failed: failed}
	if elapsed > 0 {
		s.Rate = float64(len(ds)) / elapsed.Seconds()
	}
	if len(ds) > 0 {
		s.P50, s.P90, s.P95, s.P99 = Percentile(ds, 50), Percentile(ds, 90), Percentile(ds, 95), Percentile(ds, 99)
		s.Max = ds[len(ds)-1]
	}
	return s
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, or 0 when it is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
