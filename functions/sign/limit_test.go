package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/stacktest"
)

// TestBinaryRefusesHugeBodyInSmallMemory sends a 31 MiB body (under FC's
// 32 MB HTTP trigger limit, so it reaches the function) through the local
// FC runtime's HTTP trigger to the real binary, with and without a valid
// token: each is answered 413 request_too_large, and the process's peak
// resident memory stays under 64 MiB (it is deployed with 128 MB; through
// fc.Start the same body cost over 200 MB). A small request still works
// afterwards, in the same process.
func TestBinaryRefusesHugeBodyInSmallMemory(t *testing.T) {
	bin := buildLinux(t)
	env := map[string]string{}
	for _, kv := range baseEnv("") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "FC_RUNTIME_API" && k != "PATH" {
			env[k] = v
		}
	}
	rt, out := stacktest.Function(t, fcruntime.Config{},
		fcruntime.Function{Name: "sign", Binary: bin, Env: env, Timeout: 10 * time.Second, MemoryMB: 128})
	trigger := stacktest.HTTPTrigger(t, rt, "sign")

	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "dev-user", "iss": "test-issuer", "aud": "ossupload",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	huge := bytes.Repeat([]byte(`{"filename":"a.png"} `), (31<<20)/21)
	post := func(body []byte, auth string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, trigger+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, b := stacktest.Do(t, req)
		return resp.StatusCode, b
	}
	for _, auth := range []string{tok, ""} {
		status, body := post(huge, auth)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal(body, &e); status != http.StatusRequestEntityTooLarge || e.Error.Code != "request_too_large" {
			t.Fatalf("authenticated=%v: status %d body %.300s\n%s", auth != "", status, body, out.String())
		}
	}
	pid := rt.PID("sign")
	hwm := stacktest.PeakRSS(t, pid)
	t.Logf("sign process peak RSS after two 31 MiB bodies: %.1f MiB", float64(hwm)/(1<<20))
	if hwm >= 64<<20 {
		t.Errorf("peak RSS %d bytes, want under 64 MiB", hwm)
	}
	if status, body := post([]byte(`{"filename":"cat.png","contentType":"image/png","size":4096}`), tok); status != http.StatusOK {
		t.Errorf("small request after the huge ones: %d %s", status, body)
	}
	if rt.PID("sign") != pid {
		t.Errorf("the sign process was replaced (pid %d, now %d)", pid, rt.PID("sign"))
	}
}
