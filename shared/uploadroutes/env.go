package uploadroutes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// EnvName is the variable holding the routes.
const EnvName = "UPLOAD_ROUTES"

// Bounds of a route's configuration.
const (
	MaxRoutes       = 32
	MaxNameLen      = 32
	MinPolicyExpiry = 60 * time.Second   // as POLICY_EXPIRY_SECONDS
	MaxPolicyExpiry = 3600 * time.Second // as POLICY_EXPIRY_SECONDS
)

// FromEnv reads UPLOAD_ROUTES, recording every problem in env (read them
// with env.Err), each naming UPLOAD_ROUTES and the route.
//
// The value is a JSON object from route name to route, in the order the
// routes are listed (the order Routes returns):
//
//	{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"],
//	            "maxBytes": 2000000, "paths": ["form", "sts"]},
//	 "document": {"allowedTypes": ["application/pdf"], "maxBytes": 50000000}}
//
// Fields: allowedTypes (required), dir (default: the name), minBytes
// (default 0), maxBytes (default: base.MaxBytes), policyExpirySeconds
// (default 0: the function's POLICY_EXPIRY_SECONDS), paths (default all of
// "form", "presign", "sts"), overwrite (default false). Field names are
// exact (case matters) and none may appear twice.
//
// base (UPLOAD_PREFIX, UPLOAD_MAX_BYTES, UPLOAD_ALLOWED_TYPES) bounds every
// route: a route's maxBytes is at most UPLOAD_MAX_BYTES, and each of its
// types must be allowed by UPLOAD_ALLOWED_TYPES, so those variables stay
// the deployment's outer limits. When UPLOAD_ROUTES is unset, blank, null or {} the
// result is Default(base). On any problem the result is Default(base) too;
// the caller must not start (env.Err).
func FromEnv(env *config.Env, base uploadrules.Rules) Set {
	raw := env.String(EnvName, "")
	if raw == "" || raw == "null" {
		// null, like {} below, is "no routes": s.yaml's default (a brace
		// inside ${env(...)} is not Serverless Devs syntax), so the
		// variable is always sent and never empty.
		return Default(base)
	}
	var problems []string
	problem := func(format string, args ...any) {
		problems = append(problems, EnvName+": "+fmt.Sprintf(format, args...))
	}
	members, err := objectMembers([]byte(raw))
	if err != nil {
		problem("must be a JSON object from route name to route, like {\"avatar\":{\"allowedTypes\":[\"image/png\"],\"maxBytes\":2000000}}: %v", err)
	}
	if err == nil && len(members) == 0 {
		// {} is "no routes", as unset is: s.yaml and template.yaml pass it
		// by default, so the variable is always sent and never empty.
		return Default(base)
	}
	if len(members) > MaxRoutes {
		problem("%d routes, at most %d", len(members), MaxRoutes)
	}
	set := Set{configured: true}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.name] {
			problem("route %q is listed twice", m.name)
			continue
		}
		seen[m.name] = true
		r, errs := parseRoute(m.name, m.value, base)
		for _, e := range errs {
			problem("route %q: %s", m.name, e)
		}
		set.routes = append(set.routes, r)
	}
	for i, a := range set.routes {
		for _, b := range set.routes[i+1:] {
			if nested(a.Dir, b.Dir) {
				problem("routes %q and %q: dir %q and dir %q overlap; a key must lie in one route's dir only", a.Name, b.Name, a.Dir, b.Dir)
			}
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			env.Problem("%s", p)
		}
		return Default(base)
	}
	return set
}

// nested reports whether one dir is the other or lies inside it, by path
// segment ("a" holds "a/b", not "ab"). An invalid ("") dir is reported by
// its own route.
func nested(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasPrefix(b, a+"/") || strings.HasPrefix(a, b+"/")
}

// routeFields are the exact names of a route's fields.
var routeFields = []string{"dir", "allowedTypes", "minBytes", "maxBytes", "policyExpirySeconds", "paths", "overwrite"}

func parseRoute(name string, raw json.RawMessage, base uploadrules.Rules) (Route, []string) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !validName(name) {
		bad("the name must be 1 to %d of a-z, 0-9 and -", MaxNameLen)
	}
	r := Route{Name: name, Dir: name, MaxBytes: base.MaxBytes, Paths: slices.Clone(AllPaths)}
	members, err := objectMembers(raw)
	if err != nil {
		bad("must be a JSON object: %v", err)
		return r, errs
	}
	got := map[string]bool{}
	for _, m := range members {
		if got[m.name] {
			bad("field %q appears twice", m.name)
			continue
		}
		got[m.name] = true
		var err error
		switch m.name {
		case "dir":
			err = strict(m.value, &r.Dir)
		case "allowedTypes":
			err = strict(m.value, &r.AllowedTypes)
		case "minBytes":
			err = strict(m.value, &r.MinBytes)
		case "maxBytes":
			err = strict(m.value, &r.MaxBytes)
		case "policyExpirySeconds":
			var s int64
			if err = strict(m.value, &s); err == nil {
				if s < int64(MinPolicyExpiry/time.Second) || s > int64(MaxPolicyExpiry/time.Second) {
					bad("policyExpirySeconds must be between %d and %d, got %d", int64(MinPolicyExpiry/time.Second), int64(MaxPolicyExpiry/time.Second), s)
				}
				r.PolicyExpiry = time.Duration(s) * time.Second
			}
		case "paths":
			err = strict(m.value, &r.Paths)
		case "overwrite":
			if err = strict(m.value, &r.Overwrite); err == nil && r.Overwrite {
				// The bucket's overwrite protection rule (template.yaml,
				// ALIYUN::OSS::BucketOverwriteConfig) forbids replacing any
				// object under UPLOAD_PREFIX for everyone, and a rule has one
				// prefix, which cannot name a route directory below every
				// user's prefix; STS credentials cannot be stopped from
				// overwriting by RAM either (stsvend.UploadActions). So no
				// route can promise true; saying so beats signing uploads
				// that OSS then answers 409 FileAlreadyExists.
				bad("overwrite true is not supported: the bucket's overwrite protection covers all of UPLOAD_PREFIX for every upload path; leave it out or set false")
			}
		default:
			bad("unknown field %q (fields: %s)", m.name, strings.Join(routeFields, ", "))
			continue
		}
		if err != nil {
			bad("field %q: %v", m.name, err)
		}
	}
	if !uploadrules.ValidDir(r.Dir) || r.Dir == "" {
		bad("dir %q must be path segments of A-Z a-z 0-9 . _ - joined by /, at most %d bytes, with no empty, . or .. segment and no leading or trailing /", r.Dir, uploadrules.MaxDirLen)
	}
	if !got["allowedTypes"] || len(r.AllowedTypes) == 0 {
		bad("allowedTypes must list at least one media type")
	}
	for _, p := range r.AllowedTypes {
		switch {
		case !uploadrules.ValidTypePattern(p):
			bad("allowed type %q is not a media type like image/png, image/* or */*", p)
		case !within(base, p):
			bad("allowed type %q is not allowed by UPLOAD_ALLOWED_TYPES; add it there too", p)
		}
	}
	switch {
	case r.MinBytes < 0:
		bad("minBytes must not be negative, got %d", r.MinBytes)
	case r.MaxBytes < 1:
		bad("maxBytes must be at least 1, got %d", r.MaxBytes)
	case r.MinBytes > r.MaxBytes:
		bad("minBytes %d is above maxBytes %d", r.MinBytes, r.MaxBytes)
	}
	if r.MaxBytes > base.MaxBytes {
		bad("maxBytes %d is above UPLOAD_MAX_BYTES %d; raise that too", r.MaxBytes, base.MaxBytes)
	}
	if len(r.Paths) == 0 {
		bad("paths must list at least one of %s", strings.Join(AllPaths, ", "))
	}
	for i, p := range r.Paths {
		switch {
		case !slices.Contains(AllPaths, p):
			bad("path %q is not one of %s", p, strings.Join(AllPaths, ", "))
		case slices.Contains(r.Paths[:i], p):
			bad("path %q is listed twice", p)
		}
	}
	return r, errs
}

// within reports whether the route type pattern p stays inside base's
// allow-list: an exact type that base allows (active content only when
// base names it exactly, as verify requires), "type/*" only when base has
// it or "*/*", "*/*" only when base has it.
func within(base uploadrules.Rules, p string) bool {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "*/*" {
		return base.AllowsAnyType()
	}
	if typ, ok := strings.CutSuffix(p, "/*"); ok {
		for _, b := range base.AllowedTypes {
			if b = strings.ToLower(strings.TrimSpace(b)); b == "*/*" || b == typ+"/*" {
				return true
			}
		}
		return false
	}
	return base.TypeAllowed(p) && (!uploadrules.IsActive(p) || base.AllowedByName(p))
}

func validName(n string) bool {
	if n == "" || len(n) > MaxNameLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers returns the members of the JSON object raw in order, with
// names exactly as written (encoding/json would match field names case-
// insensitively and keep only the last of a repeated name).
func objectMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{name: t.(string), value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the object")
	}
	return out, nil
}

// strict decodes one member's value into dst, refusing null (which
// encoding/json would skip silently).
func strict(raw json.RawMessage, dst any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("null is not a value here")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("want %s, got a JSON %s", goKind(dst), te.Value)
		}
		return err
	}
	return nil
}

func goKind(dst any) string {
	switch dst.(type) {
	case *string:
		return "a string"
	case *[]string:
		return "a list of strings"
	case *int64:
		return "a whole number"
	case *bool:
		return "true or false"
	}
	return "another type"
}
