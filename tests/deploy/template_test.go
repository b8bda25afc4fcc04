package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ROS resource types this template may use, with their required properties
// and Fn::GetAtt attributes (ROS resource reference pages for
// ALIYUN::FC3::Function, ALIYUN::FC3::Trigger, ALIYUN::OSS::Bucket,
// ALIYUN::RAM::Role, ALIYUN::SLS::Project, ALIYUN::SLS::Logstore, as
// generated into @alicloud/ros-cdk-* 1.11/1.12).
var rosTypes = map[string]struct {
	required []string
	attrs    []string
}{
	"ALIYUN::FC3::Function": {[]string{"FunctionName", "Runtime", "Handler", "Code"}, []string{"ARN", "FunctionId", "FunctionName"}},
	"ALIYUN::FC3::Trigger":  {[]string{"FunctionName", "TriggerName", "TriggerType", "TriggerConfig"}, []string{"FunctionName", "TriggerName", "TriggerId", "UrlInternet", "UrlIntranet"}},
	"ALIYUN::OSS::Bucket":   {[]string{"BucketName"}, []string{"Name", "Arn", "DomainName", "InternalDomainName"}},
	"ALIYUN::RAM::Role":     {[]string{"RoleName", "AssumeRolePolicyDocument"}, []string{"Arn", "RoleId", "RoleName"}},
	"ALIYUN::SLS::Project":  {[]string{"Name"}, []string{"Name"}},
	"ALIYUN::SLS::Logstore": {[]string{"ProjectName", "LogstoreName"}, []string{"LogstoreName", "ProjectName"}},
	"ALIYUN::SLS::Index":    {[]string{"ProjectName", "LogstoreName", "FullTextIndex"}, nil},
}

// rosPseudo are ROS pseudo parameters (ROS template structure reference).
var rosPseudo = []string{"ALIYUN::Region", "ALIYUN::AccountId", "ALIYUN::TenantId", "ALIYUN::StackName", "ALIYUN::StackId", "ALIYUN::NoValue"}

var subVarRe = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// checkTemplateStructure: format version, resource types and required
// properties, every Ref / Fn::GetAtt / Fn::Sub / DependsOn / Condition target,
// unused parameters, and unconditional resources depending on conditional ones.
func checkTemplateStructure(doc map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if v := str(doc["ROSTemplateFormatVersion"]); v != "2015-09-01" {
		bad("ROSTemplateFormatVersion %q, want 2015-09-01", v)
	}
	if _, ok := doc["Transform"]; ok {
		bad("Transform is the retired Funcraft (FC 2.0) model; use ALIYUN::FC3::* resources")
	}
	params, _ := doc["Parameters"].(map[string]any)
	conds, _ := doc["Conditions"].(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	if len(resources) == 0 {
		bad("no Resources")
	}
	used := map[string]bool{}
	condOf := func(id string) string { return str(at2(resources, id, "Condition")) }

	// walk visits every intrinsic function under v; owner is the resource
	// (or "Outputs.X") holding it, cond the owner's condition.
	var walk func(v any, where, cond string)
	refTarget := func(where, cond, target string) {
		if _, ok := resources[target]; ok && condOf(target) != "" && condOf(target) != cond {
			bad("%s: refers to %s, which exists only under Condition %s", where, target, condOf(target))
		}
	}
	walk = func(v any, where, cond string) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				for k, arg := range x {
					switch k {
					case "Ref":
						name := str(arg)
						_, isParam := params[name]
						_, isRes := resources[name]
						switch {
						case isParam:
							used[name] = true
						case isRes:
							refTarget(where, cond, name)
						case slices.Contains(rosPseudo, name):
						default:
							bad("%s: Ref to unknown %q (not a parameter, resource or pseudo parameter)", where, name)
						}
						return
					case "Fn::GetAtt":
						list := strList(arg)
						if len(list) != 2 {
							bad("%s: Fn::GetAtt needs [resource, attribute], got %v", where, arg)
							return
						}
						checkGetAtt(resources, list[0], list[1], where, bad)
						refTarget(where, cond, list[0])
						return
					case "Fn::Sub":
						s, ok := arg.(string)
						if !ok {
							bad("%s: Fn::Sub takes a string here", where)
							return
						}
						for _, m := range subVarRe.FindAllStringSubmatch(s, -1) {
							name := m[1]
							if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "ALIYUN::") {
								checkGetAtt(resources, res, attr, where, bad)
								refTarget(where, cond, res)
								continue
							}
							if _, ok := params[name]; ok {
								used[name] = true
								continue
							}
							if _, ok := resources[name]; ok {
								refTarget(where, cond, name)
								continue
							}
							if !slices.Contains(rosPseudo, name) {
								bad("%s: Fn::Sub variable ${%s} is not a parameter, resource or pseudo parameter", where, name)
							}
						}
						return
					}
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k], where+"."+k, cond)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", where, i), cond)
			}
		}
	}

	for _, name := range sortedKeys(conds) {
		walk(conds[name], "Conditions."+name, "")
	}
	// Rules judge parameters before anything exists (ROS "Rules": an
	// optional RuleCondition and a list of Assertions, each an Assert with
	// an AssertDescription shown when it fails).
	rules, _ := doc["Rules"].(map[string]any)
	for _, name := range sortedKeys(rules) {
		rule, _ := rules[name].(map[string]any)
		where := "Rules." + name
		for _, k := range sortedKeys(rule) {
			if k != "RuleCondition" && k != "Assertions" {
				bad("%s: unknown key %s", where, k)
			}
		}
		list, _ := rule["Assertions"].([]any)
		if len(list) == 0 {
			bad("%s: no Assertions", where)
		}
		for i, a := range list {
			am, _ := a.(map[string]any)
			if _, ok := am["Assert"]; !ok || str(am["AssertDescription"]) == "" {
				bad("%s.Assertions[%d]: needs Assert and an AssertDescription (the message the deployer sees)", where, i)
			}
		}
		walk(rule, where, "")
	}
	for _, id := range sortedKeys(resources) {
		r, _ := resources[id].(map[string]any)
		where := "Resources." + id
		typ := str(r["Type"])
		spec, ok := rosTypes[typ]
		if !ok {
			bad("%s: unsupported resource type %q", where, typ)
		}
		props, _ := r["Properties"].(map[string]any)
		for _, p := range spec.required {
			if v, ok := props[p]; !ok || v == nil || v == "" {
				bad("%s: required property %s is missing", where, p)
			}
		}
		cond := str(r["Condition"])
		if cond != "" {
			if _, ok := conds[cond]; !ok {
				bad("%s: Condition %q is not defined", where, cond)
			}
		}
		for _, dep := range strList(r["DependsOn"]) {
			if _, ok := resources[dep]; !ok {
				bad("%s: DependsOn unknown resource %q", where, dep)
			} else {
				refTarget(where+".DependsOn", cond, dep)
			}
		}
		walk(props, where+".Properties", cond)
	}
	outputs, _ := doc["Outputs"].(map[string]any)
	for _, name := range sortedKeys(outputs) {
		o, _ := outputs[name].(map[string]any)
		if _, ok := o["Value"]; !ok {
			bad("Outputs.%s: no Value", name)
		}
		walk(o, "Outputs."+name, str(o["Condition"]))
	}
	for _, name := range sortedKeys(params) {
		if !used[name] {
			bad("Parameters.%s is never used", name)
		}
	}
	return errs
}

func at2(m map[string]any, path ...any) any {
	v, _ := at(m, path...)
	return v
}

func checkGetAtt(resources map[string]any, res, attr, where string, bad func(string, ...any)) {
	r, ok := resources[res].(map[string]any)
	if !ok {
		bad("%s: Fn::GetAtt target %q is not a resource", where, res)
		return
	}
	spec, ok := rosTypes[str(r["Type"])]
	if ok && !slices.Contains(spec.attrs, attr) {
		bad("%s: %s (%s) has no attribute %q", where, res, str(r["Type"]), attr)
	}
}

// ---- evaluation with concrete parameter values ----

// rosEnv evaluates intrinsic functions with the parameters' defaults
// (overridden by given values) and fixed pseudo parameters.
type rosEnv struct {
	params     map[string]any
	resources  map[string]any
	conditions map[string]any
	errs       []error
}

const testRegion = "cn-hangzhou"

// testExecutorID is ALIYUN::AccountId in the tests: the identity that runs
// the stack (a RAM user or role), deliberately not the owner testAccountID
// (ALIYUN::TenantId), so an ARN naming the executor fails the checks. ROS
// pseudo parameters: https://help.aliyun.com/zh/ros/user-guide/pseudo-parameters
// ("ALIYUN::AccountId: 执行者账号ID; ALIYUN::TenantId: 当前账号的阿里云账号ID").
const testExecutorID = "276543210987654"

// testLogProject is the log project's default name with NamePrefix
// ossupload and the owner testAccountID: <NamePrefix>-logs-<TenantId>.
const testLogProject = "ossupload-logs-" + testAccountID

func newROSEnv(doc map[string]any, overrides map[string]string) *rosEnv {
	e := &rosEnv{params: map[string]any{}}
	e.resources, _ = doc["Resources"].(map[string]any)
	e.conditions, _ = doc["Conditions"].(map[string]any)
	params, _ := doc["Parameters"].(map[string]any)
	for name, p := range params {
		pm, _ := p.(map[string]any)
		v, ok := overrides[name]
		if !ok {
			v = str(pm["Default"])
		}
		if str(pm["Type"]) == "CommaDelimitedList" {
			var list []any
			for _, s := range strings.Split(v, ",") {
				list = append(list, strings.TrimSpace(s))
			}
			e.params[name] = list
		} else {
			e.params[name] = v
		}
	}
	e.params["ALIYUN::Region"] = testRegion
	e.params["ALIYUN::AccountId"] = testExecutorID
	e.params["ALIYUN::TenantId"] = testAccountID
	e.params["ALIYUN::StackName"] = "ossupload-stack"
	return e
}

func (e *rosEnv) fail(format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf(format, args...))
}

func (e *rosEnv) attr(res, attr string) any {
	r, _ := e.resources[res].(map[string]any)
	props, _ := r["Properties"].(map[string]any)
	s := func(k string) string { return str(e.eval(props[k])) }
	switch str(r["Type"]) + "." + attr {
	case "ALIYUN::RAM::Role.Arn":
		return "acs:ram::" + testAccountID + ":role/" + strings.ToLower(s("RoleName"))
	case "ALIYUN::RAM::Role.RoleName":
		return s("RoleName")
	case "ALIYUN::FC3::Function.FunctionName":
		return s("FunctionName")
	case "ALIYUN::FC3::Function.ARN":
		return "acs:fc:" + testRegion + ":" + testAccountID + ":functions/" + s("FunctionName")
	case "ALIYUN::OSS::Bucket.Name":
		return s("BucketName")
	case "ALIYUN::SLS::Project.Name":
		return s("Name")
	case "ALIYUN::SLS::Logstore.LogstoreName":
		return s("LogstoreName")
	case "ALIYUN::FC3::Trigger.UrlInternet":
		return "https://" + strings.ToLower(res) + ".example.fcapp.run"
	}
	e.fail("cannot evaluate Fn::GetAtt %s.%s", res, attr)
	return ""
}

func (e *rosEnv) eval(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					if p, ok := e.params[str(arg)]; ok {
						return p
					}
					return str(arg)
				case "Fn::GetAtt":
					l := strList(arg)
					if len(l) == 2 {
						return e.attr(l[0], l[1])
					}
				case "Fn::Sub":
					return subVarRe.ReplaceAllStringFunc(str(arg), func(m string) string {
						name := m[2 : len(m)-1]
						if p, ok := e.params[name]; ok {
							return str(p)
						}
						if res, attr, ok := strings.Cut(name, "."); ok {
							return str(e.attr(res, attr))
						}
						e.fail("cannot evaluate ${%s}", name)
						return ""
					})
				case "Fn::If":
					l, _ := arg.([]any)
					if len(l) == 3 {
						if e.condition(str(l[0])) {
							return e.eval(l[1])
						}
						return e.eval(l[2])
					}
				case "Fn::Equals":
					l, _ := arg.([]any)
					if len(l) == 2 {
						return str(e.eval(l[0])) == str(e.eval(l[1]))
					}
				case "Fn::Or", "Fn::And":
					l, _ := arg.([]any)
					if len(l) >= 2 {
						or := k == "Fn::Or"
						for _, c := range l {
							if b, _ := e.eval(c).(bool); b == or {
								return or
							}
						}
						return !or
					}
				case "Fn::Not":
					l, _ := arg.([]any)
					if len(l) == 1 {
						b, ok := e.eval(l[0]).(bool)
						return ok && !b
					}
				case "Fn::Join":
					l, _ := arg.([]any)
					if len(l) == 2 {
						var parts []string
						for _, p := range strList(e.eval(l[1])) {
							parts = append(parts, p)
						}
						return strings.Join(parts, str(l[0]))
					}
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e2 := range x {
			out[k] = e.eval(e2)
		}
		return out
	case []any:
		var out []any
		for _, e2 := range x {
			ev := e.eval(e2)
			if l, ok := ev.([]any); ok && isIntrinsic(e2) {
				out = append(out, l...) // a list parameter inside a list
				continue
			}
			out = append(out, ev)
		}
		return out
	}
	return v
}

// condition evaluates a named condition of the template.
func (e *rosEnv) condition(name string) bool {
	c, ok := e.conditions[name]
	if !ok {
		e.fail("unknown condition %q", name)
		return false
	}
	b, ok := e.eval(c).(bool)
	if !ok {
		e.fail("condition %q does not evaluate to a boolean", name)
	}
	return b
}

func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 1 && (m["Ref"] != nil || m["Fn::GetAtt"] != nil)
}

func TestTemplateStructure(t *testing.T) {
	noErrs(t, "template.yaml", checkTemplateStructure(loadYAML(t, "template.yaml")))
}

func TestTemplateStructureChecksCatchMutations(t *testing.T) {
	base := loadYAML(t, "template.yaml")
	r := func(rest ...any) []any { return append([]any{"Resources"}, rest...) }
	cases := []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"format version", []any{"ROSTemplateFormatVersion"}, "2014-01-01", "ROSTemplateFormatVersion"},
		{"funcraft transform", []any{"Transform"}, "Aliyun::Serverless-2018-04-03", "retired Funcraft"},
		{"unknown type", r("UploadBucket", "Type"), "ALIYUN::FC::Function", "unsupported resource type"},
		{"function FunctionName", r("SignFunction", "Properties", "FunctionName"), nil, "required property FunctionName"},
		{"function Runtime", r("SignFunction", "Properties", "Runtime"), nil, "required property Runtime"},
		{"function Handler", r("StsFunction", "Properties", "Handler"), nil, "required property Handler"},
		{"function Code", r("VerifyFunction", "Properties", "Code"), nil, "required property Code"},
		{"trigger FunctionName", r("SignHttpTrigger", "Properties", "FunctionName"), nil, "required property FunctionName"},
		{"trigger TriggerName", r("SignHttpTrigger", "Properties", "TriggerName"), nil, "required property TriggerName"},
		{"trigger TriggerType", r("StsHttpTrigger", "Properties", "TriggerType"), nil, "required property TriggerType"},
		{"trigger TriggerConfig", r("VerifyOssTrigger", "Properties", "TriggerConfig"), nil, "required property TriggerConfig"},
		{"bucket BucketName", r("UploadBucket", "Properties", "BucketName"), nil, "required property BucketName"},
		{"role RoleName", r("SignRole", "Properties", "RoleName"), nil, "required property RoleName"},
		{"role trust", r("VerifyRole", "Properties", "AssumeRolePolicyDocument"), nil, "required property AssumeRolePolicyDocument"},
		{"ref unknown", r("UploadBucket", "Properties", "BucketName"), map[string]any{"Ref": "Bucket"}, "Ref to unknown \"Bucket\""},
		{"ref pseudo ok but wrong", r("SignFunction", "Properties", "EnvironmentVariables", "OSS_REGION"), map[string]any{"Ref": "ALIYUN::Zone"}, "Ref to unknown \"ALIYUN::Zone\""},
		{"getatt unknown resource", r("SignFunction", "Properties", "Role"), map[string]any{"Fn::GetAtt": []any{"SignerRole", "Arn"}}, "target \"SignerRole\" is not a resource"},
		{"getatt unknown attribute", r("SignFunction", "Properties", "Role"), map[string]any{"Fn::GetAtt": []any{"SignRole", "ARN"}}, "has no attribute \"ARN\""},
		{"getatt malformed", r("SignFunction", "Properties", "Role"), map[string]any{"Fn::GetAtt": "SignRole.Arn"}, "needs [resource, attribute]"},
		{"sub unknown variable", r("SignRole", "Properties", "RoleName"), map[string]any{"Fn::Sub": "${Prefix}-sign"}, "${Prefix} is not a parameter"},
		{"sub unknown attribute", r("SignRole", "Properties", "RoleName"), map[string]any{"Fn::Sub": "${UploadBucket.Url}-sign"}, "has no attribute \"Url\""},
		{"depends on unknown", r("SignFunction", "DependsOn"), []any{"LogStore"}, "DependsOn unknown resource \"LogStore\""},
		{"undefined condition", r("SignFunction", "Condition"), "Deploy", "Condition \"Deploy\" is not defined"},
		{"unconditional uses conditional", r("SignHttpTrigger", "Condition"), nil, "exists only under Condition CreateFunctions"},
		{"output of conditional", []any{"Outputs", "SignUrl", "Condition"}, nil, "exists only under Condition CreateFunctions"},
		{"unused parameter", []any{"Parameters", "Spare"}, map[string]any{"Type": "String"}, "Parameters.Spare is never used"},
		{"output without value", []any{"Outputs", "BucketName", "Value"}, nil, "Outputs.BucketName: no Value"},
		{"rule unknown parameter", []any{"Rules", "FunctionsNeedCode", "RuleCondition"}, map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Deploy"}, "true"}}, "Rules.FunctionsNeedCode.RuleCondition.Fn::Equals[0]: Ref to unknown \"Deploy\""},
		{"rule without description", []any{"Rules", "FunctionsNeedCode", "Assertions", 0, "AssertDescription"}, nil, "needs Assert and an AssertDescription"},
		{"rule misspelt key", []any{"Rules", "FunctionsNeedCode", "Assertion"}, []any{}, "unknown key Assertion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkTemplateStructure(doc), tc.want)
		})
	}
}
