package oss

import (
	"net/http"
	"net/url"

	"github.com/ossupload/ossupload/local/iam"
)

// Server-side encryption asked for by a write (x-oss-server-side-encryption
// on PutObject, CopyObject, InitiateMultipartUpload, AppendObject).
//
// What OSS documents, and what the emulator therefore does:
//   - The values are AES256, KMS and SM4; any other is 400
//     InvalidEncryptionAlgorithmError (PutObject, "Request headers" and
//     "Error codes", https://www.alibabacloud.com/help/en/oss/developer-reference/putobject).
//   - PutObject's permission table: "kms:GenerateDataKey, kms:Decrypt: when
//     uploading an object, if the object metadata contains
//     X-Oss-Server-Side-Encryption: KMS, you must have these permissions"
//     (same page). A session scoped to oss:* actions is therefore refused
//     with 403 AccessDenied before anything is stored.
//
// The emulator stores plain bytes either way; it only checks the value and
// the caller's KMS rights, so that an upload OSS refuses is refused here too.

// checkSSE applies the rules above to an object write.
func (s *Server) checkSSE(rq *request) error {
	v := rq.r.Header.Get("x-oss-server-side-encryption")
	if v == "" || !takesSSE(rq.r.Method, rq.r.URL.Query()) {
		return nil
	}
	switch v {
	case "AES256", "SM4":
		return nil
	case "KMS":
		keyID := rq.r.Header.Get("x-oss-server-side-encryption-key-id")
		if keyID == "" {
			keyID = "*"
		}
		res := "acs:kms:" + s.region + ":" + iam.AccountID + ":key/" + keyID
		for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			if err := s.authorize(rq.principal, rq.r, action, res, nil); err != nil {
				return err
			}
		}
		return nil
	}
	return newError(http.StatusBadRequest, "InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. Supported value: AES256/KMS/SM4.", "")
}

// takesSSE reports whether a request is a write that takes
// x-oss-server-side-encryption: PutObject or CopyObject (PUT without a
// sub-resource), InitiateMultipartUpload (POST ?uploads), AppendObject
// (POST ?append).
func takesSSE(method string, q url.Values) bool {
	switch method {
	case http.MethodPut:
		return len(subResourcesOf(q)) == 0
	case http.MethodPost:
		return q.Has("uploads") || q.Has("append")
	}
	return false
}
