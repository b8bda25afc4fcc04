package stack

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/sdevs"
)

// syamlFunctions loads the repository's s.yaml with no environment (so
// every ${env()} takes its default) and adds env to every function, as
// Config.FunctionEnv does.
func syamlFunctions(t *testing.T, env map[string]string) []sdevs.Function {
	t.Helper()
	fns, err := sdevs.Load("../../s.yaml", sdevs.Resolver{Getenv: func(string) string { return "" }, Config: map[string]string{"AccountID": iam.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fns {
		for k, v := range env {
			fns[i].Env[k] = v
		}
	}
	return fns
}

// The routes `make run` gives the stack (local/demo-routes.json) must be
// ones the functions accept under s.yaml's defaults (UPLOAD_MAX_BYTES,
// UPLOAD_ALLOWED_TYPES bound every route), and the page must show exactly
// their limits.
func TestDemoRoutesFitSYAMLDefaults(t *testing.T) {
	file, err := os.ReadFile("../demo-routes.json")
	if err != nil {
		t.Fatal(err)
	}
	routes, problems := pageRoutes(syamlFunctions(t, map[string]string{"UPLOAD_ROUTES": string(file)}))
	if len(problems) > 0 {
		t.Fatalf("local/demo-routes.json under s.yaml's defaults:\n%s", strings.Join(problems, "\n"))
	}
	got, _ := json.Marshal(routes)
	want := `[{"name":"avatar","allowedTypes":["image/png","image/jpeg","image/webp"],"minBytes":0,"maxBytes":2000000,"paths":["form","presign","sts"]},` +
		`{"name":"document","allowedTypes":["application/pdf"],"minBytes":0,"maxBytes":50000000,"paths":["form","presign","sts"]}]`
	if string(got) != want {
		t.Errorf("page routes:\n%s\nwant:\n%s", got, want)
	}
}

// The page reads the routes as the functions do: bounded by the
// function's UPLOAD_* values (here a smaller UPLOAD_MAX_BYTES the
// deployment sets), and without UPLOAD_ROUTES there are none to show.
func TestPageRoutesAsTheFunctionsReadThem(t *testing.T) {
	file, err := os.ReadFile("../demo-routes.json")
	if err != nil {
		t.Fatal(err)
	}
	routes, problems := pageRoutes(syamlFunctions(t, map[string]string{"UPLOAD_ROUTES": string(file), "UPLOAD_MAX_BYTES": "10000000"}))
	if routes != nil || len(problems) != 1 || !strings.Contains(problems[0], `route "document"`) || !strings.Contains(problems[0], "UPLOAD_MAX_BYTES 10000000") {
		t.Errorf("document's 50000000 over UPLOAD_MAX_BYTES 10000000: routes %v, problems %q", routes, problems)
	}
	routes, problems = pageRoutes(syamlFunctions(t, nil))
	if routes != nil || problems != nil {
		t.Errorf("without UPLOAD_ROUTES: routes %v, problems %q; want none", routes, problems)
	}
}
