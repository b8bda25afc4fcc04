package oss_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
)

const (
	testBucket = "examplebucket"
	rootAK     = "LTAIrootEXAMPLE"
	rootSecret = "rootSecretEXAMPLE0123456789"
	devAK      = "LTAIdevEXAMPLE"
	devSecret  = "devSecretEXAMPLE0123456789"
)

// clock is the injected clock; it does not tick by itself.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	clock *clock
	ids   *iam.Store
	srv   *oss.Server
	url   string
	dir   string
}

func mustPolicy(t testing.TB, doc string) iam.Policy {
	t.Helper()
	p, err := iam.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	return p
}

// newEnv starts the emulator over loopback HTTP with a root key, a RAM user
// "dev" allowed to assume the role "uploader", which may do anything on
// objects of the test bucket.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Now()}, dir: t.TempDir()}
	var err error
	if e.ids, err = iam.NewStore("", e.clock.Now); err != nil {
		t.Fatal(err)
	}
	if err := e.ids.AddRoot(rootAK, rootSecret); err != nil {
		t.Fatal(err)
	}
	if err := e.ids.AddUser("dev", devAK, devSecret, mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)); err != nil {
		t.Fatal(err)
	}
	role := iam.Role{ARN: iam.RoleARN("uploader"), Trust: []string{iam.UserARN("dev")},
		Policies: []iam.Policy{mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":["acs:oss:*:*:`+testBucket+`","acs:oss:*:*:`+testBucket+`/*"]}]}`)}}
	if err := e.ids.AddRole(role); err != nil {
		t.Fatal(err)
	}
	e.srv = e.newServer(t, nil)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *env) newServer(t testing.TB, events oss.Publisher) *oss.Server {
	t.Helper()
	srv, err := oss.New(oss.Config{Region: "cn-hangzhou", DataDir: e.dir, IAM: e.ids, Now: e.clock.Now, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	cors := []oss.CORSRule{{AllowedOrigins: []string{"http://localhost:8080"}, AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600}}
	if err := srv.CreateBucket(testBucket, cors); err != nil {
		t.Fatal(err)
	}
	return srv
}

// assume mints STS credentials for the uploader role as user dev.
func (e *env) assume(t testing.TB, sessionPolicy string, d time.Duration) iam.Principal {
	t.Helper()
	caller, err := e.ids.Lookup(devAK)
	if err != nil {
		t.Fatal(err)
	}
	var sp *iam.Policy
	if sessionPolicy != "" {
		p := mustPolicy(t, sessionPolicy)
		sp = &p
	}
	p, err := e.ids.AssumeRole(caller, iam.RoleARN("uploader"), "alice", sp, d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
