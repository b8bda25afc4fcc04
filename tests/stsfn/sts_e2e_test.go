package stsfn

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/iam"
)

// userBucket is the unmodified Go OSS SDK configured from a vended response
// (V1 by default, V4 with the region).
func userBucket(t *testing.T, ossURL string, r vendedCreds, v4 bool) *aoss.Bucket {
	t.Helper()
	opts := []aoss.ClientOption{aoss.SecurityToken(r.StsToken)}
	if v4 {
		opts = append(opts, aoss.AuthVersion(aoss.AuthV4), aoss.Region(strings.TrimPrefix(r.Region, "oss-")))
	}
	c, err := aoss.New(ossURL, r.AccessKeyID, r.AccessKeySecret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(r.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type vendedCreds = struct {
	AccessKeyID, AccessKeySecret, StsToken, Region, Bucket string
}

func TestVendedCredentialsWithGoSDK(t *testing.T) {
	s := newStack(t)
	alice := s.vend(t, "alice")
	if alice.Dir != "uploads/alice/" || alice.Bucket != bucket || alice.Region != "oss-"+region ||
		alice.Endpoint != s.ossURL || !alice.SldEnable || alice.Secure || !strings.HasPrefix(alice.AccessKeyID, "STS.") ||
		alice.StsToken == "" || alice.StsToken != alice.SecurityToken {
		t.Fatalf("response %+v", alice)
	}
	// The vended key is not the function's own.
	if alice.AccessKeyID == s.fnCreds.AccessKeyID {
		t.Fatal("the function handed out its own credentials")
	}
	creds := vendedCreds{alice.AccessKeyID, alice.AccessKeySecret, alice.StsToken, alice.Region, alice.Bucket}

	for _, v := range []struct {
		name string
		v4   bool
	}{{"v1", false}, {"v4", true}} {
		t.Run(v.name, func(t *testing.T) {
			b := userBucket(t, s.ossURL, creds, v.v4)
			key := alice.Dir + v.name + "/small.txt"
			small := pattern(1000, 1)
			if err := b.PutObject(key, bytes.NewReader(small)); err != nil {
				t.Fatalf("put under own prefix: %v", err)
			}

			// Multipart: initiate, two parts, list parts, complete.
			mkey := alice.Dir + v.name + "/big.bin"
			big := pattern(300*1024+17, 2)
			imur, err := b.InitiateMultipartUpload(mkey)
			if err != nil {
				t.Fatalf("initiate: %v", err)
			}
			p1, err := b.UploadPart(imur, bytes.NewReader(big[:200*1024]), 200*1024, 1)
			if err != nil {
				t.Fatalf("part 1: %v", err)
			}
			p2, err := b.UploadPart(imur, bytes.NewReader(big[200*1024:]), int64(len(big)-200*1024), 2)
			if err != nil {
				t.Fatalf("part 2: %v", err)
			}
			lp, err := b.ListUploadedParts(imur)
			if err != nil || len(lp.UploadedParts) != 2 {
				t.Fatalf("list parts: %v %+v", err, lp)
			}
			if _, err := b.CompleteMultipartUpload(imur, []aoss.UploadPart{p1, p2}); err != nil {
				t.Fatalf("complete: %v", err)
			}
			// Abort is allowed too.
			imur2, err := b.InitiateMultipartUpload(alice.Dir + v.name + "/aborted.bin")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.AbortMultipartUpload(imur2); err != nil {
				t.Fatalf("abort: %v", err)
			}

			// What landed, read back by the developer's key.
			for k, want := range map[string][]byte{key: small, mkey: big} {
				rc, err := s.developerOSS.GetObject(k)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: read back %d bytes, want %d", k, len(got), len(want))
				}
			}

			// Everything else is AccessDenied, though the role itself allows it.
			wantDenied(t, "put under another user's prefix", b.PutObject("uploads/bob/"+v.name+"/x.txt", strings.NewReader("x")))
			wantDenied(t, "put outside uploads/", b.PutObject("x.txt", strings.NewReader("x")))
			wantDenied(t, "put at the prefix of a user whose id starts with alice", b.PutObject("uploads/alice2/x.txt", strings.NewReader("x")))
			_, err = b.InitiateMultipartUpload("uploads/bob/" + v.name + "/big.bin")
			wantDenied(t, "multipart under another user's prefix", err)
			_, err = b.GetObject(key)
			wantDenied(t, "get", err)
			_, err = b.ListObjects(aoss.Prefix(alice.Dir))
			wantDenied(t, "list", err)
			wantDenied(t, "delete", b.DeleteObject(key))
			if ok, err := s.developerOSS.IsObjectExist(key); !ok || err != nil {
				t.Fatalf("object gone after a refused delete: %v %v", ok, err)
			}
		})
	}
}

func TestTwoUsersDiffer(t *testing.T) {
	s := newStack(t)
	alice, bob := s.vend(t, "alice"), s.vend(t, "bob")
	if alice.AccessKeyID == bob.AccessKeyID || alice.AccessKeySecret == bob.AccessKeySecret || alice.StsToken == bob.StsToken ||
		alice.Dir == bob.Dir || bob.Dir != "uploads/bob/" {
		t.Fatalf("alice %s %s, bob %s %s", alice.AccessKeyID, alice.Dir, bob.AccessKeyID, bob.Dir)
	}
	// The session policies the emulator holds for the two sessions.
	pa, pb := sessionPolicy(t, s.ids, alice.AccessKeyID), sessionPolicy(t, s.ids, bob.AccessKeyID)
	if ra, rb := strings.Join(pa.Statement[0].Resource, ","), strings.Join(pb.Statement[0].Resource, ","); ra != "acs:oss:*:*:"+bucket+"/uploads/alice/*" || rb != "acs:oss:*:*:"+bucket+"/uploads/bob/*" {
		t.Fatalf("session policy resources: alice %s, bob %s", ra, rb)
	}
	// Bob's credentials work for bob and not for alice.
	b := userBucket(t, s.ossURL, vendedCreds{bob.AccessKeyID, bob.AccessKeySecret, bob.StsToken, bob.Region, bob.Bucket}, true)
	if err := b.PutObject("uploads/bob/x.txt", strings.NewReader("bob")); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, "bob into alice's prefix", b.PutObject("uploads/alice/x.txt", strings.NewReader("bob")))
	// A second request of alice reuses her credentials (cache), no new AssumeRole.
	before := s.assumeCalls.Load()
	if again := s.vend(t, "alice"); again.AccessKeyID != alice.AccessKeyID || s.assumeCalls.Load() != before {
		t.Fatalf("second request: new key %v, AssumeRole calls %d -> %d", again.AccessKeyID != alice.AccessKeyID, before, s.assumeCalls.Load())
	}
}

// sessionPolicy is the session policy group of an STS AccessKeyId.
func sessionPolicy(t *testing.T, ids *iam.Store, ak string) iam.Policy {
	t.Helper()
	p, err := ids.Lookup(ak)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Policies) != 2 || len(p.Policies[1]) != 1 {
		t.Fatalf("%s: want role policies + one session policy, got %d groups", ak, len(p.Policies))
	}
	return p.Policies[1][0]
}

// TestConcurrentFirstRequests: 1,000 concurrent first requests of one user
// cause exactly one AssumeRole at the STS emulator and all get the same key.
func TestConcurrentFirstRequests(t *testing.T) {
	s := newStack(t)
	tok := jwtFor(t, "carol")
	const n = 1000
	keys := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			s.handler.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Errorf("request %d: %d %s", i, w.Code, w.Body)
				return
			}
			keys[i] = w.Body.String()
		})
	}
	close(start)
	wg.Wait()
	if got := s.assumeCalls.Load(); got != 1 {
		t.Fatalf("%d AssumeRole calls reached STS for %d concurrent first requests, want 1", got, n)
	}
	for i := range keys {
		if keys[i] != keys[0] {
			t.Fatalf("request %d got a different answer", i)
		}
	}
}

// TestSTSFailuresEndToEnd: what the real STS emulator answers for a
// misconfigured role or an outage reaches the caller as a coded error with
// no upstream text.
func TestSTSFailuresEndToEnd(t *testing.T) {
	s := newStack(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, tc := range []struct {
		name     string
		env      map[string]string
		status   int
		code     string
		retry    bool
		stsCalls int64
	}{
		{"role does not exist", map[string]string{"STS_ROLE_ARN": iam.RoleARN("nobody")}, 500, "internal", false, 1},
		{"role does not trust the function", map[string]string{"STS_ROLE_ARN": fnRoleARN}, 500, "internal", false, 1},
		{"STS unreachable", map[string]string{"STS_ENDPOINT": down.URL}, 503, "unavailable", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.assumeCalls.Load()
			h := s.newHandler(t, tc.env)
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("Authorization", "Bearer "+jwtFor(t, "frank"))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) || (w.Header().Get("Retry-After") != "") != tc.retry {
				t.Fatalf("%d %s (Retry-After %q)", w.Code, body, w.Header().Get("Retry-After"))
			}
			for _, leak := range []string{"EntityNotExist", "NoPermission", "authorized by RAM", "role", "127.0.0.1", s.fnCreds.AccessKeyID} {
				if strings.Contains(body, leak) {
					t.Fatalf("upstream detail %q in the response: %s", leak, body)
				}
			}
			if n := s.assumeCalls.Load() - before; n != tc.stsCalls {
				t.Fatalf("%d AssumeRole calls reached STS, want %d", n, tc.stsCalls)
			}
		})
	}
}
