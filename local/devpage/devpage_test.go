package devpage

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestPage(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{"index.html": "<html>demo</html>", "app.js": "main()", "package.json": "{}", "favicon.svg": "<svg/>"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(Config{
		Root: root, SignURL: "http://sign", STSURL: "http://sts", Bucket: "b", Region: "cn-hangzhou",
		MintToken: func(user string) (string, error) { return "token-for-" + user, nil },
	}))
	t.Cleanup(srv.Close)
	return srv, root
}

func TestConfigAndToken(t *testing.T) {
	srv, _ := newTestPage(t)
	res, err := http.Get(srv.URL + "/config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	if err := json.NewDecoder(res.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cfg["signUrl"] != "http://sign" || cfg["stsUrl"] != "http://sts" || cfg["bucket"] != "b" {
		t.Errorf("config = %v", cfg)
	}

	res, err = http.Post(srv.URL+"/dev/token", "application/json", strings.NewReader(`{"user":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]string
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok["token"] != "token-for-alice" {
		t.Errorf("token: %d %v", res.StatusCode, tok)
	}
}

func TestTokenRefusesBadUsers(t *testing.T) {
	srv, _ := newTestPage(t)
	for _, body := range []string{`{"user":"../x"}`, `{"user":""}`, `{"user":".."}`, `not json`, `{"user":"a/b"}`} {
		res, err := http.Post(srv.URL+"/dev/token", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", body, res.StatusCode)
		}
	}
}

func TestStaticFilesOnly(t *testing.T) {
	srv, root := newTestPage(t)
	cases := map[string]int{"/": 200, "/app.js": 200, "/package.json": 404, "/node_modules/x": 404,
		"/vendor/aliyun-oss-sdk.min.js": 404, "/vendor/uppy.js": 404, "/vendor/uppy.css": 404,
		"/dist/uppy.js": 404, "/uppy-bundle.mjs": 404, "/favicon.svg": 200, "/favicon.ico": 204}
	for path, want := range cases {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
	}
	// Once installed (npm ci) and built (make web-deps), each is served
	// from its own file with its own type.
	for _, f := range []struct{ file, route, body, contentType string }{
		{"node_modules/ali-oss/dist/aliyun-oss-sdk.min.js", "/vendor/aliyun-oss-sdk.min.js", "var OSS;", "text/javascript"},
		{"dist/uppy.js", "/vendor/uppy.js", "var UppyBundle;", "text/javascript"},
		{"dist/uppy.css", "/vendor/uppy.css", ".uppy-Root{}", "text/css"},
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f.file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f.file), []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(srv.URL + f.route)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), f.contentType) || string(body) != f.body {
			t.Errorf("GET %s: %d %s %q", f.route, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}

// The demo page's Uppy must be the README's: a frontend developer copies
// the signRequest from either, so the two must not drift apart.
func TestPageSignRequestIsTheREADMEs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile("../../web/app.js")
	if err != nil {
		t.Fatal(err)
	}
	snippet := signRequestBlock(t, "README.md", string(readme))
	page := signRequestBlock(t, "web/app.js", string(app))
	if snippet != page {
		t.Errorf("web/app.js's Uppy options differ from the README's:\nREADME:\n%s\napp.js:\n%s", snippet, page)
	}
}

// signRequestBlock returns the lines from "uppy.use(AwsS3, {" to the
// closing "});", each with its indentation removed.
func signRequestBlock(t *testing.T, name, text string) string {
	t.Helper()
	var out []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "uppy.use(AwsS3, {") {
			if in || out != nil {
				t.Fatalf("%s: more than one uppy.use(AwsS3, {", name)
			}
			in = true
		}
		if in {
			out = append(out, line)
			if line == "});" {
				in = false
			}
		}
	}
	if len(out) < 5 || in {
		t.Fatalf("%s: no complete uppy.use(AwsS3, {…}); block", name)
	}
	return strings.Join(out, "\n")
}

// Security regressions: the sign-in mints a token for any user, so only
// the page itself may call it (issue "the demo page's token endpoint").
// Each row is a request a browser on another site, or a form, can make.
func TestTokenOnlyForSameOriginJSON(t *testing.T) {
	srv, _ := newTestPage(t)
	self := srv.URL // http://127.0.0.1:<port>
	port := self[strings.LastIndex(self, ":"):]
	tests := []struct {
		name        string
		contentType string
		headers     map[string]string
		status      int
		code        string
	}{
		{"the demo page's fetch", "application/json", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, 200, ""},
		{"JSON with a charset", "application/json; charset=utf-8", map[string]string{"Origin": self}, 200, ""},
		{"a non-browser client (no Origin, no Sec-Fetch-Site)", "application/json", nil, 200, ""},
		{"cross-site form with text/plain", "text/plain", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "forbidden"},
		{"cross-site fetch with JSON", "application/json", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "forbidden"},
		{"same-site but other origin", "application/json", map[string]string{"Origin": "http://localhost:1", "Sec-Fetch-Site": "same-site"}, 403, "forbidden"},
		{"Origin of another port only", "application/json", map[string]string{"Origin": "http://127.0.0.1:1"}, 403, "forbidden"},
		{"Origin null (sandboxed frame)", "application/json", map[string]string{"Origin": "null"}, 403, "forbidden"},
		{"Sec-Fetch-Site cross-site without Origin", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "forbidden"},
		{"Sec-Fetch-Site none (typed in, not the page)", "application/json", map[string]string{"Sec-Fetch-Site": "none"}, 403, "forbidden"},
		{"same origin but text/plain", "text/plain", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, 415, "unsupported_media_type"},
		{"same origin but a form encoding", "application/x-www-form-urlencoded", map[string]string{"Origin": self}, 415, "unsupported_media_type"},
		{"no Content-Type", "", nil, 415, "unsupported_media_type"},
		{"DNS rebinding: a page on another name resolved to loopback", "application/json", map[string]string{"Host": "rebind.example" + port, "Origin": "http://rebind.example" + port, "Sec-Fetch-Site": "same-origin"}, 403, "forbidden"},
		{"DNS rebinding without Sec-Fetch-Site", "application/json", map[string]string{"Host": "rebind.example" + port, "Origin": "http://rebind.example" + port}, 403, "forbidden"},
		{"the page opened as localhost", "application/json", map[string]string{"Host": "localhost" + port, "Origin": "http://localhost" + port, "Sec-Fetch-Site": "same-origin"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/dev/token", strings.NewReader(`{"user":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if h := tt.headers["Host"]; h != "" {
				req.Host = h
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct {
				Token string
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatalf("%d: not JSON: %v", res.StatusCode, err)
			}
			if res.StatusCode != tt.status || body.Error.Code != tt.code {
				t.Fatalf("%d %+v, want %d %q", res.StatusCode, body, tt.status, tt.code)
			}
			if tt.status != 200 && body.Token != "" {
				t.Fatalf("a refused request got a token")
			}
		})
	}
}

// The page learns the routes from /config.json, and without routes it must
// see no "routes" at all (it then behaves as before routes: no choice, no
// route sent).
func TestConfigRoutes(t *testing.T) {
	routes := []Route{
		{Name: "avatar", AllowedTypes: []string{"image/png"}, MaxBytes: 2000000, Paths: []string{"form", "sts"}},
		{Name: "document", AllowedTypes: []string{"application/pdf"}, MinBytes: 10, MaxBytes: 50000000, Paths: []string{"form", "presign", "sts"}},
	}
	for _, tc := range []struct {
		name   string
		routes []Route
		want   string
	}{
		{"none", nil, `null`},
		{"two", routes, `[{"name":"avatar","allowedTypes":["image/png"],"minBytes":0,"maxBytes":2000000,"paths":["form","sts"]},` +
			`{"name":"document","allowedTypes":["application/pdf"],"minBytes":10,"maxBytes":50000000,"paths":["form","presign","sts"]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(New(Config{Root: t.TempDir(), SignURL: "http://sign", Routes: tc.routes}))
			defer srv.Close()
			res, err := http.Get(srv.URL + "/config.json")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var cfg map[string]json.RawMessage
			if err := json.NewDecoder(res.Body).Decode(&cfg); err != nil {
				t.Fatal(err)
			}
			got, ok := cfg["routes"]
			if !ok {
				got = json.RawMessage("null")
			} else if tc.routes == nil {
				t.Errorf("routes = %s without routes configured, want no routes key", got)
			}
			if string(got) != tc.want {
				t.Errorf("routes = %s, want %s", got, tc.want)
			}
			if string(cfg["signUrl"]) != `"http://sign"` {
				t.Errorf("signUrl = %s", cfg["signUrl"])
			}
		})
	}
}
