package ossevents

import "testing"

func TestRuleMatch(t *testing.T) {
	created := Rule{Events: []string{"oss:ObjectCreated:*"}, Prefix: "uploads/", Suffix: ".jpg"}
	some := Rule{Events: []string{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload"}}
	tests := []struct {
		name      string
		rule      Rule
		event     string
		key       string
		wantMatch bool
	}{
		{"wildcard, no prefix in name", created, "ObjectCreated:PutObject", "uploads/a.jpg", true},
		{"wildcard, oss: prefix in name", created, "oss:ObjectCreated:CompleteMultipartUpload", "uploads/u/a.jpg", true},
		{"wildcard does not cross categories", created, "ObjectRemoved:DeleteObject", "uploads/a.jpg", false},
		{"prefix required", created, "ObjectCreated:PutObject", "other/a.jpg", false},
		{"suffix required", created, "ObjectCreated:PutObject", "uploads/a.jpeg", false},
		{"suffix case-sensitive", created, "ObjectCreated:PutObject", "uploads/a.JPG", false},
		{"key equal to prefix+suffix", Rule{Events: []string{"oss:*"}, Prefix: "a", Suffix: "a"}, "ObjectCreated:PutObject", "a", true},
		{"listed event", some, "ObjectCreated:PostObject", "x", true},
		{"unlisted event", some, "ObjectCreated:CopyObject", "x", false},
		{"event name case-sensitive", some, "objectcreated:postobject", "x", false},
		{"exact name is not a prefix match", Rule{Events: []string{"oss:ObjectCreated:Put"}}, "ObjectCreated:PutObject", "x", false},
		{"star in the middle", Rule{Events: []string{"oss:Object*:DeleteObject"}}, "ObjectRemoved:DeleteObject", "x", true},
		{"everything", Rule{Events: []string{"*"}}, "ObjectRemoved:AbortMultipartUpload", "", true},
		{"no events matches nothing", Rule{Prefix: "uploads/"}, "ObjectCreated:PutObject", "uploads/a", false},
		{"empty event name", created, "", "uploads/a.jpg", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Match(tt.event, tt.key); got != tt.wantMatch {
				t.Fatalf("Match(%q, %q) = %v", tt.event, tt.key, got)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"a*b*c", "abc", true}, {"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false}, {"**", "x", true}, {"a*", "b", false}, {"*a", "ba", true}, {"*a", "ab", false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}
