package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/sdevs"
)

var (
	roleARNRe   = regexp.MustCompile(`^acs:ram::[0-9]+:role/[a-z0-9][a-z0-9-]{0,63}$`)
	ossBucketRe = regexp.MustCompile(`^acs:oss:([a-z0-9-]+):([0-9]+):([a-z0-9][a-z0-9-]{1,61}[a-z0-9])$`)
)

// contractRequiredEnv is requiredEnv with nothing learnt from the code: the
// mutation tests use it so they do not depend on the functions' state.
func contractRequiredEnv() map[string][]string {
	m := map[string][]string{}
	for _, fn := range deployedFunctions {
		m[fn] = requiredEnv(fn, codeFacts{})
	}
	return m
}

// optionalEnv are the variables a deployment may leave out: the functions
// read them with a default (OSS_ENDPOINT, OSS_UPLOAD_URL, STS_ENDPOINT:
// shared/uploadpolicy, shared/stsvend, shared/verifier config) or treat
// "unset" as "not used" (webhook, issuer/audience; one of the two auth
// settings; the pre-sign hook).
// Everything else the functions read must be set.
var optionalEnv = []string{
	"OSS_ENDPOINT", "OSS_UPLOAD_URL", "STS_ENDPOINT",
	"AUTH_JWT_SECRET", "AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE",
	"WEBHOOK_URL", "WEBHOOK_SECRET",
	"UPLOAD_HOOK_URL", "UPLOAD_HOOK_SECRET",
}

// checkNoEmptyEnv refuses empty values: FC 3.0's documentation (Configure
// environment variables: key rules, 4 KB total) never says an empty value
// is accepted, and the functions treat "unset" and "empty" alike, so an
// empty value is left out instead of sent.
func checkNoEmptyEnv(where string, env map[string]any) []error {
	var errs []error
	for _, name := range sortedKeys(env) {
		if v, ok := env[name].(string); ok && v == "" {
			errs = append(errs, fmt.Errorf("%s: %s is empty: leave it out (FC 3.0 is not documented to accept empty values)", where, name))
		}
	}
	return errs
}

// checkAuth: the HTTP functions refuse every caller without a JWT secret or
// a JWKS URL, unless anonymous callers are allowed, so one of the two must be
// in the environment.
func checkAuth(where string, env map[string]any) []error {
	_, secret := env["AUTH_JWT_SECRET"]
	_, jwks := env["AUTH_JWKS_URL"]
	if secret || jwks || str(env["AUTH_ALLOW_ANONYMOUS"]) == "true" {
		return nil
	}
	return []error{fmt.Errorf("%s: neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set and AUTH_ALLOW_ANONYMOUS is not true: every call would be refused", where)}
}

// checkEnv compares one function's environment with what it reads.
func checkEnv(where string, env map[string]any, required []string) []error {
	var errs []error
	for _, name := range required {
		if _, ok := env[name]; !ok && !slices.Contains(optionalEnv, name) {
			errs = append(errs, fmt.Errorf("%s: environment variable %s is read by the function but not set", where, name))
		}
	}
	for _, name := range sortedKeys(env) {
		switch {
		case platformEnv(name):
			errs = append(errs, fmt.Errorf("%s: %s is set by FC itself (role credentials, FC_*) and must not be set here", where, name))
		case !slices.Contains(required, name):
			errs = append(errs, fmt.Errorf("%s: %s is set but the function never reads it", where, name))
		}
	}
	return errs
}

// checkSYAML checks a rendered s.yaml.
func checkSYAML(doc map[string]any, required map[string][]string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e := str(doc["edition"]); e != "3.0.0" {
		bad("edition %q: the 3.x CLI needs 3.0.0", e)
	}
	build := false
	if hooks, ok := at(doc, "actions", "pre-deploy"); ok {
		list, _ := hooks.([]any)
		for _, h := range list {
			if hm, ok := h.(map[string]any); ok && strings.TrimSpace(str(hm["run"])) == "make build" {
				build = true
			}
		}
	}
	if !build {
		bad("actions.pre-deploy does not run `make build`: s deploy would ship stale or missing binaries")
	}
	resources, _ := doc["resources"].(map[string]any)
	sweepAges := map[string]any{}
	for _, fn := range deployedFunctions {
		where := "s.yaml resources." + fn
		r, ok := resources[fn].(map[string]any)
		if !ok {
			bad("%s: missing", where)
			continue
		}
		if c := str(r["component"]); c != "fc3" {
			bad("%s: component %q, want fc3", where, c)
		}
		props, _ := r["props"].(map[string]any)
		if props == nil {
			bad("%s: no props", where)
			continue
		}
		if v := str(props["runtime"]); v != "go1" {
			bad("%s: runtime %q, want go1 (static linux/amd64 binary)", where, v)
		}
		if v := str(props["handler"]); v != "main" {
			bad("%s: handler %q, want main (the binary's name in the code folder)", where, v)
		}
		if v, want := str(props["code"]), "./build/dist/"+fn; v != want {
			bad("%s: code %q, want %q (what make build writes)", where, v, want)
		}
		if v := str(props["role"]); !roleARNRe.MatchString(v) {
			bad("%s: role %q is not a role ARN acs:ram::<account>:role/<name>", where, v)
		}
		if _, ok := props["logConfig"]; !ok {
			bad("%s: no logConfig: the function's logs would be lost", where)
		}
		env, _ := props["environmentVariables"].(map[string]any)
		errs = append(errs, checkEnv(where+".environmentVariables", env, required[fn])...)
		errs = append(errs, checkNoEmptyEnv(where+".environmentVariables", env)...)
		sweepAges[fn] = env["SWEEP_MIN_AGE_SECONDS"]
		if fn != "verify" {
			errs = append(errs, checkAuth(where+".environmentVariables", env)...)
		}
		if r := str(env["OSS_REGION"]); r != str(props["region"]) {
			bad("%s: OSS_REGION %q differs from the function's region %q (OSS triggers need the bucket in the function's region)", where, r, str(props["region"]))
		}
		triggers, _ := props["triggers"].([]any)
		if fn == "verify" {
			// The OSS trigger, then the sweep's timer (checked below).
			errs = append(errs, checkSweepTriggers(where, triggers, env, props)...)
			if len(triggers) != 2 {
				continue
			}
		} else if len(triggers) != 1 {
			bad("%s: %d triggers, want exactly one", where, len(triggers))
			continue
		}
		t, _ := triggers[0].(map[string]any)
		cfg, _ := t["triggerConfig"].(map[string]any)
		tw := where + ".triggers[0]"
		switch fn {
		case "sign", "sts":
			if typ := str(t["triggerType"]); typ != "http" {
				bad("%s: triggerType %q, want http", tw, typ)
				continue
			}
			errs = append(errs, checkHTTPTrigger(tw, cfg)...)
		case "verify":
			if typ := str(t["triggerType"]); typ != "oss" {
				bad("%s: triggerType %q, want oss", tw, typ)
				continue
			}
			errs = append(errs, checkOSSTrigger(tw, cfg, str(env["UPLOAD_PREFIX"]), str(env["QUARANTINE_PREFIX"]))...)
			m := ossBucketRe.FindStringSubmatch(str(t["sourceArn"]))
			switch {
			case m == nil:
				bad("%s: sourceArn %q is not acs:oss:<region>:<account>:<bucket>", tw, str(t["sourceArn"]))
			case m[1] != str(props["region"]) || m[3] != str(env["OSS_BUCKET"]):
				bad("%s: sourceArn %q is not the bucket OSS_BUCKET=%q in %s", tw, m[0], str(env["OSS_BUCKET"]), str(props["region"]))
			}
			if v := str(t["invocationRole"]); !roleARNRe.MatchString(v) {
				bad("%s: invocationRole %q is not a role ARN", tw, v)
			}
		}
	}
	return append(errs, checkSameSweepAge("s.yaml", sweepAges)...)
}

func TestSYAMLMatchesTheCode(t *testing.T) {
	doc := renderedSYAML(t)
	required := map[string][]string{}
	for _, fn := range deployedFunctions {
		facts, err := scanFunction(fn)
		if err != nil {
			t.Errorf("cannot learn what functions/%s reads (%v); checking the contract list only", fn, err)
		}
		required[fn] = requiredEnv(fn, facts)
	}
	noErrs(t, "s.yaml", checkSYAML(doc, required))
}

// Overriding the variables (as a user's .env would) still renders valid
// props, and the overrides land where the functions read them.
func TestSYAMLHonoursEnvironment(t *testing.T) {
	env := map[string]string{"OSS_BUCKET": "acme-uploads", "OSS_REGION": "cn-shanghai", "UPLOAD_PREFIX": "in/", "QUARANTINE_PREFIX": "bad/", "OSSUPLOAD_NAME": "acme", "AUTH_JWT_SECRET": testJWTSecret}
	doc, err := renderSYAML(loadYAML(t, "s.yaml"), func(k string) string { return env[k] }, testAccountID)
	if err != nil {
		t.Fatal(err)
	}
	noErrs(t, "s.yaml with overrides", checkSYAML(doc, contractRequiredEnv()))
	v := mustMap(t, doc, "resources", "verify", "props")
	if got := str(v["functionName"]); got != "acme-verify" {
		t.Errorf("functionName = %q", got)
	}
	if got, _ := at(v, "triggers", 0, "sourceArn"); got != "acs:oss:cn-shanghai:123456789012:acme-uploads" {
		t.Errorf("sourceArn = %v", got)
	}
	if got, _ := at(v, "triggers", 0, "triggerConfig", "filter", "key", "prefix"); got != "in/" {
		t.Errorf("filter prefix = %v", got)
	}
}

// The local stack reads the same file with local/sdevs: it must accept it
// and see the same environment and triggers.
func TestSYAMLReadableByLocalStack(t *testing.T) {
	fns, err := sdevs.Load(repoRoot+"/s.yaml", sdevs.Resolver{Getenv: deployerEnv, Config: map[string]string{"AccountID": testAccountID}})
	if err != nil {
		t.Fatalf("local/sdevs cannot read s.yaml: %v", err)
	}
	doc := renderedSYAML(t)
	if len(fns) != len(deployedFunctions) {
		t.Fatalf("local/sdevs found %d functions, want %d", len(fns), len(deployedFunctions))
	}
	for _, fn := range fns {
		env := mustMap(t, doc, "resources", fn.ID, "props", "environmentVariables")
		for k, v := range env {
			if fn.Env[k] != v {
				t.Errorf("%s: %s = %q for the local stack, %q rendered here", fn.ID, k, fn.Env[k], v)
			}
		}
		want := 1
		if fn.ID == "verify" {
			want = 2 // the OSS trigger and the sweep's timer
		}
		if len(fn.Env) != len(env) || len(fn.Triggers) != want {
			t.Errorf("%s: local stack sees %d env vars and %d triggers", fn.ID, len(fn.Env), len(fn.Triggers))
		}
	}
}

func TestSYAMLChecksCatchMutations(t *testing.T) {
	base := renderedSYAML(t)
	p := func(fn string) []any { return []any{"resources", fn, "props"} }
	path := func(fn string, rest ...any) []any { return append(p(fn), rest...) }
	oss := func(rest ...any) []any {
		return append(path("verify", "triggers", 0, "triggerConfig"), rest...)
	}
	cases := []struct {
		name  string
		path  []any
		value any // nil deletes
		want  string
	}{
		{"env var missing", path("sign", "environmentVariables", "OSS_BUCKET"), nil, "OSS_BUCKET is read by the function but not set"},
		{"sts role arn missing", path("sts", "environmentVariables", "STS_ROLE_ARN"), nil, "STS_ROLE_ARN is read by the function but not set"},
		{"quarantine prefix missing", path("verify", "environmentVariables", "QUARANTINE_PREFIX"), nil, "QUARANTINE_PREFIX is read by the function but not set"},
		{"unread env var", path("verify", "environmentVariables", "SIGNATURE_VERSION"), "v4", "SIGNATURE_VERSION is set but the function never reads it"},
		{"empty env value", path("sign", "environmentVariables", "OSS_ENDPOINT"), "", "OSS_ENDPOINT is empty: leave it out"},
		{"empty optional value", path("verify", "environmentVariables", "WEBHOOK_URL"), "", "WEBHOOK_URL is empty"},
		{"no caller auth", path("sts", "environmentVariables", "AUTH_JWT_SECRET"), nil, "neither AUTH_JWT_SECRET nor AUTH_JWKS_URL"},
		{"platform credentials set", path("sign", "environmentVariables", "ALIBABA_CLOUD_ACCESS_KEY_ID"), "x", "is set by FC itself"},
		{"region mismatch", path("verify", "environmentVariables", "OSS_REGION"), "cn-beijing", "differs from the function's region"},
		{"wrong runtime", path("sign", "runtime"), "custom.debian12", "want go1"},
		{"wrong handler", path("sts", "handler"), "bootstrap", "want main"},
		{"wrong code dir", path("verify", "code"), "./dist", "what make build writes"},
		{"role not an arn", path("sign", "role"), "auto", "is not a role ARN"},
		{"no log config", path("sts", "logConfig"), nil, "no logConfig"},
		{"sign trigger kind", path("sign", "triggers", 0, "triggerType"), "timer", "want http"},
		{"verify trigger kind", path("verify", "triggers", 0, "triggerType"), "http", "want oss"},
		{"two triggers", path("sts", "triggers"), []any{map[string]any{}, map[string]any{}}, "want exactly one"},
		{"http auth function", path("sign", "triggers", 0, "triggerConfig", "authType"), "function", "browsers need anonymous"},
		{"http no preflight", path("sts", "triggers", 0, "triggerConfig", "methods"), []any{"GET", "POST"}, "lack OPTIONS"},
		{"http no internet", path("sign", "triggers", 0, "triggerConfig", "disableURLInternet"), true, "browsers could not reach"},
		{"copy event", oss("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:CopyObject"}, "can fire on the function's own writes"},
		{"all created events", oss("events"), []any{"oss:ObjectCreated:*"}, "can fire on the function's own writes"},
		{"missing multipart event", oss("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject"}, "lack oss:ObjectCreated:CompleteMultipartUpload"},
		{"missing append event", oss("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:PutSymlink"}, "lack oss:ObjectCreated:AppendObject"},
		{"missing symlink event", oss("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:AppendObject"}, "lack oss:ObjectCreated:PutSymlink"},
		{"upload part event", oss("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:UploadPart"}, "is not a finished upload"},
		{"empty prefix", oss("filter", "key", "prefix"), "", "matches the whole bucket"},
		{"prefix is quarantine", oss("filter", "key", "prefix"), "quarantine/", "can fire on the function's own writes"},
		{"prefix not upload prefix", oss("filter", "key", "prefix"), "up/", "is not UPLOAD_PREFIX"},
		{"suffix", oss("filter", "key", "suffix"), ".jpg", "would leave other uploads unverified"},
		{"quarantine inside uploads", path("verify", "environmentVariables", "QUARANTINE_PREFIX"), "uploads/quarantine/", "overlaps UPLOAD_PREFIX"},
		{"source arn other bucket", path("verify", "triggers", 0, "sourceArn"), "acs:oss:cn-hangzhou:123456789012:other-bucket", "is not the bucket"},
		{"source arn malformed", path("verify", "triggers", 0, "sourceArn"), "other-bucket", "is not acs:oss:"},
		{"invocation role missing", path("verify", "triggers", 0, "invocationRole"), nil, "invocationRole"},
		{"no build hook", []any{"actions", "pre-deploy"}, nil, "does not run `make build`"},
		{"edition", []any{"edition"}, "1.0.0", "edition"},
		{"resource missing", []any{"resources", "sts"}, nil, "resources.sts: missing"},
		{"component", []any{"resources", "sign", "component"}, "fc", "want fc3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkSYAML(doc, contractRequiredEnv()), tc.want)
		})
	}
}

// Expressions the local stack cannot resolve are refused.
func TestSYAMLRendererRefusesOtherExpressions(t *testing.T) {
	for _, bad := range []string{
		"${resources.sign.output.url}",
		"${file('./x')}",
		"${config('AccessKeyID')}",
		"plain-${config('AccountID')}",
		"${vars.nosuch}",
	} {
		doc := map[string]any{"edition": "3.0.0", "vars": map[string]any{"a": "1"}, "resources": map[string]any{"x": map[string]any{"props": map[string]any{"p": "acs:" + bad}}}}
		if strings.HasPrefix(bad, "plain") {
			doc["resources"] = map[string]any{"x": map[string]any{"props": map[string]any{"p": bad}}}
		}
		if _, err := renderSYAML(doc, noEnv, testAccountID); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	if _, err := renderSYAML(map[string]any{"vars": map[string]any{"a": "${vars.b}", "b": "1"}}, noEnv, testAccountID); err == nil {
		t.Error("a var referring to a var was accepted")
	}
}
