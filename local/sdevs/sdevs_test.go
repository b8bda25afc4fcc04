package sdevs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadResolvesVarsEnvAndTemplates(t *testing.T) {
	env := map[string]string{"OSS_BUCKET": "b1", "AUTH_JWT_SECRET": "s3cr3t"}
	fns, err := Load("testdata/s.yaml", Resolver{
		Getenv: func(k string) string { return env[k] },
		Config: map[string]string{"AccountID": "123"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 {
		t.Fatalf("got %d functions, want 2 (the fc3-domain resource is not a function)", len(fns))
	}
	sign, verify := fns[0], fns[1]
	if sign.ID != "sign" || sign.Name != "demo-sign" || sign.Runtime != "go1" || sign.Handler != "main" ||
		sign.MemoryMB != 128 || sign.TimeoutSec != 10 || sign.Role != "demo-sign-role" {
		t.Errorf("sign = %+v", sign)
	}
	wantEnv := map[string]string{"OSS_BUCKET": "b1", "UPLOAD_PREFIX": "uploads/", "AUTH_JWT_SECRET": "s3cr3t"}
	if !reflect.DeepEqual(sign.Env, wantEnv) {
		t.Errorf("sign env = %v, want %v", sign.Env, wantEnv)
	}
	if len(sign.Triggers) != 1 || sign.Triggers[0].Type != "http" ||
		!reflect.DeepEqual(sign.Triggers[0].Methods, []string{"GET", "POST", "OPTIONS"}) {
		t.Errorf("sign triggers = %+v", sign.Triggers)
	}
	if verify.TimeoutSec != 0 {
		t.Errorf("extend.ignore did not drop timeout: %d", verify.TimeoutSec)
	}
	tr := verify.Triggers[0]
	if tr.Type != "oss" || tr.Prefix != "uploads/" || tr.Suffix != "" || len(tr.Events) != 2 {
		t.Errorf("verify trigger = %+v", tr)
	}
}

func TestEnvDefaultsApply(t *testing.T) {
	fns, err := Load("testdata/s.yaml", Resolver{
		Getenv: func(string) string { return "" },
		Config: map[string]string{"AccountID": "123"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fns[0].Env["OSS_BUCKET"]; got != "" {
		t.Errorf("unset env without default should be empty, got %q", got)
	}
}

func TestUnknownExpressionsFail(t *testing.T) {
	cases := map[string]string{
		"unknown var":    "${vars.nope}",
		"unknown func":   "${file('./x')}",
		"unknown config": "${config('AccessKeySecret')}",
	}
	for name, expr := range cases {
		t.Run(name, func(t *testing.T) {
			doc := "edition: 3.0.0\nresources:\n  f:\n    component: fc3\n    props:\n      functionName: \"" + expr + "\"\n"
			_, err := Parse([]byte(doc), Resolver{Getenv: func(string) string { return "" }, Config: map[string]string{"AccountID": "1"}})
			if err == nil || !strings.Contains(err.Error(), "resources.f.props.functionName") {
				t.Fatalf("err = %v, want an error naming the property", err)
			}
		})
	}
}

func TestRejectsOldEdition(t *testing.T) {
	if _, err := Parse([]byte("edition: 1.0.0\n"), Resolver{}); err == nil {
		t.Fatal("edition 1.0.0 accepted")
	}
}

// The expressions s.yaml uses for derived defaults, with the results
// `s preview` (Serverless Devs 3.1.10) gives for the same text.
func TestEvalConcatenatesAndNests(t *testing.T) {
	env := map[string]string{"OSS_REGION": "cn-beijing", "SET": "v"}
	sc := Scope{
		Getenv: func(k string) string { return env[k] },
		Vars:   map[string]string{"region": "cn-beijing", "bucket": "b"},
		Config: map[string]string{"AccountID": "123"},
	}
	for expr, want := range map[string]string{
		`env('OSS_UPLOAD_URL', 'https://' + vars.bucket + '.oss-' + vars.region + '.aliyuncs.com')`: "https://b.oss-cn-beijing.aliyuncs.com",
		`env('OSS_ENDPOINT', 'https://oss-' + env('OSS_REGION', 'cn-hangzhou') + '.aliyuncs.com')`:  "https://oss-cn-beijing.aliyuncs.com",
		`env('SET', 'unused')`:                 "v",
		`env("UNSET")`:                         "",
		`'a' + "b" + config('AccountID')`:      "ab123",
		` vars.region `:                        "cn-beijing",
		`env('UNSET', '') + '-' + vars.bucket`: "-b",
	} {
		got, err := Eval(expr, sc)
		if err != nil || got != want {
			t.Errorf("Eval(%s) = %q, %v; want %q", expr, got, err, want)
		}
	}
	sc.MissingEnv = func(name string) error { return errors.New(name + " not found") }
	if _, err := Eval(`env('UNSET')`, sc); err == nil || !strings.Contains(err.Error(), "UNSET not found") {
		t.Errorf("strict env without default: err = %v", err)
	}
	for _, bad := range []string{`vars.a || 'y'`, `env(UNQUOTED)`, `'open`, `env('A',)`, `'a' +`, `file('x')`, `env('A') env('B')`} {
		if _, err := Eval(bad, sc); err == nil {
			t.Errorf("Eval(%s) accepted", bad)
		}
	}
}

func TestTimerTriggerAndAsyncConfig(t *testing.T) {
	dir := t.TempDir()
	const doc = `edition: 3.0.0
name: x
vars:
  name: ${env('N', 'acme')}
resources:
  verify:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: ${vars.name}-verify
      runtime: go1
      handler: main
      code: ./build/dist/verify
      timeout: 120
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 0
        maxAsyncEventAgeInSeconds: 3600
        destinationConfig:
          onFailure:
            destination: acs:mns:cn-hangzhou:1:/queues/${vars.name}-failed/messages
      triggers:
        - triggerName: sweep
          triggerType: timer
          triggerConfig:
            cronExpression: '@every 15m'
            enable: true
        - triggerName: nightly
          triggerType: timer
          triggerConfig:
            cronExpression: '0 0 2 * * *'
            enable: false
            payload: hi
`
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	fns, err := Load(path, Resolver{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	fn := fns[0]
	if fn.Async.MaxRetries == nil || *fn.Async.MaxRetries != 0 || fn.Async.MaxEventAge != 3600 || fn.Async.OnFailure != "acs:mns:cn-hangzhou:1:/queues/acme-failed/messages" || fn.Async.OnSuccess != "" {
		t.Errorf("async %+v", fn.Async)
	}
	if len(fn.Triggers) != 2 {
		t.Fatalf("triggers %+v", fn.Triggers)
	}
	sweep, nightly := fn.Triggers[0], fn.Triggers[1]
	if d, err := sweep.Interval(); err != nil || d != 15*time.Minute || !sweep.Enabled || sweep.Type != "timer" {
		t.Errorf("sweep %+v: %v %v", sweep, d, err)
	}
	if _, err := nightly.Interval(); err == nil || nightly.Enabled || nightly.Payload != "hi" {
		t.Errorf("nightly %+v: %v", nightly, err)
	}
}
