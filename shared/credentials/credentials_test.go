package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

const (
	testID     = "LTAI5tExampleAccessKeyID"
	testSecret = "s3cr3tValueThatMustNeverLeak"
	testToken  = "CAIStokenThatMustNeverLeak"
)

var full = Credentials{AccessKeyID: testID, AccessKeySecret: testSecret, SecurityToken: testToken}

func assertRedacted(t *testing.T, path, out string) {
	t.Helper()
	if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
		t.Fatalf("%s leaked a secret: %s", path, out)
	}
	if strings.Contains(out, testID) {
		t.Fatalf("%s printed the whole AccessKey ID: %s", path, out)
	}
	if !strings.Contains(out, "LTAI****") {
		t.Fatalf("%s did not show the masked AccessKey ID: %s", path, out)
	}
}

func TestRedaction(t *testing.T) {
	type wrapper struct {
		Name  string
		Creds Credentials
		Ptr   *Credentials
	}
	w := wrapper{Name: "x", Creds: full, Ptr: &full}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("resolved", "creds", full, "ptr", &full)
	var textBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("resolved", slog.Any("creds", full))
	var stdBuf bytes.Buffer
	log.New(&stdBuf, "", 0).Printf("%v", full)
	jsonOut, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	jsonWrapped, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"%v":             fmt.Sprintf("%v", full),
		"%+v":            fmt.Sprintf("%+v", full),
		"%#v":            fmt.Sprintf("%#v", full),
		"%s":             fmt.Sprintf("%s", full),
		"%q":             fmt.Sprintf("%q", full),
		"%x":             fmt.Sprintf("%x", full),
		"%v pointer":     fmt.Sprintf("%v", &full),
		"%+v in struct":  fmt.Sprintf("%+v", w),
		"%#v in struct":  fmt.Sprintf("%#v", w),
		"%v in slice":    fmt.Sprintf("%v", []Credentials{full}),
		"Println":        fmt.Sprintln(full),
		"json":           string(jsonOut),
		"json in struct": string(jsonWrapped),
		"slog JSON":      logBuf.String(),
		"slog text":      textBuf.String(),
		"log.Printf":     stdBuf.String(),
		"error wrap %v":  fmt.Errorf("using %v: %w", full, errors.New("boom")).Error(),
		"String()":       full.String(),
		"GoString()":     full.GoString(),
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) { assertRedacted(t, name, out) })
	}
	// The slog line must still be valid JSON with the masked id in place.
	var line struct {
		Creds map[string]string `json:"creds"`
	}
	if err := json.Unmarshal(logBuf.Bytes(), &line); err != nil {
		t.Fatalf("slog line is not JSON: %v", err)
	}
	if line.Creds["accessKeyId"] != "LTAI****" || line.Creds["accessKeySecret"] != "[REDACTED]" {
		t.Fatalf("slog creds group = %v", line.Creds)
	}
}

func TestMaskID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"short", "****"},
		{"12345678", "****"},
		{"STS.NUabcdef", "STS.****"},
	} {
		if got := MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestChainResolve(t *testing.T) {
	fcCtx := fccontext.NewContext(context.Background(), &fccontext.FcContext{
		RequestID:   "req-1",
		Credentials: fccontext.Credentials{AccessKeyId: "STS.fromfc", AccessKeySecret: "fcsecret", SecurityToken: "fctoken"},
	})
	emptyFC := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "req-2"})
	fullEnv := env(map[string]string{EnvAccessKeyID: "envid", EnvAccessKeySecret: "envsecret", EnvSecurityToken: "envtoken"})
	explicit := Credentials{AccessKeyID: "explicit", AccessKeySecret: "explicitsecret"}
	tests := []struct {
		name    string
		ctx     context.Context
		chain   Chain
		want    Credentials
		wantErr error
	}{
		{"fc context wins over env and explicit", fcCtx, Chain{Getenv: fullEnv, Explicit: explicit},
			Credentials{"STS.fromfc", "fcsecret", "fctoken"}, nil},
		{"fc context without key falls to env", emptyFC, Chain{Getenv: fullEnv, Explicit: explicit},
			Credentials{"envid", "envsecret", "envtoken"}, nil},
		{"env when no fc context", context.Background(), Chain{Getenv: fullEnv},
			Credentials{"envid", "envsecret", "envtoken"}, nil},
		{"env with id but no secret is skipped", context.Background(),
			Chain{Getenv: env(map[string]string{EnvAccessKeyID: "envid"}), Explicit: explicit}, explicit, nil},
		{"explicit last", context.Background(), Chain{Getenv: env(nil), Explicit: explicit}, explicit, nil},
		{"nil getenv", context.Background(), Chain{Explicit: explicit}, explicit, nil},
		{"nothing", context.Background(), Chain{Getenv: env(nil)}, Credentials{}, ErrNotFound},
		{"explicit without secret", context.Background(), Chain{Explicit: Credentials{AccessKeyID: "x"}}, Credentials{}, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.chain.Resolve(tc.ctx)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	if !strings.Contains(ErrNotFound.Error(), EnvAccessKeyID) || !strings.Contains(ErrNotFound.Error(), EnvAccessKeySecret) {
		t.Fatalf("ErrNotFound does not say what to set: %v", ErrNotFound)
	}
}

func TestValid(t *testing.T) {
	if (Credentials{AccessKeyID: "a"}).Valid() || (Credentials{AccessKeySecret: "b"}).Valid() || !(Credentials{AccessKeyID: "a", AccessKeySecret: "b"}).Valid() {
		t.Fatal("Valid wrong")
	}
}

func ExampleCredentials() {
	c := Credentials{AccessKeyID: "LTAI5tExampleKey", AccessKeySecret: "secret", SecurityToken: "token"}
	fmt.Printf("%+v\n", c)
	// Output: {AccessKeyID:LTAI**** AccessKeySecret:[REDACTED] SecurityToken:[REDACTED]}
}
