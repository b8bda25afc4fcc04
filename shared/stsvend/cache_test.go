package stsvend

import (
	"testing/synctest"

	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheReusesUntilRefreshMargin(t *testing.T) {
	for _, tc := range []struct {
		lifetime, margin time.Duration
	}{
		{900 * time.Second, 5 * time.Minute},   // a third is 5 min
		{3600 * time.Second, 5 * time.Minute},  // capped at 5 min
		{600 * time.Second, 200 * time.Second}, // a third is smaller
	} {
		t.Run(tc.lifetime.String(), func(t *testing.T) {
			c := newClock()
			sts := &fakeSTS{now: c.Now}
			cache := NewCache(10, c.Now)
			fetch := func(ctx context.Context) (Temporary, error) {
				return sts.AssumeRole(ctx, AssumeRoleInput{SessionName: "alice", Duration: tc.lifetime})
			}
			first, hit, err := cache.Get(context.Background(), "alice", fetch)
			if err != nil || hit {
				t.Fatalf("first: hit=%v err=%v", hit, err)
			}
			c.Advance(tc.lifetime - tc.margin - time.Second)
			again, hit, err := cache.Get(context.Background(), "alice", fetch)
			if err != nil || !hit || again != first || sts.calls.Load() != 1 {
				t.Fatalf("1s before the margin: hit=%v same=%v calls=%d err=%v", hit, again == first, sts.calls.Load(), err)
			}
			c.Advance(time.Second)
			fresh, hit, err := cache.Get(context.Background(), "alice", fetch)
			if err != nil || hit || fresh == first || sts.calls.Load() != 2 {
				t.Fatalf("at the margin: hit=%v calls=%d err=%v", hit, sts.calls.Load(), err)
			}
		})
	}
}

func TestCacheCollapsesConcurrentMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClock()
		sts := &fakeSTS{now: c.Now, gate: make(chan struct{})}
		cache := NewCache(10, c.Now)
		const n = 200
		var wg sync.WaitGroup
		var started atomic.Int64
		results := make([]Temporary, n)
		for i := range n {
			wg.Go(func() {
				started.Add(1)
				cr, _, err := cache.Get(context.Background(), "alice", func(ctx context.Context) (Temporary, error) {
					return sts.AssumeRole(ctx, AssumeRoleInput{SessionName: "alice", Duration: 900 * time.Second})
				})
				if err != nil {
					t.Error(err)
				}
				results[i] = cr
			})
		}
		// Every caller is blocked: one fetch at the gate, the others waiting for it.
		synctest.Wait()
		if started.Load() != n || sts.calls.Load() != 1 {
			t.Fatalf("%d callers started, %d AssumeRole calls in flight, want %d and 1", started.Load(), sts.calls.Load(), n)
		}
		close(sts.gate)
		wg.Wait()
		if got := sts.calls.Load(); got != 1 {
			t.Fatalf("%d AssumeRole calls for %d concurrent misses, want 1", got, n)
		}
		for i := range results {
			if results[i] != results[0] || results[i].AccessKeyID == "" {
				t.Fatalf("caller %d got different credentials", i)
			}
		}
	})
}

func TestCacheErrorsAreNotCached(t *testing.T) {
	c := newClock()
	cache := NewCache(10, c.Now)
	boom := &STSError{Kind: ErrThrottled, Code: "Throttling.User", Status: 400}
	calls := 0
	fetch := func(context.Context) (Temporary, error) {
		calls++
		if calls == 1 {
			return Temporary{}, boom
		}
		return Temporary{AccessKeyID: "STS.ok", Expiration: c.Now().Add(time.Hour)}, nil
	}
	if _, _, err := cache.Get(context.Background(), "u", fetch); !errors.Is(err, ErrThrottled) {
		t.Fatalf("first: %v", err)
	}
	if cr, _, err := cache.Get(context.Background(), "u", fetch); err != nil || cr.AccessKeyID != "STS.ok" || calls != 2 {
		t.Fatalf("retry: %v %v calls=%d", cr, err, calls)
	}
}

func TestCacheWaiterHonoursItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClock()
		sts := &fakeSTS{now: c.Now, gate: make(chan struct{})}
		cache := NewCache(10, c.Now)
		fetch := func(ctx context.Context) (Temporary, error) {
			return sts.AssumeRole(ctx, AssumeRoleInput{Duration: 900 * time.Second})
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, _, err := cache.Get(ctx, "u", fetch); done <- err }()
		synctest.Wait() // the fetch is at the gate, the caller waits for it
		if sts.calls.Load() != 1 {
			t.Fatalf("%d AssumeRole calls, want 1", sts.calls.Load())
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled waiter: %v", err)
		}
		// The fetch itself was not cancelled: once it finishes, the result is cached.
		close(sts.gate)
		synctest.Wait() // the detached fetch has finished
		if cache.Len() != 1 {
			t.Fatalf("%d cached entries after the detached fetch, want 1", cache.Len())
		}
		if _, hit, err := cache.Get(context.Background(), "u", fetch); !hit || err != nil || sts.calls.Load() != 1 {
			t.Fatalf("after the detached fetch: hit=%v err=%v calls=%d", hit, err, sts.calls.Load())
		}
	})
}

func TestCacheBoundedLRU(t *testing.T) {
	c := newClock()
	sts := &fakeSTS{now: c.Now}
	cache := NewCache(3, c.Now)
	get := func(user string) bool {
		_, hit, err := cache.Get(context.Background(), user, func(ctx context.Context) (Temporary, error) {
			return sts.AssumeRole(ctx, AssumeRoleInput{SessionName: user, Duration: 900 * time.Second})
		})
		if err != nil {
			t.Fatal(err)
		}
		return hit
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		get(u)
	}
	get("u1") // u1 is now the most recent; u2 the least
	get("u4") // evicts u2
	if cache.Len() != 3 {
		t.Fatalf("len %d, want 3", cache.Len())
	}
	for u, want := range map[string]bool{"u1": true, "u3": true, "u4": true} {
		if get(u) != want {
			t.Errorf("%s: hit != %v", u, want)
		}
	}
	if get("u2") {
		t.Error("u2 should have been evicted")
	}
	for i := range 100 {
		get(fmt.Sprint("many", i))
	}
	if cache.Len() != 3 {
		t.Fatalf("len %d after many users, want 3", cache.Len())
	}
}

func TestTemporaryRedacts(t *testing.T) {
	tmp := Temporary{AccessKeyID: "STS.id", AccessKeySecret: issuedSecret, SecurityToken: issuedToken, Expiration: testNow}
	for _, s := range []string{fmt.Sprint(tmp), fmt.Sprintf("%v %+v %#v", tmp, tmp, tmp)} {
		if strings.Contains(s, issuedSecret) || strings.Contains(s, issuedToken) || !strings.Contains(s, "STS.id") {
			t.Fatalf("formatted: %s", s)
		}
	}
}
