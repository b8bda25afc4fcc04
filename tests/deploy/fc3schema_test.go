package deploy

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The rules below are those of the fc3 component's props schema (devsapp/fc3
// src/schema.json at commit 4ca1c1b8c33e654438bb73b64cfc95a5c9d94f5a, MIT,
// generated from src/interface/*.ts; the schema `s verify` applies) that
// matter for this project, plus the stricter trigger checks the schema lacks
// (its triggerConfig is anyOf with an empty object, so it accepts anything).
// The enums are copied verbatim from that schema.

var fc3Regions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-5", "ap-southeast-7", "cn-beijing", "cn-chengdu", "cn-hangzhou", "cn-heyuan-acdr-1",
	"cn-hongkong", "cn-huhehaote", "cn-qingdao", "cn-shanghai", "cn-shanghai-cloudspe", "cn-shanghai-finance-1",
	"cn-shenzhen", "cn-wulanchabu", "cn-zhangjiakou", "eu-central-1", "eu-west-1", "me-central-1", "us-east-1", "us-west-1",
}

var fc3Runtimes = []string{
	"custom", "custom-container", "micro-sandbox", "custom.debian10", "custom.debian11", "custom.debian12",
	"dotnetcore2.1", "dotnetcore3.1", "go1", "java11", "java8", "nodejs10", "nodejs12", "nodejs14", "nodejs16",
	"nodejs18", "nodejs20", "nodejs8", "php7.2", "python2.7", "python3", "python3.10", "python3.12", "python3.9",
}

var fc3TriggerTypes = []string{"cdn_events", "eventbridge", "http", "log", "mns_topic", "oss", "tablestore", "timer"}

var fc3HTTPAuthTypes = []string{"anonymous", "function", "jwt"}

var fc3HTTPMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

var fc3OSSEvents = []string{
	"oss:ObjectCreated:*", "oss:ObjectCreated:AppendObject", "oss:ObjectCreated:CompleteMultipartUpload",
	"oss:ObjectCreated:CopyObject", "oss:ObjectCreated:InitiateMultipartUpload", "oss:ObjectCreated:PostObject",
	"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PutSymlink", "oss:ObjectCreated:UploadPart",
	"oss:ObjectCreated:UploadPartCopy", "oss:ObjectModified:UpdateObjectMeta", "oss:ObjectRemoved:AbortMultipartUpload",
	"oss:ObjectRemoved:DeleteObject", "oss:ObjectRemoved:DeleteObjects",
}

// Environment variable names: letters, digits, underscore, not starting with a
// digit; FC reserves the FC_ prefix and caps the total at 4 KB (FC docs,
// "Environment variables").
var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// number reports v as a float64 when it is a YAML or JSON number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func integer(v any) (int64, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// validateFC3Props checks one fc3 resource's rendered props.
func validateFC3Props(id string, props map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s/props"+format, append([]any{id}, args...)...))
	}
	isString := func(key string) (string, bool) {
		v, ok := props[key]
		if !ok {
			return "", false
		}
		s, isStr := v.(string)
		if !isStr {
			bad("/%s must be a string", key)
		}
		return s, isStr
	}

	runtime, _ := isString("runtime")
	required := []string{"region", "functionName", "runtime"}
	switch {
	case runtime == "custom-container" || runtime == "micro-sandbox":
		required = append(required, "customContainerConfig")
	case strings.HasPrefix(runtime, "custom"):
		required = append(required, "code")
	default:
		required = append(required, "code", "handler")
	}
	for _, k := range required {
		if _, ok := props[k]; !ok {
			bad(" must have required property '%s'", k)
		}
	}
	if r, ok := isString("region"); ok && !slices.Contains(fc3Regions, r) {
		bad("/region must be equal to one of the allowed values (got %q)", r)
	}
	if _, ok := props["runtime"]; ok && !slices.Contains(fc3Runtimes, runtime) {
		bad("/runtime must be equal to one of the allowed values (got %q)", runtime)
	}
	isString("functionName")
	isString("handler")
	isString("role")
	isString("description")
	if c, ok := props["code"]; ok {
		switch x := c.(type) {
		case string:
		case map[string]any:
			for _, k := range []string{"ossBucketName", "ossObjectName", "src"} {
				if _, ok := x[k].(string); !ok {
					bad("/code must have string property '%s'", k)
				}
			}
		default:
			bad("/code must be a string or {src, ossBucketName, ossObjectName}")
		}
	}
	if v, ok := props["memorySize"]; ok {
		n, isInt := integer(v)
		switch {
		case !isInt:
			bad("/memorySize must be integer")
		case n < 128:
			bad("/memorySize must be >= 128")
		case n > 32768:
			bad("/memorySize must be <= 32768")
		case n%64 != 0:
			bad("/memorySize must be multiple of 64")
		}
	}
	if v, ok := props["timeout"]; ok {
		n, isInt := integer(v)
		switch {
		case !isInt:
			bad("/timeout must be integer")
		case n < 1:
			bad("/timeout must be >= 1")
		case n > 86400:
			bad("/timeout must be <= 86400")
		}
	}
	if v, ok := props["diskSize"]; ok {
		if n, isNum := number(v); !isNum || (n != 512 && n != 10240) {
			bad("/diskSize must be equal to one of the allowed values (512, 10240)")
		}
	}
	if v, ok := props["cpu"]; ok {
		n, isNum := number(v)
		switch {
		case !isNum:
			bad("/cpu must be number")
		case n < 0.05:
			bad("/cpu must be >= 0.05")
		case n > 16:
			bad("/cpu must be <= 16")
		}
	}
	if v, ok := props["instanceConcurrency"]; ok {
		// FC3 keeps per-instance concurrency only for custom runtimes
		// (FC3 feature-updates page; fc3's s2tos3 strips it otherwise).
		if !strings.HasPrefix(runtime, "custom") {
			bad("/instanceConcurrency is not supported by runtime %s", runtime)
		} else if n, isInt := integer(v); !isInt || n < 1 || n > 200 {
			bad("/instanceConcurrency must be an integer in 1..200")
		}
	}
	if v, ok := props["environmentVariables"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			bad("/environmentVariables must be object")
		}
		total := 0
		for _, k := range sortedKeys(m) {
			s, isStr := m[k].(string)
			if !isStr {
				bad("/environmentVariables/%s must be string", k)
			}
			if !envNameRe.MatchString(k) {
				bad("/environmentVariables/%s is not a valid variable name", k)
			}
			if strings.HasPrefix(k, "FC_") {
				bad("/environmentVariables/%s uses the reserved FC_ prefix", k)
			}
			total += len(k) + len(s)
		}
		if total > 4096 {
			bad("/environmentVariables exceed 4 KB (%d bytes)", total)
		}
	}
	if v, ok := props["logConfig"]; ok {
		switch x := v.(type) {
		case string:
			if x != "auto" {
				bad("/logConfig must be \"auto\" or an object")
			}
		case map[string]any:
			for _, k := range []string{"project", "logstore"} {
				if s, ok := x[k].(string); !ok || s == "" {
					bad("/logConfig must have required property '%s'", k)
				}
			}
			if r, ok := x["logBeginRule"]; ok && r != "DefaultRegex" && r != "None" {
				bad("/logConfig/logBeginRule must be equal to one of the allowed values")
			}
		default:
			bad("/logConfig must be \"auto\" or an object")
		}
	}
	if v, ok := props["triggers"]; ok {
		list, isList := v.([]any)
		if !isList {
			bad("/triggers must be array")
		}
		for i, tr := range list {
			errs = append(errs, validateFC3Trigger(fmt.Sprintf("%s/props/triggers/%d", id, i), tr)...)
		}
	}
	return errs
}

func validateFC3Trigger(where string, v any) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s"+format, append([]any{where}, args...)...))
	}
	t, ok := v.(map[string]any)
	if !ok {
		bad(" must be object")
		return errs
	}
	for _, k := range []string{"triggerName", "triggerType", "triggerConfig"} {
		if _, ok := t[k]; !ok {
			bad(" must have required property '%s'", k)
		}
	}
	typ, _ := t["triggerType"].(string)
	if _, ok := t["triggerType"]; ok && !slices.Contains(fc3TriggerTypes, typ) {
		bad("/triggerType must be equal to one of the allowed values (got %v)", t["triggerType"])
	}
	cfg, isMap := t["triggerConfig"].(map[string]any)
	if _, ok := t["triggerConfig"]; ok && !isMap {
		bad("/triggerConfig must be object")
	}
	if cfg == nil {
		return errs
	}
	switch typ {
	case "http":
		at, ok := cfg["authType"].(string)
		if !ok {
			bad("/triggerConfig must have required property 'authType'")
		} else if !slices.Contains(fc3HTTPAuthTypes, at) {
			bad("/triggerConfig/authType must be equal to one of the allowed values (got %q)", at)
		}
		if at == "jwt" {
			if _, ok := cfg["authConfig"].(map[string]any); !ok {
				bad("/triggerConfig must have authConfig when authType is jwt")
			}
		}
		methods, ok := cfg["methods"].([]any)
		if !ok || len(methods) == 0 {
			bad("/triggerConfig must have required property 'methods'")
		}
		for _, m := range methods {
			if s, _ := m.(string); !slices.Contains(fc3HTTPMethods, s) {
				bad("/triggerConfig/methods: %v is not an allowed method", m)
			}
		}
		if d, ok := cfg["disableURLInternet"]; ok {
			if _, isBool := d.(bool); !isBool {
				bad("/triggerConfig/disableURLInternet must be boolean")
			}
		}
	case "oss":
		events, ok := cfg["events"].([]any)
		if !ok || len(events) == 0 {
			bad("/triggerConfig must have required property 'events'")
		}
		for _, e := range events {
			if s, _ := e.(string); !slices.Contains(fc3OSSEvents, s) {
				bad("/triggerConfig/events: %v is not an allowed event", e)
			}
		}
		key, _ := at(cfg, "filter", "key")
		km, isMap := key.(map[string]any)
		if !isMap {
			bad("/triggerConfig/filter must have required property 'key'")
			break
		}
		for _, k := range []string{"prefix", "suffix"} {
			if _, isStr := km[k].(string); !isStr {
				bad("/triggerConfig/filter/key must have required property '%s'", k)
			}
		}
	case "timer":
		// ITimerTriggerConfig: cronExpression and enable required.
		if _, ok := cfg["cronExpression"].(string); !ok {
			bad("/triggerConfig must have required property 'cronExpression'")
		}
		if _, ok := cfg["enable"].(bool); !ok {
			bad("/triggerConfig must have required property 'enable'")
		}
		if p, ok := cfg["payload"]; ok {
			if _, isStr := p.(string); !isStr {
				bad("/triggerConfig/payload must be string")
			}
		}
	}
	return errs
}

func TestFC3PropsRulesOnSYAML(t *testing.T) {
	doc := renderedSYAML(t)
	for _, id := range fc3ResourceIDs(t, doc) {
		noErrs(t, "s.yaml", validateFC3Props(id, mustMap(t, doc, "resources", id, "props")))
	}
}

// fc3ResourceIDs lists the resources whose component is fc3.
func fc3ResourceIDs(t *testing.T, doc map[string]any) []string {
	t.Helper()
	res := mustMap(t, doc, "resources")
	var ids []string
	for _, id := range sortedKeys(res) {
		if c, _ := at(res, id, "component"); c == "fc3" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Fatal("no fc3 resources")
	}
	return ids
}

// Each rule fails on a mutated copy of the real props.
func TestFC3PropsRulesCatchMutations(t *testing.T) {
	doc := renderedSYAML(t)
	cases := []struct {
		name   string
		id     string
		mutate func(p map[string]any)
		want   string
	}{
		{"missing region", "sign", func(p map[string]any) { delete(p, "region") }, "must have required property 'region'"},
		{"missing functionName", "sts", func(p map[string]any) { delete(p, "functionName") }, "must have required property 'functionName'"},
		{"missing runtime", "sign", func(p map[string]any) { delete(p, "runtime") }, "must have required property 'runtime'"},
		{"missing code", "verify", func(p map[string]any) { delete(p, "code") }, "must have required property 'code'"},
		{"missing handler", "verify", func(p map[string]any) { delete(p, "handler") }, "must have required property 'handler'"},
		{"unknown region", "sign", func(p map[string]any) { p["region"] = "cn-atlantis" }, "/region must be equal to one of the allowed values"},
		{"unknown runtime", "sign", func(p map[string]any) { p["runtime"] = "go2" }, "/runtime must be equal to one of the allowed values"},
		{"memory too small", "sign", func(p map[string]any) { p["memorySize"] = 100 }, "/memorySize must be >= 128"},
		{"memory too big", "sign", func(p map[string]any) { p["memorySize"] = 32832 }, "/memorySize must be <= 32768"},
		{"memory not multiple of 64", "sign", func(p map[string]any) { p["memorySize"] = 200 }, "/memorySize must be multiple of 64"},
		{"memory not integer", "sign", func(p map[string]any) { p["memorySize"] = "128" }, "/memorySize must be integer"},
		{"timeout zero", "verify", func(p map[string]any) { p["timeout"] = 0 }, "/timeout must be >= 1"},
		{"timeout too long", "verify", func(p map[string]any) { p["timeout"] = 86401 }, "/timeout must be <= 86400"},
		{"disk size", "verify", func(p map[string]any) { p["diskSize"] = 1024 }, "/diskSize must be equal to one of the allowed values"},
		{"cpu too small", "sign", func(p map[string]any) { p["cpu"] = 0.01 }, "/cpu must be >= 0.05"},
		{"cpu too big", "sign", func(p map[string]any) { p["cpu"] = 17 }, "/cpu must be <= 16"},
		{"instanceConcurrency on go1", "sign", func(p map[string]any) { p["instanceConcurrency"] = 10 }, "/instanceConcurrency is not supported by runtime go1"},
		{"env value not string", "sign", func(p map[string]any) { p["environmentVariables"].(map[string]any)["UPLOAD_MAX_BYTES"] = 5 }, "/environmentVariables/UPLOAD_MAX_BYTES must be string"},
		{"env reserved prefix", "sign", func(p map[string]any) { p["environmentVariables"].(map[string]any)["FC_X"] = "1" }, "reserved FC_ prefix"},
		{"env bad name", "sign", func(p map[string]any) { p["environmentVariables"].(map[string]any)["A-B"] = "1" }, "is not a valid variable name"},
		{"env too big", "sign", func(p map[string]any) { p["environmentVariables"].(map[string]any)["BIG"] = strings.Repeat("x", 4096) }, "exceed 4 KB"},
		{"logConfig without logstore", "sign", func(p map[string]any) { delete(p["logConfig"].(map[string]any), "logstore") }, "/logConfig must have required property 'logstore'"},
		{"http authType", "sign", func(p map[string]any) { trig(p, 0)["authType"] = "public" }, "/authType must be equal to one of the allowed values"},
		{"http methods missing", "sts", func(p map[string]any) { delete(trig(p, 0), "methods") }, "must have required property 'methods'"},
		{"http method unknown", "sts", func(p map[string]any) { trig(p, 0)["methods"] = []any{"GET", "FETCH"} }, "FETCH is not an allowed method"},
		{"jwt without authConfig", "sts", func(p map[string]any) { trig(p, 0)["authType"] = "jwt" }, "must have authConfig when authType is jwt"},
		{"trigger type", "sign", func(p map[string]any) { p["triggers"].([]any)[0].(map[string]any)["triggerType"] = "https" }, "/triggerType must be equal to one of the allowed values"},
		{"trigger name", "sign", func(p map[string]any) { delete(p["triggers"].([]any)[0].(map[string]any), "triggerName") }, "must have required property 'triggerName'"},
		{"oss event unknown", "verify", func(p map[string]any) { trig(p, 0)["events"] = []any{"oss:ObjectCreated:Put"} }, "is not an allowed event"},
		{"oss events missing", "verify", func(p map[string]any) { delete(trig(p, 0), "events") }, "must have required property 'events'"},
		{"oss suffix missing", "verify", func(p map[string]any) {
			delete(trig(p, 0)["filter"].(map[string]any)["key"].(map[string]any), "suffix")
		}, "must have required property 'suffix'"},
		{"oss prefix missing", "verify", func(p map[string]any) {
			delete(trig(p, 0)["filter"].(map[string]any)["key"].(map[string]any), "prefix")
		}, "must have required property 'prefix'"},
		{"oss filter missing", "verify", func(p map[string]any) { delete(trig(p, 0), "filter") }, "must have required property 'key'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			props := deepCopy(mustMap(t, doc, "resources", tc.id, "props")).(map[string]any)
			tc.mutate(props)
			expectErr(t, validateFC3Props(tc.id, props), tc.want)
		})
	}
}

// trig returns the triggerConfig of the i-th trigger of props.
func trig(props map[string]any, i int) map[string]any {
	return props["triggers"].([]any)[i].(map[string]any)["triggerConfig"].(map[string]any)
}
