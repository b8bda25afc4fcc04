package devpage

import (
	"encoding/json"
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
		"/vendor/aliyun-oss-sdk.min.js": 404, "/favicon.svg": 200, "/favicon.ico": 204}
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
	dist := filepath.Join(root, "node_modules/ali-oss/dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "aliyun-oss-sdk.min.js"), []byte("var OSS;"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/vendor/aliyun-oss-sdk.min.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("bundle: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
