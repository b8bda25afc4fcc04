package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/rostemplate"
)

// The upload bucket's overwrite protection: template.yaml must forbid, for
// everyone, replacing an object under UploadPrefix (an upload-only session
// could otherwise replace its own verified upload: oss:PutObject allows it
// and no RAM condition key stops it), and must not cover the quarantine
// prefix (verify copies rejected uploads there and may copy the same key
// again). The local stack reads the same resource through local/rostemplate.

func init() {
	// ROS ALIYUN::OSS::BucketOverwriteConfig, as generated into
	// @alicloud/ros-cdk-oss 1.12.0 RosBucketOverwriteConfig: Bucket
	// required; Fn::GetAtt Rule.
	rosTypes["ALIYUN::OSS::BucketOverwriteConfig"] = struct {
		required []string
		attrs    []string
	}{[]string{"Bucket"}, []string{"Rule"}}
}

// overwriteParams differ from the defaults, so a literal prefix where a Ref
// belongs is caught.
var overwriteParams = map[string]string{"BucketName": "ossupload-test", "UploadPrefix": "files/", "QuarantinePrefix": "held/"}

func checkOverwriteProtection(doc map[string]any) []error {
	e := newROSEnv(doc, overwriteParams)
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("template.yaml overwrite protection: "+format, args...))
	}
	uploadPrefix, quarantinePrefix := str(e.params["UploadPrefix"]), str(e.params["QuarantinePrefix"])
	bucketName := str(e.attr("UploadBucket", "Name"))
	ids := rosResourcesOfType(doc, "ALIYUN::OSS::BucketOverwriteConfig")
	protected := false
	for _, id := range ids {
		res, _ := at2(doc, "Resources", id).(map[string]any)
		p, _ := e.eval(res["Properties"]).(map[string]any)
		if b := str(p["Bucket"]); b != bucketName {
			bad("%s: Bucket %q, want the upload bucket %q", id, b, bucketName)
			continue
		}
		if !slices.Contains(strList(res["DependsOn"]), "UploadBucket") {
			bad("%s: no DependsOn UploadBucket (the rules need the bucket)", id)
		}
		rules, _ := p["Rule"].([]any)
		for i, r := range rules {
			rm, _ := r.(map[string]any)
			action, prefix, suffix := str(rm["Action"]), str(rm["Prefix"]), str(rm["Suffix"])
			principals := strList(at2(rm, "Principals", "Principal"))
			if action != "forbid" {
				bad("%s Rule %d: Action %q, want forbid", id, i, action)
				continue
			}
			if strings.HasPrefix(quarantinePrefix, prefix) && strings.HasSuffix(quarantinePrefix, suffix) {
				bad("%s Rule %d: prefix %q also covers the quarantine prefix %q, where verify copies", id, i, prefix, quarantinePrefix)
			}
			if prefix == uploadPrefix && suffix == "" && len(principals) == 0 {
				protected = true
			}
		}
	}
	if !protected {
		bad("no rule forbids overwrites under the UploadPrefix %q for everyone (Action forbid, Prefix {Ref: UploadPrefix}, no Suffix, no Principals)", uploadPrefix)
	}
	for _, err := range e.errs {
		bad("%v", err)
	}
	return errs
}

func TestTemplateForbidsOverwritingUploads(t *testing.T) {
	noErrs(t, "template.yaml", checkOverwriteProtection(loadYAML(t, "template.yaml")))
}

func TestOverwriteProtectionChecksCatchMutations(t *testing.T) {
	base := loadYAML(t, "template.yaml")
	ids := rosResourcesOfType(base, "ALIYUN::OSS::BucketOverwriteConfig")
	if len(ids) != 1 {
		t.Fatalf("template.yaml has %d ALIYUN::OSS::BucketOverwriteConfig resources, want 1", len(ids))
	}
	id := ids[0]
	rule := func(rest ...any) []any { return append([]any{"Resources", id, "Properties", "Rule", 0}, rest...) }
	for _, tc := range []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"resource missing", []any{"Resources", id}, nil, "no rule forbids overwrites"},
		{"rules missing", []any{"Resources", id, "Properties", "Rule"}, nil, "no rule forbids overwrites"},
		{"other bucket", []any{"Resources", id, "Properties", "Bucket"}, "other-bucket", "want the upload bucket"},
		{"no depends on", []any{"Resources", id, "DependsOn"}, nil, "no DependsOn UploadBucket"},
		{"literal prefix", rule("Prefix"), "uploads/", "no rule forbids overwrites under the UploadPrefix \"files/\""},
		{"quarantine prefix", rule("Prefix"), map[string]any{"Ref": "QuarantinePrefix"}, "no rule forbids overwrites"},
		{"whole bucket", rule("Prefix"), "", "also covers the quarantine prefix"},
		{"suffix", rule("Suffix"), ".png", "no rule forbids overwrites"},
		{"only some principals", rule("Principals"), map[string]any{"Principal": []any{"1234567890123456"}}, "no rule forbids overwrites"},
		{"action missing", rule("Action"), nil, "Action \"\", want forbid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkOverwriteProtection(doc), tc.want)
		})
	}
}

// The local stack takes its rules from template.yaml through
// local/rostemplate: what that reads is the rule checked above, with the
// stack's parameters.
func TestLocalStackReadsTheOverwriteRule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := rostemplate.OverwriteRules(b, overwriteParams)
	if err != nil {
		t.Fatal(err)
	}
	rules := got[overwriteParams["BucketName"]]
	if len(got) != 1 || len(rules) != 1 {
		t.Fatalf("rules by bucket %+v, want one rule on %s", got, overwriteParams["BucketName"])
	}
	if r := rules[0]; r.Action != "forbid" || r.Prefix != overwriteParams["UploadPrefix"] || r.Suffix != "" || len(r.Principals) != 0 {
		t.Fatalf("rule %+v, want forbid under %s for everyone", r, overwriteParams["UploadPrefix"])
	}
}
