// Package rostemplate reads the RAM roles of the project's ROS
// template.yaml, so the local stack's emulated roles carry exactly the
// permissions and trust a real deployment grants: a function that needs a
// permission template.yaml does not give it fails locally too. It reads the
// bucket's overwrite protection rules the same way (overwrite.go).
//
// It understands the subset of ROS the template uses for roles: Parameters
// with Default, pseudo parameters (ALIYUN::AccountId, ALIYUN::Region, ...),
// Ref, Fn::Sub (string form) and Fn::GetAtt [Role, Arn].
package rostemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Role is a resolved ALIYUN::RAM::Role.
type Role struct {
	LogicalID string
	Name      string
	// TrustServices are service principals (fc.aliyuncs.com, oss.aliyuncs.com).
	TrustServices []string
	// TrustRAM are RAM principal ARNs (roles, users, the account).
	TrustRAM []string
	// Policies are the inline policy documents as JSON, ready for a RAM
	// policy parser.
	Policies []json.RawMessage
	// MaxSessionDuration in seconds, 0 when unset.
	MaxSessionDuration int
}

// Template is the part of template.yaml this package reads.
type Template struct {
	Parameters map[string]struct {
		Default any `yaml:"Default"`
	} `yaml:"Parameters"`
	Resources map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// Load reads path and resolves its roles. params override parameter
// defaults and supply pseudo parameters such as "ALIYUN::AccountId".
func Load(path string, params map[string]string) ([]Role, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return Roles(b, params)
}

// Roles resolves the roles of a template document.
func Roles(doc []byte, params map[string]string) ([]Role, error) {
	r, t, err := newResolver(doc, params)
	if err != nil {
		return nil, err
	}

	ids := make([]string, 0, len(t.Resources))
	for id, res := range t.Resources {
		if res.Type == "ALIYUN::RAM::Role" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var roles []Role
	var errs []error
	for _, id := range ids {
		role, err := r.role(id)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		roles = append(roles, role)
	}
	return roles, errors.Join(errs...)
}

// newResolver parses a template and resolves its parameters: defaults,
// then params.
func newResolver(doc []byte, params map[string]string) (*resolver, *Template, error) {
	var t Template
	if err := yaml.Unmarshal(doc, &t); err != nil {
		return nil, nil, fmt.Errorf("parse template: %w", err)
	}
	r := &resolver{t: &t, params: map[string]string{}}
	for name, p := range t.Parameters {
		if p.Default != nil {
			r.params[name] = fmt.Sprint(p.Default)
		}
	}
	for k, v := range params {
		r.params[k] = v
	}
	return r, &t, nil
}

type resolver struct {
	t      *Template
	params map[string]string
}

var subRe = regexp.MustCompile(`\$\{([^}]+)\}`)

func (r *resolver) role(id string) (Role, error) {
	props := r.t.Resources[id].Properties
	role := Role{LogicalID: id}
	name, err := r.value(props["RoleName"])
	if err != nil {
		return role, fmt.Errorf("RoleName: %w", err)
	}
	s, ok := name.(string)
	if !ok || s == "" {
		return role, errors.New("RoleName is not a string")
	}
	role.Name = s
	if d, ok := props["MaxSessionDuration"].(int); ok {
		role.MaxSessionDuration = d
	}

	trust, err := r.value(props["AssumeRolePolicyDocument"])
	if err != nil {
		return role, fmt.Errorf("AssumeRolePolicyDocument: %w", err)
	}
	tm, _ := trust.(map[string]any)
	stmts, _ := tm["Statement"].([]any)
	for _, st := range stmts {
		sm, _ := st.(map[string]any)
		principal, _ := sm["Principal"].(map[string]any)
		role.TrustServices = append(role.TrustServices, stringList(principal["Service"])...)
		role.TrustRAM = append(role.TrustRAM, stringList(principal["RAM"])...)
	}

	policies, _ := props["Policies"].([]any)
	for i, p := range policies {
		pm, _ := p.(map[string]any)
		doc, err := r.value(pm["PolicyDocument"])
		if err != nil {
			return role, fmt.Errorf("Policies[%d]: %w", i, err)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return role, fmt.Errorf("Policies[%d]: %w", i, err)
		}
		role.Policies = append(role.Policies, b)
	}
	return role, nil
}

func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// value resolves intrinsic functions inside v.
func (r *resolver) value(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				switch fn {
				case "Ref":
					return r.ref(fmt.Sprint(arg))
				case "Fn::Sub":
					s, ok := arg.(string)
					if !ok {
						return nil, errors.New("only the string form of Fn::Sub is supported")
					}
					return r.sub(s)
				case "Fn::GetAtt":
					return r.getAtt(arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.value(e)
			if err != nil {
				return nil, err
			}
			out[k] = rv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			rv, err := r.value(e)
			if err != nil {
				return nil, err
			}
			out[i] = rv
		}
		return out, nil
	default:
		return v, nil
	}
}

func (r *resolver) ref(name string) (string, error) {
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("Ref %s: no such parameter (or no value for it)", name)
}

func (r *resolver) sub(s string) (string, error) {
	var firstErr error
	out := subRe.ReplaceAllStringFunc(s, func(m string) string {
		v, err := r.ref(m[2 : len(m)-1])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

func (r *resolver) getAtt(arg any) (string, error) {
	parts := stringList(arg)
	if len(parts) != 2 || parts[1] != "Arn" {
		return "", fmt.Errorf("Fn::GetAtt %v: only [<Role>, Arn] is supported", arg)
	}
	res, ok := r.t.Resources[parts[0]]
	if !ok || res.Type != "ALIYUN::RAM::Role" {
		return "", fmt.Errorf("Fn::GetAtt %v: no such role", arg)
	}
	name, err := r.value(res.Properties["RoleName"])
	if err != nil {
		return "", err
	}
	acct, err := r.ref("ALIYUN::AccountId")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("acs:ram::%s:role/%s", acct, name), nil
}
