// Package stsvend is the HTTP handler of the sts function: it authenticates
// the caller, assumes the uploader role through STS with a session policy
// that allows nothing but uploading (PutObject and multipart) under the
// caller's own prefix, and answers with the temporary credentials in the
// shape the ali-oss client wants (`new OSS({...})` and `refreshSTSToken`).
//
// Credentials are cached per user until a refresh margin before they expire;
// concurrent first requests for one user share a single AssumeRole call, and
// the cache is bounded (least recently used entries go first).
//
// STS is reached through the small AssumeRoler interface; SDK is the
// implementation on alibaba-cloud-sdk-go, signed with the function's own
// credentials. Upstream error text never reaches a response or a log line:
// throttling and server or transport failures become 503 unavailable with
// Retry-After, anything else 502 with only the STS error code logged.
package stsvend
