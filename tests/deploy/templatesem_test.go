package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// templateParams are the values a user must give (BucketName has no default).
var templateParams = map[string]string{"BucketName": "ossupload-test"}

// rosResourcesOfType returns the ids of the resources of one type.
func rosResourcesOfType(doc map[string]any, typ string) []string {
	res, _ := doc["Resources"].(map[string]any)
	var ids []string
	for _, id := range sortedKeys(res) {
		if at2(res, id, "Type") == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// lowerFirst maps ROS property names to the fc3/FC API names.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// fcPropsFromROS turns an evaluated ALIYUN::FC3::Function into fc3-style
// props so the same schema rules apply to both deploy paths.
func fcPropsFromROS(props map[string]any, triggers []any) map[string]any {
	out := map[string]any{"region": testRegion}
	for k, v := range props {
		switch k {
		case "Code":
			c, _ := v.(map[string]any)
			out["code"] = fmt.Sprintf("oss://%s/%s", str(c["OssBucketName"]), str(c["OssObjectName"]))
		case "LogConfig":
			c, _ := v.(map[string]any)
			lc := map[string]any{}
			for lk, lv := range c {
				lc[lowerFirst(lk)] = lv
			}
			out["logConfig"] = lc
		case "EnvironmentVariables":
			out["environmentVariables"] = v
		default:
			out[lowerFirst(k)] = v
		}
	}
	if triggers != nil {
		out["triggers"] = triggers
	}
	return out
}

// roleRule is one (action, resource) pair a role may be granted.
type roleRule struct{ action, resource string }

// leastPrivilege is, per role resource, every (action, resource) pair it may
// grant, with the default prefixes, NamePrefix=ossupload, the test bucket and
// account. Anything granted beyond this table is an error, and so is a
// pair the code needs (source scan) that the role lacks.
func leastPrivilege() map[string][]roleRule {
	obj := func(prefix string) string {
		return "acs:oss:*:" + testAccountID + ":" + templateParams["BucketName"] + "/" + prefix + "*"
	}
	up, q := obj("uploads/"), obj("quarantine/")
	logs := roleRule{"log:PostLogStoreLogs", "acs:log:" + testRegion + ":" + testAccountID + ":project/" + testLogProject + "/logstore/functions"}
	verifyFn := "acs:fc:" + testRegion + ":" + testAccountID + ":functions/ossupload-verify"
	return map[string][]roleRule{
		// Signs PostObject policies and presigned multipart URLs with its
		// own STS credentials, so the upload (initiate, parts, complete,
		// Uppy's list and abort) is authorised as this role; lists parts
		// before it signs a complete; reads verdict tags for /status, on the
		// upload or its quarantined copy, and HEADs the upload
		// (oss:GetObject) to bind the verdict to its current ETag.
		"SignRole": {{"oss:PutObject", up}, {"oss:GetObject", up}, {"oss:GetObjectTagging", up}, {"oss:ListParts", up},
			{"oss:AbortMultipartUpload", up}, {"oss:GetObjectTagging", q}, logs},
		"StsRole": {{"sts:AssumeRole", "acs:ram::" + testAccountID + ":role/ossupload-uploader"}, logs},
		// ali-oss put and multipartUpload (Initiate/UploadPart/Complete are
		// oss:PutObject), abort and resume.
		"UploaderRole": {{"oss:PutObject", up}, {"oss:AbortMultipartUpload", up}, {"oss:ListParts", up}},
		// Read, tag, copy to quarantine (GetObject source + PutObject and
		// PutObjectTagging target), delete the original.
		"VerifyRole": {
			{"oss:GetObject", up}, {"oss:GetObjectTagging", up}, {"oss:PutObjectTagging", up}, {"oss:DeleteObject", up},
			{"oss:GetObject", q}, {"oss:PutObject", q}, {"oss:PutObjectTagging", q}, {"oss:GetObjectTagging", q}, logs,
			// FC delivers failed asynchronous invocations as this role.
			{"mns:SendMessage", failureQueueARN(testRegion, testAccountID, "ossupload")},
			// The sweep lists the bucket, only under the upload prefix
			// (condition checked by checkSweepList).
			{"oss:ListObjects", "acs:oss:*:" + testAccountID + ":" + templateParams["BucketName"]},
		},
		"OssTriggerRole": {{"fc:InvokeFunction", verifyFn}, {"fc:InvokeFunction", verifyFn + "/*"}},
	}
}

// trustOf is who may assume each role.
var trustOf = map[string]map[string][]string{
	"SignRole":       {"Service": {"fc.aliyuncs.com"}},
	"StsRole":        {"Service": {"fc.aliyuncs.com"}},
	"VerifyRole":     {"Service": {"fc.aliyuncs.com"}},
	"UploaderRole":   {"RAM": {"acs:ram::" + testAccountID + ":role/ossupload-sts"}},
	"OssTriggerRole": {"Service": {"oss.aliyuncs.com"}},
}

// roleOfFunction is the execution role resource of each function.
var roleOfFunction = map[string]string{"sign": "SignRole", "sts": "StsRole", "verify": "VerifyRole"}

// readOnly reports RAM actions that change nothing.
func readOnly(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	return strings.HasPrefix(verb, "Get") || strings.HasPrefix(verb, "List") || strings.HasPrefix(verb, "Head")
}

// checkRoles checks every RAM role's trust and permission policies against
// the least-privilege table and against the SDK calls found in the code
// (codeActions[fn], nil when unknown).
func checkRoles(e *rosEnv, doc map[string]any, codeActions map[string]map[string]bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	table := leastPrivilege()
	roles := rosResourcesOfType(doc, "ALIYUN::RAM::Role")
	for _, id := range sortedKeys(table) {
		if !slices.Contains(roles, id) {
			bad("role %s is missing", id)
		}
	}
	for _, id := range roles {
		props, _ := e.eval(at2(doc, "Resources", id, "Properties")).(map[string]any)
		allowed, known := table[id]
		if !known {
			bad("role %s is not in the least-privilege table", id)
		}
		// Trust policy.
		trust, _ := props["AssumeRolePolicyDocument"].(map[string]any)
		stmts, _ := trust["Statement"].([]any)
		if len(stmts) != 1 {
			bad("%s: trust policy has %d statements, want 1", id, len(stmts))
		}
		for _, s := range stmts {
			sm, _ := s.(map[string]any)
			if str(sm["Effect"]) != "Allow" || !slices.Equal(strList(sm["Action"]), []string{"sts:AssumeRole"}) {
				bad("%s: trust statement must be Allow sts:AssumeRole", id)
			}
			principal, _ := sm["Principal"].(map[string]any)
			want := trustOf[id]
			for _, kind := range sortedKeys(principal) {
				if !slices.Equal(strList(principal[kind]), want[kind]) {
					bad("%s: trust %s %v, want exactly %v", id, kind, strList(principal[kind]), want[kind])
				}
			}
			for kind := range want {
				if _, ok := principal[kind]; !ok {
					bad("%s: trust lacks %s %v", id, kind, want[kind])
				}
			}
		}
		// Permission policies.
		granted := map[string]bool{}
		policies, _ := props["Policies"].([]any)
		for pi, p := range policies {
			pm, _ := p.(map[string]any)
			if str(pm["PolicyName"]) == "" {
				bad("%s: policy %d has no PolicyName", id, pi)
			}
			stmts, _ := at(pm, "PolicyDocument", "Statement")
			list, _ := stmts.([]any)
			for si, s := range list {
				sm, _ := s.(map[string]any)
				where := fmt.Sprintf("%s policy %d statement %d", id, pi, si)
				if _, ok := sm["NotAction"]; ok {
					bad("%s: NotAction grants everything else", where)
				}
				if _, ok := sm["NotResource"]; ok {
					bad("%s: NotResource grants everything else", where)
				}
				if str(sm["Effect"]) != "Allow" {
					continue
				}
				errs = append(errs, checkSweepList(where, sm, str(e.params["UploadPrefix"]))...)
				for _, a := range strList(sm["Action"]) {
					if strings.Contains(a, "*") {
						bad("%s: wildcard action %q", where, a)
					}
					for _, r := range strList(sm["Resource"]) {
						if (r == "*" || strings.HasSuffix(r, ":*")) && !readOnly(a) {
							bad("%s: \"*\" resource on write action %s", where, a)
						}
						if known && !slices.Contains(allowed, roleRule{a, r}) {
							bad("%s: grants %s on %s, beyond what the code needs (not in the least-privilege table)", where, a, r)
						}
						granted[a] = true
					}
				}
			}
		}
		for _, rule := range allowed {
			if !granted[rule.action] {
				bad("%s: does not grant %s, which the function needs", id, rule.action)
			}
		}
		for fn, roleID := range roleOfFunction {
			if roleID != id || codeActions[fn] == nil {
				continue
			}
			for _, a := range sortedKeys(codeActions[fn]) {
				if !granted[a] {
					bad("%s: functions/%s calls an SDK method needing %s, which the role does not grant", id, fn, a)
				}
			}
			for a := range granted {
				// sign grants what its signed forms and presigned URLs do
				// in the browser, which no SDK call of its own shows; verify
				// is granted what FC does for it (the failure destination).
				extra := a == "log:PostLogStoreLogs" || (fn == "sign" && (a == "oss:PutObject" || a == "oss:AbortMultipartUpload")) ||
					(fn == "verify" && a == "mns:SendMessage")
				if !extra && !codeActions[fn][a] {
					bad("%s: grants %s but functions/%s never calls an SDK method needing it", id, a, fn)
				}
			}
		}
	}
	return errs
}

// checkTemplateSemantics evaluates the template with default parameters and
// checks functions, triggers, bucket, roles and outputs.
func checkTemplateSemantics(doc map[string]any, required map[string][]string, codeActions map[string]map[string]bool) []error {
	e := newROSEnv(doc, templateParams)
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	prefix := str(e.params["NamePrefix"]) + "-"

	// Triggers by function name.
	triggersOf := map[string][]any{}
	for _, id := range rosResourcesOfType(doc, "ALIYUN::FC3::Trigger") {
		p, _ := e.eval(at2(doc, "Resources", id, "Properties")).(map[string]any)
		t := map[string]any{}
		for k, v := range p {
			t[lowerFirst(k)] = v
		}
		t["rosID"] = id
		triggersOf[str(p["FunctionName"])] = append(triggersOf[str(p["FunctionName"])], t)
	}
	seen := map[string]bool{}
	sweepAges := map[string]any{}
	for _, id := range rosResourcesOfType(doc, "ALIYUN::FC3::Function") {
		p, _ := e.eval(at2(doc, "Resources", id, "Properties")).(map[string]any)
		name := str(p["FunctionName"])
		fn := strings.TrimPrefix(name, prefix)
		where := "template.yaml " + id
		if !slices.Contains(deployedFunctions, fn) {
			bad("%s: function %q is not one of %v", where, name, deployedFunctions)
			continue
		}
		seen[fn] = true
		props := fcPropsFromROS(p, triggersOf[name])
		errs = append(errs, validateFC3Props(id, props)...)
		if str(props["runtime"]) != "go1" || str(props["handler"]) != "main" {
			bad("%s: runtime/handler %v/%v, want go1/main", where, props["runtime"], props["handler"])
		}
		if role := str(props["role"]); role != e.attr(roleOfFunction[fn], "Arn") {
			bad("%s: Role %q is not %s's ARN", where, role, roleOfFunction[fn])
		}
		if _, ok := props["logConfig"]; !ok {
			bad("%s: no LogConfig", where)
		}
		env, _ := props["environmentVariables"].(map[string]any)
		errs = append(errs, checkEnv(where+".EnvironmentVariables", env, required[fn])...)
		sweepAges[fn] = env["SWEEP_MIN_AGE_SECONDS"]
		// A literal '' (a parameter's empty default is the deployer's
		// choice and is not judged here).
		raw, _ := at2(doc, "Resources", id, "Properties", "EnvironmentVariables").(map[string]any)
		errs = append(errs, checkNoEmptyEnv(where+".EnvironmentVariables", raw)...)
		if fn != "verify" {
			errs = append(errs, checkAuth(where+".EnvironmentVariables", env)...)
		}
		// The logs go where the stack creates the logstore (and its index).
		if lc, _ := props["logConfig"].(map[string]any); lc != nil {
			if str(lc["project"]) != e.attr("FunctionLogProject", "Name") || str(lc["logstore"]) != str(e.params["LogStore"]) {
				bad("%s: LogConfig %v/%v is not the stack's log project and logstore %v/%v", where, lc["project"], lc["logstore"], e.attr("FunctionLogProject", "Name"), e.params["LogStore"])
			}
		}
		trigs := triggersOf[name]
		if fn == "verify" {
			// The OSS trigger first, then the sweep's timer.
			slices.SortFunc(trigs, func(a, b any) int {
				return strings.Compare(str(a.(map[string]any)["triggerType"]), str(b.(map[string]any)["triggerType"]))
			})
			if ids := rosResourcesOfType(doc, "ALIYUN::FC3::AsyncInvokeConfig"); len(ids) == 1 {
				props["asyncInvokeConfig"] = lowerKeys(e.eval(at2(doc, "Resources", ids[0], "Properties")))
			}
			errs = append(errs, checkSweepTriggers(where, trigs, env, props)...)
			if len(trigs) != 2 {
				continue
			}
		} else if len(trigs) != 1 {
			bad("%s: %d triggers, want exactly one", where, len(trigs))
			continue
		}
		t := trigs[0].(map[string]any)
		tw := "template.yaml " + str(t["rosID"])
		cfg, _ := t["triggerConfig"].(map[string]any)
		switch fn {
		case "sign", "sts":
			if str(t["triggerType"]) != "http" {
				bad("%s: TriggerType %q, want http", tw, str(t["triggerType"]))
				continue
			}
			errs = append(errs, checkHTTPTrigger(tw, cfg)...)
		case "verify":
			if str(t["triggerType"]) != "oss" {
				bad("%s: TriggerType %q, want oss", tw, str(t["triggerType"]))
				continue
			}
			errs = append(errs, checkOSSTrigger(tw, cfg, str(env["UPLOAD_PREFIX"]), str(env["QUARANTINE_PREFIX"]))...)
			if want := "acs:oss:" + testRegion + ":" + testAccountID + ":" + str(env["OSS_BUCKET"]); str(t["sourceArn"]) != want {
				bad("%s: SourceArn %q, want %q (the upload bucket)", tw, str(t["sourceArn"]), want)
			}
			if r := str(t["invocationRole"]); r != e.attr("OssTriggerRole", "Arn") {
				bad("%s: InvocationRole %q is not OssTriggerRole's ARN", tw, r)
			}
		}
	}
	errs = append(errs, checkSameSweepAge("template.yaml", sweepAges)...)
	for _, fn := range deployedFunctions {
		if !seen[fn] {
			bad("template.yaml: no ALIYUN::FC3::Function for %s", fn)
		}
	}

	// The bucket.
	buckets := rosResourcesOfType(doc, "ALIYUN::OSS::Bucket")
	if len(buckets) != 1 {
		bad("template.yaml: %d buckets, want 1", len(buckets))
	} else {
		b, _ := e.eval(at2(doc, "Resources", buckets[0], "Properties")).(map[string]any)
		errs = append(errs, checkBucket(b, str(e.params["UploadPrefix"]), str(e.params["QuarantinePrefix"]), strList(e.params["AllowedOrigins"]))...)
	}
	errs = append(errs, checkRoles(e, doc, codeActions)...)

	outputs, _ := doc["Outputs"].(map[string]any)
	for name, want := range map[string][]any{
		"SignUrl":         {"Fn::GetAtt", "SignHttpTrigger", "UrlInternet"},
		"StsUrl":          {"Fn::GetAtt", "StsHttpTrigger", "UrlInternet"},
		"BucketName":      {"Fn::GetAtt", "UploadBucket", "Name"},
		"UploaderRoleArn": {"Fn::GetAtt", "UploaderRole", "Arn"},
	} {
		got := strList(at2(outputs, name, "Value", "Fn::GetAtt"))
		if !slices.Equal(got, []string{str(want[1]), str(want[2])}) {
			bad("template.yaml Outputs.%s: want Fn::GetAtt [%s, %s]", name, want[1], want[2])
		}
	}
	for _, err := range e.errs {
		bad("template.yaml: %v", err)
	}
	return errs
}

// checkBucket: private, CORS for browser uploads, lifecycle that cleans up
// and never expires real uploads.
func checkBucket(b map[string]any, uploadPrefix, quarantinePrefix string, origins []string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("template.yaml bucket: "+format, args...))
	}
	if acl := str(b["AccessControl"]); acl != "private" {
		bad("AccessControl %q, want private", acl)
	}
	// Without Block Public Access an upload-only session can make its own
	// object public with x-oss-object-acl (oss:PutObject suffices).
	if bpa, _ := b["BlockPublicAccess"].(bool); !bpa {
		bad("BlockPublicAccess %v, want true", b["BlockPublicAccess"])
	}
	rules, _ := at(b, "CORSConfiguration", "CORSRule")
	list, _ := rules.([]any)
	if len(list) == 0 {
		bad("no CORSConfiguration.CORSRule: browsers could not upload")
	}
	for i, r := range list {
		rm, _ := r.(map[string]any)
		if got := strList(rm["AllowedOrigin"]); !slices.Equal(got, origins) {
			bad("CORSRule %d AllowedOrigin %v, want the AllowedOrigins parameter %v", i, got, origins)
		}
		methods := strList(rm["AllowedMethod"])
		for _, m := range []string{"GET", "POST", "PUT", "HEAD", "DELETE"} {
			if !slices.Contains(methods, m) {
				bad("CORSRule %d AllowedMethod lacks %s", i, m)
			}
		}
		if !slices.Equal(strList(rm["AllowedHeader"]), []string{"*"}) {
			bad("CORSRule %d AllowedHeader %v, want [*] (ali-oss sends x-oss-* headers)", i, strList(rm["AllowedHeader"]))
		}
		expose := strList(rm["ExposeHeader"])
		for _, h := range []string{"ETag", "x-oss-request-id"} {
			if !slices.Contains(expose, h) {
				bad("CORSRule %d ExposeHeader lacks %s (ali-oss multipart needs it)", i, h)
			}
		}
	}
	lrules, _ := at(b, "LifecycleConfiguration", "Rule")
	llist, _ := lrules.([]any)
	abort, expireQ := false, false
	for _, r := range llist {
		rm, _ := r.(map[string]any)
		p := str(rm["Prefix"])
		if str(rm["Status"]) != "Enabled" {
			continue
		}
		if _, ok := rm["AbortMultipartUpload"]; ok && p == uploadPrefix {
			abort = true
		}
		if _, ok := rm["Expiration"]; ok {
			if p == quarantinePrefix {
				expireQ = true
			} else {
				bad("lifecycle rule %q expires objects under %q: only quarantined objects may expire", str(rm["ID"]), p)
			}
		}
	}
	if !abort {
		bad("no enabled lifecycle rule with AbortMultipartUpload under %q", uploadPrefix)
	}
	if !expireQ {
		bad("no enabled lifecycle rule with Expiration under the quarantine prefix %q", quarantinePrefix)
	}
	return errs
}

func TestTemplateMatchesTheCode(t *testing.T) {
	doc := loadYAML(t, "template.yaml")
	required := map[string][]string{}
	code := map[string]map[string]bool{}
	for _, fn := range deployedFunctions {
		facts, err := scanFunction(fn)
		if err != nil {
			t.Errorf("cannot learn what functions/%s does (%v); checking the tables only", fn, err)
		}
		required[fn] = requiredEnv(fn, facts)
		if err == nil {
			code[fn] = facts.Actions
		}
	}
	noErrs(t, "template.yaml", checkTemplateSemantics(doc, required, code))
}

// s.yaml and template.yaml name the same roles, so `s deploy` works on a
// stack created with DeployFunctions=false.
func TestSYAMLUsesTheTemplateRoles(t *testing.T) {
	s := renderedSYAML(t)
	doc := loadYAML(t, "template.yaml")
	e := newROSEnv(doc, templateParams)
	for fn, role := range roleOfFunction {
		if got, want := str(at2(s, "resources", fn, "props", "role")), e.attr(role, "Arn"); got != want {
			t.Errorf("s.yaml %s role %q, template.yaml %s is %q", fn, got, role, want)
		}
	}
	if got, want := str(at2(s, "resources", "sts", "props", "environmentVariables", "STS_ROLE_ARN")), e.attr("UploaderRole", "Arn"); got != want {
		t.Errorf("s.yaml STS_ROLE_ARN %q, template.yaml UploaderRole is %q", got, want)
	}
	if got, want := str(at2(s, "resources", "verify", "props", "triggers", 0, "invocationRole")), e.attr("OssTriggerRole", "Arn"); got != want {
		t.Errorf("s.yaml invocationRole %q, template.yaml OssTriggerRole is %q", got, want)
	}
	for _, fn := range deployedFunctions {
		lc := mustMap(t, s, "resources", fn, "props", "logConfig")
		if lc["project"] != e.attr("FunctionLogProject", "Name") || lc["logstore"] != e.params["LogStore"] {
			t.Errorf("s.yaml %s logConfig %v, template.yaml creates %v/%v", fn, lc, e.attr("FunctionLogProject", "Name"), e.params["LogStore"])
		}
	}
}

func TestTemplateSemanticChecksCatchMutations(t *testing.T) {
	base := loadYAML(t, "template.yaml")
	r := func(rest ...any) []any { return append([]any{"Resources"}, rest...) }
	stmt := func(role string, i int, rest ...any) []any {
		return append(r(role, "Properties", "Policies", 0, "PolicyDocument", "Statement", i), rest...)
	}
	ossCfg := func(rest ...any) []any { return append(r("VerifyOssTrigger", "Properties", "TriggerConfig"), rest...) }
	cors := func(rest ...any) []any {
		return append(r("UploadBucket", "Properties", "CORSConfiguration", "CORSRule", 0), rest...)
	}
	cases := []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"wildcard action", stmt("VerifyRole", 0, "Action"), []any{"oss:*"}, "wildcard action \"oss:*\""},
		{"star action", stmt("UploaderRole", 0, "Action"), "*", "wildcard action \"*\""},
		{"star resource on write", stmt("UploaderRole", 0, "Resource"), []any{"*"}, "\"*\" resource on write action oss:PutObject"},
		{"whole bucket", stmt("SignRole", 0, "Resource"), []any{"acs:oss:*:123456789012:ossupload-test/*"}, "beyond what the code needs"},
		{"extra action", stmt("UploaderRole", 0, "Action"), []any{"oss:PutObject", "oss:AbortMultipartUpload", "oss:ListParts", "oss:DeleteObject"}, "grants oss:DeleteObject on"},
		{"missing action", stmt("UploaderRole", 0, "Action"), []any{"oss:PutObject"}, "does not grant oss:ListParts"},
		{"not action", stmt("SignRole", 0, "NotAction"), []any{"oss:DeleteObject"}, "NotAction grants everything else"},
		{"sts any role", stmt("StsRole", 0, "Resource"), []any{"acs:ram::123456789012:role/*"}, "grants sts:AssumeRole on acs:ram::123456789012:role/*"},
		{"trigger role any function", stmt("OssTriggerRole", 0, "Resource"), []any{"acs:fc:cn-hangzhou:123456789012:functions/*"}, "grants fc:InvokeFunction on acs:fc:cn-hangzhou:123456789012:functions/*"},
		{"uploader trusts account", r("UploaderRole", "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "RAM"), []any{"acs:ram::123456789012:root"}, "UploaderRole: trust RAM"},
		{"function role trusts oss", r("VerifyRole", "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"), []any{"fc.aliyuncs.com", "oss.aliyuncs.com"}, "VerifyRole: trust Service"},
		{"trigger role trusts fc", r("OssTriggerRole", "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"), []any{"fc.aliyuncs.com"}, "OssTriggerRole: trust Service"},
		{"role missing", r("OssTriggerRole"), nil, "role OssTriggerRole is missing"},
		{"copy event", ossCfg("events"), []any{"oss:ObjectCreated:*"}, "can fire on the function's own writes"},
		{"empty prefix", ossCfg("filter", "key", "prefix"), "", "matches the whole bucket"},
		{"quarantine prefix", ossCfg("filter", "key", "prefix"), map[string]any{"Ref": "QuarantinePrefix"}, "can fire on the function's own writes"},
		{"executor in oss arn", stmt("SignRole", 0, "Resource"), []any{map[string]any{"Fn::Sub": "acs:oss:*:${ALIYUN::AccountId}:${BucketName}/${UploadPrefix}*"}}, "grants oss:PutObject on acs:oss:*:" + testExecutorID},
		{"executor in role arn", stmt("StsRole", 0, "Resource"), []any{map[string]any{"Fn::Sub": "acs:ram::${ALIYUN::AccountId}:role/${NamePrefix}-uploader"}}, "grants sts:AssumeRole on acs:ram::" + testExecutorID},
		{"executor in source arn", r("VerifyOssTrigger", "Properties", "SourceArn"), map[string]any{"Fn::Sub": "acs:oss:${ALIYUN::Region}:${ALIYUN::AccountId}:${BucketName}"}, "the upload bucket"},
		{"literal empty env", r("SignFunction", "Properties", "EnvironmentVariables", "OSS_ENDPOINT"), "", "OSS_ENDPOINT is empty"},
		{"logs elsewhere", r("StsFunction", "Properties", "LogConfig", "Project"), "ossupload-logs", "is not the stack's log project"},
		{"other bucket", r("VerifyOssTrigger", "Properties", "SourceArn"), "acs:oss:cn-hangzhou:123456789012:other", "the upload bucket"},
		{"invocation role", r("VerifyOssTrigger", "Properties", "InvocationRole"), map[string]any{"Fn::GetAtt": []any{"VerifyRole", "Arn"}}, "is not OssTriggerRole's ARN"},
		{"http trigger kind", r("SignHttpTrigger", "Properties", "TriggerType"), "timer", "want http"},
		{"oss trigger kind", r("VerifyOssTrigger", "Properties", "TriggerType"), "http", "want oss"},
		{"http authType", r("StsHttpTrigger", "Properties", "TriggerConfig", "authType"), "public", "authType must be equal to one of the allowed values"},
		{"env missing", r("StsFunction", "Properties", "EnvironmentVariables", "STS_ROLE_ARN"), nil, "STS_ROLE_ARN is read by the function but not set"},
		{"runtime", r("SignFunction", "Properties", "Runtime"), "go2", "runtime must be equal to one of the allowed values"},
		{"memory", r("VerifyFunction", "Properties", "MemorySize"), 100, "memorySize must be >= 128"},
		{"instance concurrency", r("VerifyFunction", "Properties", "InstanceConcurrency"), 5, "instanceConcurrency is not supported"},
		{"function role", r("SignFunction", "Properties", "Role"), map[string]any{"Fn::GetAtt": []any{"VerifyRole", "Arn"}}, "is not SignRole's ARN"},
		{"public bucket", r("UploadBucket", "Properties", "AccessControl"), "public-read", "AccessControl \"public-read\", want private"},
		{"no block public access", r("UploadBucket", "Properties", "BlockPublicAccess"), nil, "BlockPublicAccess <nil>, want true"},
		{"block public access off", r("UploadBucket", "Properties", "BlockPublicAccess"), false, "BlockPublicAccess false, want true"},
		{"missing symlink event", ossCfg("events"), []any{"oss:ObjectCreated:PutObject", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:AppendObject"}, "lack oss:ObjectCreated:PutSymlink"},
		{"no etag", cors("ExposeHeader"), []any{"x-oss-request-id"}, "ExposeHeader lacks ETag"},
		{"no put", cors("AllowedMethod"), []any{"GET", "POST"}, "AllowedMethod lacks PUT"},
		{"origins any", cors("AllowedOrigin"), []any{"*"}, "want the AllowedOrigins parameter"},
		{"no abort rule", r("UploadBucket", "Properties", "LifecycleConfiguration", "Rule", 0, "AbortMultipartUpload"), nil, "no enabled lifecycle rule with AbortMultipartUpload"},
		{"expire uploads", r("UploadBucket", "Properties", "LifecycleConfiguration", "Rule", 1, "Prefix"), map[string]any{"Ref": "UploadPrefix"}, "only quarantined objects may expire"},
		{"url output", []any{"Outputs", "StsUrl", "Value"}, map[string]any{"Fn::GetAtt": []any{"StsHttpTrigger", "UrlIntranet"}}, "Outputs.StsUrl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkTemplateSemantics(doc, contractRequiredEnv(), nil), tc.want)
		})
	}
	// With code facts: a call the role does not allow, and a grant no call needs.
	doc := deepCopy(base).(map[string]any)
	code := map[string]map[string]bool{"verify": {"oss:GetObject": true, "oss:PutObject": true, "oss:DeleteObject": true, "oss:PutObjectTagging": true, "oss:GetObjectTagging": true, "oss:ListObjects": true, "oss:ListParts": true}}
	expectErr(t, checkTemplateSemantics(doc, contractRequiredEnv(), code), "functions/verify calls an SDK method needing oss:ListParts")
	code["verify"] = map[string]bool{"oss:GetObject": true, "oss:PutObject": true, "oss:PutObjectTagging": true, "oss:GetObjectTagging": true, "oss:ListObjects": true}
	expectErr(t, checkTemplateSemantics(doc, contractRequiredEnv(), code), "grants oss:DeleteObject but functions/verify never calls")
}

// The uploader role grants exactly the actions the sts function's session
// policy allows (shared/stsvend.UploadActions): a session can never do more
// than the role, so a missing action would break ali-oss and an extra one
// would be unused privilege.
func TestUploaderRoleMatchesSessionPolicy(t *testing.T) {
	want, err := stringSliceVar("shared/stsvend", "UploadActions")
	if err != nil {
		t.Fatalf("cannot read the session policy's actions: %v", err)
	}
	doc := loadYAML(t, "template.yaml")
	e := newROSEnv(doc, templateParams)
	stmts, _ := e.eval(at2(doc, "Resources", "UploaderRole", "Properties", "Policies", 0, "PolicyDocument", "Statement")).([]any)
	var got []string
	for _, s := range stmts {
		got = append(got, strList(at2(s.(map[string]any), "Action"))...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("UploaderRole grants %v, the session policy allows %v", got, want)
	}
}
