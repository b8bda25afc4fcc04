package stsvend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
)

// MaxPolicyBytes is the size limit STS puts on a session policy
// (OSS/STS protocol reference §5.1, from the AssumeRole API reference).
const MaxPolicyBytes = 1024

// UploadActions are the only actions a vended session may perform:
// oss:PutObject also covers InitiateMultipartUpload, UploadPart and
// CompleteMultipartUpload (OSS/STS protocol reference §5.4).
//
// oss:PutObject cannot be narrowed to "plain uploads" by a RAM policy, so a
// session can also do what OSS documents under that one action:
//   - AppendObject and PutSymlink (their permission tables list only
//     oss:PutObject: https://help.aliyun.com/document_detail/31981.htm,
//     https://help.aliyun.com/en/oss/developer-reference/putsymlink): the
//     verify trigger lists their events and verify rejects such objects;
//   - an object ACL in x-oss-object-acl (PutObject lists no
//     oss:PutObjectAcl: https://www.alibabacloud.com/help/en/oss/developer-reference/putobject):
//     the bucket's Block Public Access refuses public ACLs (template.yaml);
//   - replacing an object it uploaded before: OSS documents no RAM condition
//     key for x-oss-forbid-overwrite, so this cannot be denied here; the
//     bucket's overwrite protection rule (template.yaml,
//     ALIYUN::OSS::BucketOverwriteConfig: forbid under UploadPrefix, for
//     everyone) refuses it with 409 FileAlreadyExists
//     (https://www.alibabacloud.com/help/en/oss/user-guide/prevent-file-overwrite).
//
// It cannot CopyObject or UploadPartCopy (they also need oss:GetObject on
// the source), set tags (oss:PutObjectTagging), read, list or delete.
// Explicit Deny statements would add nothing: a session's rights are the
// intersection of the role's and this policy's, and this policy allows
// nothing else.
var UploadActions = []string{"oss:PutObject", "oss:AbortMultipartUpload", "oss:ListParts"}

// policyDocument and policyStatement are the RAM policy grammar
// (OSS/STS protocol reference §5.4), marshalled with encoding/json.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// UserResource is the RAM resource of everything under dir in bucket:
// acs:oss:*:*:<bucket>/<dir>*. dir is the user's route directory ending in "/".
func UserResource(bucket, dir string) string {
	return "acs:oss:*:*:" + bucket + "/" + dir + "*"
}

// SessionPolicy returns the session policy that lets a session upload only
// under dir of bucket: the route's directory for the user
// (uploadroutes.Route.UserDir: "<UPLOAD_PREFIX><user id>/<route dir>/", or
// "<UPLOAD_PREFIX><user id>/" for the default route).
// It fails when the document would exceed MaxPolicyBytes.
func SessionPolicy(bucket, dir string) (string, error) {
	doc := policyDocument{
		Version: "1",
		Statement: []policyStatement{{
			Effect:   "Allow",
			Action:   UploadActions,
			Resource: []string{UserResource(bucket, dir)},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("session policy: %w", err)
	}
	if len(b) > MaxPolicyBytes {
		return "", fmt.Errorf("session policy for %q is %d bytes, over the STS limit of %d: shorten OSS_BUCKET, UPLOAD_PREFIX or the route's dir", dir, len(b), MaxPolicyBytes)
	}
	return string(b), nil
}

// Session name limits: charset and the 2–32 length of the AssumeRole API
// reference (OSS/STS protocol reference §5.1; newer docs allow 64, 32 is
// accepted by both).
const (
	minSessionName = 2
	maxSessionName = 32
	// hashedPrefix is how much of a user id a hashed session name keeps.
	hashedPrefix = 15
)

var sessionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9.@\-_]+$`)

// SessionName derives the RoleSessionName for a user id (which matches
// ^[A-Za-z0-9._@-]{1,64}$, a subset of the STS charset). Two different ids
// never get the same name:
//   - ids of 2..31 characters are used as they are;
//   - every other id (1 character, or 32..64) becomes exactly 32 characters:
//     its first (up to) 15 characters, ".", then hex of SHA-256(id) to fill.
//
// The two forms cannot meet because they differ in length, and hashed names
// keep the id's start (so they stay readable in STS audit logs) and put "."
// at a position that tells the 1-character form from the long form.
func SessionName(userID string) string {
	if n := len(userID); n >= minSessionName && n < maxSessionName && sessionNamePattern.MatchString(userID) {
		return userID
	}
	keep := userID
	if !sessionNamePattern.MatchString(keep) {
		keep = "" // not a valid user id; the name is then "." and the hash
	}
	if len(keep) > hashedPrefix {
		keep = keep[:hashedPrefix]
	}
	sum := sha256.Sum256([]byte(userID))
	return keep + "." + hex.EncodeToString(sum[:])[:maxSessionName-len(keep)-1]
}
