package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes (OWASP's first recommended set).
const (
	DefaultMemoryKiB = 19456
	DefaultTime      = 2
	DefaultThreads   = 1
	saltLen          = 16
	hashLen          = 32
)

// Bounds on parameters read back from a stored hash, so a corrupted or
// hostile row cannot make Verify allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 10
	maxThreads   = 16
	minSaltLen   = 8
	minHashLen   = 16
	maxPartLen   = 64
)

// ErrHashFormat is wrapped by errors about a stored password hash that is
// not a well-formed argon2id PHC string within sane parameter bounds.
var ErrHashFormat = errors.New("auth: malformed password hash")

// Hasher hashes and verifies passwords with argon2id. Each hash holds about
// m KiB of memory, so a semaphore bounds how many run at once: a burst of
// logins queues instead of exhausting memory. A Hasher is safe for concurrent use.
type Hasher struct {
	sem     chan struct{}
	memory  uint32
	time    uint32
	threads uint8
	dummy   string
}

// NewHasher returns a Hasher with the default parameters (m=19456 KiB, t=2,
// p=1) running at most maxConcurrent hashes at once; maxConcurrent <= 0 means
// runtime.NumCPU().
func NewHasher(maxConcurrent int) *Hasher {
	return NewHasherWithParams(maxConcurrent, DefaultMemoryKiB, DefaultTime)
}

// NewHasherWithParams is NewHasher with other memory and time costs, for
// tests that need cheap hashes (m=64, t=1). Verify always honours the
// parameters encoded in the hash, whatever the Hasher's own. It panics if
// time is 0 or memoryKiB is below 8, which argon2 cannot run.
func NewHasherWithParams(maxConcurrent int, memoryKiB, time uint32) *Hasher {
	if time < 1 || memoryKiB < 8*DefaultThreads {
		panic(fmt.Sprintf("auth: invalid argon2 params m=%d t=%d", memoryKiB, time))
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	h := &Hasher{
		sem:     make(chan struct{}, maxConcurrent),
		memory:  memoryKiB,
		time:    time,
		threads: DefaultThreads,
	}
	h.dummy = encodePHC(phc{memory: h.memory, time: h.time, threads: h.threads,
		salt: make([]byte, saltLen), hash: make([]byte, hashLen)})
	return h
}

// Hash returns password hashed with a fresh salt, as a PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (raw standard base64).
// It fails only if ctx ends while waiting for a free slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := phc{memory: h.memory, time: h.time, threads: h.threads, salt: make([]byte, saltLen)}
	rand.Read(p.salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p.hash = argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, hashLen)
	return encodePHC(p), nil
}

// Verify reports whether password matches encoded, recomputing the hash with
// the parameters stored in encoded and comparing in constant time. A malformed
// or out-of-bounds encoded returns an error wrapping [ErrHashFormat]; ctx
// ending while waiting for a slot returns an error wrapping ctx.Err().
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.hash)))
	return subtle.ConstantTimeCompare(got, p.hash) == 1, nil
}

// VerifyDummy does the work of Verify against a fixed hash made with the
// Hasher's parameters, and discards the result. Call it when the username is
// unknown, so that response time does not reveal which accounts exist.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) {
	_, _ = h.Verify(ctx, password, h.dummy)
}

// NeedsRehash reports whether encoded was made with parameters other than
// the Hasher's (or is unreadable), so a successful login can store a fresh hash.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, err := decodePHC(encoded)
	return err != nil || p.memory != h.memory || p.time != h.time || p.threads != h.threads ||
		len(p.salt) != saltLen || len(p.hash) != hashLen
}

func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auth: wait for hasher: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: wait for hasher: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

// phc is a decoded argon2id PHC string.
type phc struct {
	memory, time uint32
	threads      uint8
	salt, hash   []byte
}

func encodePHC(p phc) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.hash))
}

func decodePHC(encoded string) (phc, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: not $argon2id$v=..$m=..,t=..,p=..$salt$hash", ErrHashFormat)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, fmt.Errorf("%w: unsupported version %q", ErrHashFormat, parts[2])
	}
	p, err := decodeParams(parts[3])
	if err != nil {
		return phc{}, err
	}
	if p.salt, err = decodePart(parts[4], minSaltLen); err != nil {
		return phc{}, fmt.Errorf("%w: salt: %w", ErrHashFormat, err)
	}
	if p.hash, err = decodePart(parts[5], minHashLen); err != nil {
		return phc{}, fmt.Errorf("%w: hash: %w", ErrHashFormat, err)
	}
	return p, nil
}

// decodeParams parses "m=<KiB>,t=<passes>,p=<lanes>", in that order, within bounds.
func decodeParams(s string) (phc, error) {
	fields := strings.Split(s, ",")
	names := []string{"m", "t", "p"}
	limits := []uint64{maxMemoryKiB, maxTime, maxThreads}
	var vals [3]uint64
	if len(fields) != len(names) {
		return phc{}, fmt.Errorf("%w: params %q: want m=<KiB>,t=<passes>,p=<lanes>", ErrHashFormat, s)
	}
	for i, f := range fields {
		v, err := strconv.ParseUint(strings.TrimPrefix(f, names[i]+"="), 10, 32)
		if !strings.HasPrefix(f, names[i]+"=") || err != nil || v < 1 || v > limits[i] {
			return phc{}, fmt.Errorf("%w: param %q missing or outside 1..%d", ErrHashFormat, f, limits[i])
		}
		vals[i] = v
	}
	if vals[0] < 8*vals[2] {
		return phc{}, fmt.Errorf("%w: m=%d below 8*p", ErrHashFormat, vals[0])
	}
	return phc{memory: uint32(vals[0]), time: uint32(vals[1]), threads: uint8(vals[2])}, nil
}

func decodePart(s string, minLen int) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b) < minLen || len(b) > maxPartLen {
		return nil, fmt.Errorf("length %d outside %d..%d", len(b), minLen, maxPartLen)
	}
	return b, nil
}
