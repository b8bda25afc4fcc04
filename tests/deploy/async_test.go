package deploy

import (
	"fmt"
	"strings"
	"testing"
)

// verify's asynchronous invocation settings (OSS triggers invoke it
// asynchronously): explicit retries and event age, and a failure destination
// a team watches, the same in s.yaml (fc3 asyncInvokeConfig, schema
// IAsyncInvokeConfig) and template.yaml (ALIYUN::FC3::AsyncInvokeConfig), and
// the execution role allowed to deliver there and nowhere else.

func init() {
	// ROS ALIYUN::FC3::AsyncInvokeConfig, as generated into
	// @alicloud/ros-cdk-fc3 1.11.0 RosAsyncInvokeConfig: FunctionName
	// required; no Fn::GetAtt attributes.
	rosTypes["ALIYUN::FC3::AsyncInvokeConfig"] = struct {
		required []string
		attrs    []string
	}{[]string{"FunctionName"}, nil}
}

// failureQueueARN is the Simple Message Queue (MNS) queue FC sends an event to
// once its retries are exhausted: <name>-verify-failed. The destination ARN
// form acs:mns:<region>:<account>:/queues/<queue>/messages is the one FC's
// destination documentation and RAM's mns:SendMessage resource use.
func failureQueueARN(region, account, name string) string {
	return "acs:mns:" + region + ":" + account + ":/queues/" + name + "-verify-failed/messages"
}

// asyncSettings are the values both files must agree on.
type asyncSettings struct {
	retries, maxAge int64
	destination     string
}

// checkAsyncInvoke checks one asyncInvokeConfig (lower-camel keys).
func checkAsyncInvoke(where string, cfg map[string]any, wantDest string) (asyncSettings, []error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
	}
	var s asyncSettings
	if cfg == nil {
		bad("no asynchronous invocation configuration: FC's defaults apply unseen and an event whose retries are exhausted goes nowhere")
		return s, errs
	}
	// fc3 schema: maxAsyncRetryAttempts 0-8; at least one retry, or a
	// passing OSS hiccup drops the event.
	r, ok := integer(cfg["maxAsyncRetryAttempts"])
	switch {
	case !ok:
		bad("maxAsyncRetryAttempts %v is not set to an integer", cfg["maxAsyncRetryAttempts"])
	case r < 1 || r > 8:
		bad("maxAsyncRetryAttempts %d outside 1..8", r)
	}
	s.retries = r
	// fc3 schema allows 1..2592000, ROS 1..604800: the intersection.
	a, ok := integer(cfg["maxAsyncEventAgeInSeconds"])
	switch {
	case !ok:
		bad("maxAsyncEventAgeInSeconds %v is not set to an integer", cfg["maxAsyncEventAgeInSeconds"])
	case a < 1 || a > 604800:
		bad("maxAsyncEventAgeInSeconds %d outside 1..604800", a)
	}
	s.maxAge = a
	if _, ok := at(cfg, "destinationConfig", "onSuccess"); ok {
		bad("destinationConfig.onSuccess would send every verified upload to a queue nobody reads")
	}
	d, _ := at(cfg, "destinationConfig", "onFailure", "destination")
	s.destination = str(d)
	if s.destination != wantDest {
		bad("onFailure destination %q, want %q (the queue the role may send to)", s.destination, wantDest)
	}
	if b, ok := cfg["asyncTask"].(bool); ok && b {
		bad("asyncTask is on: verify is not a long-running task")
	}
	return s, errs
}

// lowerKeys returns v with every map key's first letter lower-cased (ROS
// PascalCase to the fc3 component's camelCase).
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[lowerFirst(k)] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = lowerKeys(e)
		}
		return out
	}
	return v
}

// checkVerifyAsync checks both files' settings, that they agree, and that the
// template's verify role may send to the destination.
func checkVerifyAsync(syaml, template map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	props, _ := at2(syaml, "resources", "verify", "props").(map[string]any)
	cfg, _ := props["asyncInvokeConfig"].(map[string]any)
	name := strings.TrimSuffix(str(props["functionName"]), "-verify")
	account := ""
	if m := roleARNRe.FindString(str(props["role"])); m != "" {
		account = strings.Split(m, ":")[3]
	}
	sy, e := checkAsyncInvoke("s.yaml resources.verify.props.asyncInvokeConfig", cfg, failureQueueARN(str(props["region"]), account, name))
	errs = append(errs, e...)

	env := newROSEnv(template, templateParams)
	ids := rosResourcesOfType(template, "ALIYUN::FC3::AsyncInvokeConfig")
	if len(ids) != 1 {
		bad("template.yaml: %d ALIYUN::FC3::AsyncInvokeConfig resources, want 1 (for verify)", len(ids))
		return errs
	}
	id := ids[0]
	where := "template.yaml " + id
	raw, _ := at2(template, "Resources", id).(map[string]any)
	if c := str(raw["Condition"]); c != str(at2(template, "Resources", "VerifyFunction", "Condition")) {
		bad("%s: Condition %q is not VerifyFunction's", where, c)
	}
	if fn := at2(raw, "Properties", "FunctionName"); !strings.Contains(fmt.Sprint(fn), "VerifyFunction") {
		bad("%s: FunctionName %v does not name VerifyFunction", where, fn)
	}
	p, _ := lowerKeys(env.eval(raw["Properties"])).(map[string]any)
	delete(p, "functionName")
	tp, e := checkAsyncInvoke(where, p, failureQueueARN(testRegion, testAccountID, str(env.params["NamePrefix"])))
	errs = append(errs, e...)
	if sy != tp {
		bad("s.yaml and template.yaml disagree on verify's asynchronous invocation: %+v vs %+v", sy, tp)
	}

	// The role may send exactly there.
	granted := false
	pols, _ := env.eval(at2(template, "Resources", "VerifyRole", "Properties", "Policies")).([]any)
	for _, pol := range pols {
		stmts, _ := at(pol, "PolicyDocument", "Statement")
		list, _ := stmts.([]any)
		for _, s := range list {
			sm, _ := s.(map[string]any)
			for _, a := range strList(sm["Action"]) {
				if a != "mns:SendMessage" {
					continue
				}
				for _, r := range strList(sm["Resource"]) {
					if r == tp.destination && str(sm["Effect"]) == "Allow" {
						granted = true
					} else {
						bad("template.yaml VerifyRole: mns:SendMessage on %q, which is not the failure destination %q", r, tp.destination)
					}
				}
			}
		}
	}
	if !granted {
		bad("template.yaml VerifyRole: no mns:SendMessage on the failure destination %q: FC could not deliver failed events", tp.destination)
	}
	for _, err := range env.errs {
		bad("template.yaml: %v", err)
	}
	return errs
}

func TestVerifyAsyncInvokeConfig(t *testing.T) {
	noErrs(t, "async invocation", checkVerifyAsync(renderedSYAML(t), loadYAML(t, "template.yaml")))
}

func TestVerifyAsyncInvokeChecksCatchMutations(t *testing.T) {
	sBase, tBase := renderedSYAML(t), loadYAML(t, "template.yaml")
	sa := func(rest ...any) []any {
		return append([]any{"resources", "verify", "props", "asyncInvokeConfig"}, rest...)
	}
	ta := func(rest ...any) []any {
		return append([]any{"Resources", "VerifyAsyncInvokeConfig", "Properties"}, rest...)
	}
	sendStmt := []any{"Resources", "VerifyRole", "Properties", "Policies", 0, "PolicyDocument", "Statement", 3}
	cases := []struct {
		name     string
		template bool
		path     []any
		value    any // nil deletes
		want     string
	}{
		{"s.yaml no config", false, sa(), nil, "no asynchronous invocation configuration"},
		{"s.yaml no retries", false, sa("maxAsyncRetryAttempts"), 0, "maxAsyncRetryAttempts 0 outside"},
		{"s.yaml too many retries", false, sa("maxAsyncRetryAttempts"), 9, "maxAsyncRetryAttempts 9 outside"},
		{"s.yaml age beyond ROS", false, sa("maxAsyncEventAgeInSeconds"), 700000, "outside 1..604800"},
		{"s.yaml age unset", false, sa("maxAsyncEventAgeInSeconds"), nil, "is not set"},
		{"s.yaml other queue", false, sa("destinationConfig", "onFailure", "destination"), "acs:mns:cn-hangzhou:123456789012:/queues/other/messages", "onFailure destination"},
		{"s.yaml on success", false, sa("destinationConfig", "onSuccess"), map[string]any{"destination": "x"}, "onSuccess"},
		{"s.yaml async task", false, sa("asyncTask"), true, "asyncTask"},
		{"files disagree", false, sa("maxAsyncRetryAttempts"), 5, "disagree"},
		{"template no config", true, []any{"Resources", "VerifyAsyncInvokeConfig"}, nil, "0 ALIYUN::FC3::AsyncInvokeConfig"},
		{"template other function", true, ta("FunctionName"), map[string]any{"Fn::GetAtt": []any{"SignFunction", "FunctionName"}}, "does not name VerifyFunction"},
		{"template unconditional", true, []any{"Resources", "VerifyAsyncInvokeConfig", "Condition"}, nil, "is not VerifyFunction's"},
		{"template other queue", true, ta("DestinationConfig", "OnFailure", "Destination"), "acs:mns:cn-hangzhou:123456789012:/queues/x/messages", "onFailure destination"},
		{"template retries", true, ta("MaxAsyncRetryAttempts"), 8, "disagree"},
		{"role cannot send", true, sendStmt, nil, "no mns:SendMessage"},
		{"role sends elsewhere", true, append(sendStmt, "Resource"), []any{"acs:mns:cn-hangzhou:123456789012:/queues/*"}, "not the failure destination"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, tm := deepCopy(sBase).(map[string]any), deepCopy(tBase).(map[string]any)
			if tc.template {
				set(tm, tc.value, tc.path...)
			} else {
				set(s, tc.value, tc.path...)
			}
			expectErr(t, checkVerifyAsync(s, tm), tc.want)
		})
	}
}
