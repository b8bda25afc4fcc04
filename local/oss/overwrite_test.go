package oss

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/iam"
)

func TestMatchOverwriteRules(t *testing.T) {
	root := &iam.Principal{Kind: iam.KindRoot, ARN: iam.RootARN()}
	alice := &iam.Principal{Kind: iam.KindAssumedRole, RoleARN: iam.RoleARN("uploader"), Name: "alice",
		ARN: iam.RoleARN("uploader") + "/alice"}
	user := &iam.Principal{Kind: iam.KindUser, ARN: iam.UserARN("dev"), Name: "dev"}
	session := "arn:sts::" + iam.AccountID + ":assumed-role/uploader/alice"
	rule := func(prefix, suffix string, principals ...string) []OverwriteRule {
		return []OverwriteRule{{ID: "r", Action: overwriteActionForbid, Prefix: prefix, Suffix: suffix, Principals: principals}}
	}
	cases := []struct {
		name  string
		rules []OverwriteRule
		key   string
		p     *iam.Principal
		want  bool
	}{
		{"no rules", nil, "uploads/a.png", alice, false},
		{"prefix, everyone", rule("uploads/", ""), "uploads/u/a.png", alice, true},
		{"prefix, root too", rule("uploads/", ""), "uploads/u/a.png", root, true},
		{"prefix, anonymous too", rule("uploads/", ""), "uploads/u/a.png", nil, true},
		{"other prefix", rule("uploads/", ""), "quarantine/uploads/a.png", alice, false},
		{"prefix is not a glob", rule("uploads/*", ""), "uploads/a.png", alice, false},
		{"suffix", rule("uploads/", ".png"), "uploads/a.png", alice, true},
		{"suffix differs", rule("uploads/", ".png"), "uploads/a.txt", alice, false},
		{"empty rule matches all keys", rule("", ""), "anything", user, true},
		{"star principal", rule("", "", "*"), "k", user, true},
		{"session named", rule("", "", session), "k", alice, true},
		{"session by wildcard", rule("", "", "arn:sts::"+iam.AccountID+":assumed-role/*"), "k", alice, true},
		{"session wildcard, other role", rule("", "", "arn:sts::"+iam.AccountID+":assumed-role/other/*"), "k", alice, false},
		{"session named, root asks", rule("", "", session), "k", root, false},
		{"account id is root", rule("", "", iam.AccountID), "k", root, true},
		{"account id is not a session", rule("", "", iam.AccountID), "k", alice, false},
		{"user has no uid", rule("", "", "dev"), "k", user, false},
		{"second rule matches", append(rule("a/", ""), OverwriteRule{ID: "s", Action: overwriteActionForbid, Prefix: "b/"}), "b/x", alice, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := matchOverwriteRules(tc.rules, tc.key, tc.p); got != tc.want {
				t.Fatalf("match %q = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestPrincipalGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"a", "a", true}, {"a", "ab", false}, {"a*", "ab/c", true}, {"*c", "ab/c", true}, {"a*c", "ac", true},
		{"a*b*c", "a-b-c", true}, {"a*b*c", "a-c-b", false}, {"ab*ba", "aba", false}, {"*", "", true},
	} {
		if got := principalGlob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("principalGlob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestValidateOverwriteRules(t *testing.T) {
	got, err := validateOverwriteRules([]OverwriteRule{{Action: "forbid", Prefix: "a/"}, {ID: "b", Action: "forbid"}})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got[0].ID) || got[1].ID != "b" {
		t.Fatalf("ids %q %q", got[0].ID, got[1].ID)
	}
	long := strings.Repeat("p", maxOverwriteAffix+1)
	many := make([]OverwriteRule, maxOverwriteRules+1)
	for i := range many {
		many[i] = OverwriteRule{Action: "forbid"}
	}
	for name, rules := range map[string][]OverwriteRule{
		"action missing": {{Prefix: "a/"}},
		"action allow":   {{Action: "allow"}},
		"prefix long":    {{Action: "forbid", Prefix: long}},
		"suffix long":    {{Action: "forbid", Suffix: long}},
		"duplicate id":   {{ID: "x", Action: "forbid"}, {ID: "x", Action: "forbid", Prefix: "b"}},
		"too many":       many,
	} {
		_, err := validateOverwriteRules(rules)
		if oe, ok := err.(*Error); !ok || oe.Code != "InvalidArgument" || oe.Status != 400 {
			t.Errorf("%s: %v, want 400 InvalidArgument", name, err)
		}
	}
	if _, err := validateOverwriteRules(many[:maxOverwriteRules]); err != nil {
		t.Errorf("%d rules: %v", maxOverwriteRules, err)
	}
}

// A PostObject form onto an existing key under a protected prefix is
// refused even with x-oss-forbid-overwrite=false; a new key is stored.
func TestPostObjectUnderOverwriteRule(t *testing.T) {
	w := newWireEnv(t)
	p := w.assumeRoot(t)
	if err := w.srv.SetOverwriteConfig("examplebucket", []OverwriteRule{{Action: "forbid", Prefix: "uploads/"}}); err != nil {
		t.Fatal(err)
	}
	policy := policyDoc(w.now, `["content-length-range",1,100],["starts-with","$key",""],{"bucket":"examplebucket"}`)
	form := func(key, body string, extra ...formField) []formField {
		f := []formField{{name: "key", value: key}, {name: "OSSAccessKeyId", value: p.AccessKeyID}, {name: "Policy", value: policy},
			{name: "Signature", value: signV1(p.AccessKeySecret, policy)}, {name: "x-oss-security-token", value: p.SecurityToken}}
		f = append(f, extra...)
		return append(f, formField{name: "file", value: body, file: true, fileName: "a.bin"})
	}
	post := func(key, body string, extra ...formField) (int, wireError) {
		rec := w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", form(key, body, extra...)))
		if rec.Code >= 300 {
			return rec.Code, decodeError(t, rec)
		}
		return rec.Code, wireError{}
	}
	if code, e := post("uploads/a.png", "first"); code != 204 {
		t.Fatalf("new key: %d %+v", code, e)
	}
	for _, extra := range [][]formField{nil, {{name: "x-oss-forbid-overwrite", value: "false"}}} {
		if code, e := post("uploads/a.png", "second", extra...); code != 409 || e.Code != "FileAlreadyExists" {
			t.Fatalf("overwrite %v: %d %+v, want 409 FileAlreadyExists", extra, code, e)
		}
	}
	if obj, err := w.srv.store.Stat("examplebucket", "uploads/a.png"); err != nil || obj.Size != int64(len("first")) {
		t.Fatalf("stored %+v, %v", obj, err)
	}
	// Outside the prefix the same form overwrites.
	for _, body := range []string{"one", "three"} {
		if code, e := post("public/a.png", body); code != 204 {
			t.Fatalf("outside the rule: %d %+v", code, e)
		}
	}
	if left := stagedFiles(t, w.dir); len(left) != 0 {
		t.Fatalf("staged files left behind: %v", left)
	}
}
