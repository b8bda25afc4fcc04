package stack

import (
	"fmt"

	"github.com/ossupload/ossupload/local/oss"
	"github.com/ossupload/ossupload/local/rostemplate"
	"github.com/ossupload/ossupload/local/sdevs"
)

// setOverwriteRules gives the emulated bucket the overwrite protection rules
// template.yaml gives the real one (ALIYUN::OSS::BucketOverwriteConfig),
// with the upload prefix the functions use.
func setOverwriteRules(srv *oss.Server, template string, fns []sdevs.Function, bucket string) error {
	params := map[string]string{"BucketName": bucket}
	for _, fn := range fns {
		if p := fn.Env["UPLOAD_PREFIX"]; fn.ID == "sign" && p != "" {
			params["UploadPrefix"] = p
		}
	}
	byBucket, err := rostemplate.LoadOverwriteRules(template, params)
	if err != nil {
		return fmt.Errorf("overwrite rules of %s: %w", template, err)
	}
	var rules []oss.OverwriteRule
	for _, r := range byBucket[bucket] {
		rules = append(rules, oss.OverwriteRule{ID: r.ID, Action: r.Action, Prefix: r.Prefix, Suffix: r.Suffix, Principals: r.Principals})
	}
	if err := srv.SetOverwriteConfig(bucket, rules); err != nil {
		return fmt.Errorf("overwrite rules of %s: %w", template, err)
	}
	return nil
}
