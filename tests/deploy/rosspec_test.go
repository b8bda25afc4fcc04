package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// rosSpecPackages are the @alicloud/ros-cdk-* packages (tests/package.json)
// whose generated validators rosspec.cjs runs: one per resource namespace the
// template uses, plus the core runtime.
var rosSpecPackages = []string{"core", "fc3", "oss", "ram", "sls"}

// rosSpecNode returns the node binary, skipping the test (failing it with
// REQUIRE_NODE=1) when Node or the ROS CDK packages are missing.
func rosSpecNode(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("REQUIRE_NODE") == "1" {
			t.Fatalf("REQUIRE_NODE=1 but %s", why)
		}
		t.Skipf("skipping the ROS specification check: %s (install Node.js, then `npm ci --prefix tests`)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	for _, p := range rosSpecPackages {
		if _, err := os.Stat(filepath.Join(repoRoot, "tests", "node_modules", "@alicloud", "ros-cdk-"+p, "package.json")); err != nil {
			missing("tests/node_modules/@alicloud/ros-cdk-" + p + " is missing")
		}
	}
	return node
}

type rosSpecResult struct {
	Errors  []string `json:"errors"`
	Checked []string `json:"checked"`
}

// rosSpecCheck runs tests/deploy/rosspec.cjs once on every document (the
// parsed YAML, handed over as JSON) and returns its findings by name.
func rosSpecCheck(t *testing.T, docs map[string]any) map[string]rosSpecResult {
	t.Helper()
	node := rosSpecNode(t)
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "rosspec.cjs")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rosspec.cjs: %v\n%s", err, stderr.String())
	}
	var out map[string]rosSpecResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("rosspec.cjs output: %v\n%s", err, stdout.String())
	}
	for name := range docs {
		if _, ok := out[name]; !ok {
			t.Fatalf("rosspec.cjs returned nothing for %s", name)
		}
	}
	return out
}

// Every resource of template.yaml passes the validators and renderers that
// Alibaba Cloud generates from its ROS resource specifications, and none of
// its properties is unknown to them.
func TestTemplateMatchesROSSpecifications(t *testing.T) {
	doc := loadYAML(t, "template.yaml")
	res := rosSpecCheck(t, map[string]any{"template": doc})["template"]
	for _, e := range res.Errors {
		t.Errorf("template.yaml: %s", e)
	}
	resources, _ := doc["Resources"].(map[string]any)
	if len(res.Checked) != len(resources) {
		t.Errorf("the specifications checked %d of %d resources: %v", len(res.Checked), len(resources), res.Checked)
	}
}

// Each kind of mistake in a copy of template.yaml is refused by the
// specifications: an unknown or misspelt property, a missing required one,
// a wrong type or value, wrong nesting, an unknown resource type.
func TestROSSpecificationsCatchMutations(t *testing.T) {
	base := loadYAML(t, "template.yaml")
	r := func(rest ...any) []any { return append([]any{"Resources"}, rest...) }
	cases := []struct {
		name  string
		path  []any
		value any // nil deletes
		want  string
	}{
		// Unknown property: invented, misspelt, wrong case.
		{"unknown property", r("SignFunction", "Properties", "MemorySizeMB"), 128, "SignFunction.Properties.MemorySizeMB: unknown property"},
		{"unknown nested property", r("VerifyFunction", "Properties", "LogConfig", "Logstores"), "functions", "LogConfig.Logstores: unknown property"},
		{"misspelt policy key", r("VerifyRole", "Properties", "Policies", 0, "PolicyDocument", "Statement", 0, "Resources"), []any{"*"}, "Statement[0].Resources: unknown property"},
		{"lower-case property", r("FunctionLogStore", "Properties", "ttl"), 30, "the specification spells it TTL"},
		{"unknown resource attribute", r("UploadBucket", "Propertes"), map[string]any{}, "Propertes: not a resource attribute"},
		// Missing required property.
		{"missing trigger type", r("VerifyOssTrigger", "Properties", "TriggerType"), nil, "triggerType: required but missing"},
		{"missing function handler", r("StsFunction", "Properties", "Handler"), nil, "handler: required but missing"},
		{"missing bucket name", r("UploadBucket", "Properties", "BucketName"), nil, "bucketName: required but missing"},
		{"missing role trust", r("SignRole", "Properties", "AssumeRolePolicyDocument"), nil, "assumeRolePolicyDocument: required but missing"},
		{"missing index full text", r("FunctionLogIndex", "Properties", "FullTextIndex"), nil, "fullTextIndex: required but missing"},
		// Wrong type or value.
		{"string for number", r("FunctionLogStore", "Properties", "TTL"), "thirty", "ttl: \"thirty\" should be a number"},
		{"string for boolean", r("SignFunction", "Properties", "InternetAccess"), "yes", "internetAccess: \"yes\" should be a boolean"},
		{"number out of range", r("VerifyFunction", "Properties", "MemorySize"), 64, "memorySize"},
		{"value not allowed", r("UploadBucket", "Properties", "ServerSideEncryptionConfiguration", "SSEAlgorithm"), "AES-256", "doesn't exist in"},
		{"acl not allowed", r("UploadBucket", "Properties", "AccessControl"), "secret", "accessControl"},
		// Wrong nesting.
		{"cors rule not in a list", r("UploadBucket", "Properties", "CORSConfiguration"), map[string]any{"AllowedOrigin": []any{"*"}}, "CORSConfiguration.AllowedOrigin: unknown property"},
		{"expiration not an object", r("UploadBucket", "Properties", "LifecycleConfiguration", "Rule", 1, "Expiration"), 30, "Rule[1].Expiration"},
		{"statement outside document", r("SignRole", "Properties", "Policies", 0, "Statement"), []any{}, "Policies[0].Statement: unknown property"},
		{"code fields at top level", r("SignFunction", "Properties", "OssBucketName"), "code", "SignFunction.Properties.OssBucketName: unknown property"},
		{"index flag at top level", r("FunctionLogIndex", "Properties", "Enable"), true, "FunctionLogIndex.Properties.Enable: unknown property"},
		// Unknown type.
		{"unknown resource type", r("FunctionLogStore", "Type"), "ALIYUN::SLS::LogStore", "resource type \"ALIYUN::SLS::LogStore\" is not in"},
	}
	docs := map[string]any{}
	for _, tc := range cases {
		doc := deepCopy(base).(map[string]any)
		set(doc, tc.value, tc.path...)
		docs[tc.name] = doc
	}
	results := rosSpecCheck(t, docs)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errs []error
			for _, e := range results[tc.name].Errors {
				errs = append(errs, errString(e))
			}
			expectErr(t, errs, tc.want)
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
