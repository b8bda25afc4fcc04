package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// armFault posts a fault to an emulator's /_emulator/faults; clearFaults
// removes them all.
func armFault(t *testing.T, emulator string, fault string) {
	t.Helper()
	res, err := http.Post(strings.TrimSuffix(emulator, "/")+"/_emulator/faults", "application/json", strings.NewReader(fault))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("arming %s: HTTP %d %s", fault, res.StatusCode, b)
	}
}

func clearFaults(t *testing.T, emulator string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, strings.TrimSuffix(emulator, "/")+"/_emulator/faults", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// devToken signs in as user through the demo page's development sign-in.
func devToken(t *testing.T, s *stack, user string) string {
	t.Helper()
	web := strings.TrimSuffix(s.Web, "/")
	req, _ := http.NewRequest(http.MethodPost, web+"/dev/token", strings.NewReader(fmt.Sprintf(`{"user":%q}`, user)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", web)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("dev token for %s: HTTP %d %v", user, res.StatusCode, err)
	}
	return out.Token
}

// getStatus is GET /status with the answer's status, error code and Retry-After.
func getStatus(t *testing.T, s *stack, key string) (code int, status, errCode, retryAfter string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.Functions["sign"], "/")+"/status?key="+url.QueryEscape(key), nil)
	req.Header.Set("Authorization", "Bearer "+s.JWT)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status string
		Error  struct{ Code string }
	}
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &body)
	return res.StatusCode, body.Status, body.Error.Code, res.Header.Get("Retry-After")
}

// TestStatusWhenOSSFails: while OSS fails GetObjectTagging for the key
// (503, 500, a dropped connection, an answer that never comes), GET
// /status answers a clear 503 "unavailable" with Retry-After, never a
// verdict (not even "pending"), and the verdict again once OSS recovers.
func TestStatusWhenOSSFails(t *testing.T) {
	s := startStack(t, "")
	key := postForm(t, s, "cat.png", "image/png", realPNG(t))
	if st, _ := waitVerdict(t, s, key); st != "verified" {
		t.Fatalf("verdict %q before the faults", st)
	}
	for _, fault := range []string{
		`{"op":"GetObjectTagging","key":%q,"action":"error","status":503}`,
		`{"op":"GetObjectTagging","key":%q,"action":"error","status":500}`,
		`{"op":"GetObjectTagging","key":%q,"action":"drop"}`,
		`{"op":"GetObjectTagging","key":%q,"action":"slow","delay":"1h"}`,
	} {
		f := fmt.Sprintf(fault, key)
		armFault(t, s.OSS, f)
		start := time.Now()
		code, status, errCode, retry := getStatus(t, s, key)
		if code != http.StatusServiceUnavailable || errCode != "unavailable" || retry == "" || status != "" {
			t.Errorf("%s: HTTP %d status %q code %q Retry-After %q, want 503 unavailable with Retry-After", f, code, status, errCode, retry)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("%s: answered after %v", f, d)
		}
		clearFaults(t, s.OSS)
	}
	if code, status, _, _ := getStatus(t, s, key); code != http.StatusOK || status != "verified" {
		t.Errorf("after the faults: HTTP %d %q", code, status)
	}
}

// TestSTSFunctionUnderThrottling: while STS throttles AssumeRole, callers
// get 503 "unavailable" with Retry-After; once it stops they get
// credentials, each user only ever their own: they upload under their own
// prefix and are refused under another user's.
func TestSTSFunctionUnderThrottling(t *testing.T) {
	s := startStack(t, "")
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = devToken(t, s, u)
	}
	type vended struct {
		AccessKeyID     string `json:"accessKeyId"`
		AccessKeySecret string `json:"accessKeySecret"`
		SecurityToken   string `json:"securityToken"`
		Dir             string `json:"dir"`
	}
	call := func(user string) (int, string, vended, string) {
		req, _ := http.NewRequest(http.MethodPost, s.Functions["sts"], nil)
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, "", vended{}, ""
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var v vended
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(raw, &v)
		json.Unmarshal(raw, &e)
		return res.StatusCode, e.Error.Code, v, res.Header.Get("Retry-After")
	}

	armFault(t, s.STS, `{"op":"AssumeRole","action":"throttle"}`)
	var wg sync.WaitGroup
	for _, u := range users {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, errCode, v, retry := call(u)
				if code != http.StatusServiceUnavailable || errCode != "unavailable" || retry == "" || v.AccessKeyID != "" {
					t.Errorf("%s while throttled: HTTP %d %q Retry-After %q key %q", u, code, errCode, retry, v.AccessKeyID)
				}
			}()
		}
	}
	wg.Wait()
	clearFaults(t, s.STS)
	// STS failing otherwise (a 503, a dropped connection): also 503 with Retry-After.
	for _, f := range []string{`{"action":"error","status":503,"times":1}`, `{"action":"drop","times":1}`} {
		armFault(t, s.STS, f)
		if code, errCode, v, retry := call("erin"); code != http.StatusServiceUnavailable || errCode != "unavailable" || retry == "" || v.AccessKeyID != "" {
			t.Errorf("%s: HTTP %d %q Retry-After %q", f, code, errCode, retry)
		}
	}

	got := map[string]vended{}
	var mu sync.Mutex
	for _, u := range users {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, errCode, v, _ := call(u)
				if code != http.StatusOK || v.Dir != "uploads/"+u+"/" {
					t.Errorf("%s after throttling: HTTP %d %q dir %q", u, code, errCode, v.Dir)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if prev, ok := got[u]; ok && prev.AccessKeyID != v.AccessKeyID {
					t.Errorf("%s got two different cached credentials", u)
				}
				got[u] = v
			}()
		}
	}
	wg.Wait()
	seen := map[string]string{}
	for _, u := range users {
		v := got[u]
		if other, dup := seen[v.AccessKeyID]; dup {
			t.Fatalf("%s and %s were handed the same credentials", other, u)
		}
		seen[v.AccessKeyID] = u
		c, err := oss.New(s.OSS, v.AccessKeyID, v.AccessKeySecret, oss.SecurityToken(v.SecurityToken))
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Bucket(s.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.PutObject("uploads/"+u+"/own.png", bytes.NewReader(realPNG(t))); err != nil {
			t.Errorf("%s cannot write its own prefix: %v", u, err)
		}
		other := users[(indexOf(users, u)+1)%len(users)]
		err = b.PutObject("uploads/"+other+"/theirs.png", bytes.NewReader(realPNG(t)))
		var se oss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
			t.Errorf("%s writing under %s's prefix: %v, want 403", u, other, err)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
