package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestGetters(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		read    func(e *Env) any
		want    any
		problem string // substring of the single expected problem; "" = none
	}{
		{"string set", map[string]string{"A": " v "}, func(e *Env) any { return e.String("A", "d") }, "v", ""},
		{"string default", nil, func(e *Env) any { return e.String("A", "d") }, "d", ""},
		{"required set", map[string]string{"A": "x"}, func(e *Env) any { return e.Required("A") }, "x", ""},
		{"required missing", nil, func(e *Env) any { return e.Required("OSS_BUCKET") }, "", "OSS_BUCKET: required"},
		{"required blank", map[string]string{"OSS_BUCKET": "  "}, func(e *Env) any { return e.Required("OSS_BUCKET") }, "", "OSS_BUCKET: required"},
		{"int ok", map[string]string{"N": "900"}, func(e *Env) any { return e.Int("N", 1, 60, 3600) }, int64(900), ""},
		{"int default", nil, func(e *Env) any { return e.Int("N", 7, 60, 3600) }, int64(7), ""},
		{"int low", map[string]string{"N": "59"}, func(e *Env) any { return e.Int("N", 900, 60, 3600) }, int64(900), `N: must be between 60 and 3600, got "59"`},
		{"int high", map[string]string{"N": "3601"}, func(e *Env) any { return e.Int("N", 900, 60, 3600) }, int64(900), "between 60 and 3600"},
		{"int garbage", map[string]string{"N": "15m"}, func(e *Env) any { return e.Int("N", 900, 60, 3600) }, int64(900), `N: must be a whole number between 60 and 3600, got "15m"`},
		{"bool true", map[string]string{"B": "TRUE"}, func(e *Env) any { return e.Bool("B", false) }, true, ""},
		{"bool 0", map[string]string{"B": "0"}, func(e *Env) any { return e.Bool("B", true) }, false, ""},
		{"bool default", nil, func(e *Env) any { return e.Bool("B", true) }, true, ""},
		{"bool bad", map[string]string{"B": "maybe"}, func(e *Env) any { return e.Bool("B", false) }, false, `B: must be true or false, got "maybe"`},
		{"list", map[string]string{"L": " a, b ,,c "}, func(e *Env) any { return e.List("L", nil) }, []string{"a", "b", "c"}, ""},
		{"list default", nil, func(e *Env) any { return e.List("L", []string{"x"}) }, []string{"x"}, ""},
		{"list only commas", map[string]string{"L": ",,"}, func(e *Env) any { return e.List("L", []string{"x"}) }, []string{"x"}, "L: must be a comma-separated list"},
		{"url ok", map[string]string{"U": "http://127.0.0.1:9001"}, func(e *Env) any { return e.URL("U", "") }, "http://127.0.0.1:9001", ""},
		{"url default", nil, func(e *Env) any { return e.URL("U", "https://d") }, "https://d", ""},
		{"url relative", map[string]string{"U": "/x"}, func(e *Env) any { return e.URL("U", "") }, "", `U: must be an absolute http:// or https:// URL, got "/x"`},
		{"url ftp", map[string]string{"U": "ftp://h/x"}, func(e *Env) any { return e.URL("U", "") }, "", "absolute http"},
		{"url userinfo", map[string]string{"U": "https://u:p@h/"}, func(e *Env) any { return e.URL("U", "") }, "", "must not carry a user"},
		{"enum ok", map[string]string{"E": "V1"}, func(e *Env) any { return e.Enum("E", "v4", "v4", "v1") }, "v1", ""},
		{"enum default", nil, func(e *Env) any { return e.Enum("E", "v4", "v4", "v1") }, "v4", ""},
		{"enum bad", map[string]string{"E": "v2"}, func(e *Env) any { return e.Enum("E", "v4", "v4", "v1") }, "v4", `E: must be one of v4|v1, got "v2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEnv(envOf(tc.env))
			got := tc.read(e)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
			probs := e.Problems()
			if tc.problem == "" {
				if len(probs) != 0 || e.Err() != nil {
					t.Fatalf("unexpected problems %q", probs)
				}
				return
			}
			if len(probs) != 1 || !strings.Contains(probs[0], tc.problem) {
				t.Fatalf("problems %q, want one containing %q", probs, tc.problem)
			}
		})
	}
}

func TestSensitiveValuesNeverEchoed(t *testing.T) {
	const leak = "hunter2-super-secret-value"
	e := NewEnv(envOf(map[string]string{
		"AUTH_JWT_SECRET":    leak,
		"WEBHOOK_SECRET":     leak,
		"SOME_TOKEN_TTL":     leak,
		"ACCESS_KEY_MODE":    leak,
		"AUTH_JWKS_URL":      "http://" + leak + "@/",
		"PLAIN_ENUM":         "visible",
		"KEY_COUNT":          "987654321",
		"webhook_secret_low": leak,
	}))
	e.Int("AUTH_JWT_SECRET", 0, 0, 1)
	e.Bool("WEBHOOK_SECRET", false)
	e.Enum("SOME_TOKEN_TTL", "a", "a")
	e.URL("ACCESS_KEY_MODE", "")
	e.Bool("webhook_secret_low", false)
	e.Enum("PLAIN_ENUM", "a", "a", "b")
	e.Int("KEY_COUNT", 1, 1, 10)
	err := e.Err()
	if err == nil {
		t.Fatal("want problems")
	}
	msg := err.Error()
	if strings.Contains(msg, leak) || strings.Contains(msg, "987654321") {
		t.Fatalf("secret value echoed: %s", msg)
	}
	for _, name := range []string{"AUTH_JWT_SECRET", "WEBHOOK_SECRET", "SOME_TOKEN_TTL", "ACCESS_KEY_MODE", "webhook_secret_low"} {
		if !strings.Contains(msg, name) {
			t.Errorf("problem list does not name %s: %s", name, msg)
		}
	}
	if !strings.Contains(msg, `"visible"`) {
		t.Errorf("non-sensitive value should be shown to help fixing it: %s", msg)
	}
}

func TestErrListsEveryProblemOnePerLine(t *testing.T) {
	e := NewEnv(envOf(map[string]string{"UPLOAD_MAX_BYTES": "-1", "LOG_LEVEL": "loud"}))
	e.Required("OSS_BUCKET")
	e.Required("OSS_REGION")
	e.Int("UPLOAD_MAX_BYTES", 100, 1, 1<<40)
	e.Enum("LOG_LEVEL", "info", "debug", "info", "warn", "error")
	e.Problem("AUTH_JWKS_URL: set exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL")
	err := e.Err()
	if err == nil {
		t.Fatal("want error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 5 problem lines and no header, got %d:\n%s", len(lines), err)
	}
	if got := Lines(err); !slices.Equal(got, lines) {
		t.Errorf("Lines = %q, want %q", got, lines)
	}
	for i, want := range []string{"OSS_BUCKET", "OSS_REGION", "UPLOAD_MAX_BYTES", "LOG_LEVEL", "AUTH_JWKS_URL"} {
		if !strings.HasPrefix(lines[i], want+": ") {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want+": ")
		}
	}
}

// NamesRead lists every variable read, once, in reading order: the
// functions' variable lists are made from it.
func TestNamesRead(t *testing.T) {
	got := NamesRead(func(getenv func(string) string) {
		e := NewEnv(getenv)
		e.String("A_ONE", "")
		e.Int("B", 1, 0, 2)
		e.String("A_ONE", "")
		getenv("C_TWO")
	})
	if !slices.Equal(got, []string{"A_ONE", "B", "C_TWO"}) {
		t.Errorf("NamesRead = %q", got)
	}
}

// Merge keeps one line per variable: a struct check does not repeat what
// reading the variable already reported.
func TestProblemsMerge(t *testing.T) {
	var read, checked Problems
	read.Add("OSS_BUCKET", "required but not set")
	checked.Add("OSS_BUCKET", "required")
	checked.Add("OSS_REGION", "required")
	got := read.Merge(checked)
	want := Problems{"OSS_BUCKET: required but not set", "OSS_REGION: required"}
	if !slices.Equal(got, want) {
		t.Errorf("Merge = %q, want %q", got, want)
	}
	if (Problems{}).Err() != nil || got.Err() == nil {
		t.Error("Err: want nil for no problems and non-nil otherwise")
	}
}

func TestNilGetenv(t *testing.T) {
	e := NewEnv(nil)
	if e.String("X", "d") != "d" || e.Err() != nil {
		t.Fatal("nil getenv should behave as empty environment")
	}
}

func ExampleEnv() {
	e := NewEnv(func(name string) string {
		return map[string]string{"POLICY_EXPIRY_SECONDS": "5", "AUTH_JWT_SECRET": "short"}[name]
	})
	e.Required("OSS_BUCKET")
	e.Int("POLICY_EXPIRY_SECONDS", 900, 60, 3600)
	if len(e.String("AUTH_JWT_SECRET", "")) < 32 {
		e.Problem("AUTH_JWT_SECRET: must be at least 32 bytes")
	}
	fmt.Println(e.Err())
	// Output:
	// OSS_BUCKET: required but not set
	// POLICY_EXPIRY_SECONDS: must be between 60 and 3600, got "5"
	// AUTH_JWT_SECRET: must be at least 32 bytes
}

func TestValidators(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"bucket", ValidBucket, "ossupload-dev", true},
		{"bucket 3 chars", ValidBucket, "abc", true},
		{"bucket too short", ValidBucket, "ab", false},
		{"bucket 64 chars", ValidBucket, strings.Repeat("a", 64), false},
		{"bucket upper case", ValidBucket, "Bucket", false},
		{"bucket leading hyphen", ValidBucket, "-abc", false},
		{"bucket trailing hyphen", ValidBucket, "abc-", false},
		{"bucket dot", ValidBucket, "a.bc", false},
		{"region", ValidRegion, "cn-hangzhou", true},
		{"region empty", ValidRegion, "", false},
		{"region space", ValidRegion, "cn hangzhou", false},
		{"region three parts", ValidRegion, "ap-southeast-1", true},
		{"region us", ValidRegion, "us-west-1", true},
		{"region without hyphen", ValidRegion, "hangzhou", false},
		{"region endpoint prefix", ValidRegion, "oss-cn-hangzhou", false},
		{"region leading hyphen", ValidRegion, "-cn", false},
		{"region trailing hyphen", ValidRegion, "cn-", false},
		{"origin", ValidOrigin, "https://app.example.com", true},
		{"origin with port and slash", ValidOrigin, "http://127.0.0.1:8080/", true},
		{"origin with path", ValidOrigin, "https://app.example.com/x", false},
		{"origin with query", ValidOrigin, "https://app.example.com?x=1", false},
		{"origin with user", ValidOrigin, "https://u@app.example.com", false},
		{"origin ftp", ValidOrigin, "ftp://app.example.com", false},
		{"origin bare host", ValidOrigin, "app.example.com", false},
		{"url", ValidHTTPURL, "https://oss-cn-hangzhou.aliyuncs.com/path", true},
		{"url relative", ValidHTTPURL, "/path", false},
		{"url no host", ValidHTTPURL, "http://", false},
	} {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%s: %q = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}
