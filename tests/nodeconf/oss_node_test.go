// Package nodeconf checks the local OSS emulator against ali-oss, the npm
// client the browser upload uses, run unmodified in Node: put, get and
// multipartUpload with V1 and V4 signatures, long-term and STS keys, under
// the addressing modes ali-oss produces for a local endpoint, and the OSS
// error codes it must see for forged, expired and foreign credentials and
// for keys outside the session policy; and the bucket calls a developer
// makes with it: Put/Get/DeleteBucketCors and ListMultipartUploads. The Node side is
// tests/node/oss_conformance.mjs; this package starts the emulator, runs it,
// reports each of its cases as a subtest and re-reads the objects it wrote
// with the official Go SDK.
package nodeconf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/iam"

	"github.com/ossupload/ossupload/local/stacktest"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { stacktest.Main(m) }

const (
	bucket     = "examplebucket"
	region     = "cn-hangzhou"
	userAK     = "LTAInodeconfUSER"
	userSecret = "nodeconfUserSecret0123456789abc"
	prefix     = "uploads/user-42/"
	outsideKey = "uploads/user-43/intruder.txt"
	script     = "tests/node/oss_conformance.mjs"

	// Sizes the script uses (tests/node/oss_conformance.mjs).
	partSize      = 102400
	multipartSize = 600*1024 + 1234
)

// content mirrors content() in the script: the deterministic body of an object.
func content(size int, seed int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*131 + seed*7 + (i >> 8))
	}
	return b
}

// nodeInput is the script's JSON argument.
type nodeInput struct {
	Endpoint     string   `json:"endpoint"`
	Bucket       string   `json:"bucket"`
	Region       string   `json:"region"`
	Prefix       string   `json:"prefix"`
	OutsideKey   string   `json:"outsideKey"`
	Run          string   `json:"run"`
	User         nodeKeys `json:"user"`
	STS          nodeKeys `json:"sts"`
	ForgedSecret string   `json:"forgedSecret"`
	Expired      nodeKeys `json:"expired"`
	OtherToken   string   `json:"otherToken"`
}

type nodeKeys struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	STSToken        string `json:"stsToken,omitempty"`
}

// nodeResult is one line of the script's output.
type nodeResult struct {
	Name    string       `json:"name"`
	OK      bool         `json:"ok"`
	Code    string       `json:"code"`
	Status  int          `json:"status"`
	Error   string       `json:"error"`
	Info    string       `json:"info"`
	Objects []nodeObject `json:"objects"`
}

type nodeObject struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
	Seed int    `json:"seed"`
}

// expectedCases lists every case name the script must report.
func expectedCases() []string {
	var names []string
	for _, sig := range []string{"v1", "v4"} {
		for _, addr := range []string{"ip-host", "sld", "sld-browser", "localhost"} {
			for _, who := range []string{"user", "sts"} {
				names = append(names, sig+"/"+addr+"/"+who+"/put", sig+"/"+addr+"/"+who+"/multipartUpload")
			}
		}
		names = append(names, sig+"/ip-host/user/bucketCORS", sig+"/ip-host/user/listUploads")
		for _, addr := range []string{"ip-host", "sld-browser"} {
			for _, c := range []string{"forged-secret/put", "forged-secret-user/multipartUpload", "expired-token/put",
				"other-session-token/put", "missing-token/put", "outside-policy/put", "outside-policy/multipartUpload", "outside-policy/get"} {
				names = append(names, sig+"/"+addr+"/"+c)
			}
		}
	}
	return names
}

// stack is the emulator with its identities.
type stack struct {
	url                   string
	sts, expired, another iam.Principal
	wire                  *wire
}

// seen is what the emulator received in one request.
type seen struct {
	Method, Host, RequestURI, Path, Auth string
	Query                                map[string][]string
	Token                                bool
	XOSSDate, ContentSHA256              string
}

// wire records every request ahead of the emulator, to check that each
// variant really used the addressing and signing it claims.
type wire struct {
	mu   sync.Mutex
	reqs []seen
}

func (w *wire) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.reqs = append(w.reqs, seen{Method: r.Method, Host: r.Host, RequestURI: r.RequestURI, Path: r.URL.Path,
			Auth: r.Header.Get("Authorization"), Query: r.URL.Query(), Token: r.Header.Get("X-Oss-Security-Token") != "",
			XOSSDate: r.Header.Get("X-Oss-Date"), ContentSHA256: r.Header.Get("X-Oss-Content-Sha256")})
		w.mu.Unlock()
		h.ServeHTTP(rw, r)
	})
}

// forTag returns the requests whose object key lies under <prefix><run>/<tag>/.
func (w *wire) forTag(run, tag string) []seen {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []seen
	for _, s := range w.reqs {
		if strings.Contains(s.Path, "/"+prefix+run+"/"+tag+"/") {
			out = append(out, s)
		}
	}
	return out
}

// newStack starts the emulator on loopback with a RAM user allowed
// everything on the bucket and to assume the uploader role, an STS session
// narrowed by a session policy to prefix, a second session (whose token is
// foreign to the first) and a session that has already expired.
func newStack(t *testing.T) stack {
	t.Helper()
	var offset atomic.Int64 // the identity store's clock offset, to mint a session in the past
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	ids, err := iam.NewStore("", now)
	if err != nil {
		t.Fatal(err)
	}
	roleARN := iam.RoleARN("uploader")
	if err := ids.AddUser("dev", userAK, userSecret, stacktest.MustPolicy(t, `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"oss:*","Resource":["acs:oss:*:*:`+bucket+`","acs:oss:*:*:`+bucket+`/*"]},
		{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)); err != nil {
		t.Fatal(err)
	}
	// The role may write anywhere in the bucket; the session policy is what
	// keeps a session to its user's prefix.
	if err := ids.AddRole(iam.Role{ARN: roleARN, Trust: []string{iam.UserARN("dev")}, Policies: []iam.Policy{stacktest.MustPolicy(t, `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":"acs:oss:*:*:`+bucket+`/*"}]}`)}}); err != nil {
		t.Fatal(err)
	}
	session := stacktest.MustPolicy(t, `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":"acs:oss:*:*:`+bucket+`/`+prefix+`*"}]}`)
	caller, err := ids.Lookup(userAK)
	if err != nil {
		t.Fatal(err)
	}
	var s stack
	if s.sts, err = ids.AssumeRole(caller, roleARN, "user-42", &session, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.another, err = ids.AssumeRole(caller, roleARN, "user-42", &session, time.Hour); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(-2 * time.Hour))
	s.expired, err = ids.AssumeRole(caller, roleARN, "user-42", &session, 15*time.Minute)
	offset.Store(0)
	if err != nil {
		t.Fatal(err)
	}

	s.wire = &wire{}
	_, s.url = stacktest.OSS(t, stacktest.Emulator{Region: region, IAM: ids, Bucket: bucket, CORS: stacktest.BrowserCORS, Wrap: s.wire.wrap})
	return s
}

func TestAliOSSNode(t *testing.T) {
	nodeBin, root := stacktest.RequireNode(t), stacktest.RepoRoot(t)
	st := newStack(t)
	in := nodeInput{
		Endpoint: st.url, Bucket: bucket, Region: "oss-" + region, Prefix: prefix, OutsideKey: outsideKey,
		Run:          fmt.Sprintf("run-%d", time.Now().UnixNano()),
		User:         nodeKeys{AccessKeyID: userAK, AccessKeySecret: userSecret},
		STS:          nodeKeys{AccessKeyID: st.sts.AccessKeyID, AccessKeySecret: st.sts.AccessKeySecret, STSToken: st.sts.SecurityToken},
		ForgedSecret: "forgedSecret0123456789abcdefghijklmnopq",
		Expired:      nodeKeys{AccessKeyID: st.expired.AccessKeyID, AccessKeySecret: st.expired.AccessKeySecret, STSToken: st.expired.SecurityToken},
		OtherToken:   st.another.SecurityToken,
	}
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, script, string(arg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("node %s ran %v (exit: %v)", script, time.Since(start).Round(time.Millisecond), runErr)
	if ctx.Err() != nil {
		t.Fatalf("node timed out; stderr:\n%s", stderr.String())
	}

	results := map[string]nodeResult{}
	var order []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		var r nodeResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Errorf("unparsable output line %q: %v", line, err)
			continue
		}
		if r.Info != "" {
			t.Logf("node: %s", r.Info)
			continue
		}
		if _, dup := results[r.Name]; dup {
			t.Errorf("case %q reported twice", r.Name)
		}
		results[r.Name] = r
		order = append(order, r.Name)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		// ali-oss warns on every STS client about refreshSTSToken; not news.
		if line != "" && !strings.Contains(line, "refreshSTSToken") {
			t.Logf("node stderr: %s", line)
		}
	}
	want := expectedCases()
	known := map[string]bool{}
	allOK := true
	for _, name := range want {
		known[name] = true
		r, ok := results[name]
		t.Run(name, func(t *testing.T) {
			switch {
			case !ok:
				allOK = false
				t.Fatal("the script reported no result for this case")
			case !r.OK:
				allOK = false
				t.Fatalf("code %q status %d: %s", r.Code, r.Status, r.Error)
			}
		})
	}
	for _, name := range order {
		if !known[name] {
			t.Errorf("unexpected case %q from the script (update expectedCases)", name)
		}
	}
	if allOK && runErr != nil {
		t.Errorf("every case passed but node exited with %v", runErr)
	}
	if !allOK && runErr == nil {
		t.Errorf("a case failed but node exited 0")
	}

	verifyWire(t, st, in.Run)
	verifyObjects(t, st.url, in.Run, results)
}

// verifyWire checks, per positive variant, what reached the emulator: the
// addressing of OSS/STS protocol reference §2.1, the signature scheme (§2.3,
// §2.5), the STS token header (§2.2) and the multipart sequence (§2.8).
func verifyWire(t *testing.T, st stack, run string) {
	authority := strings.TrimPrefix(st.url, "http://")
	_, port, _ := strings.Cut(authority, ":")
	forced := bucket + ".oss-" + region + ".aliyuncs.com"
	addressing := map[string]struct{ host, pathPrefix string }{
		"ip-host":     {forced, "/" + prefix},
		"sld":         {forced, "/" + bucket + "/" + prefix},
		"sld-browser": {authority, "/" + bucket + "/" + prefix},
		"localhost":   {bucket + ".localhost:" + port, "/" + prefix},
	}
	for _, sig := range []string{"v1", "v4"} {
		for addr, want := range addressing {
			for _, who := range []string{"user", "sts"} {
				tag := sig + "-" + addr + "-" + who
				t.Run("wire/"+tag, func(t *testing.T) {
					reqs := st.wire.forTag(run, tag)
					if len(reqs) == 0 {
						t.Fatal("no request reached the emulator")
					}
					var initiate, parts, complete int
					for _, r := range reqs {
						if (r.Host != want.host || !strings.HasPrefix(r.Path, want.pathPrefix)) && !t.Failed() {
							t.Errorf("%s Host %q path %q, want Host %q and a path under %q", r.Method, r.Host, r.Path, want.host, want.pathPrefix)
						}
						switch {
						case sig == "v1" && !strings.HasPrefix(r.Auth, "OSS "+map[string]string{"user": userAK, "sts": st.sts.AccessKeyID}[who]+":"):
							t.Errorf("%s %s: Authorization is not V1 with the %s key", r.Method, r.RequestURI, who)
						case sig == "v4" && (!strings.HasPrefix(r.Auth, "OSS4-HMAC-SHA256 Credential=") || r.ContentSHA256 != "UNSIGNED-PAYLOAD" || len(r.XOSSDate) != len("20060102T150405Z")):
							t.Errorf("%s %s: not a V4 request as ali-oss sends it (x-oss-date %q, x-oss-content-sha256 %q)", r.Method, r.RequestURI, r.XOSSDate, r.ContentSHA256)
						}
						if r.Token != (who == "sts") {
							t.Errorf("%s %s: x-oss-security-token present=%v for %s keys", r.Method, r.RequestURI, r.Token, who)
						}
						_, up := r.Query["uploads"]
						_, id := r.Query["uploadId"]
						_, pn := r.Query["partNumber"]
						switch {
						case r.Method == http.MethodPost && up:
							initiate++
						case r.Method == http.MethodPut && id && pn:
							parts++
						case r.Method == http.MethodPost && id:
							complete++
						}
					}
					if wantParts := (multipartSize + partSize - 1) / partSize; initiate != 1 || parts != wantParts || complete != 1 {
						t.Errorf("multipart sequence: %d initiate, %d parts, %d complete; want 1, %d, 1", initiate, parts, complete, wantParts)
					}
				})
			}
		}
	}
}

// verifyObjects re-reads with the official Go SDK what ali-oss wrote and
// checks that the refused requests wrote nothing.
func verifyObjects(t *testing.T, url, run string, results map[string]nodeResult) {
	client, err := aoss.New(url, userAK, userSecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(bucket)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	for name, r := range results {
		for _, o := range r.Objects {
			t.Run("go-sdk-reads/"+name, func(t *testing.T) {
				if !strings.HasPrefix(o.Key, prefix+run+"/") {
					t.Fatalf("key %q outside this run's prefix", o.Key)
				}
				written[o.Key] = true
				rc, err := b.GetObject(o.Key)
				if err != nil {
					t.Fatalf("GetObject %q: %v", o.Key, err)
				}
				defer rc.Close()
				got, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, content(o.Size, o.Seed)) {
					t.Fatalf("%q: stored %d bytes differ from the %d ali-oss sent", o.Key, len(got), o.Size)
				}
			})
		}
	}
	t.Run("go-sdk-lists-only-written-objects", func(t *testing.T) {
		res, err := b.ListObjectsV2(aoss.Prefix("uploads/"), aoss.MaxKeys(1000))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if !written[o.Key] {
				t.Errorf("object %q exists but no successful case wrote it (a refused request stored data?)", o.Key)
			}
		}
		if len(res.Objects) != len(written) {
			t.Errorf("listed %d objects, the cases wrote %d", len(res.Objects), len(written))
		}
		_, err = b.GetObjectDetailedMeta(outsideKey)
		var se aoss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != 404 {
			t.Errorf("HEAD %s: %v, want 404", outsideKey, err)
		}
	})
}
