package stack

import (
	"fmt"
	"strings"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/rostemplate"
	"github.com/ossupload/ossupload/local/sdevs"
)

const (
	devUserName = "developer"
	fcUserName  = "fc-service"
)

// setupIdentities creates the developer's AccessKey, the identity standing
// in for the FC service, and every role of template.yaml with its policies
// and trust. It returns the uploader role's ARN (the role the sts function
// hands out).
func (s *Stack) setupIdentities(store *iam.Store, st devState, cfg Config, fns []sdevs.Function, bucket string) (string, error) {
	env := func(id, name string) string {
		for _, fn := range fns {
			if fn.ID == id {
				return fn.Env[name]
			}
		}
		return ""
	}
	namePrefix := cfg.Getenv("OSSUPLOAD_NAME")
	if namePrefix == "" {
		namePrefix = "ossupload"
	}
	params := map[string]string{
		"NamePrefix":        namePrefix,
		"BucketName":        bucket,
		"ALIYUN::AccountId": iam.AccountID,
		"ALIYUN::TenantId":  iam.AccountID,
		"ALIYUN::Region":    Region,
	}
	if p := env("sign", "UPLOAD_PREFIX"); p != "" {
		params["UploadPrefix"] = p
	}
	if p := env("verify", "QUARANTINE_PREFIX"); p != "" {
		params["QuarantinePrefix"] = p
	}
	roles, err := rostemplate.Load(cfg.Template, params)
	if err != nil {
		return "", fmt.Errorf("roles of %s: %w", cfg.Template, err)
	}

	fcARN := iam.UserARN(fcUserName)
	devARN := iam.UserARN(devUserName)
	uploaderARN := env("sts", "STS_ROLE_ARN")

	var roleARNs []string
	for _, r := range roles {
		arn := iam.RoleARN(r.Name)
		role := iam.Role{ARN: arn}
		if r.MaxSessionDuration > 0 {
			role.MaxSessionDuration = secondsDuration(r.MaxSessionDuration)
		}
		for _, svc := range r.TrustServices {
			if svc == "fc.aliyuncs.com" {
				role.Trust = append(role.Trust, fcARN) // FC assumes function roles
			}
			// oss.aliyuncs.com (the trigger's invocation role) is the
			// in-process event dispatcher here: nothing to assume.
		}
		role.Trust = append(role.Trust, r.TrustRAM...)
		if arn == uploaderARN {
			// Local only: the developer's key may assume the uploader
			// role too, to try uploads with the SDKs by hand.
			role.Trust = append(role.Trust, devARN)
		}
		for i, doc := range r.Policies {
			p, err := iam.ParsePolicy(doc)
			if err != nil {
				return "", fmt.Errorf("role %s policy %d: %w", r.Name, i, err)
			}
			role.Policies = append(role.Policies, p)
		}
		if err := store.AddRole(role); err != nil {
			return "", fmt.Errorf("role %s: %w", r.Name, err)
		}
		roleARNs = append(roleARNs, arn)
	}
	if uploaderARN == "" || !contains(roleARNs, uploaderARN) {
		return "", fmt.Errorf("STS_ROLE_ARN %q of the sts function is not a role of %s", uploaderARN, cfg.Template)
	}
	for _, fn := range fns {
		if !contains(roleARNs, fn.Role) {
			return "", fmt.Errorf("function %s: role %q is not a role of %s", fn.ID, fn.Role, cfg.Template)
		}
	}

	fcPolicy, err := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	if err != nil {
		return "", err
	}
	if err := store.AddUser(fcUserName, st.FCKeyID, st.FCKeySecret, fcPolicy); err != nil {
		return "", err
	}
	devPolicy, err := iam.ParsePolicy([]byte(fmt.Sprintf(`{"Version":"1","Statement":[`+
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":%q},`+
		`{"Effect":"Allow","Action":"oss:*","Resource":[%q,%q]}]}`,
		uploaderARN, "acs:oss:*:*:"+bucket, "acs:oss:*:*:"+bucket+"/*")))
	if err != nil {
		return "", err
	}
	if err := store.AddUser(devUserName, st.AccessKeyID, st.AccessKeySecret, devPolicy); err != nil {
		return "", err
	}
	return uploaderARN, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}
