package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet/internal/loadgen"
	"github.com/guichet/guichet/internal/seed"
)

// Call kinds: the caller is a known contact, or unknown (the call then
// creates an unidentified contact).
const (
	callKnown   = "known caller"
	callUnknown = "unknown caller"
)

var callKinds = []string{callKnown, callUnknown}

// callContacts is how many contacts the calls and messages name, at
// least: created (untimed) before the first call when fewer exist.
const callContacts = 500

// receptionRunner runs the reception phases against one server: each
// load client is a reception agent of its own, logged in with its own API
// token, as the acknowledgement of a message is its recipient's alone.
type receptionRunner struct {
	r      *phaseRunner
	srv    *server
	agents []*apiClient // one per load client
	ids    []string     // their agent ids
	log    func(format string, args ...any)
	calls  atomic.Int64 // logged over HTTP, warm-ups included

	addressed atomic.Int64 // messages addressed so far, round-robin
	mu        sync.Mutex
	inbox     [][]string // per agent, its pending messages' ids
}

// newReceptionRunner returns a runner without its agents (see
// addAgents).
func newReceptionRunner(r *phaseRunner, srv *server, log func(string, ...any)) *receptionRunner {
	return &receptionRunner{r: r, srv: srv, log: log, agents: make([]*apiClient, loadClients),
		ids: make([]string, loadClients), inbox: make([][]string, loadClients)}
}

// addAgents creates loadClients reception agents (role agent) sharing a
// random password, and logs each in with an API token of its own. One at
// a time: each password hash and check holds about 19 MB in the server,
// whose peak RSS is one of the figures.
func (rr *receptionRunner) addAgents(ctx context.Context) setup {
	start := time.Now()
	password := "bench-" + randomHex(12)
	for i := range loadClients {
		if err := rr.addAgent(ctx, i, password); err != nil {
			return setup{err: err}
		}
	}
	return setup{done: fmt.Sprintf("%d reception agents logged in with their own API tokens in %.1f s", loadClients,
		time.Since(start).Seconds())}
}

// addAgent creates the i-th reception agent and logs it in.
func (rr *receptionRunner) addAgent(ctx context.Context, i int, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*requestTimeout)
	defer cancel()
	username := fmt.Sprintf("bench-reception-%02d", i+1)
	id, err := rr.r.api.createAgent(ctx, agentCreate{Username: username, Password: password,
		DisplayName: seed.FirstNames[i%len(seed.FirstNames)] + " (accueil)", Roles: []string{"agent"}})
	if err != nil {
		return fmt.Errorf("create agent %s: %w", username, err)
	}
	session := rr.r.api.as("")
	if session.token, err = session.login(ctx, username, password); err != nil {
		return fmt.Errorf("log in as %s: %w", username, err)
	}
	token, err := session.createAPIToken(ctx, receptionScopes)
	if err != nil {
		return fmt.Errorf("API token of %s: %w", username, err)
	}
	rr.ids[i], rr.agents[i] = id, rr.r.api.as(token)
	return nil
}

// ensureContacts creates contacts (untimed) until the sample holds
// callContacts of them, for calls and messages to name.
func (rr *receptionRunner) ensureContacts(ctx context.Context) {
	rr.r.mu.Lock()
	missing := callContacts - len(rr.r.sample)
	rr.r.mu.Unlock()
	if missing <= 0 {
		return
	}
	start := time.Now()
	res := loadgen.RunCount(ctx, loadgen.Count{Workers: loadClients, N: missing, Timeout: rr.r.opts.seedTimeout,
		MaxErrors: max(100, missing/10)}, rr.r.createOp(loadClients, 3000))
	rr.log("%-11s created %d contacts for the callers in %.1f s (%d errors)", "", res.All.OK,
		time.Since(start).Seconds(), res.All.Failed)
}

// caller returns who calls or leaves a message: one in five times
// somebody unknown (no contact), else a contact of the sample, as they
// name themselves; one in three speaks for a structure.
func (rr *receptionRunner) caller(p *people) (id identity, contactID string) {
	c, known := rr.r.someKnown(p.rng)
	if !known || p.rng.IntN(5) == 0 {
		c = p.next()
	}
	id = identity{Name: c.FirstName + " " + c.LastName, Phone: c.Phone}
	if c.ID == "" && p.rng.IntN(4) == 0 {
		id.Email = c.Email
	}
	if p.rng.IntN(3) == 0 {
		id.Structure = p.pick(seed.Structures)
	}
	return id, c.ID
}

// callOp logs one inbound call per call, as the worker's agent: answered
// three times in four, else a message taken.
func (rr *receptionRunner) callOp(workers int, salt uint64) loadgen.Op {
	gens, texts := make([]*people, workers), make([]*seed.Generator, workers)
	for i := range gens {
		gens[i], texts[i] = newPeople(salt<<16+uint64(i)), seed.NewGenerator(salt<<16+uint64(i))
	}
	return func(ctx context.Context, worker int) (string, error) {
		p := gens[worker]
		who, contactID := rr.caller(p)
		body := callCreate{ContactID: contactID, Identity: who, Reason: texts[worker].Next().Subject, Outcome: "answered"}
		if p.rng.IntN(4) == 0 {
			body.Outcome = "message_taken"
		}
		kind := callKnown
		if contactID == "" {
			kind = callUnknown
		}
		got, err := rr.agents[worker].createCall(ctx, body)
		if err == nil && contactID == "" && got == "" {
			err = errors.New("POST /calls: an unknown caller got no unidentified contact")
		}
		if err == nil {
			rr.calls.Add(1)
		}
		return kind, err
	}
}

// logCalls measures call logging at n concurrent clients; the result
// has one phase for all calls and one per kind of caller.
func (rr *receptionRunner) logCalls(ctx context.Context, n int) (all *phase, byKind map[string]*phase) {
	rr.ensureContacts(ctx)
	res := loadgen.Run(ctx, rr.r.window(n), rr.callOp(n, 7000+uint64(n)))
	all, byKind = newPhase(n, res), map[string]*phase{}
	for _, kind := range callKinds {
		byKind[kind] = newKindPhase(n, res, kind)
	}
	return all, byKind
}

// takeMessages creates opts.messages messages at loadClients clients,
// addressed in turn to each reception agent (so that acknowledgements
// spread over as many rows and agents), each by the worker's agent.
func (rr *receptionRunner) takeMessages(ctx context.Context) *phase {
	n := rr.r.opts.messages
	if n == 0 {
		return nil
	}
	rr.ensureContacts(ctx)
	gens, texts := make([]*people, loadClients), make([]*seed.Generator, loadClients)
	for i := range gens {
		gens[i], texts[i] = newPeople(8000+uint64(i)), seed.NewGenerator(8000+uint64(i))
	}
	res := loadgen.RunCount(ctx, loadgen.Count{Workers: loadClients, N: n, Timeout: rr.r.opts.seedTimeout,
		MaxErrors: max(100, n/10)}, func(ctx context.Context, worker int) (string, error) {
		p := gens[worker]
		to := int((rr.addressed.Add(1) - 1) % int64(len(rr.ids)))
		from, contactID := rr.caller(p)
		body := messageCreate{From: from, ContactID: contactID, Reason: "Rappeler : " + texts[worker].Next().Subject,
			RecipientAgentID: rr.ids[to]}
		if p.rng.IntN(5) == 0 {
			body.Urgency = "high"
		}
		id, err := rr.agents[worker].createMessage(ctx, body)
		if err == nil {
			rr.mu.Lock()
			rr.inbox[to] = append(rr.inbox[to], id)
			rr.mu.Unlock()
		}
		return "", err
	})
	return newPhase(loadClients, res)
}

// acknowledge measures acknowledgements at loadClients clients, each
// worker acknowledging the pending messages of its own agent until none
// is left.
func (rr *receptionRunner) acknowledge(ctx context.Context) *phase {
	pending := 0
	for _, box := range rr.inbox {
		pending += len(box)
	}
	if pending == 0 {
		return nil
	}
	res := loadgen.RunCount(ctx, loadgen.Count{Workers: loadClients, N: pending, Timeout: rr.r.opts.seedTimeout,
		MaxErrors: max(100, pending/10)}, func(ctx context.Context, worker int) (string, error) {
		id := rr.nextPending(worker)
		if id == "" {
			return "", loadgen.ErrNoMore
		}
		return "", rr.agents[worker].acknowledgeMessage(ctx, id)
	})
	return newPhase(loadClients, res)
}

// nextPending takes the oldest pending message of the agent, "" when
// there is none.
func (rr *receptionRunner) nextPending(agent int) string {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	box := rr.inbox[agent]
	if len(box) == 0 {
		return ""
	}
	rr.inbox[agent] = box[1:]
	return box[0]
}

// someKnown returns a contact of the sample, false when there is none.
func (r *phaseRunner) someKnown(rng *rand.Rand) (contact, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sample) == 0 {
		return contact{}, false
	}
	return r.sample[rng.IntN(len(r.sample))], true
}
