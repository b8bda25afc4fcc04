package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/sdevs"
	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository root seen from this package's directory.
const repoRoot = "../.."

// loadYAML parses a repository file into generic maps.
func loadYAML(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return doc
}

// deepCopy copies maps and slices so a table test can mutate its own copy.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// at walks a path of map keys and slice indexes ("resources", "sign", 0, ...).
func at(v any, path ...any) (any, bool) {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			s, ok := v.([]any)
			if !ok || k < 0 || k >= len(s) {
				return nil, false
			}
			v = s[k]
		default:
			panic(fmt.Sprintf("bad path element %T", p))
		}
	}
	return v, true
}

// mustMap is at() for a map the test itself requires to exist.
func mustMap(t *testing.T, v any, path ...any) map[string]any {
	t.Helper()
	x, ok := at(v, path...)
	m, isMap := x.(map[string]any)
	if !ok || !isMap {
		t.Fatalf("no map at %v", path)
	}
	return m
}

// set replaces the value at path (the parent must exist); a nil value deletes a map key.
func set(v any, value any, path ...any) {
	parent, ok := at(v, path[:len(path)-1]...)
	if !ok {
		panic(fmt.Sprintf("no parent for %v", path))
	}
	switch k := path[len(path)-1].(type) {
	case string:
		m := parent.(map[string]any)
		if value == nil {
			delete(m, k)
			return
		}
		m[k] = value
	case int:
		parent.([]any)[k] = value
	}
}

// str returns v as a string the way YAML scalars print (numbers too).
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// strList accepts a string or a list of scalars.
func strList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	default:
		return []string{str(x)}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// expectErr asserts that errs contains one whose text contains want.
func expectErr(t *testing.T, errs []error, want string) {
	t.Helper()
	for _, err := range errs {
		if strings.Contains(err.Error(), want) {
			return
		}
	}
	t.Errorf("expected an error containing %q, got %d errors:\n%v", want, len(errs), errors.Join(errs...))
}

// noErrs fails the test with every error in errs.
func noErrs(t *testing.T, what string, errs []error) {
	t.Helper()
	for _, err := range errs {
		t.Errorf("%s: %v", what, err)
	}
}

// ---- Serverless Devs magic variables ----

var (
	sdExprRe = regexp.MustCompile(`\$\{([^}]*)\}`)
	sdCfgRe  = regexp.MustCompile(`config\(\s*['"]([A-Za-z]*)['"]\s*\)`)
)

// sdRenderer resolves the only expressions s.yaml may use, with the local
// stack's own evaluator (local/sdevs.Eval: vars.x, env('X'[, default]),
// config('AccountID'), quoted strings and +), which TestSPreviewRendersValidProps
// holds to what Serverless Devs renders. config('AccountID') is allowed only
// inside ARNs and the log project's name.
type sdRenderer struct {
	getenv    func(string) string
	accountID string
	vars      map[string]string
}

func (r *sdRenderer) expand(s, where string) (string, error) {
	var errs []error
	out := sdExprRe.ReplaceAllStringFunc(s, func(m string) string {
		expr := strings.TrimSpace(m[2 : len(m)-1])
		for _, c := range sdCfgRe.FindAllStringSubmatch(expr, -1) {
			if c[1] != "AccountID" {
				errs = append(errs, fmt.Errorf("%s: %s: only config('AccountID') is allowed", where, m))
			}
			// The account ID belongs in ARNs and in names that must be
			// unique across accounts (the log project), nowhere else.
			if !strings.HasPrefix(s, "acs:") && !strings.HasSuffix(where, ".logConfig.project") {
				errs = append(errs, fmt.Errorf("%s: %s: config() is allowed only inside an ARN or logConfig.project", where, m))
			}
		}
		v, err := sdevs.Eval(expr, sdevs.Scope{
			Getenv: r.getenv,
			Vars:   r.vars,
			Config: map[string]string{"AccountID": r.accountID},
			// Serverless Devs 3 stops when env('X') has no default and X
			// is unset ("env('X') not found").
			MissingEnv: func(name string) error { return fmt.Errorf("env('%s') not found", name) },
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", where, m, err))
		}
		return v
	})
	return out, errors.Join(errs...)
}

func (r *sdRenderer) walk(v any, where string) (any, error) {
	switch x := v.(type) {
	case string:
		return r.expand(x, where)
	case map[string]any:
		out := make(map[string]any, len(x))
		var errs []error
		for k, e := range x {
			if sdExprRe.MatchString(k) {
				errs = append(errs, fmt.Errorf("%s: expression in key %q", where, k))
			}
			var err error
			if out[k], err = r.walk(e, where+"."+k); err != nil {
				errs = append(errs, err)
			}
		}
		return out, errors.Join(errs...)
	case []any:
		out := make([]any, len(x))
		var errs []error
		for i, e := range x {
			var err error
			if out[i], err = r.walk(e, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				errs = append(errs, err)
			}
		}
		return out, errors.Join(errs...)
	default:
		return v, nil
	}
}

// renderSYAML resolves the magic variables of a parsed s.yaml: vars first
// (from env() only), then everything else. Keys are never expanded.
func renderSYAML(doc map[string]any, getenv func(string) string, accountID string) (map[string]any, error) {
	r := &sdRenderer{getenv: getenv, accountID: accountID, vars: map[string]string{}}
	var errs []error
	vars, _ := doc["vars"].(map[string]any)
	for _, k := range sortedKeys(vars) {
		s, err := r.expand(str(vars[k]), "vars."+k)
		if err != nil {
			errs = append(errs, err)
		}
		if strings.Contains(str(vars[k]), "${vars.") {
			errs = append(errs, fmt.Errorf("vars.%s refers to another var (the local stack does not resolve that)", k))
		}
		r.vars[k] = s
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "vars" {
			m := make(map[string]any, len(r.vars))
			for vk, vv := range r.vars {
				m[vk] = vv
			}
			out[k] = m
			continue
		}
		rv, err := r.walk(v, k)
		if err != nil {
			errs = append(errs, err)
		}
		out[k] = rv
	}
	return out, errors.Join(errs...)
}

// noEnv renders every ${env()} with its default.
func noEnv(string) string { return "" }

// testJWTSecret stands in for the one setting s.yaml requires from the
// deployer's environment (AUTH_JWT_SECRET has no default).
const testJWTSecret = "test-secret-0123456789abcdef0123456789abcdef"

// deployerEnv is the smallest environment `s deploy` accepts: every other
// ${env()} takes its default.
func deployerEnv(name string) string {
	if name == "AUTH_JWT_SECRET" {
		return testJWTSecret
	}
	return ""
}

const testAccountID = "123456789012"

// renderedSYAML is the repository's s.yaml rendered with defaults only
// (deployerEnv).
func renderedSYAML(t *testing.T) map[string]any {
	t.Helper()
	doc, err := renderSYAML(loadYAML(t, "s.yaml"), deployerEnv, testAccountID)
	if err != nil {
		t.Fatalf("render s.yaml: %v", err)
	}
	return doc
}
