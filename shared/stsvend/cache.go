package stsvend

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"time"
)

// MaxRefreshMargin caps how long before expiry cached credentials are
// replaced; the margin is this or a third of the lifetime, whichever is
// smaller, so a browser never receives credentials about to lapse.
const MaxRefreshMargin = 5 * time.Minute

// Cache holds temporary credentials per key (CacheKey). Get returns
// cached credentials while they are fresh; concurrent misses for one key
// share a single fetch; at most Size entries are kept (least recently used
// evicted first). It is safe for concurrent use.
type Cache struct {
	size int
	now  func() time.Time

	mu       sync.Mutex
	lru      *list.List // of *cacheEntry, most recent at the front
	entries  map[string]*list.Element
	inflight map[string]*flight
}

type cacheEntry struct {
	key      string
	creds    Temporary
	issuedAt time.Time
}

type flight struct {
	done  chan struct{}
	creds Temporary
	err   error
}

// NewCache makes a cache of at most size entries (size ≥ 1) using now as
// the clock.
func NewCache(size int, now func() time.Time) *Cache {
	if size < 1 {
		size = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{size: size, now: now, lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*flight{}}
}

// Len is the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// CacheKey is the key credentials are cached under: the user and the route,
// whose directory the session policy is scoped to, so credentials for one
// route are never handed out for another. headers, when not nil (a hook is
// configured), are the pinned upload headers of this request: their hash
// joins the key, so credentials vended with one hook answer are not paired
// with another answer's headers. User ids and route names hold no NUL
// (uploadrules.ValidUserID, uploadroutes' name rule), so the parts cannot
// run into each other.
func CacheKey(user, route string, headers map[string]string) string {
	if headers == nil {
		return user + "\x00" + route
	}
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	var n [8]byte
	field := func(s string) { // length-prefixed: no two header sets hash the same input
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, name := range names {
		field(name)
		field(headers[name])
	}
	return user + "\x00" + route + "\x00" + string(h.Sum(nil))
}

// fresh reports whether e can still be handed out at now.
func fresh(e *cacheEntry, now time.Time) bool {
	margin := e.creds.Expiration.Sub(e.issuedAt) / 3
	if margin > MaxRefreshMargin {
		margin = MaxRefreshMargin
	}
	return now.Before(e.creds.Expiration.Add(-margin))
}

// Get returns fresh credentials for key, calling fetch when there are none.
// Callers arriving while a fetch for key is under way wait for its result
// (or for their own ctx). The fetch runs with ctx detached from
// cancellation so one impatient caller cannot fail the others; fetch should
// bound its own duration. Errors are not cached. hit reports whether the
// credentials came from the cache without waiting.
func (c *Cache) Get(ctx context.Context, key string, fetch func(context.Context) (Temporary, error)) (creds Temporary, hit bool, err error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if fresh(e, c.now()) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.creds, true, nil
		}
	}
	f, running := c.inflight[key]
	if !running {
		f = &flight{done: make(chan struct{})}
		c.inflight[key] = f
		go c.run(context.WithoutCancel(ctx), key, f, fetch)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.creds, false, f.err
	case <-ctx.Done():
		return Temporary{}, false, ctx.Err()
	}
}

func (c *Cache) run(ctx context.Context, key string, f *flight, fetch func(context.Context) (Temporary, error)) {
	issuedAt := c.now()
	f.creds, f.err = fetch(ctx)
	c.mu.Lock()
	delete(c.inflight, key)
	if f.err == nil {
		c.putLocked(&cacheEntry{key: key, creds: f.creds, issuedAt: issuedAt})
	}
	c.mu.Unlock()
	close(f.done)
}

func (c *Cache) putLocked(e *cacheEntry) {
	if el, ok := c.entries[e.key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[e.key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).key)
	}
}
