package stsvend

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// The AssumeRole RoleSessionName rule (OSS/STS protocol reference §5.1,
// from the 2021 AssumeRole API reference): ^[a-zA-Z0-9.@\-_]+$, 2..32.
var stsSessionName = regexp.MustCompile(`^[a-zA-Z0-9.@\-_]{2,32}$`)

func TestSessionName(t *testing.T) {
	long64 := strings.Repeat("a", 64)
	ids := []string{"a", "b", "ab", "a.", "a_", "a-", "@", ".a", "alice", "user@example.com",
		strings.Repeat("x", 31), strings.Repeat("x", 32), strings.Repeat("x", 33),
		long64, long64[:63] + "b", strings.Repeat("a", 15) + "." + strings.Repeat("b", 48)}
	// ids whose names would meet under naive padding or truncation
	ids = append(ids, "a.0123456789abcdef0123456789abcd", strings.Repeat("a", 15)+"."+strings.Repeat("0", 16))
	seen := map[string]string{}
	for _, id := range ids {
		if !uploadrules.ValidUserID(id) {
			continue // ".a"-like ids the auth layer would refuse are still fine here
		}
		name := SessionName(id)
		if !stsSessionName.MatchString(name) {
			t.Errorf("SessionName(%q) = %q, outside the STS rule", id, name)
		}
		if other, dup := seen[name]; dup {
			t.Errorf("SessionName(%q) = SessionName(%q) = %q", id, other, name)
		}
		seen[name] = id
		if n := len(id); n >= 2 && n <= 31 && name != id {
			t.Errorf("SessionName(%q) = %q, want the id unchanged", id, name)
		}
	}
	if got := SessionName(long64); !strings.HasPrefix(got, long64[:15]+".") || len(got) != 32 {
		t.Errorf("SessionName(64 chars) = %q, want the id's start, '.', a hash, 32 chars", got)
	}
	if a, b := SessionName("a"), SessionName("b"); a == b || len(a) != 32 || a[:2] != "a." {
		t.Errorf("1-char ids: %q %q", a, b)
	}
}

// FuzzSessionName: every valid user id maps to a valid STS session name and
// two ids never share one.
func FuzzSessionName(f *testing.F) {
	f.Add("a", "b")
	f.Add(strings.Repeat("z", 64), strings.Repeat("z", 63))
	f.Add("a.0123456789abcdef0123456789abcd", "a")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !uploadrules.ValidUserID(a) || !uploadrules.ValidUserID(b) {
			return
		}
		na, nb := SessionName(a), SessionName(b)
		if !stsSessionName.MatchString(na) {
			t.Fatalf("SessionName(%q) = %q", a, na)
		}
		if a != b && na == nb {
			t.Fatalf("SessionName(%q) == SessionName(%q) == %q", a, b, na)
		}
	})
}

func TestSessionPolicy(t *testing.T) {
	dir := "uploads/alice/"
	doc, err := SessionPolicy(testBucket, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Decoded strictly into the RAM grammar of OSS/STS protocol reference §5.4.
	var p struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Version != "1" || len(p.Statement) != 1 {
		t.Fatalf("policy %s", doc)
	}
	st := p.Statement[0]
	if st.Effect != "Allow" || strings.Join(st.Action, ",") != "oss:PutObject,oss:AbortMultipartUpload,oss:ListParts" {
		t.Fatalf("statement %+v", st)
	}
	if len(st.Resource) != 1 || st.Resource[0] != "acs:oss:*:*:ossupload-dev/uploads/alice/*" {
		t.Fatalf("resource %q", st.Resource)
	}

	// The longest user id (64) with a long bucket (63) and prefix fits.
	longest := strings.Repeat("b", 63)
	prefix := strings.Repeat("p", 200) + "/"
	doc, err = SessionPolicy(longest, prefix+strings.Repeat("u", 64)+"/")
	if err != nil || len(doc) > MaxPolicyBytes {
		t.Fatalf("longest user id: %d bytes, %v", len(doc), err)
	}
	// Over the limit: a clear error, not a truncated policy.
	if _, err := SessionPolicy(testBucket, strings.Repeat("p", 1000)+"/"); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Fatalf("oversized policy: %v", err)
	}
}
