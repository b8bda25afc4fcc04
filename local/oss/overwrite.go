package oss

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ossupload/ossupload/local/iam"
)

// Overwrite protection rules ("禁止覆盖写", BucketOverwriteConfig): bucket
// rules that refuse any write replacing an existing object whose key
// matches, whoever asks and whatever x-oss-forbid-overwrite says.
//
// What OSS documents, and what the emulator therefore does:
//   - PUT/GET/DELETE /?overwriteConfig, body <OverwriteConfiguration> with up
//     to 100 <Rule>s of ID, Action (only "forbid"), Prefix, Suffix (each at
//     most 1,023 characters, literal, "*" is no wildcard) and
//     <Principals><Principal>...; a PUT replaces the whole configuration; an
//     ID left out is filled with a random UUID, IDs must be unique; a rule
//     matches when all its filters match; GET answers 404 when there is no
//     configuration; DELETE answers 204 (PutBucketOverwriteConfig
//     https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketoverwriteconfig,
//     GetBucketOverwriteConfig .../getbucketoverwriteconfig,
//     DeleteBucketOverwriteConfig .../deletebucketoverwriteconfig; the element
//     names are those of alibabacloud-oss-go-sdk-v2 v1.5.1
//     oss/api_op_bucket_overwriteconfig.go, which also signs "overwriteConfig"
//     as a V1 sub-resource).
//   - Principals empty or absent: the rule applies to everyone (ROS
//     ALIYUN::OSS::BucketOverwriteConfig, Rule.Principals:
//     https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-oss-bucketoverwriteconfig;
//     the v2 SDK's OverwriteRule comment says the same). Otherwise they are
//     written like a bucket policy's Principal; the emulator understands "*",
//     the account id (the root identity) and, for STS sessions,
//     arn:sts::<account>:assumed-role/<role>/<session> with "*" wildcards.
//     RAM users have no UID here and match only "*".
//   - A matching request that would replace an existing object is refused
//     with FileAlreadyExists ("Prevent file overwrites", How it works:
//     https://www.alibabacloud.com/help/en/oss/user-guide/prevent-file-overwrite).
//     That page names PutObject and AppendObject among the client operations
//     it covers; the emulator applies the rule to every write that can leave
//     other bytes under an existing key: PutObject, PostObject, CopyObject
//     (destination), CompleteMultipartUpload, PutSymlink and AppendObject
//     onto an existing object (the only way AppendObject changes an object
//     after its first write). Creating a new object is never refused.
//   - NOT CONFIRMED by any source: the status and message of that refusal.
//     The emulator sends what x-oss-forbid-overwrite gives, 409
//     FileAlreadyExists (https://help.aliyun.com/en/oss/user-guide/0026-00000002);
//     the error code when GET finds no configuration,
//     NoSuchBucketOverwriteConfig, is the one Alibaba's Terraform provider
//     treats as "not found" (terraform-provider-alicloud
//     alicloud/service_alicloud_oss_v2.go DescribeOssBucketOverwriteConfig),
//     its message is ours; so are the codes for an invalid configuration
//     (400 InvalidArgument) and their messages.
//   - The rules do not apply in a versioned bucket; the emulator has no
//     versioning.

// OverwriteRule is one overwrite protection rule.
type OverwriteRule struct {
	ID, Action, Prefix, Suffix string
	// Principals the rule applies to; empty means everyone.
	Principals []string `json:",omitempty"`
}

const (
	overwriteActionForbid = "forbid"
	maxOverwriteRules     = 100
	maxOverwriteAffix     = 1023
	maxOverwriteBody      = 1 << 20
)

type overwriteConfigXML struct {
	XMLName xml.Name           `xml:"OverwriteConfiguration"`
	Rules   []overwriteRuleXML `xml:"Rule"`
}

type overwriteRuleXML struct {
	ID         string                 `xml:"ID"`
	Action     string                 `xml:"Action"`
	Prefix     string                 `xml:"Prefix,omitempty"`
	Suffix     string                 `xml:"Suffix,omitempty"`
	Principals *overwritePrincipalXML `xml:"Principals,omitempty"`
}

type overwritePrincipalXML struct {
	Principal []string `xml:"Principal"`
}

func errNoSuchOverwriteConfig() *Error {
	return newError(http.StatusNotFound, "NoSuchBucketOverwriteConfig", "The bucket you specified does not have overwrite config.", "")
}

// validateOverwriteRules checks rules as PutBucketOverwriteConfig does and
// fills in missing IDs.
func validateOverwriteRules(rules []OverwriteRule) ([]OverwriteRule, error) {
	if len(rules) > maxOverwriteRules {
		return nil, errInvalidArgument(fmt.Sprintf("A bucket can have at most %d overwrite rules.", maxOverwriteRules))
	}
	out := make([]OverwriteRule, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		if r.Action != overwriteActionForbid {
			return nil, errInvalidArgument(fmt.Sprintf("Invalid overwrite rule action %q: only forbid is supported.", r.Action))
		}
		if len(r.Prefix) > maxOverwriteAffix || len(r.Suffix) > maxOverwriteAffix {
			return nil, errInvalidArgument(fmt.Sprintf("The prefix and suffix of an overwrite rule may be at most %d characters.", maxOverwriteAffix))
		}
		if r.ID == "" {
			r.ID = newUUID()
		}
		if seen[r.ID] {
			return nil, errInvalidArgument(fmt.Sprintf("Duplicate overwrite rule id %q.", r.ID))
		}
		seen[r.ID] = true
		r.Principals = append([]string(nil), r.Principals...)
		out[i] = r
	}
	return out, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// SetOverwriteConfig replaces the bucket's overwrite protection rules, as
// PutBucketOverwriteConfig does (an empty list removes them, like
// DeleteBucketOverwriteConfig).
func (s *Server) SetOverwriteConfig(bucket string, rules []OverwriteRule) error {
	rules, err := validateOverwriteRules(rules)
	if err != nil {
		return err
	}
	b, err := s.store.GetBucket(bucket)
	if err != nil {
		return fmt.Errorf("oss: bucket %q: %w", bucket, err)
	}
	b.Overwrite = rules
	if len(rules) == 0 {
		b.Overwrite = nil
	}
	return s.store.PutBucket(b)
}

// overwriteConfig serves PUT, GET and DELETE /?overwriteConfig.
func (s *Server) overwriteConfig(w http.ResponseWriter, rq *request) error {
	r := rq.r
	action := map[string]string{
		http.MethodPut: "oss:PutBucketOverwriteConfig", http.MethodGet: "oss:GetBucketOverwriteConfig",
		http.MethodDelete: "oss:DeleteBucketOverwriteConfig",
	}[r.Method]
	if action == "" {
		return errMethodNotAllowed()
	}
	if err := s.authorize(rq.principal, r, action, resource(rq.bucket, ""), nil); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxOverwriteBody+1))
		if err != nil || len(body) > maxOverwriteBody {
			return errMalformedXML()
		}
		var doc overwriteConfigXML
		if err := xml.Unmarshal(body, &doc); err != nil {
			return errMalformedXML()
		}
		rules := make([]OverwriteRule, len(doc.Rules))
		for i, x := range doc.Rules {
			rules[i] = OverwriteRule{ID: x.ID, Action: x.Action, Prefix: x.Prefix, Suffix: x.Suffix}
			if x.Principals != nil {
				rules[i].Principals = x.Principals.Principal
			}
		}
		if err := s.SetOverwriteConfig(rq.bucket, rules); err != nil {
			return err
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		b, err := s.store.GetBucket(rq.bucket)
		if err != nil {
			return err
		}
		if len(b.Overwrite) == 0 {
			return errNoSuchOverwriteConfig()
		}
		var doc overwriteConfigXML
		for _, rule := range b.Overwrite {
			x := overwriteRuleXML{ID: rule.ID, Action: rule.Action, Prefix: rule.Prefix, Suffix: rule.Suffix}
			if len(rule.Principals) > 0 {
				x.Principals = &overwritePrincipalXML{Principal: rule.Principals}
			}
			doc.Rules = append(doc.Rules, x)
		}
		writeXML(w, http.StatusOK, doc)
	case http.MethodDelete:
		if err := s.SetOverwriteConfig(rq.bucket, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// overwriteForbidden reports whether a rule of the request's bucket forbids
// rq's principal to replace an existing object at key. Callers pass it as
// the forbid flag of the store's commit, which refuses atomically only
// when the object exists.
func (s *Server) overwriteForbidden(rq *request, key string) bool {
	b, err := s.store.GetBucket(rq.bucket)
	if err != nil {
		return false
	}
	return matchOverwriteRules(b.Overwrite, key, rq.principal)
}

// refuseOverwrite is overwriteForbidden as an error, for a write that is
// known to change an existing object (AppendObject onto one).
func (s *Server) refuseOverwrite(rq *request) error {
	if s.overwriteForbidden(rq, rq.key) {
		return errFileExists()
	}
	return nil
}

// matchOverwriteRules: any rule whose prefix, suffix and principals all match.
func matchOverwriteRules(rules []OverwriteRule, key string, p *iam.Principal) bool {
	for _, r := range rules {
		if r.Action == overwriteActionForbid && strings.HasPrefix(key, r.Prefix) && strings.HasSuffix(key, r.Suffix) &&
			principalMatches(r.Principals, p) {
			return true
		}
	}
	return false
}

// principalMatches: an empty list is everyone; otherwise one entry must
// name p (see the file comment for the forms understood).
func principalMatches(list []string, p *iam.Principal) bool {
	if len(list) == 0 {
		return true
	}
	names := principalNames(p)
	for _, want := range list {
		if want == "*" {
			return true
		}
		for _, n := range names {
			if principalGlob(want, n) {
				return true
			}
		}
	}
	return false
}

// principalNames are the bucket-policy spellings of p.
func principalNames(p *iam.Principal) []string {
	if p == nil {
		return nil
	}
	switch p.Kind {
	case iam.KindRoot:
		return []string{iam.AccountID}
	case iam.KindAssumedRole:
		role, ok := strings.CutPrefix(p.RoleARN, "acs:ram::"+iam.AccountID+":role/")
		if !ok {
			return nil
		}
		return []string{"arn:sts::" + iam.AccountID + ":assumed-role/" + role + "/" + p.Name}
	}
	return nil
}

// principalGlob matches s against pattern, where "*" stands for any run of
// characters (slashes included), as in a bucket policy.
func principalGlob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
