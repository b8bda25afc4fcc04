package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/golang-jwt/jwt/v5"
)

// TestHostileAPICalls is a table of attacks on the sign and sts functions
// and GET /status through the local stack's real binaries: forged tokens,
// hostile request bodies and queries, other users' keys, and CORS from
// origins not listed. Each row names the answer it must get.
func TestHostileAPICalls(t *testing.T) {
	s := startStack(t, "")
	secret, token := stackTokens(t, s)
	good := token(jwt.SigningMethodHS256, secret, "", nil)
	sub := func(v any) string {
		return token(jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["sub"] = v })
	}
	sign, sts := strings.TrimSuffix(s.Functions["sign"], "/"), strings.TrimSuffix(s.Functions["sts"], "/")
	okBody := `{"filename":"a.png","contentType":"image/png","size":10}`
	status := func(key string) string { return sign + "/status?key=" + url.QueryEscape(key) }
	own := "uploads/" + s.User + "/"

	rows := []struct {
		family, name string
		method, url  string
		token        string
		body         string
		status       int
		code         string
	}{
		{"token", "alg none", "POST", sign + "/", token(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", nil), okBody, 401, "unauthorized"},
		{"token", "header says RS256, HMAC-signed with the secret", "POST", sign + "/", token(jwt.SigningMethodHS256, secret, "RS256", nil), okBody, 401, "unauthorized"},
		{"token", "HS384 with the right secret", "POST", sign + "/", token(jwt.SigningMethodHS384, secret, "", nil), okBody, 401, "unauthorized"},
		{"token", "kid naming a file, wrong secret", "POST", sign + "/", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "mallory", "exp": 4102444800})
			tok.Header["kid"] = "../../../../dev/null"
			str, _ := tok.SignedString([]byte(""))
			return str
		}(), okBody, 401, "unauthorized"},
		{"token", "no exp", "POST", sign + "/", token(jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { delete(c, "exp") }), okBody, 401, "unauthorized"},
		{"token", "sub with a slash and ..", "POST", sign + "/", sub(s.User + "/../other"), okBody, 401, "unauthorized"},
		{"token", "sub empty", "POST", sign + "/", sub(""), okBody, 401, "unauthorized"},
		{"token", "sub with a newline", "POST", sign + "/", sub("a\nb"), okBody, 401, "unauthorized"},
		{"token", "sub of 65 characters", "POST", sign + "/", sub(strings.Repeat("a", 65)), okBody, 401, "unauthorized"},
		{"token", "sub with a non-ASCII letter", "POST", sign + "/", sub("ålice"), okBody, 401, "unauthorized"},
		{"token", "sub a number", "POST", sign + "/", sub(42), okBody, 401, "unauthorized"},
		{"token", "sts with alg none", "POST", sts + "/", token(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", nil), "", 401, "unauthorized"},

		{"body", "filename with a path", "POST", sign + "/", good, `{"filename":"../other/a.png","contentType":"image/png","size":10}`, 400, "invalid_filename"},
		{"body", "filename with NUL", "POST", sign + "/", good, `{"filename":"a\u0000.png","contentType":"image/png","size":10}`, 400, "invalid_filename"},
		{"body", "filename with an RTL override", "POST", sign + "/", good, `{"filename":"a\u202egnp.exe","contentType":"image/png","size":10}`, 400, "invalid_filename"},
		{"body", "filename of 10 KB", "POST", sign + "/", good, `{"filename":"` + strings.Repeat("a", 10<<10) + `.png","contentType":"image/png","size":10}`, 400, "invalid_filename"},
		{"body", "size 0", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":0}`, 400, "invalid_request"},
		{"body", "size negative", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":-1}`, 400, "invalid_request"},
		{"body", "size a float", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":1.5}`, 400, "invalid_request"},
		{"body", "size a string", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":"10"}`, 400, "invalid_request"},
		{"body", "size 1e30", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":1e30}`, 400, "invalid_request"},
		{"body", "size the largest int64", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","size":9223372036854775807}`, 413, "too_large"},
		{"body", "hole: contentType twice, the second in another case", "POST", sign + "/", good, `{"filename":"a.png","contentType":"image/png","ContentType":"text/html","size":10}`, 400, "invalid_request"},
		{"body", "trailing data", "POST", sign + "/", good, okBody + `{"contentType":"text/html"}`, 400, "invalid_request"},
		{"body", "svg under image/*", "POST", sign + "/", good, `{"filename":"a.svg","contentType":"image/svg+xml","size":10}`, 400, "type_not_allowed"},
		{"body", "GET with one contentType (the control of the next row)", "GET", sign + "/?filename=a.png&contentType=image/png&size=10", good, "", 200, ""},
		{"body", "GET with contentType twice (FC joins the values; the handler refuses the pair too)", "GET", sign + "/?filename=a.png&contentType=image/png&contentType=text/html&size=10", good, "", 400, "invalid_request"},

		{"status", "another user's key", "GET", status("uploads/other/2026/01/01/x.png"), good, "", 403, "forbidden"},
		{"status", "own prefix, then ../other", "GET", status(own + "../other/x.png"), good, "", 403, "forbidden"},
		{"status", "empty segment", "GET", status(own + "/x.png"), good, "", 403, "forbidden"},
		{"status", "the prefix's slash encoded", "GET", status("uploads%2F" + s.User + "%2Fx.png"), good, "", 403, "forbidden"},
		{"status", "1024-byte key", "GET", status(own + strings.Repeat("k", 1024-len(own))), good, "", 400, "invalid_request"},
		{"status", "own key not uploaded", "GET", status(own + "never.png"), good, "", 404, "not_found"},
	}
	for _, r := range rows {
		t.Run(r.family+"/"+r.name, func(t *testing.T) {
			var body io.Reader
			if r.body != "" {
				body = strings.NewReader(r.body)
			}
			req, err := http.NewRequest(r.method, r.url, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+r.token)
			if r.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var e struct{ Error struct{ Code string } }
			raw, _ := io.ReadAll(res.Body)
			_ = json.Unmarshal(raw, &e)
			if res.StatusCode != r.status || e.Error.Code != r.code {
				t.Fatalf("HTTP %d %s; want %d %s", res.StatusCode, raw, r.status, r.code)
			}
		})
	}

	// hole: the body sent as a cross-site form sends it (no preflight).
	for _, ct := range []string{"text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		t.Run("body/hole: sent as "+ct, func(t *testing.T) {
			req, err := http.NewRequest("POST", sign+"/", strings.NewReader(okBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+good)
			req.Header.Set("Content-Type", ct)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("HTTP %d, want 415", res.StatusCode)
			}
		})
	}

	// Preflights from origins that are not listed get no CORS answer.
	listed := s.CORSOrigins[0]
	for _, origin := range []string{"https://evil.example", "null", listed + ".evil.example", strings.Replace(listed, "http://", "https://", 1)} {
		for _, fn := range []string{sign, sts} {
			t.Run("cors/"+origin+" on "+fn, func(t *testing.T) {
				res := preflight(t, fn+"/", origin, "POST", "authorization,content-type")
				if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
					t.Fatalf("preflight from %s answered Access-Control-Allow-Origin %q", origin, got)
				}
			})
		}
	}
	t.Run("cors/the listed origin", func(t *testing.T) {
		if res := preflight(t, sign+"/", listed, "POST", "authorization,content-type"); res.Header.Get("Access-Control-Allow-Origin") != listed {
			t.Fatalf("the listed origin %s is refused", listed)
		}
	})
}

// TestHostileForms tampers with a signed PostObject form in ways other
// than adding a field (form_pins_test adds one): a pinned field replaced
// or removed, a field after the file, the file part's own type, a second
// file. Each must be refused, or store exactly what was signed.
func TestHostileForms(t *testing.T) {
	s := startStack(t, "")
	client, err := oss.New(s.OSS, s.AccessKeyID, s.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := client.Bucket(s.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	png := realPNG(t)
	html := []byte("<html><script>alert(document.domain)</script></html>")
	type part = struct{ name, value string }
	rows := []struct {
		name   string
		fields func(signed map[string]string) []part // the form's fields, in order, before the file
		after  []part                                // fields after the file
		file   []byte
		ftype  string // the file part's Content-Type
		second bool   // a second file part holding HTML
		stored bool   // true: accepted (then it must be what was signed)
	}{
		{"the form as signed", nil, nil, png, "image/png", false, true},
		{"Content-Type replaced by text/html", replace("Content-Type", "text/html"), nil, html, "text/html", false, false},
		{"Content-Type removed, the file part says text/html", without("Content-Type"), nil, html, "text/html", false, false},
		{"x-oss-content-type removed", without("x-oss-content-type"), nil, png, "text/html", false, false},
		{"x-oss-meta-declared-type replaced", replace("x-oss-meta-declared-type", "text/html"), nil, png, "image/png", false, false},
		{"x-oss-forbid-overwrite removed", without("x-oss-forbid-overwrite"), nil, png, "image/png", false, false},
		{"key replaced by another user's", replace("key", "uploads/other/x.png"), nil, png, "image/png", false, false},
		{"key replaced by another own key", replace("key", "uploads/"+s.User+"/x.html"), nil, png, "image/png", false, false},
		{"x-oss-content-type after the file", nil, []part{{"x-oss-content-type", "text/html"}}, png, "image/png", false, true},
		{"'Content-Type ' with a trailing space", func(f map[string]string) []part {
			return append(asParts(f), part{"Content-Type ", "text/html"})
		}, nil, png, "image/png", false, true},
		{"a second file part holding HTML", nil, nil, png, "image/png", true, true},
		{"the file part says text/html", nil, nil, png, "text/html", false, true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			var signed signResponse
			if code := callJSON(t, "POST", s.Functions["sign"], s.JWT, map[string]any{"filename": "photo.png", "contentType": "image/png", "size": len(r.file)}, &signed); code != http.StatusOK {
				t.Fatalf("sign: HTTP %d", code)
			}
			fields := asParts(signed.Fields)
			if r.fields != nil {
				fields = r.fields(signed.Fields)
			}
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for _, p := range fields {
				must(t, mw.WriteField(p.name, p.value))
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="file"; filename="photo.png"`)
			h.Set("Content-Type", r.ftype)
			fw, err := mw.CreatePart(h)
			must(t, err)
			fw.Write(r.file)
			if r.second {
				h.Set("Content-Disposition", `form-data; name="file"; filename="page.html"`)
				h.Set("Content-Type", "text/html")
				fw, err := mw.CreatePart(h)
				must(t, err)
				fw.Write(html)
			}
			for _, p := range r.after {
				must(t, mw.WriteField(p.name, p.value))
			}
			must(t, mw.Close())
			res, err := http.Post(signed.URL, mw.FormDataContentType(), &buf)
			must(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			key := signed.Key
			meta, headErr := bucket.GetObjectDetailedMeta(key)
			if !r.stored {
				if res.StatusCode/100 == 2 || headErr == nil {
					t.Fatalf("HTTP %d %s, object stored: %v; want refused", res.StatusCode, body, headErr == nil)
				}
				return
			}
			if res.StatusCode/100 != 2 || headErr != nil {
				t.Fatalf("HTTP %d %s (HEAD %v); want accepted", res.StatusCode, body, headErr)
			}
			if ct := meta.Get("Content-Type"); ct != "image/png" || meta.Get("X-Oss-Meta-Declared-Type") != "image/png" {
				t.Errorf("stored Content-Type %q, declared %q", ct, meta.Get("X-Oss-Meta-Declared-Type"))
			}
			if n := meta.Get("Content-Length"); n != strconv.Itoa(len(png)) {
				t.Errorf("stored %s bytes, want the %d signed", n, len(png))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// asParts lists signed form fields in a fixed order.
func asParts(f map[string]string) []struct{ name, value string } {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]struct{ name, value string }, 0, len(f))
	for _, n := range names {
		out = append(out, struct{ name, value string }{n, f[n]})
	}
	return out
}

func replace(name, value string) func(map[string]string) []struct{ name, value string } {
	return func(f map[string]string) []struct{ name, value string } {
		out := asParts(f)
		for i := range out {
			if out[i].name == name {
				out[i].value = value
			}
		}
		return out
	}
}

func without(name string) func(map[string]string) []struct{ name, value string } {
	return func(f map[string]string) []struct{ name, value string } {
		var out []struct{ name, value string }
		for _, p := range asParts(f) {
			if p.name != name {
				out = append(out, p)
			}
		}
		return out
	}
}
