package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/stacktest"
)

// `make run` starts the stack with -routes local/demo-routes.json: the
// functions must start with those routes under s.yaml's defaults, and the
// demo page's /config.json must list them with the limits the functions
// enforce, so the page shows what sign, sts and verify apply.
func TestDemoRoutesReachThePage(t *testing.T) {
	routesFile := filepath.Join(stacktest.RepoRoot(t), "local", "demo-routes.json")
	s := startStackArgs(t, "", []string{"-routes", routesFile})

	res, err := http.Get(s.Web + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Routes []struct {
			Name         string   `json:"name"`
			AllowedTypes []string `json:"allowedTypes"`
			MaxBytes     int64    `json:"maxBytes"`
			Paths        []string `json:"paths"`
		} `json:"routes"`
		RouteProblems []string `json:"routeProblems"`
	}
	err = json.NewDecoder(res.Body).Decode(&cfg)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RouteProblems) > 0 {
		t.Fatalf("route problems: %q", cfg.RouteProblems)
	}
	var got []string
	for _, r := range cfg.Routes {
		got = append(got, r.Name+" "+strings.Join(r.AllowedTypes, ",")+" "+strconv.FormatInt(r.MaxBytes, 10)+" "+strings.Join(r.Paths, ","))
	}
	want := []string{"avatar image/png,image/jpeg,image/webp 2000000 form,presign,sts", "document application/pdf 50000000 form,presign,sts"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("config.json routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The sign function started with these routes (a function refusing its
	// configuration answers nothing): a key nobody uploaded is 404.
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.Functions["sign"], "/")+"/status?key="+
		url.QueryEscape("uploads/"+s.User+"/avatars/2026/01/01/0000000000000000-none.png"), nil)
	req.Header.Set("Authorization", "Bearer "+s.JWT)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("sign with the demo routes: GET /status answered %d %s, want 404 (is the function refusing UPLOAD_ROUTES?)\n%s", res.StatusCode, body, s.Logs.String())
	}
}
