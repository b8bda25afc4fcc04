package iam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	uploaderARN = RoleARN("uploader")
	t0          = time.Date(2026, 11, 22, 21, 14, 11, 0, time.UTC)
)

// fixture: user "dev" may assume the uploader role (trusted, has sts:AssumeRole);
// user "other" has sts:AssumeRole on everything but is not trusted; "noperm" is
// trusted but lacks sts:AssumeRole.
func fixture(t *testing.T, path string) (*Store, *clock) {
	t.Helper()
	c := &clock{t: t0}
	s, err := NewStore(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	assume := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	must(t, s.AddUser("dev", "LTAIdev", "devsecret", assume))
	must(t, s.AddUser("other", "LTAIother", "othersecret", assume))
	must(t, s.AddUser("noperm", "LTAInoperm", "nopermsecret"))
	must(t, s.AddRoot("LTAIroot", "rootsecret"))
	must(t, s.AddRole(Role{
		ARN:      uploaderARN,
		Trust:    []string{UserARN("dev"), UserARN("noperm"), RoleARN("chain")},
		Policies: []Policy{mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject"],"Resource":"acs:oss:*:*:bkt/uploads/*"},{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)},
	}))
	must(t, s.AddRole(Role{ARN: RoleARN("chain"), Trust: []string{UserARN("dev")}, MaxSessionDuration: 12 * time.Hour,
		Policies: []Policy{mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}}))
	return s, c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lookup(t *testing.T, s *Store, ak string) Principal {
	t.Helper()
	p, err := s.Lookup(ak)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", ak, err)
	}
	return p
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || e.Status != status {
		t.Fatalf("err = %v, want %d %s", err, status, code)
	}
}

func TestAssumeRoleMintsSession(t *testing.T) {
	s, c := fixture(t, "")
	dev := lookup(t, s, "LTAIdev")
	if dev.Kind != KindUser || dev.ARN != "acs:ram::1234567890123456:user/dev" {
		t.Fatalf("dev = %v", dev)
	}
	p, err := s.AssumeRole(dev, uploaderARN, "alice", nil, 900*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.AccessKeyID, "STS.") || len(p.AccessKeyID) < 20 || p.AccessKeySecret == "" || !strings.HasPrefix(p.SecurityToken, "CAIS") {
		t.Fatalf("credentials %q %q", p.AccessKeyID, p.SecurityToken)
	}
	if !p.Expiration.Equal(t0.Add(900 * time.Second)) {
		t.Fatalf("expiration %v", p.Expiration)
	}
	if p.ARN != "acs:ram::1234567890123456:role/uploader/alice" || p.Kind != KindAssumedRole || p.RoleARN != uploaderARN ||
		!strings.HasSuffix(p.AssumedRoleID, ":alice") || len(p.AssumedRoleID) < 10 {
		t.Fatalf("principal %#v %s", p, p.AssumedRoleID)
	}
	got := lookup(t, s, p.AccessKeyID)
	if got.AccessKeySecret != p.AccessKeySecret || got.SecurityToken != p.SecurityToken {
		t.Fatal("Lookup returned other credentials")
	}
	if err := s.Authorize(got, "oss:PutObject", "acs:oss:*:1234567890123456:bkt/uploads/x"); err != nil {
		t.Fatalf("role policy should allow: %v", err)
	}
	if err := s.Authorize(got, "oss:DeleteObject", "acs:oss:*:1234567890123456:bkt/uploads/x"); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("DeleteObject: %v", err)
	}
	// Two sessions never share keys.
	p2, err := s.AssumeRole(dev, uploaderARN, "alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p2.AccessKeyID == p.AccessKeyID || p2.SecurityToken == p.SecurityToken || !p2.Expiration.Equal(t0.Add(time.Hour)) {
		t.Fatalf("second session %v %v", p2.AccessKeyID, p2.Expiration)
	}
	// Expiry: still valid one second before, expired at the instant.
	c.Advance(899 * time.Second)
	lookup(t, s, p.AccessKeyID)
	c.Advance(time.Second)
	exp, err := s.Lookup(p.AccessKeyID)
	if !errors.Is(err, ErrExpired) || exp.SecurityToken != p.SecurityToken || !exp.Expired(c.Now()) {
		t.Fatalf("expired Lookup = %v, %v", exp, err)
	}
	if _, err := s.Lookup("STS.nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestSessionPolicyIntersects(t *testing.T) {
	s, _ := fixture(t, "")
	sp := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:bkt/uploads/alice/*"}]}`)
	p, err := s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "alice", &sp, 0)
	if err != nil {
		t.Fatal(err)
	}
	p = lookup(t, s, p.AccessKeyID)
	for _, c := range []struct {
		action, key string
		ok          bool
	}{
		{"oss:PutObject", "uploads/alice/a.png", true},
		{"oss:PutObject", "uploads/bob/a.png", false}, // role allows, session does not
		{"oss:GetObject", "uploads/alice/a.png", false},
	} {
		err := s.Authorize(p, c.action, "acs:oss:*:1234567890123456:bkt/"+c.key)
		if (err == nil) != c.ok {
			t.Errorf("%s %s: %v", c.action, c.key, err)
		}
	}
	// A session policy cannot widen the role.
	wide := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	p, err = s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "alice", &wide, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Authorize(lookup(t, s, p.AccessKeyID), "oss:DeleteObject", "acs:oss:*:1:bkt/uploads/a"); err == nil {
		t.Fatal("session policy widened the role")
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	s, _ := fixture(t, "")
	dev, other, noperm, root := lookup(t, s, "LTAIdev"), lookup(t, s, "LTAIother"), lookup(t, s, "LTAInoperm"), lookup(t, s, "LTAIroot")
	for _, c := range []struct {
		name   string
		caller Principal
		arn    string
		sess   string
		d      time.Duration
		status int
		code   string
	}{
		{"root", root, uploaderARN, "alice", 0, 403, CodeNoPermission},
		{"untrusted", other, uploaderARN, "alice", 0, 403, CodeNoPermission},
		{"no sts:AssumeRole", noperm, uploaderARN, "alice", 0, 403, CodeNoPermission},
		{"unknown role", dev, RoleARN("ghost"), "alice", 0, 404, CodeRoleNotExist},
		{"bad arn", dev, "acs:ram::1:user/dev", "alice", 0, 400, CodeRoleArn},
		{"arn junk", dev, "uploader", "alice", 0, 400, CodeRoleArn},
		{"session 1 char", dev, uploaderARN, "a", 0, 400, CodeRoleSessionName},
		{"session 65 chars", dev, uploaderARN, strings.Repeat("a", 65), 0, 400, CodeRoleSessionName},
		{"session bad char", dev, uploaderARN, "al ice", 0, 400, CodeRoleSessionName},
		{"session slash", dev, uploaderARN, "al/ice", 0, 400, CodeRoleSessionName},
		{"duration 899", dev, uploaderARN, "alice", 899 * time.Second, 400, CodeDurationSeconds},
		{"duration over max", dev, uploaderARN, "alice", 3601 * time.Second, 400, CodeDurationSeconds},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.AssumeRole(c.caller, c.arn, c.sess, nil, c.d)
			wantCode(t, err, c.status, c.code)
		})
	}
	for _, name := range []string{"ab", strings.Repeat("a", 64), "a.b@c-d_e"} {
		if _, err := s.AssumeRole(dev, uploaderARN, name, nil, 0); err != nil {
			t.Errorf("session name %q: %v", name, err)
		}
	}
	if _, err := s.AssumeRole(dev, RoleARN("chain"), "alice", nil, 12*time.Hour); err != nil {
		t.Errorf("12h on a 12h role: %v", err)
	}
	_, err := s.AssumeRole(dev, uploaderARN, "alice", nil, 2*time.Hour)
	wantCode(t, err, 400, CodeDurationSeconds)
	if !strings.Contains(err.Error(), "15min/1hr") {
		t.Errorf("message %q", err)
	}
}

func TestRoleChainingUsesRoleTrust(t *testing.T) {
	s, _ := fixture(t, "")
	chain, err := s.AssumeRole(lookup(t, s, "LTAIdev"), RoleARN("chain"), "hop", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	caller := lookup(t, s, chain.AccessKeyID)
	if _, err := s.AssumeRole(caller, uploaderARN, "hop2", nil, 0); err != nil {
		t.Fatalf("uploader trusts role chain: %v", err)
	}
	up, err := s.AssumeRole(caller, uploaderARN, "hop2", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// uploader sessions may assume (sts:AssumeRole in its policy) but chain does not trust uploader.
	_, err = s.AssumeRole(lookup(t, s, up.AccessKeyID), RoleARN("chain"), "hop3", nil, 0)
	wantCode(t, err, 403, CodeNoPermission)
	// Account-root trust admits any identity of the account with sts:AssumeRole.
	must(t, s.AddRole(Role{ARN: RoleARN("open"), Trust: []string{RootARN()}}))
	if _, err := s.AssumeRole(lookup(t, s, "LTAIother"), RoleARN("open"), "x1", nil, 0); err != nil {
		t.Fatalf("root-trusted role: %v", err)
	}
}

func TestRootAuthorizedEverything(t *testing.T) {
	s, _ := fixture(t, "")
	root := lookup(t, s, "LTAIroot")
	if root.Kind != KindRoot || root.ARN != RootARN() {
		t.Fatalf("root = %v", root)
	}
	if err := s.Authorize(root, "oss:DeleteBucket", "acs:oss:*:1:bkt"); err != nil {
		t.Fatal(err)
	}
	if err := s.Authorize(lookup(t, s, "LTAInoperm"), "oss:GetObject", "acs:oss:*:1:bkt/k"); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("user without policies: %v", err)
	}
}

func TestAddValidation(t *testing.T) {
	s, _ := fixture(t, "")
	for name, err := range map[string]error{
		"ak clash":      s.AddUser("eve", "LTAIdev", "x"),
		"sts ak":        s.AddUser("eve", "STS.x", "x"),
		"no secret":     s.AddUser("eve", "LTAIeve", ""),
		"bad name":      s.AddUser("e/ve", "LTAIeve", "x"),
		"root name":     s.AddUser("#root", "LTAIeve", "x"),
		"other account": s.AddRole(Role{ARN: "acs:ram::999:role/x"}),
		"bad role arn":  s.AddRole(Role{ARN: "acs:ram::" + AccountID + ":user/x"}),
		"max too small": s.AddRole(Role{ARN: RoleARN("x"), MaxSessionDuration: time.Minute}),
		"max too large": s.AddRole(Role{ARN: RoleARN("x"), MaxSessionDuration: 13 * time.Hour}),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Re-declaring a user replaces it (a restarted stack re-adds its users).
	must(t, s.AddUser("dev", "LTAIdev", "newsecret"))
	if p := lookup(t, s, "LTAIdev"); p.AccessKeySecret != "newsecret" {
		t.Fatal("user not replaced")
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "iam.json")
	s, c := fixture(t, path)
	sp := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:bkt/uploads/alice/*","Condition":{"IpAddress":{"acs:SourceIp":"127.0.0.1"}}}]}`)
	p, err := s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "alice", &sp, 0)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "old", nil, 900*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	// Restart: everything is back, the session policy still applies.
	s2, err := NewStore(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	got := lookup(t, s2, p.AccessKeyID)
	if got.AccessKeySecret != p.AccessKeySecret || got.SecurityToken != p.SecurityToken || !got.Expiration.Equal(p.Expiration) ||
		got.AssumedRoleID != p.AssumedRoleID {
		t.Fatal("session not restored")
	}
	res := "acs:oss:*:1:bkt/uploads/alice/a"
	if err := s2.AuthorizeWith(got, "oss:PutObject", res, map[string]string{"acs:SourceIp": "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := s2.AuthorizeWith(got, "oss:PutObject", res, map[string]string{"acs:SourceIp": "10.0.0.1"}); err == nil {
		t.Fatal("condition lost in persistence")
	}
	if _, err := s2.AssumeRole(lookup(t, s2, "LTAIdev"), uploaderARN, "again", nil, 0); err != nil {
		t.Fatal(err)
	}

	// Past expiry + retention the old session is pruned on load; the newer
	// one (1h) expired but is still inside retention.
	c.Advance(900*time.Second + ExpiredRetention + time.Second)
	s3, err := NewStore(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Lookup(old.AccessKeyID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old session: %v", err)
	}
	if _, err := s3.Lookup(p.AccessKeyID); !errors.Is(err, ErrExpired) {
		t.Fatalf("1h session: %v", err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), old.AccessKeyID) {
		t.Fatal("pruned session still on disk")
	}
}

func TestCorruptStateRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	for _, doc := range []string{`{`, `{"Users":[{"Name":""}]}`, `{"Roles":[{"ARN":"x"}]}`, `{"Sessions":[{"AccessKeyID":"LTAI"}]}`} {
		must(t, os.WriteFile(path, []byte(doc), 0o600))
		if _, err := NewStore(path, nil); err == nil {
			t.Errorf("state %s accepted", doc)
		}
	}
}

func TestSaveFailureRollsBack(t *testing.T) {
	sub := filepath.Join(t.TempDir(), "sub")
	must(t, os.Mkdir(sub, 0o700))
	s, _ := fixture(t, filepath.Join(sub, "iam.json"))
	must(t, os.RemoveAll(sub)) // from now on every save fails
	if err := s.AddUser("eve", "LTAIeve", "x"); err == nil {
		t.Fatal("AddUser succeeded without saving")
	}
	if _, err := s.Lookup("LTAIeve"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unsaved user kept: %v", err)
	}
	if err := s.AddUser("dev", "LTAIdev", "changed"); err == nil {
		t.Fatal("replacing succeeded without saving")
	}
	if p := lookup(t, s, "LTAIdev"); p.AccessKeySecret != "devsecret" {
		t.Fatal("replaced user not restored")
	}
	if err := s.AddRole(Role{ARN: RoleARN("late"), Trust: []string{UserARN("dev")}}); err == nil {
		t.Fatal("AddRole succeeded without saving")
	}
	_, err := s.AssumeRole(lookup(t, s, "LTAIdev"), RoleARN("late"), "alice", nil, 0)
	wantCode(t, err, 404, CodeRoleNotExist)
	_, err = s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "alice", nil, 0)
	wantCode(t, err, 500, CodeInternal)
	if len(s.sessions) != 0 {
		t.Fatal("unsaved session kept")
	}
}

func TestPrincipalRedacts(t *testing.T) {
	s, _ := fixture(t, "")
	p, err := s.AssumeRole(lookup(t, s, "LTAIdev"), uploaderARN, "alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, p, p, p), p.LogValue().String()} {
		if strings.Contains(out, p.AccessKeySecret) || strings.Contains(out, p.SecurityToken) {
			t.Fatalf("secret in %q", out)
		}
	}
}
