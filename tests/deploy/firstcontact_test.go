package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/rostemplate"
)

// What a first deployment on a real account would otherwise reveal: ARNs
// naming the wrong account, a log project name somebody else already has, a
// logstore nobody can query, a stack that fails deep inside FC because no
// code bucket was given, and empty environment values.

// ---- ARNs name the owner (ALIYUN::TenantId), never the executor ----

// acsRe finds the account field of an ARN: acs:<service>:<region>:<account>:.
var acsRe = regexp.MustCompile(`acs:[a-z]+:[^:]*:([^:]*):`)

// The local stack builds its roles from template.yaml through
// local/rostemplate; with the executor and the owner set apart, every
// account an ARN names is the owner's.
func TestLocalStackRolesNameTheOwner(t *testing.T) {
	roles, err := rostemplate.Load(repoRoot+"/template.yaml", map[string]string{
		"BucketName":        templateParams["BucketName"],
		"ALIYUN::AccountId": testExecutorID,
		"ALIYUN::TenantId":  testAccountID,
		"ALIYUN::Region":    testRegion,
	})
	if err != nil {
		t.Fatalf("local/rostemplate cannot read template.yaml: %v", err)
	}
	if len(roles) != len(trustOf) {
		t.Fatalf("local/rostemplate found %d roles, want %d", len(roles), len(trustOf))
	}
	arns := 0
	for _, r := range roles {
		texts := slices.Clone(r.TrustRAM)
		for _, p := range r.Policies {
			texts = append(texts, string(p))
		}
		for _, text := range texts {
			for _, m := range acsRe.FindAllStringSubmatch(text, -1) {
				arns++
				if m[1] != testAccountID && m[1] != "*" && m[1] != "" {
					t.Errorf("role %s: %s names account %s, not the owner %s (ALIYUN::TenantId)", r.Name, m[0], m[1], testAccountID)
				}
			}
		}
	}
	if arns < 10 {
		t.Errorf("only %d ARNs found in the roles: the check looked at nothing", arns)
	}
}

// No ARN or name in template.yaml is built from the executor's ID.
func TestTemplateNeverNamesTheExecutor(t *testing.T) {
	b, err := json.Marshal(loadYAML(t, "template.yaml")["Resources"])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "ALIYUN::AccountId"); n > 0 {
		t.Errorf("template.yaml resources use ALIYUN::AccountId %d times: that is the identity executing the stack (often a RAM user), not the account owning the resources (ALIYUN::TenantId)", n)
	}
}

// ---- the log project's name ----

// slsProjectRe is SLS's rule for project names: 3..63 characters of
// lowercase letters, digits and hyphens, starting and ending with a letter
// or digit (Log Service "Manage a project"; RosProject's validator in
// @alicloud/ros-cdk-sls checks the length and character set).
var slsProjectRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func logProjectOf(t *testing.T, doc map[string]any, params map[string]string, owner string) string {
	t.Helper()
	e := newROSEnv(doc, params)
	e.params["ALIYUN::TenantId"] = owner
	name := str(e.attr("FunctionLogProject", "Name"))
	for _, err := range e.errs {
		t.Errorf("evaluating the log project's name: %v", err)
	}
	return name
}

// SLS project names are unique in a region across all accounts: the default
// name differs per owner, obeys SLS's naming rule even with the longest
// NamePrefix the template allows, and s.yaml derives the same name.
func TestLogProjectNameIsPerAccount(t *testing.T) {
	doc := loadYAML(t, "template.yaml")
	const otherOwner = "5099887766554433"
	a := logProjectOf(t, doc, templateParams, testAccountID)
	b := logProjectOf(t, doc, templateParams, otherOwner)
	if a == b {
		t.Errorf("two accounts get the same log project %q: the second CreateStack fails (names are unique in a region across accounts)", a)
	}
	if a != testLogProject {
		t.Errorf("default log project %q, want %q (<NamePrefix>-logs-<TenantId>)", a, testLogProject)
	}
	longest := strings.Repeat("a", 40)
	if re := regexp.MustCompile(str(at2(doc, "Parameters", "NamePrefix", "AllowedPattern"))); !re.MatchString(longest) {
		t.Fatalf("NamePrefix's AllowedPattern no longer allows 40 characters; update this test")
	}
	for _, owner := range []string{testAccountID, "1234567890123456"} {
		name := logProjectOf(t, doc, map[string]string{"BucketName": "b-1", "NamePrefix": longest}, owner)
		if !slsProjectRe.MatchString(name) {
			t.Errorf("log project %q (NamePrefix of 40 characters, owner %s) breaks SLS's naming rule", name, owner)
		}
	}
	if got := logProjectOf(t, doc, map[string]string{"BucketName": "b-1", "LogProject": "my-logs"}, testAccountID); got != "my-logs" {
		t.Errorf("LogProject=my-logs gives %q", got)
	}

	// s.yaml, rendered for each owner, names the same project as the stack.
	for _, owner := range []string{testAccountID, otherOwner} {
		s, err := renderSYAML(loadYAML(t, "s.yaml"), deployerEnv, owner)
		if err != nil {
			t.Fatal(err)
		}
		want := logProjectOf(t, doc, templateParams, owner)
		for _, fn := range deployedFunctions {
			if got := str(at2(s, "resources", fn, "props", "logConfig", "project")); got != want {
				t.Errorf("s.yaml %s logConfig.project %q for account %s, template.yaml creates %q", fn, got, owner, want)
			}
		}
	}
}

// ---- the logstore's index ----

// checkLogIndex: an ALIYUN::SLS::Index covers the functions' logstore with
// full-text search, and every function waits for it (DependsOn), so the
// first invocation's logs are already searchable.
func checkLogIndex(doc map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	e := newROSEnv(doc, templateParams)
	stores := rosResourcesOfType(doc, "ALIYUN::SLS::Logstore")
	indexes := rosResourcesOfType(doc, "ALIYUN::SLS::Index")
	if len(stores) != 1 {
		return []error{fmt.Errorf("template.yaml: %d logstores, want 1", len(stores))}
	}
	store, _ := e.eval(at2(doc, "Resources", stores[0], "Properties")).(map[string]any)
	var index string
	for _, id := range indexes {
		p, _ := e.eval(at2(doc, "Resources", id, "Properties")).(map[string]any)
		if str(p["ProjectName"]) == str(store["ProjectName"]) && str(p["LogstoreName"]) == str(store["LogstoreName"]) {
			index = id
			if en, _ := at2(p, "FullTextIndex", "Enable").(bool); !en {
				bad("template.yaml %s: FullTextIndex.Enable is not true: plain-text function logs would not be searchable", id)
			}
		}
	}
	if index == "" {
		bad("template.yaml: no ALIYUN::SLS::Index on logstore %v/%v: console and `s logs` queries find nothing", store["ProjectName"], store["LogstoreName"])
		return errs
	}
	for _, id := range rosResourcesOfType(doc, "ALIYUN::FC3::Function") {
		if !slices.Contains(strList(at2(doc, "Resources", id, "DependsOn")), index) {
			bad("template.yaml %s: does not DependsOn %s: its first logs could arrive before the index exists", id, index)
		}
	}
	for _, err := range e.errs {
		bad("template.yaml: %v", err)
	}
	return errs
}

func TestLogstoreHasAnIndex(t *testing.T) {
	noErrs(t, "template.yaml", checkLogIndex(loadYAML(t, "template.yaml")))
}

func TestLogIndexChecksCatchMutations(t *testing.T) {
	base := loadYAML(t, "template.yaml")
	r := func(rest ...any) []any { return append([]any{"Resources"}, rest...) }
	cases := []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"no index", r("FunctionLogIndex"), nil, "no ALIYUN::SLS::Index"},
		{"index on another logstore", r("FunctionLogIndex", "Properties", "LogstoreName"), "other", "no ALIYUN::SLS::Index"},
		{"full text off", r("FunctionLogIndex", "Properties", "FullTextIndex", "Enable"), false, "FullTextIndex.Enable is not true"},
		{"function before index", r("VerifyFunction", "DependsOn"), []any{"FunctionLogStore"}, "VerifyFunction: does not DependsOn FunctionLogIndex"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkLogIndex(doc), tc.want)
		})
	}
}

// ---- Rules: refuse a stack that cannot work, before creating anything ----

// ruleFailures evaluates the template's Rules (ROS template structure,
// "Rules": a rule applies when its RuleCondition is absent or true; every
// Assert must then be true) and returns the AssertDescription of each
// failing assertion.
func ruleFailures(t *testing.T, doc map[string]any, params map[string]string) []string {
	t.Helper()
	e := newROSEnv(doc, params)
	rules, _ := doc["Rules"].(map[string]any)
	var failed []string
	for _, name := range sortedKeys(rules) {
		rule, _ := rules[name].(map[string]any)
		if c, ok := rule["RuleCondition"]; ok {
			if b, isBool := e.eval(c).(bool); !isBool || !b {
				continue
			}
		}
		list, _ := rule["Assertions"].([]any)
		if len(list) == 0 {
			t.Errorf("rule %s has no Assertions", name)
		}
		for _, a := range list {
			am, _ := a.(map[string]any)
			ok, isBool := e.eval(am["Assert"]).(bool)
			if !isBool {
				t.Errorf("rule %s: Assert %v is not a condition", name, am["Assert"])
			}
			if !ok {
				failed = append(failed, name+": "+str(am["AssertDescription"]))
			}
		}
	}
	for _, err := range e.errs {
		t.Errorf("evaluating Rules: %v", err)
	}
	return failed
}

// The defaults (DeployFunctions=true, CodeBucket empty) are refused up
// front with a message naming CodeBucket; a code bucket, or no functions,
// passes.
func TestRulesRefuseFunctionsWithoutCode(t *testing.T) {
	doc := loadYAML(t, "template.yaml")
	secret := "0123456789abcdef0123456789abcdef"
	if got := ruleFailures(t, doc, map[string]string{"BucketName": "b-1", "AuthJwtSecret": secret}); len(got) != 1 || !strings.Contains(got[0], "CodeBucket") {
		t.Errorf("DeployFunctions=true without CodeBucket: rule failures %q, want one naming CodeBucket", got)
	}
	if got := ruleFailures(t, doc, map[string]string{"BucketName": "b-1", "CodeBucket": "my-code"}); len(got) != 1 || !strings.Contains(got[0], "AuthJwtSecret") {
		t.Errorf("functions without AuthJwtSecret or AuthJwksUrl: rule failures %q, want one naming AuthJwtSecret", got)
	}
	for _, params := range []map[string]string{
		{"BucketName": "b-1", "CodeBucket": "my-code", "AuthJwtSecret": secret},
		{"BucketName": "b-1", "CodeBucket": "my-code", "AuthJwksUrl": "https://auth.example/jwks.json"},
		{"BucketName": "b-1", "CodeBucket": "my-code", "AuthAllowAnonymous": "true"},
		{"BucketName": "b-1", "DeployFunctions": "false"},
	} {
		if got := ruleFailures(t, doc, params); len(got) != 0 {
			t.Errorf("%v: rules refuse a valid stack: %q", params, got)
		}
	}
}

// ---- no empty environment values ----

// s.yaml never renders an empty value, whatever optional setting is unset,
// and with AUTH_JWT_SECRET unset it does not render at all (Serverless
// Devs stops with "env('AUTH_JWT_SECRET') not found").
func TestSYAMLSendsNoEmptyValues(t *testing.T) {
	doc := renderedSYAML(t)
	for _, fn := range deployedFunctions {
		env := mustMap(t, doc, "resources", fn, "props", "environmentVariables")
		noErrs(t, "s.yaml", checkNoEmptyEnv(fn, env))
	}
	if _, err := renderSYAML(loadYAML(t, "s.yaml"), noEnv, testAccountID); err == nil || !strings.Contains(err.Error(), "env('AUTH_JWT_SECRET') not found") {
		t.Errorf("s.yaml rendered without AUTH_JWT_SECRET (err = %v): a deploy would ship functions that refuse every caller", err)
	}
	// The derived defaults are the functions' own defaults, and follow the
	// region and bucket.
	env := map[string]string{"OSS_REGION": "cn-shanghai", "OSS_BUCKET": "acme-up", "AUTH_JWT_SECRET": testJWTSecret}
	d, err := renderSYAML(loadYAML(t, "s.yaml"), func(k string) string { return env[k] }, testAccountID)
	if err != nil {
		t.Fatal(err)
	}
	for fn, want := range map[string]map[string]string{
		"sign":   {"OSS_ENDPOINT": "https://oss-cn-shanghai.aliyuncs.com", "OSS_UPLOAD_URL": "https://acme-up.oss-cn-shanghai.aliyuncs.com"},
		"sts":    {"OSS_UPLOAD_URL": "https://acme-up.oss-cn-shanghai.aliyuncs.com", "STS_ENDPOINT": "https://sts.cn-shanghai.aliyuncs.com"},
		"verify": {"OSS_ENDPOINT": "https://oss-cn-shanghai.aliyuncs.com"},
	} {
		for k, v := range want {
			if got := str(at2(d, "resources", fn, "props", "environmentVariables", k)); got != v {
				t.Errorf("s.yaml %s %s = %q, want %q", fn, k, got, v)
			}
		}
	}
}
