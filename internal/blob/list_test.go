package blob_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/blob"
)

func TestKeysListsInOrderWithinBounds(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, fx fixture) {
		ctx := context.Background()
		began := time.Now().Add(-time.Millisecond)
		var made []string
		for i := range 5 {
			info, err := fx.store.Put(ctx, strings.NewReader(strings.Repeat("x", i+1)), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, info.Key)
		}
		lister := fx.store.(blob.Lister)
		list := func(after, before string) (keys []string, batches int) {
			t.Helper()
			err := lister.Keys(ctx, after, before, 2, func(b []string) error {
				if len(b) > 2 {
					t.Errorf("batch of %d, want at most 2", len(b))
				}
				keys, batches = append(keys, b...), batches+1
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return keys, batches
		}
		later := blob.KeyAt(time.Now().Add(time.Second))
		if got, n := list("", later); !slices.Equal(got, made) || n != 3 {
			t.Errorf("all keys = %v in %d batches, want %v in 3", got, n, made)
		}
		if got, _ := list(made[2], later); !slices.Equal(got, made[3:]) {
			t.Errorf("after the third = %v, want %v", got, made[3:])
		}
		if got, _ := list("", blob.KeyAt(began)); len(got) != 0 {
			t.Errorf("before the first was made = %v, want none", got)
		}
	})
}

func TestKeyAtOrdersLikeTime(t *testing.T) {
	t.Parallel()
	a := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if !(blob.KeyAt(a) < blob.KeyAt(a.Add(time.Millisecond))) || !(blob.KeyAt(a.Add(-time.Hour)) < blob.KeyAt(a)) {
		t.Fatal("KeyAt must grow with time")
	}
	if len(blob.KeyAt(a)) != 36 {
		t.Fatalf("KeyAt = %q, want a canonical UUID", blob.KeyAt(a))
	}
}
