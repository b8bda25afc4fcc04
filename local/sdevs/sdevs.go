// Package sdevs reads the Serverless Devs s.yaml (edition 3.x, fc3
// component) that `s deploy` uses, so the local stack starts the same
// functions with the same environment and triggers as the deployment.
//
// It resolves the magic variables the project's s.yaml uses (see Eval):
// ${vars.name}, ${env('NAME')}, ${env('NAME', <default>)},
// ${config('AccountID')} and '+' between them and quoted strings. Anything
// else is an error rather than a silent empty string, so the local stack
// cannot drift from the deployment without somebody noticing.
package sdevs

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is the part of s.yaml the local stack needs.
type File struct {
	Edition   string                    `yaml:"edition"`
	Name      string                    `yaml:"name"`
	Vars      map[string]any            `yaml:"vars"`
	Template  map[string]map[string]any `yaml:"template"`
	Resources map[string]Resource       `yaml:"resources"`
}

// Resource is one entry under resources.
type Resource struct {
	Component string         `yaml:"component"`
	Props     map[string]any `yaml:"props"`
	Extend    *struct {
		Name   string   `yaml:"name"`
		Ignore []string `yaml:"ignore"`
	} `yaml:"extend"`
}

// Function is a resolved fc3 function.
type Function struct {
	ID          string // resource id in s.yaml, e.g. "sign"
	Name        string // functionName
	Runtime     string
	Handler     string
	Code        string
	MemoryMB    int
	TimeoutSec  int
	Role        string
	Env         map[string]string
	Triggers    []Trigger
	Description string
	Async       Async
}

// Async is the fc3 asyncInvokeConfig (schema IAsyncInvokeConfig). Zero
// values mean "not set" (FC's defaults apply).
type Async struct {
	MaxRetries  *int // maxAsyncRetryAttempts (0-8)
	MaxEventAge int  // maxAsyncEventAgeInSeconds
	OnFailure   string
	OnSuccess   string
}

// Trigger is a resolved trigger of a function.
type Trigger struct {
	Name     string
	Type     string   // http | oss | ...
	Methods  []string // http
	AuthType string   // http
	Events   []string // oss, with the oss: prefix
	Prefix   string   // oss filter
	Suffix   string   // oss filter
	Cron     string   // timer cronExpression
	Enabled  bool     // timer enable
	Payload  string   // timer payload
}

// Interval is how often a timer trigger fires, for the "@every <n><unit>"
// form (units s, m, h as Go durations; FC 3.0 time triggers:
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/time-triggers).
// Cron-field expressions are not supported by the local stack.
func (t Trigger) Interval() (time.Duration, error) {
	spec, ok := strings.CutPrefix(t.Cron, "@every ")
	if !ok {
		return 0, fmt.Errorf("timer trigger %s: cronExpression %q: the local stack runs only @every <n>m|h", t.Name, t.Cron)
	}
	d, err := time.ParseDuration(strings.TrimSpace(spec))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("timer trigger %s: cronExpression %q: %v", t.Name, t.Cron, err)
	}
	return d, nil
}

// Resolver supplies the values of ${env(...)} and ${config(...)}.
type Resolver struct {
	// Getenv looks up ${env('NAME')}; nil means os.Getenv.
	Getenv func(string) string
	// Config answers ${config('Key')} (AccountID, AccessKeyID, ...).
	Config map[string]string
}

// Load reads and resolves path.
func Load(path string, r Resolver) ([]Function, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read s.yaml: %w", err)
	}
	return Parse(b, r)
}

// Parse resolves an s.yaml document.
func Parse(doc []byte, r Resolver) ([]Function, error) {
	var f File
	if err := yaml.Unmarshal(doc, &f); err != nil {
		return nil, fmt.Errorf("parse s.yaml: %w", err)
	}
	if !strings.HasPrefix(f.Edition, "3.") {
		return nil, fmt.Errorf("s.yaml: edition %q is not 3.x", f.Edition)
	}
	if r.Getenv == nil {
		r.Getenv = os.Getenv
	}
	res := &resolver{r: r, vars: map[string]string{}}
	// vars may refer to env() and config() but not to each other.
	for k, v := range f.Vars {
		s, err := res.expand(fmt.Sprint(v), "vars."+k)
		if err != nil {
			return nil, err
		}
		res.vars[k] = s
	}

	ids := make([]string, 0, len(f.Resources))
	for id := range f.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var fns []Function
	var errs []error
	for _, id := range ids {
		rsrc := f.Resources[id]
		if rsrc.Component != "fc3" && !strings.HasSuffix(rsrc.Component, "fc3") {
			continue
		}
		props := map[string]any{}
		if rsrc.Extend != nil {
			tpl, ok := f.Template[rsrc.Extend.Name]
			if !ok {
				errs = append(errs, fmt.Errorf("resource %s extends unknown template %q", id, rsrc.Extend.Name))
				continue
			}
			for k, v := range tpl {
				props[k] = v
			}
			for _, k := range rsrc.Extend.Ignore {
				delete(props, k)
			}
		}
		for k, v := range rsrc.Props {
			props[k] = v
		}
		fn, err := res.function(id, props)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fns = append(fns, fn)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return fns, nil
}

type resolver struct {
	r    Resolver
	vars map[string]string
}

var exprRe = regexp.MustCompile(`\$\{([^}]*)\}`)

// expand replaces every ${...} in s. where names the value for errors.
func (res *resolver) expand(s, where string) (string, error) {
	var firstErr error
	out := exprRe.ReplaceAllStringFunc(s, func(m string) string {
		v, err := Eval(m[2:len(m)-1], Scope{Getenv: res.r.Getenv, Vars: res.vars, Config: res.r.Config})
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %s: %w", where, m, err)
		}
		return v
	})
	return out, firstErr
}

func (res *resolver) str(props map[string]any, key, where string) (string, error) {
	v, ok := props[key]
	if !ok || v == nil {
		return "", nil
	}
	return res.expand(fmt.Sprint(v), where+"."+key)
}

func (res *resolver) integer(props map[string]any, key, where string) (int, error) {
	s, err := res.str(props, key, where)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s.%s: %q is not an integer", where, key, s)
	}
	return n, nil
}

func (res *resolver) function(id string, props map[string]any) (Function, error) {
	where := "resources." + id + ".props"
	fn := Function{ID: id, Env: map[string]string{}}
	var err error
	get := func(key string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = res.str(props, key, where)
		return s
	}
	fn.Name = get("functionName")
	fn.Runtime = get("runtime")
	fn.Handler = get("handler")
	fn.Code = get("code")
	fn.Role = get("role")
	fn.Description = get("description")
	if err != nil {
		return fn, err
	}
	if fn.MemoryMB, err = res.integer(props, "memorySize", where); err != nil {
		return fn, err
	}
	if fn.TimeoutSec, err = res.integer(props, "timeout", where); err != nil {
		return fn, err
	}
	if a, ok := props["asyncInvokeConfig"].(map[string]any); ok {
		w := where + ".asyncInvokeConfig"
		if _, set := a["maxAsyncRetryAttempts"]; set {
			n, err := res.integer(a, "maxAsyncRetryAttempts", w)
			if err != nil {
				return fn, err
			}
			fn.Async.MaxRetries = &n
		}
		if fn.Async.MaxEventAge, err = res.integer(a, "maxAsyncEventAgeInSeconds", w); err != nil {
			return fn, err
		}
		for key, dst := range map[string]*string{"onFailure": &fn.Async.OnFailure, "onSuccess": &fn.Async.OnSuccess} {
			if d, ok := a["destinationConfig"].(map[string]any)[key].(map[string]any); ok {
				if *dst, err = res.str(d, "destination", w+".destinationConfig."+key); err != nil {
					return fn, err
				}
			}
		}
	}
	if env, ok := props["environmentVariables"].(map[string]any); ok {
		for k, v := range env {
			s, err := res.expand(fmt.Sprint(v), where+".environmentVariables."+k)
			if err != nil {
				return fn, err
			}
			fn.Env[k] = s
		}
	}
	triggers, _ := props["triggers"].([]any)
	for i, t := range triggers {
		tm, ok := t.(map[string]any)
		if !ok {
			return fn, fmt.Errorf("%s.triggers[%d] is not a map", where, i)
		}
		tr, err := res.trigger(tm, fmt.Sprintf("%s.triggers[%d]", where, i))
		if err != nil {
			return fn, err
		}
		fn.Triggers = append(fn.Triggers, tr)
	}
	return fn, nil
}

func (res *resolver) trigger(t map[string]any, where string) (Trigger, error) {
	var tr Trigger
	var err error
	if tr.Name, err = res.str(t, "triggerName", where); err != nil {
		return tr, err
	}
	if tr.Type, err = res.str(t, "triggerType", where); err != nil {
		return tr, err
	}
	cfg, _ := t["triggerConfig"].(map[string]any)
	if cfg == nil {
		return tr, fmt.Errorf("%s has no triggerConfig", where)
	}
	list := func(key string) ([]string, error) {
		raw, _ := cfg[key].([]any)
		var out []string
		for _, v := range raw {
			s, err := res.expand(fmt.Sprint(v), where+".triggerConfig."+key)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	switch tr.Type {
	case "http":
		if tr.Methods, err = list("methods"); err != nil {
			return tr, err
		}
		if tr.AuthType, err = res.str(cfg, "authType", where+".triggerConfig"); err != nil {
			return tr, err
		}
	case "oss":
		if tr.Events, err = list("events"); err != nil {
			return tr, err
		}
		filter, _ := cfg["filter"].(map[string]any)
		key, _ := filter["key"].(map[string]any)
		if key == nil {
			return tr, fmt.Errorf("%s: oss trigger has no filter.key", where)
		}
		if tr.Prefix, err = res.str(key, "prefix", where+".triggerConfig.filter.key"); err != nil {
			return tr, err
		}
		if tr.Suffix, err = res.str(key, "suffix", where+".triggerConfig.filter.key"); err != nil {
			return tr, err
		}
	case "timer":
		if tr.Cron, err = res.str(cfg, "cronExpression", where+".triggerConfig"); err != nil {
			return tr, err
		}
		if tr.Payload, err = res.str(cfg, "payload", where+".triggerConfig"); err != nil {
			return tr, err
		}
		on, ok := cfg["enable"].(bool)
		if !ok {
			return tr, fmt.Errorf("%s.triggerConfig.enable is not a boolean", where)
		}
		tr.Enabled = on
	}
	return tr, nil
}
