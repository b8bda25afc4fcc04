package rostemplate

import (
	"errors"
	"fmt"
	"os"
	"sort"
)

// OverwriteRule is one resolved rule of an ALIYUN::OSS::BucketOverwriteConfig
// (properties as in @alicloud/ros-cdk-oss 1.12.0 RosBucketOverwriteConfig:
// Rule[].Id, Action, Prefix, Suffix, Principals.Principal).
type OverwriteRule struct {
	ID, Action, Prefix, Suffix string
	Principals                 []string
}

// LoadOverwriteRules reads path and resolves its overwrite protection rules.
func LoadOverwriteRules(path string, params map[string]string) (map[string][]OverwriteRule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return OverwriteRules(b, params)
}

// OverwriteRules resolves every ALIYUN::OSS::BucketOverwriteConfig of a
// template document, by bucket name. params are as for Roles.
func OverwriteRules(doc []byte, params map[string]string) (map[string][]OverwriteRule, error) {
	r, t, err := newResolver(doc, params)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, res := range t.Resources {
		if res.Type == "ALIYUN::OSS::BucketOverwriteConfig" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := map[string][]OverwriteRule{}
	var errs []error
	for _, id := range ids {
		v, err := r.value(t.Resources[id].Properties)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		props, _ := v.(map[string]any)
		bucket, ok := props["Bucket"].(string)
		if !ok || bucket == "" {
			errs = append(errs, fmt.Errorf("%s: Bucket is not a string", id))
			continue
		}
		rules, _ := props["Rule"].([]any)
		for i, e := range rules {
			m, ok := e.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: Rule[%d] is not a map", id, i))
				continue
			}
			str := func(k string) string { s, _ := m[k].(string); return s }
			rule := OverwriteRule{ID: str("Id"), Action: str("Action"), Prefix: str("Prefix"), Suffix: str("Suffix")}
			if p, ok := m["Principals"].(map[string]any); ok {
				rule.Principals = stringList(p["Principal"])
			}
			out[bucket] = append(out[bucket], rule)
		}
	}
	return out, errors.Join(errs...)
}
