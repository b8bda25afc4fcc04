// Package stsvend is the HTTP handler of the sts function: it authenticates
// the caller, resolves the upload route the request names (UPLOAD_ROUTES;
// without it the single "default" route), asks the app's pre-sign hook when
// one is configured, assumes the uploader role through STS with a session
// policy that allows nothing but uploading (PutObject and multipart) under
// the route's directory for the caller (uploadroutes.Route.UserDir), and
// answers with the temporary credentials in the shape the ali-oss client
// wants (`new OSS({...})` and `refreshSTSToken`), plus the route, that
// directory and the x-oss-meta-* headers every upload must carry (the
// route, the hook's metadata and, with a hook, the pin that binds them).
//
// Credentials are cached per user and route (with a hook, also per answer:
// CacheKey) until a refresh margin before they expire; concurrent first
// requests for one key share a single AssumeRole call, and the cache is
// bounded (least recently used entries go first).
//
// STS is reached through the small AssumeRoler interface; SDK is the
// implementation on alibaba-cloud-sdk-go, signed with the function's own
// credentials. Upstream error text never reaches a response or a log line:
// throttling and server or transport failures become 503 unavailable with
// Retry-After, anything else 502 with only the STS error code logged.
package stsvend
