package oss

import (
	"fmt"
	"net/http"
)

// Object ACLs set with x-oss-object-acl on a write, and the bucket's Block
// Public Access that refuses public ones.
//
// What OSS documents, and what the emulator therefore does:
//   - The values are private, public-read, public-read-write and default
//     (PutObjectACL, https://help.aliyun.com/document_detail/31986.htm). The
//     same page: "you can also send x-oss-object-acl with a write operation
//     (PutObject, ...); the effect is that of PutObjectACL".
//   - The permission tables of the write operations list only oss:PutObject
//     (plus oss:PutObjectTagging for x-oss-tagging and kms:* for KMS
//     encryption), not oss:PutObjectAcl: PutObject
//     https://www.alibabacloud.com/help/en/oss/developer-reference/putobject,
//     PutSymlink https://help.aliyun.com/en/oss/developer-reference/putsymlink,
//     AppendObject https://help.aliyun.com/document_detail/31981.htm. So RAM
//     does not stop an upload-only session from making its object public; the
//     emulator does not ask for oss:PutObjectAcl either.
//   - Block Public Access: "If you enable Block Public Access, existing public
//     access permissions are ignored and you cannot configure public access
//     permissions" (PutBucketPublicAccessBlock,
//     https://alibabacloud.com/help/en/oss/developer-reference/putbucketpublicaccessblock),
//     and a denied request is 403 AccessDenied (0003-00000001,
//     https://www.alibabacloud.com/help/en/oss/support/0003-00000001). The
//     exact message OSS sends for a public ACL under Block Public Access is
//     not documented; msgPublicACLBlocked is ours.

// Object ACL values (x-oss-object-acl).
const (
	aclDefault         = "default"
	aclPrivate         = "private"
	aclPublicRead      = "public-read"
	aclPublicReadWrite = "public-read-write"
)

const msgPublicACLBlocked = "Put public object acl is not allowed when block public access is enabled."

// objectACLValue reads x-oss-object-acl from a write request: "" when
// absent (the object follows the bucket's ACL, like "default"), an unknown
// value is 400 InvalidArgument.
func objectACLValue(h http.Header) (string, error) {
	switch v := h.Get("x-oss-object-acl"); v {
	case "", aclDefault, aclPrivate, aclPublicRead, aclPublicReadWrite:
		return v, nil
	default:
		return "", errInvalidArgument(fmt.Sprintf("no such object access control exists: %q", v))
	}
}

// refusePublicACL is Block Public Access for a request that writes an
// object or its ACL: a public x-oss-object-acl on such a bucket is 403
// AccessDenied, whatever the operation (PutObject, InitiateMultipartUpload,
// CopyObject, AppendObject, PutSymlink, PutObjectACL).
func refusePublicACL(h http.Header, b Bucket) error {
	return refusePublicACLValue(h.Get("x-oss-object-acl"), b)
}

// refusePublicACLValue is refusePublicACL for an ACL given as a value (the
// x-oss-object-acl field of a PostObject form).
func refusePublicACLValue(acl string, b Bucket) error {
	if b.BlockPublicAccess && (acl == aclPublicRead || acl == aclPublicReadWrite) {
		return errAccessDenied(msgPublicACLBlocked)
	}
	return nil
}

// SetBlockPublicAccess switches Block Public Access on a bucket, as
// PutBucketPublicAccessBlock does (the template sets it at creation).
func (s *Server) SetBlockPublicAccess(bucket string, on bool) error {
	b, err := s.store.GetBucket(bucket)
	if err != nil {
		return fmt.Errorf("oss: bucket %q: %w", bucket, err)
	}
	b.BlockPublicAccess = on
	return s.store.PutBucket(b)
}
