// Package rostemplate reads the RAM roles of the project's ROS
// template.yaml, so the local stack's emulated roles carry exactly the
// permissions and trust a real deployment grants: a function that needs a
// permission template.yaml does not give it fails locally too. It reads the
// bucket's overwrite protection rules the same way (overwrite.go).
//
// It understands the subset of ROS the template uses for roles: Parameters
// with Default, pseudo parameters (ALIYUN::TenantId, ALIYUN::Region, ...),
// Conditions (Fn::Equals, Fn::Not), Ref, Fn::If, Fn::Sub (string form, with
// ${Resource.Attribute}) and Fn::GetAtt [Role, Arn] / [SLS project, Name].
//
// A role's ARN names the account that owns it, ALIYUN::TenantId; ROS's
// ALIYUN::AccountId is the identity executing the stack, which is a RAM user
// or role as often as not (https://help.aliyun.com/zh/ros/user-guide/pseudo-parameters).
package rostemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

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
	Conditions map[string]any `yaml:"Conditions"`
	Resources  map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// Load reads path and resolves its roles. params override parameter
// defaults and supply pseudo parameters such as "ALIYUN::TenantId".
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
				case "Fn::If":
					l, _ := arg.([]any)
					if len(l) != 3 {
						return nil, fmt.Errorf("Fn::If %v: want [condition, then, else]", arg)
					}
					ok, err := r.condition(fmt.Sprint(l[0]))
					if err != nil {
						return nil, err
					}
					if ok {
						return r.value(l[1])
					}
					return r.value(l[2])
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

// condition evaluates a named condition: Fn::Equals and Fn::Not.
func (r *resolver) condition(name string) (bool, error) {
	c, ok := r.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	return r.boolean(c)
}

func (r *resolver) boolean(v any) (bool, error) {
	m, _ := v.(map[string]any)
	l, _ := m["Fn::Equals"].([]any)
	if len(m) == 1 && len(l) == 2 {
		a, err := r.value(l[0])
		if err != nil {
			return false, err
		}
		b, err := r.value(l[1])
		if err != nil {
			return false, err
		}
		return fmt.Sprint(a) == fmt.Sprint(b), nil
	}
	if n, _ := m["Fn::Not"].([]any); len(m) == 1 && len(n) == 1 {
		b, err := r.boolean(n[0])
		return !b, err
	}
	return false, fmt.Errorf("condition %v: only Fn::Equals and Fn::Not are supported", v)
}

func (r *resolver) sub(s string) (string, error) {
	var firstErr error
	out := subRe.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		var v string
		var err error
		if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "ALIYUN::") {
			v, err = r.getAtt([]any{res, attr})
		} else {
			v, err = r.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

func (r *resolver) getAtt(arg any) (string, error) {
	parts := stringList(arg)
	if len(parts) != 2 {
		return "", fmt.Errorf("Fn::GetAtt %v: want [resource, attribute]", arg)
	}
	res, ok := r.t.Resources[parts[0]]
	switch {
	case ok && res.Type == "ALIYUN::RAM::Role" && parts[1] == "Arn":
		name, err := r.value(res.Properties["RoleName"])
		if err != nil {
			return "", err
		}
		owner, err := r.ref("ALIYUN::TenantId")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("acs:ram::%s:role/%s", owner, name), nil
	case ok && res.Type == "ALIYUN::SLS::Project" && parts[1] == "Name":
		name, err := r.value(res.Properties["Name"])
		if err != nil {
			return "", err
		}
		return fmt.Sprint(name), nil
	}
	return "", fmt.Errorf("Fn::GetAtt %v: only [<RAM role>, Arn] and [<SLS project>, Name] are supported", arg)
}
