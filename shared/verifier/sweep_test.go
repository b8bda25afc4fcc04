package verifier_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/verifier"
	"github.com/ossupload/ossupload/shared/verifier/verifiertest"
)

// sweepStore lists a verifiertest.Fake like ListObjects (keys in order,
// after the marker, at most max) with per-key LastModified times, and keeps
// the sweep state in memory.
type sweepStore struct {
	f     *verifiertest.Fake
	mu    sync.Mutex
	mtime map[string]time.Time
	state map[string]string
	lists int
}

func newSweepStore(f *verifiertest.Fake) *sweepStore {
	return &sweepStore{f: f, mtime: map[string]time.Time{}, state: map[string]string{}}
}

func (s *sweepStore) List(_ context.Context, prefix, marker string, max int) (verifier.ListPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	var page verifier.ListPage
	for _, k := range s.f.Keys() {
		if !strings.HasPrefix(k, prefix) || k <= marker {
			continue
		}
		if len(page.Objects) == max {
			page.Truncated = true
			break
		}
		o, _ := s.f.Get(k)
		page.Objects = append(page.Objects, verifier.ListedObject{Key: k, ETag: o.ETag, Size: o.Size, LastModified: s.mtime[k]})
		page.NextMarker = k
	}
	if !page.Truncated {
		page.NextMarker = ""
	}
	return page, nil
}

func (s *sweepStore) ReadState(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.state[key]
	if !ok {
		return "", verifier.ErrNotFound
	}
	return v, nil
}

func (s *sweepStore) WriteState(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[key] = value
	return nil
}

var sweepNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const stateKey = "quarantine/.sweep-marker"

func newSweeper(f *fixture, ls *sweepStore, logs *bytes.Buffer) *verifier.Sweeper {
	if logs != nil {
		f.v.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	return &verifier.Sweeper{Verifier: f.v, List: ls, StateKey: stateKey, MinAge: time.Hour, Now: func() time.Time { return sweepNow }}
}

func TestSweepJudgesLostUploadsLikeAnEvent(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	ls := newSweepStore(f.store)
	old := sweepNow.Add(-2 * time.Hour)
	png := pngBytes(t)
	meta := map[string]string{"owner": "u1", "declared-type": "image/png"}
	good := "uploads/u1/a-lost.png"
	bad := "uploads/u1/b-lost.png"
	young := "uploads/u1/c-young.png"
	judged := "uploads/u1/d-judged.png"
	goodETag := f.store.Put(good, png, "image/png", meta)
	f.store.Put(bad, exeBytes(), "image/png", meta)
	f.store.Put(young, png, "image/png", meta)
	judgedETag := f.store.Put(judged, png, "image/png", meta)
	for _, k := range []string{good, bad, judged} {
		ls.mtime[k] = old
	}
	ls.mtime[young] = sweepNow.Add(-59 * time.Minute)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PostObject", judged, judgedETag, int64(len(png)))); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	res, err := newSweeper(f, ls, &logs).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := verifier.SweepResult{Listed: 4, Young: 1, Judged: 1, Verified: 1, Rejected: 1, Complete: true}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	o, _ := f.store.Get(good)
	if o.Tags["upload-status"] != "verified" || o.Tags["upload-etag"] != goodETag || o.Tags["upload-notified"] != goodETag {
		t.Errorf("good tags %v", o.Tags)
	}
	if _, ok := f.store.Get(bad); ok {
		t.Error("rejected upload left in place")
	}
	if q, ok := f.store.Get("quarantine/" + bad); !ok || q.Tags["upload-status"] != "rejected" {
		t.Errorf("quarantine copy %v %v", ok, q.Tags)
	}
	if o, _ := f.store.Get(young); o.Tags["upload-status"] != "" {
		t.Errorf("young upload judged by the sweep: %v", o.Tags)
	}
	var keys []string
	for _, n := range f.recv.notifications() {
		keys = append(keys, n.Key)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{good, bad, judged}) {
		t.Errorf("webhooks for %v", keys)
	}
	line := logs.String()
	for _, s := range []string{"verify: sweep run", "listed=4", "verified=1", "rejected=1", "errors=0"} {
		if !strings.Contains(line, s) {
			t.Errorf("summary log lacks %q: %s", s, line)
		}
	}
	if strings.Count(line, "sweep run") != 1 {
		t.Errorf("want one summary line: %s", line)
	}

	// The lost event turns up late: same verdict, no second webhook; a
	// second sweep judges nothing again.
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PostObject", good, goodETag, int64(len(png)))); err != nil {
		t.Fatal(err)
	}
	reads := f.store.CountCalls("GetRange")
	res, err = newSweeper(f, ls, nil).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := f.store.CountCalls("GetRange"); n != reads {
		t.Errorf("second sweep read %d objects already judged and delivered", n-reads)
	}
	if res.Verified != 0 || res.Rejected != 0 || res.Judged != 2 {
		t.Errorf("second run %+v", res)
	}
	if n := len(f.recv.notifications()); n != 3 {
		t.Errorf("%d webhooks after the late event and a second sweep, want 3", n)
	}
}

// A verdict recorded by an event whose webhook failed is delivered by the
// sweep, once.
func TestSweepDeliversUndeliveredVerdict(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	ls := newSweepStore(f.store)
	key := "uploads/u1/x.png"
	png := pngBytes(t)
	etag := f.store.Put(key, png, "image/png", map[string]string{"owner": "u1"})
	ls.mtime[key] = sweepNow.Add(-3 * time.Hour)
	f.recv.setStatus(500)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, int64(len(png)))); err == nil {
		t.Fatal("webhook failure not reported")
	}
	f.recv.setStatus(0)
	res, err := newSweeper(f, ls, nil).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified != 1 || len(f.recv.notifications()) != 1 {
		t.Errorf("result %+v, webhooks %d", res, len(f.recv.notifications()))
	}
}

// A run that runs out of time saves where it stopped; the next run resumes
// there, and after a full pass the state says "from the start".
func TestSweepResumesWhereItStopped(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	ls := newSweepStore(f.store)
	png := pngBytes(t)
	var keys []string
	for i := range 7 {
		k := "uploads/u1/" + string(rune('a'+i)) + ".png"
		f.store.Put(k, png, "image/png", map[string]string{"owner": "u1"})
		ls.mtime[k] = sweepNow.Add(-2 * time.Hour)
		keys = append(keys, k)
	}
	clock := sweepNow
	s := newSweeper(f, ls, nil)
	s.PageSize = 2
	s.Budget = 3 * time.Second
	s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }

	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || res.Listed != 2 || res.Marker != keys[1] || ls.state[stateKey] != keys[1] {
		t.Fatalf("first run %+v, state %q", res, ls.state[stateKey])
	}
	total := res.Listed
	for range 5 {
		res, err = s.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += res.Listed
		if res.Complete {
			break
		}
	}
	if !res.Complete || total != len(keys) || ls.state[stateKey] != "" {
		t.Errorf("listed %d of %d, last %+v, state %q", total, len(keys), res, ls.state[stateKey])
	}
	if n := len(f.recv.notifications()); n != len(keys) {
		t.Errorf("%d webhooks, want %d", n, len(keys))
	}
}

// A failing object is counted, does not stop the run, and fails the
// invocation.
func TestSweepCountsErrors(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	ls := newSweepStore(f.store)
	png := pngBytes(t)
	for _, k := range []string{"uploads/u1/a.png", "uploads/u1/b.png"} {
		f.store.Put(k, png, "image/png", map[string]string{"owner": "u1"})
		ls.mtime[k] = sweepNow.Add(-2 * time.Hour)
	}
	f.store.FailNext("Head", errors.New("OSS 503"))
	res, err := newSweeper(f, ls, nil).Run(context.Background())
	if err == nil || res.Errors != 1 || res.Verified != 1 || !res.Complete {
		t.Errorf("result %+v, err %v", res, err)
	}
}

func TestIsTimerEvent(t *testing.T) {
	for payload, want := range map[string]bool{
		`{"triggerTime":"2026-05-01T12:00:00Z","triggerName":"sweep","payload":""}`: true,
		`{"triggerTime":"2026-05-01T12:00:00Z","triggerName":"sweep"}`:              true,
		string(event("ObjectCreated:PutObject", "uploads/u1/a", "AB", 1)):           false,
		`{"triggerName":"sweep"}`: false,
		`not json`:                false,
	} {
		if got := verifier.IsTimerEvent([]byte(payload)); got != want {
			t.Errorf("IsTimerEvent(%s) = %v", payload, got)
		}
	}
}

func TestSweepSettings(t *testing.T) {
	env := map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou"}
	get := func(k string) string { return env[k] }
	if c := verifier.FromEnv(get); c.Validate() != nil || c.SweepMinAge != verifier.DefaultSweepMinAge {
		t.Errorf("default %v %v", c.SweepMinAge, c.Validate())
	}
	env["SWEEP_MIN_AGE_SECONDS"] = "90"
	if c := verifier.FromEnv(get); c.Validate() != nil || c.SweepMinAge != 90*time.Second {
		t.Errorf("90: %v %v", c.SweepMinAge, c.Validate())
	}
	for _, bad := range []string{"0", "-5", "1h", "99999999"} {
		env["SWEEP_MIN_AGE_SECONDS"] = bad
		if err := verifier.FromEnv(get).Validate(); err == nil || !strings.Contains(err.Error(), "SWEEP_MIN_AGE_SECONDS") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	if k, err := verifier.SweepStateKey("uploads/", "quarantine/"); err != nil || k != stateKey {
		t.Errorf("state key %q %v", k, err)
	}
	for _, p := range [][2]string{{"uploads/", ""}, {"", "q/"}, {".sweep", "q/"}} {
		if _, err := verifier.SweepStateKey(p[0], p[1]); err == nil {
			t.Errorf("prefixes %q accepted", p)
		}
	}
}
