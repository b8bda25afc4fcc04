package uploadroutes_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// base differs from the defaults wherever a route could wrongly fall back
// to them.
var base = uploadrules.Rules{Prefix: "tenant/up/", MaxBytes: 64 << 20, AllowedTypes: []string{"image/*", "application/pdf", "image/svg+xml", "text/plain"}}

func fromEnv(value string) (uploadroutes.Set, []string) {
	env := config.NewEnv(func(n string) string {
		if n == uploadroutes.EnvName {
			return value
		}
		return ""
	})
	s := uploadroutes.FromEnv(env, base)
	return s, env.Problems()
}

func TestUnsetIsOneDefaultRouteFromTheRules(t *testing.T) {
	for _, v := range []string{"", "  ", "{}", " { } ", "null", " null "} {
		s, problems := fromEnv(v)
		if len(problems) > 0 {
			t.Fatalf("problems: %q", problems)
		}
		want := uploadroutes.Route{Name: "default", AllowedTypes: base.AllowedTypes, MaxBytes: base.MaxBytes, Paths: []string{"form", "presign", "sts"}}
		if got := s.Routes(); s.Configured() || len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("FromEnv(%q) = %+v (configured %v), want [%+v]", v, got, s.Configured(), want)
		}
		if d := got(s).UserDir(base, "bob"); d != "tenant/up/bob/" {
			t.Errorf("default UserDir = %q, want the user prefix", d)
		}
	}
}

func got(s uploadroutes.Set) uploadroutes.Route { return s.Routes()[0] }

func TestParse(t *testing.T) {
	s, problems := fromEnv(`{
	  "avatar": {"dir": "me/avatars", "allowedTypes": ["image/png", "image/jpeg", "image/webp"], "minBytes": 100, "maxBytes": 2000000,
	             "policyExpirySeconds": 300, "paths": ["form", "sts"], "overwrite": false},
	  "document": {"allowedTypes": ["application/pdf"]}
	}`)
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	want := []uploadroutes.Route{
		{Name: "avatar", Dir: "me/avatars", AllowedTypes: []string{"image/png", "image/jpeg", "image/webp"}, MinBytes: 100, MaxBytes: 2000000,
			PolicyExpiry: 300 * time.Second, Paths: []string{"form", "sts"}},
		{Name: "document", Dir: "document", AllowedTypes: []string{"application/pdf"}, MaxBytes: base.MaxBytes, Paths: []string{"form", "presign", "sts"}},
	}
	if !s.Configured() || !reflect.DeepEqual(s.Routes(), want) {
		t.Fatalf("routes = %+v\nwant %+v", s.Routes(), want)
	}
	if r, ok := s.Route("document"); !ok || r.Name != "document" {
		t.Errorf("Route(document) = %+v, %v", r, ok)
	}
	if _, ok := s.Route("default"); ok {
		t.Error("a configured set has a default route")
	}
	// Order is the configuration's, not sorted.
	s, _ = fromEnv(`{"zeta": {"allowedTypes": ["text/plain"]}, "alpha": {"allowedTypes": ["text/plain"]}}`)
	if r := s.Routes(); len(r) != 2 || r[0].Name != "zeta" {
		t.Errorf("order: %+v", r)
	}
}

// Each bad configuration is reported on a line naming UPLOAD_ROUTES (and
// the route, when there is one), with what to fix.
func TestProblems(t *testing.T) {
	ok := `"allowedTypes":["image/png"]`
	for _, tc := range []struct{ name, value, want string }{
		{"not JSON", `avatar`, `UPLOAD_ROUTES: must be a JSON object`},
		{"array", `[{"name":"avatar"}]`, `UPLOAD_ROUTES: must be a JSON object`},
		{"trailing text", `{"a":{` + ok + `}} x`, `UPLOAD_ROUTES: must be a JSON object`},
		{"too many", manyRoutes(33), `UPLOAD_ROUTES: 33 routes, at most 32`},
		{"route twice", `{"a":{` + ok + `},"a":{` + ok + `,"dir":"b"}}`, `route "a" is listed twice`},
		{"upper-case name", `{"Avatar":{` + ok + `,"dir":"x"}}`, `route "Avatar": the name must be`},
		{"long name", `{"` + strings.Repeat("a", 33) + `":{` + ok + `,"dir":"x"}}`, `the name must be 1 to 32`},
		{"route null", `{"a":null}`, `route "a": must be a JSON object`},
		{"unknown field", `{"a":{` + ok + `,"maxSize":1}}`, `route "a": unknown field "maxSize"`},
		{"field in other case", `{"a":{` + ok + `,"MaxBytes":1}}`, `route "a": unknown field "MaxBytes"`},
		{"field twice", `{"a":{` + ok + `,"maxBytes":1,"maxBytes":2}}`, `route "a": field "maxBytes" appears twice`},
		{"wrong type", `{"a":{` + ok + `,"maxBytes":"2MB"}}`, `route "a": field "maxBytes": want a whole number, got a JSON string`},
		{"fraction", `{"a":{` + ok + `,"maxBytes":1.5}}`, `field "maxBytes": want a whole number`},
		{"null field", `{"a":{` + ok + `,"overwrite":null}}`, `field "overwrite": null`},
		{"overwrite true", `{"a":{` + ok + `,"overwrite":true}}`, `overwrite true is not supported`},
		{"no types", `{"a":{"maxBytes":1}}`, `route "a": allowedTypes must list`},
		{"empty types", `{"a":{"allowedTypes":[]}}`, `route "a": allowedTypes must list`},
		{"bad type", `{"a":{"allowedTypes":["png"]}}`, `allowed type "png" is not a media type`},
		{"type with parameters", `{"a":{"allowedTypes":["text/plain; charset=utf-8"]}}`, `is not a media type`},
		{"type outside the deployment's", `{"a":{"allowedTypes":["video/mp4"]}}`, `allowed type "video/mp4" is not allowed by UPLOAD_ALLOWED_TYPES`},
		{"wildcard outside the deployment's", `{"a":{"allowedTypes":["text/*"]}}`, `allowed type "text/*" is not allowed by UPLOAD_ALLOWED_TYPES`},
		{"any type outside the deployment's", `{"a":{"allowedTypes":["*/*"]}}`, `allowed type "*/*" is not allowed by UPLOAD_ALLOWED_TYPES`},
		{"active type only through a wildcard", `{"a":{"allowedTypes":["image/x-xbitmap+xml"]}}`, `"image/x-xbitmap+xml" is not allowed by UPLOAD_ALLOWED_TYPES`},
		{"negative min", `{"a":{` + ok + `,"minBytes":-1}}`, `minBytes must not be negative`},
		{"zero max", `{"a":{` + ok + `,"maxBytes":0}}`, `maxBytes must be at least 1`},
		{"min above max", `{"a":{` + ok + `,"minBytes":10,"maxBytes":9}}`, `minBytes 10 is above maxBytes 9`},
		{"max above the deployment's", `{"a":{` + ok + `,"maxBytes":67108865}}`, `maxBytes 67108865 is above UPLOAD_MAX_BYTES 67108864`},
		{"expiry short", `{"a":{` + ok + `,"policyExpirySeconds":59}}`, `policyExpirySeconds must be between 60 and 3600, got 59`},
		{"expiry long", `{"a":{` + ok + `,"policyExpirySeconds":3601}}`, `policyExpirySeconds must be between 60 and 3600, got 3601`},
		{"no paths", `{"a":{` + ok + `,"paths":[]}}`, `paths must list at least one`},
		{"unknown path", `{"a":{` + ok + `,"paths":["put"]}}`, `path "put" is not one of form, presign, sts`},
		{"path twice", `{"a":{` + ok + `,"paths":["sts","sts"]}}`, `path "sts" is listed twice`},
		{"empty dir", `{"a":{` + ok + `,"dir":""}}`, `route "a": dir "" must be`},
		{"dir with ..", `{"a":{` + ok + `,"dir":"x/../y"}}`, `dir "x/../y" must be`},
		{"dir with leading /", `{"a":{` + ok + `,"dir":"/x"}}`, `dir "/x" must be`},
		{"dir with trailing /", `{"a":{` + ok + `,"dir":"x/"}}`, `dir "x/" must be`},
		{"dir with *", `{"a":{` + ok + `,"dir":"x*"}}`, `dir "x*" must be`},
		{"dir with ?", `{"a":{` + ok + `,"dir":"x?"}}`, `dir "x?" must be`},
		{"same dir", `{"a":{` + ok + `,"dir":"x"},"b":{` + ok + `,"dir":"x"}}`, `routes "a" and "b": dir "x" and dir "x" overlap`},
		{"nested dir", `{"a":{` + ok + `,"dir":"x/y"},"b":{` + ok + `,"dir":"x"}}`, `routes "a" and "b": dir "x/y" and dir "x" overlap`},
		{"dir nested in a default dir", `{"a":{` + ok + `},"b":{` + ok + `,"dir":"a/b"}}`, `routes "a" and "b": dir "a" and dir "a/b" overlap`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, problems := fromEnv(tc.value)
			found := false
			for _, p := range problems {
				if !strings.HasPrefix(p, "UPLOAD_ROUTES: ") {
					t.Errorf("problem does not name UPLOAD_ROUTES: %q", p)
				}
				found = found || strings.Contains(p, tc.want)
			}
			if !found {
				t.Errorf("problems %q, want one containing %q", problems, tc.want)
			}
			if s.Configured() {
				t.Error("a set with problems is configured")
			}
		})
	}
}

// Every problem is reported at once, not only the first.
func TestProblemsAreAllReported(t *testing.T) {
	_, problems := fromEnv(`{"a":{"allowedTypes":["png"],"maxBytes":0,"paths":["x"]},"b":{"allowedTypes":["image/png"],"dir":"a"}}`)
	for _, want := range []string{`route "a": allowed type "png"`, `route "a": maxBytes must be at least 1`, `route "a": path "x"`, `routes "a" and "b"`} {
		if !strings.Contains(strings.Join(problems, "\n"), want) {
			t.Errorf("missing %q in %q", want, problems)
		}
	}
}

// Dirs that share a leading string but not a path segment do not overlap.
func TestDirsOverlapBySegmentOnly(t *testing.T) {
	s, problems := fromEnv(`{"a":{"allowedTypes":["image/png"],"dir":"img"},"b":{"allowedTypes":["image/png"],"dir":"img2"},"c":{"allowedTypes":["image/png"],"dir":"x/img"}}`)
	if len(problems) > 0 || len(s.Routes()) != 3 {
		t.Fatalf("problems %q", problems)
	}
}

// The types a deployment allows bound the routes' types, exactly as the
// operator wrote them.
func TestTypesWithinTheDeployment(t *testing.T) {
	s, problems := fromEnv(`{"a":{"allowedTypes":["image/*","image/PNG","image/svg+xml","application/pdf"]}}`)
	if len(problems) > 0 {
		t.Fatalf("problems %q", problems)
	}
	if r := got(s); !reflect.DeepEqual(r.AllowedTypes, []string{"image/*", "image/PNG", "image/svg+xml", "application/pdf"}) {
		t.Errorf("types = %q", r.AllowedTypes)
	}
}

func manyRoutes(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"r%d":{"allowedTypes":["image/png"]}`, i)
	}
	return b.String() + "}"
}

func TestManyRoutes(t *testing.T) {
	if s, problems := fromEnv(manyRoutes(uploadroutes.MaxRoutes)); len(problems) > 0 || len(s.Routes()) != uploadroutes.MaxRoutes {
		t.Errorf("%d routes: %q", uploadroutes.MaxRoutes, problems)
	}
}
