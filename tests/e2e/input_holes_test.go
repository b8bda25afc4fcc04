package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Security regressions through the local stack's real binaries: tokens
// whose dates are of the wrong type or range, wildcard content types, and
// the demo page's sign-in called from another site.
func TestInputHolesAreClosed(t *testing.T) {
	s := startStack(t, "")
	// The stack's own token re-signed with one claim changed.
	secret, token := stackTokens(t, s)
	reissue := func(change func(jwt.MapClaims)) string { return token(jwt.SigningMethodHS256, secret, "", change) }
	body := map[string]any{"filename": "a.png", "contentType": "image/png", "size": 10}
	tokens := []struct {
		name  string
		token string
		want  int
	}{
		{"the stack's token re-signed unchanged", reissue(func(jwt.MapClaims) {}), 200},
		{"nbf 1e300", reissue(func(c jwt.MapClaims) { c["nbf"] = 1e300 }), 401},
		{"exp 1e300", reissue(func(c jwt.MapClaims) { c["exp"] = 1e300 }), 401},
		{"exp as a string", reissue(func(c jwt.MapClaims) { c["exp"] = "4102444800" }), 401},
	}
	for _, tt := range tokens {
		t.Run("token/"+tt.name, func(t *testing.T) {
			if code := callJSON(t, "POST", s.Functions["sign"], tt.token, body, nil); code != tt.want {
				t.Fatalf("sign: HTTP %d, want %d", code, tt.want)
			}
		})
	}
	for _, ct := range []string{"image/*", "*/*", "image/png; x=\"text/html\""} {
		t.Run("contentType/"+ct, func(t *testing.T) {
			var e struct{ Error struct{ Code string } }
			code := callJSON(t, "POST", s.Functions["sign"], s.JWT, map[string]any{"filename": "a.png", "contentType": ct, "size": 10}, &e)
			if code != http.StatusBadRequest || e.Error.Code != "invalid_request" {
				t.Fatalf("HTTP %d %+v, want 400 invalid_request", code, e)
			}
		})
	}
	devToken := strings.TrimSuffix(s.Web, "/") + "/dev/token"
	for _, c := range []struct {
		name, contentType, origin string
		want                      int
	}{
		{"the page itself", "application/json", strings.TrimSuffix(s.Web, "/"), 200},
		{"a cross-site form", "text/plain", "https://evil.example", 403},
		{"a cross-site fetch", "application/json", "https://evil.example", 403},
		{"text/plain from the page", "text/plain", strings.TrimSuffix(s.Web, "/"), 415},
	} {
		t.Run("dev sign-in/"+c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, devToken, strings.NewReader(`{"user":"mallory"}`))
			req.Header.Set("Content-Type", c.contentType)
			req.Header.Set("Origin", c.origin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("HTTP %d, want %d", res.StatusCode, c.want)
			}
		})
	}
}
