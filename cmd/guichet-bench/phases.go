package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/guichet/guichet/internal/loadgen"
)

// Concurrency of the phases.
const (
	loadClients = 16
	seedClients = 24
)

// phaseRunner runs the measured phases against one server.
type phaseRunner struct {
	opts    options
	api     *apiClient
	created atomic.Int64 // contacts created so far, warm-up included

	mu     sync.Mutex
	sample []contact // a uniform sample of the created contacts, to search for
	rng    *rand.Rand
}

func newPhaseRunner(opts options, api *apiClient) *phaseRunner {
	return &phaseRunner{opts: opts, api: api, rng: rand.New(rand.NewPCG(1, 2))}
}

// sampleSize bounds phaseRunner.sample.
const sampleSize = 5000

// remember keeps c in the sample (reservoir sampling: each of the n
// contacts created so far is kept with the same probability).
func (r *phaseRunner) remember(c contact, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sample) < sampleSize {
		r.sample = append(r.sample, c)
	} else if i := r.rng.Int64N(n); i < sampleSize {
		r.sample[i] = c
	}
}

// someContact returns the id of a contact of the sample, "" when there
// is none.
func (r *phaseRunner) someContact(rng *rand.Rand) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sample) == 0 {
		return ""
	}
	return r.sample[rng.IntN(len(r.sample))].ID
}

// window returns the fixed-duration run of the options at n clients.
func (r *phaseRunner) window(n int) loadgen.Window {
	return loadgen.Window{Workers: n, Warmup: r.opts.warmup, Duration: r.opts.duration, Grace: requestTimeout}
}

// createOp creates one contact per call; each worker has its own names.
func (r *phaseRunner) createOp(workers int, salt uint64) loadgen.Op {
	gens := make([]*people, workers)
	for i := range gens {
		gens[i] = newPeople(salt<<16 + uint64(i))
	}
	return func(ctx context.Context, worker int) (string, error) {
		c := gens[worker].next()
		id, err := r.api.createContact(ctx, c)
		if err != nil {
			return "", err
		}
		c.ID = id
		r.remember(c, r.created.Add(1))
		return "", nil
	}
}

// create measures contact creation at n concurrent clients.
func (r *phaseRunner) create(ctx context.Context, n int) *phase {
	res := loadgen.Run(ctx, r.window(n), r.createOp(n, uint64(n)))
	return newPhase(n, res)
}

// seed tops the contacts up to opts.contacts, as fast as the server takes
// them; failures are counted, not retried.
func (r *phaseRunner) seed(ctx context.Context) *phase {
	missing := r.opts.contacts - int(r.created.Load())
	if missing <= 0 {
		return &phase{Clients: seedClients}
	}
	res := loadgen.RunCount(ctx, loadgen.Count{
		Workers: seedClients, N: missing, Timeout: r.opts.seedTimeout,
		MaxErrors: max(100, missing/10),
	}, r.createOp(seedClients, 1000))
	return newPhase(seedClients, res)
}

// search measures a mix of searches at loadClients clients; the result has
// one phase for the mix and one per query kind.
func (r *phaseRunner) search(ctx context.Context) (all *phase, byKind map[string]*phase) {
	gens := make([]*people, loadClients)
	for i := range gens {
		gens[i] = newPeople(uint64(2000 + i))
	}
	var hits hitCounter
	res := loadgen.Run(ctx, r.window(loadClients), func(ctx context.Context, worker int) (string, error) {
		kind, q := gens[worker].query(r.sample) // read-only from here on
		n, err := r.api.listContacts(ctx, q)
		if err == nil {
			hits.add(kind, n)
		}
		return kind, err
	})
	all = newPhase(loadClients, res)
	all.HitsPerQuery = hits.mean("")
	byKind = map[string]*phase{}
	for _, kind := range queryKinds {
		p := newKindPhase(loadClients, res, kind)
		p.HitsPerQuery = hits.mean(kind)
		byKind[kind] = p
	}
	return all, byKind
}

// list measures the first page of the unfiltered list at loadClients.
func (r *phaseRunner) list(ctx context.Context) *phase {
	res := loadgen.Run(ctx, r.window(loadClients), func(ctx context.Context, worker int) (string, error) {
		_, err := r.api.listContacts(ctx, "")
		return "", err
	})
	return newPhase(loadClients, res)
}

// hitCounter averages the number of results per query kind. Its counts
// include warm-up queries: it says whether queries find something, nothing
// more.
type hitCounter struct {
	mu      sync.Mutex
	queries map[string]int
	hits    map[string]int
}

// add counts a query of kind that found n contacts, under kind and under
// "" (all kinds).
func (h *hitCounter) add(kind string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.queries == nil {
		h.queries, h.hits = map[string]int{}, map[string]int{}
	}
	for _, k := range []string{kind, ""} {
		h.queries[k]++
		h.hits[k] += n
	}
}

// mean returns the mean results per query of kind, nil when none ran.
func (h *hitCounter) mean(kind string) *float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.queries[kind] == 0 {
		return nil
	}
	m := float64(h.hits[kind]) / float64(h.queries[kind])
	return &m
}
