package uploadroutes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

func TestPick(t *testing.T) {
	routes, problems := fromEnv(`{"avatar":{"allowedTypes":["image/png"],"paths":["form","sts"]},"document":{"allowedTypes":["application/pdf"]}}`)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	plain := uploadroutes.Default(base)
	for _, tc := range []struct {
		name       string
		set        uploadroutes.Set
		route      string
		path       string
		want       string // route picked, or "" for an error
		code, text string
	}{
		{"named and allowed", routes, "avatar", uploadroutes.PathForm, "avatar", "", ""},
		{"another path of the same route", routes, "avatar", uploadroutes.PathSTS, "avatar", "", ""},
		{"path the route leaves out", routes, "avatar", uploadroutes.PathPresign, "", uploadrules.CodeForbidden, `route "avatar" does not allow presign uploads`},
		{"missing with routes", routes, "", uploadroutes.PathForm, "", uploadrules.CodeInvalidRequest, "route is required: one of avatar, document"},
		{"unknown with routes", routes, "video", uploadroutes.PathForm, "", uploadrules.CodeInvalidRequest, `unknown route "video": one of avatar, document`},
		{"a huge name is cut", routes, strings.Repeat("x", 5000), uploadroutes.PathForm, "", uploadrules.CodeInvalidRequest, `"` + strings.Repeat("x", uploadroutes.MaxNameLen) + `"...`},
		{"the default by default", plain, "", uploadroutes.PathSTS, "default", "", ""},
		{"the default by name", plain, "default", uploadroutes.PathPresign, "default", "", ""},
		{"a name without routes", plain, "avatar", uploadroutes.PathForm, "", uploadrules.CodeInvalidRequest, `the only route is "default"`},
		{"default is not a configured route", routes, "default", uploadroutes.PathForm, "", uploadrules.CodeInvalidRequest, "unknown route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.set.Pick(tc.route, tc.path)
			var re *uploadrules.Error
			switch {
			case tc.want != "" && (err != nil || r.Name != tc.want):
				t.Fatalf("Pick = %q, %v; want %q", r.Name, err, tc.want)
			case tc.want == "" && (!errors.As(err, &re) || re.Code != tc.code || !strings.Contains(re.Message, tc.text)):
				t.Fatalf("Pick error = %v; want %s containing %q", err, tc.code, tc.text)
			case tc.want == "" && len(re.Message) > 200:
				t.Fatalf("message of %d bytes echoes the caller's name", len(re.Message))
			}
		})
	}
}
