package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// stackTokens returns the stack's development JWT secret (from its data
// folder's dev.json) and token, which re-signs the stack's own token with
// one change: its claims, the signing method, or the alg its header names.
func stackTokens(t *testing.T, s *stack) (secret []byte, token func(method jwt.SigningMethod, key any, alg string, change func(jwt.MapClaims)) string) {
	t.Helper()
	var dev struct {
		JWTSecret string `json:"jwtSecret"`
	}
	b, err := os.ReadFile(filepath.Join(s.Data, "dev.json"))
	if err != nil || json.Unmarshal(b, &dev) != nil || dev.JWTSecret == "" {
		t.Fatalf("dev.json: %v", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(s.JWT, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	token = func(method jwt.SigningMethod, key any, alg string, change func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(c)
		}
		tok := jwt.NewWithClaims(method, c)
		if alg != "" {
			tok.Header["alg"] = alg
		}
		str, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	return []byte(dev.JWTSecret), token
}
