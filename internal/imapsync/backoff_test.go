package imapsync_test

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/imapsync"
)

func TestBackoffNext(t *testing.T) {
	t.Parallel()
	none := func() float64 { return 0 }
	most := func() float64 { return 0.999999 }
	b := imapsync.Backoff{Min: time.Second, Max: time.Minute, Rand: none}
	tests := []struct {
		name    string
		backoff imapsync.Backoff
		attempt int
		want    time.Duration
	}{
		{"FirstRetryWaitsMin", b, 0, time.Second},
		{"Doubles", b, 3, 8 * time.Second},
		{"CappedAtMax", b, 10, time.Minute},
		{"HugeAttemptDoesNotOverflow", b, 1 << 30, time.Minute},
		{"NegativeAttemptIsTheFirst", b, -4, time.Second},
		{"JitterTakesUpToHalf", imapsync.Backoff{Min: time.Second, Max: time.Minute, Rand: most}, 3, 4*time.Second + 4*time.Microsecond},
		{"JitterNeverGoesBelowMin", imapsync.Backoff{Min: time.Second, Max: time.Minute, Rand: most}, 0, time.Second},
		{"ZeroValueMeansOneSecondToFiveMinutes", imapsync.Backoff{Rand: none}, 20, 5 * time.Minute},
		{"MaxBelowMinIsMin", imapsync.Backoff{Min: time.Minute, Max: time.Second, Rand: none}, 5, time.Minute},
		{"MaxNearTheLimit", imapsync.Backoff{Min: time.Second, Max: 1<<63 - 1, Rand: none}, 80, 1<<63 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.backoff.Next(tt.attempt); got != tt.want {
				t.Errorf("Next(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}

	t.Run("DefaultRandomStaysInRange", func(t *testing.T) {
		t.Parallel()
		b := imapsync.Backoff{Min: time.Second, Max: time.Minute}
		for range 100 {
			if got := b.Next(3); got < 4*time.Second || got > 8*time.Second {
				t.Fatalf("Next(3) = %v, want within [4s, 8s]", got)
			}
		}
	})
}
