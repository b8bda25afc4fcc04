package uploadroutes_test

import (
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// FuzzFromEnv feeds UPLOAD_ROUTES arbitrary text. Whatever it is, FromEnv
// must not panic, every problem must name UPLOAD_ROUTES, and a value it
// accepts must keep the promises verify and the STS session policy rely
// on: route directories valid and not nested (a key belongs to one route
// at most), sizes within UPLOAD_MAX_BYTES, every path known, and a key
// made in a route's directory judged as that route.
func FuzzFromEnv(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"a":{}}`,
		`{"avatar":{"dir":"avatars","allowedTypes":["image/png"],"maxBytes":2000000},"document":{"allowedTypes":["application/pdf"]}}`,
		`{"a":{"allowedTypes":["image/png"],"dir":"x/y"},"b":{"allowedTypes":["image/png"],"dir":"x"}}`,
		`{"a":{"allowedTypes":["image/*"],"minBytes":5,"maxBytes":4,"paths":["sts","sts"]}}`,
		`{"a":{"allowedTypes":["image/png"],"Dir":"x","dir":"y"}}`,
		`{"a":{"allowedTypes":["image/png"],"overwrite":true,"policyExpirySeconds":59}}`,
		`{"a":{"allowedTypes":["image/png"]},"a":{"allowedTypes":["image/png"]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		set, problems := fromEnv(value)
		for _, p := range problems {
			if !strings.HasPrefix(p, uploadroutes.EnvName+": ") {
				t.Fatalf("problem without the variable's name: %q", p)
			}
		}
		if len(problems) > 0 {
			return
		}
		routes := set.Routes()
		if len(routes) == 0 {
			t.Fatal("an accepted value with no route")
		}
		for i, r := range routes {
			if set.Configured() && (r.Dir == "" || !uploadrules.ValidDir(r.Dir)) {
				t.Fatalf("route %q: dir %q", r.Name, r.Dir)
			}
			if r.MaxBytes > base.MaxBytes || r.MinBytes < 0 || r.MinBytes > r.MaxBytes || len(r.Paths) == 0 || r.Overwrite {
				t.Fatalf("route %+v breaks the limits", r)
			}
			for _, p := range r.Paths {
				if p != uploadroutes.PathForm && p != uploadroutes.PathPresign && p != uploadroutes.PathSTS {
					t.Fatalf("route %q: path %q", r.Name, p)
				}
			}
			for _, o := range routes[i+1:] {
				if r.Dir != "" && (r.Dir == o.Dir || strings.HasPrefix(o.Dir, r.Dir+"/") || strings.HasPrefix(r.Dir, o.Dir+"/")) {
					t.Fatalf("routes %q and %q overlap: %q, %q", r.Name, o.Name, r.Dir, o.Dir)
				}
			}
			key := r.UserDir(base, "u1") + "2026/12/01/0123456789abcdef-a.png"
			if got, reason := set.Judge(base, key, map[string]string{uploadroutes.MetaName: r.Name}); reason != "" || got.Name != r.Name {
				t.Fatalf("a key of route %q judged %q (%s)", r.Name, got.Name, reason)
			}
		}
	})
}
