package uploadpolicy

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/postpolicy"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// SuccessActionStatus is the status OSS answers a successful form POST with.
// 200 gives an empty body that fetch, XMLHttpRequest, el-upload and Uppy all
// treat as success (201 would add an XML body, 204 no body either, but some
// upload widgets only accept 200).
const SuccessActionStatus = "200"

// signRequest is the body of POST / (or the query of GET /).
type signRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        *int64 `json:"size"`
	// Route names the upload's route (uploadroutes): required with
	// UPLOAD_ROUTES, else "" or "default".
	Route string `json:"route"`
	// ClientPayload is passed to the hook untouched (at most
	// MaxClientPayloadBytes of JSON).
	ClientPayload json.RawMessage `json:"clientPayload"`
}

// Response is the answer of POST / and GET /.
type Response struct {
	Method    string `json:"method"`    // always "POST"
	URL       string `json:"url"`       // where to post the form
	Host      string `json:"host"`      // same as URL (the name OSS samples use)
	Key       string `json:"key"`       // the object key the form uploads to
	Dir       string `json:"dir"`       // the caller's directory on the route (the caller's prefix on the default route)
	Route     string `json:"route"`     // the route the form is signed for
	Fields    Fields `json:"fields"`    // every form field to send before "file"
	Expire    int64  `json:"expire"`    // policy expiry, unix seconds
	ExpiresAt string `json:"expiresAt"` // policy expiry, RFC 3339 UTC
	MaxSize   int64  `json:"maxSize"`   // largest accepted file, bytes

	// V1 only, the names of OSS's own samples.
	AccessID  string `json:"accessid,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Fields are the form fields, in the order a browser should append them.
// Every one of them except policy and the signature fields is pinned by a
// policy condition to the value sent.
//
// OSS does not refuse a form field the policy leaves out (only a V4 form's
// signing fields must be covered), so leaving a field out of the policy
// lets the uploader add it. Every field that changes how the object is
// stored or served is therefore pinned and sent, with a neutral value
// where the server has nothing to say: an empty Content-Disposition,
// Content-Encoding, Cache-Control, Expires and success_action_redirect set
// nothing, x-oss-object-acl private, x-oss-storage-class Standard and
// x-oss-server-side-encryption AES256 are the plain choices. An uploader
// who adds a second copy of a pinned field, in any letter case, fails the
// condition (see the README, "What a signed form pins").
type Fields struct {
	Key                   string `json:"key"`
	Policy                string `json:"policy"`
	OSSAccessKeyID        string `json:"OSSAccessKeyId,omitempty"`          // V1
	Signature             string `json:"Signature,omitempty"`               // V1
	SignatureVersion      string `json:"x-oss-signature-version,omitempty"` // V4
	Credential            string `json:"x-oss-credential,omitempty"`        // V4
	Date                  string `json:"x-oss-date,omitempty"`              // V4
	V4Signature           string `json:"x-oss-signature,omitempty"`         // V4
	SecurityToken         string `json:"x-oss-security-token,omitempty"`
	SuccessActionStatus   string `json:"success_action_status"`
	SuccessActionRedirect string `json:"success_action_redirect"`
	ContentType           string `json:"Content-Type"`
	OSSContentType        string `json:"x-oss-content-type"` // wins over Content-Type at OSS
	ContentDisposition    string `json:"Content-Disposition"`
	ContentEncoding       string `json:"Content-Encoding"`
	CacheControl          string `json:"Cache-Control"`
	Expires               string `json:"Expires"`
	ObjectACL             string `json:"x-oss-object-acl"`
	StorageClass          string `json:"x-oss-storage-class"`
	ServerSideEncryption  string `json:"x-oss-server-side-encryption"`
	ForbidOverwrite       string `json:"x-oss-forbid-overwrite"`
	Owner                 string `json:"x-oss-meta-owner"`
	DeclaredType          string `json:"x-oss-meta-declared-type,omitempty"`
	DeclaredSize          string `json:"x-oss-meta-declared-size,omitempty"`
	Route                 string `json:"x-oss-meta-route"`                // the route's name, "default" without routes
	Pin                   string `json:"x-oss-meta-upload-pin,omitempty"` // with a hook: package uploadpin
	// Meta is the hook's metadata (names without x-oss-meta-), sent as
	// x-oss-meta-<name> fields after the others, in name order. Fields'
	// own JSON leaves them out: the handler writes them (metaFields).
	Meta map[string]string `json:"-"`
}

// Values the form pins when the server has nothing else to say. Setting an
// ACL or a storage class at upload needs no permission beyond oss:PutObject
// (OSS "put-object" permissions table: only x-oss-tagging needs
// oss:PutObjectTagging and KMS encryption kms:GenerateDataKey,
// https://help.aliyun.com/zh/oss/developer-reference/put-object), so RAM
// does not stop an uploader from adding them: they are pinned.
const (
	// UndeclaredContentType is stored when the caller declares no type
	// (allowed only with UPLOAD_ALLOWED_TYPES=*/*): never the type the
	// browser guesses for the file part.
	UndeclaredContentType = "application/octet-stream"
	pinnedObjectACL       = "private"
	pinnedStorageClass    = "Standard"
	pinnedEncryption      = "AES256"
)

// signCall holds what one sign request decodes into and answers with, in
// one allocation: both escape (into the JSON decoder and encoder), and the
// sign path has an allocation budget (BenchmarkSign).
type signCall struct {
	req  signRequest
	resp Response
	// policy holds the base64 policy while it is signed (it escapes into
	// the HMAC); 4 KiB covers the largest policy with an STS token.
	policy [4096]byte
}

func (h *Handler) sign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := h.deps.Auth.Authenticate(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	call := new(signCall)
	if err := decodeSignRequest(r, &call.req); err != nil {
		h.fail(w, r, err)
		return
	}
	route, err := h.pickRoute(call.req.Route, uploadroutes.PathForm)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	up, err := h.check(id, call.req, route)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.approve(ctx, &up, uploadroutes.PathForm, call.req.Filename, call.req.ClientPayload); err != nil {
		h.fail(w, r, err)
		return
	}
	creds, err := h.deps.Credentials.Resolve(ctx)
	if err != nil || !creds.Valid() {
		if err == nil {
			err = credentials.ErrNotFound
		}
		h.log.ErrorContext(ctx, "no credentials to sign with", logging.RequestID(httpapi.RequestID(ctx)), "error", err.Error())
		h.fail(w, r, unavailable())
		return
	}
	resp := &call.resp
	if err := h.build(up, creds, resp, call.policy[:0]); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.cfg.Routes.Configured() {
		h.log.LogAttrs(ctx, slog.LevelInfo, "signed upload policy",
			logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", id.UserID),
			slog.String("key", resp.Key), slog.String("signature_version", h.cfg.SignatureVersion),
			slog.Int64("max_size", resp.MaxSize), slog.String("route", resp.Route))
	} else {
		h.log.LogAttrs(ctx, slog.LevelInfo, "signed upload policy", // at most 5 attrs: no allocation
			logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", id.UserID),
			slog.String("key", resp.Key), slog.String("signature_version", h.cfg.SignatureVersion),
			slog.Int64("max_size", resp.MaxSize))
	}
	w.Header()["Cache-Control"] = httpapi.NoStore
	httpapi.WriteJSON(w, http.StatusOK, answer(resp))
}

func unavailable() *httpapi.Error {
	return httpapi.Errorf(httpapi.CodeUnavailable, "signing is unavailable, try again later")
}

func decodeSignRequest(r *http.Request, req *signRequest) error {
	if r.Method == http.MethodPost {
		// Only JSON: a text/plain or form body is what a cross-site form
		// sends without a preflight, and no client of this API sends one
		// (the dev sign-in answers the same way).
		if !httpapi.IsJSON(r.Header.Get("Content-Type")) {
			return httpapi.Errorf(httpapi.CodeUnsupportedMediaType, "send the request as JSON with Content-Type: application/json")
		}
		if err := httpapi.DecodeJSON(r, MaxRequestBytes, req); err != nil {
			return err
		}
		return checkClientPayload(req.ClientPayload)
	}
	q := r.URL.Query()
	// A parameter named twice is refused, as a JSON field named twice is
	// (httpapi.DecodeJSON): q.Get reads the first, a proxy may read the last.
	for _, name := range []string{"filename", "contentType", "size", "route", "clientPayload"} {
		if len(q[name]) > 1 {
			return httpapi.Errorf(httpapi.CodeInvalidRequest, "query parameter %q is given more than once", name)
		}
	}
	req.Filename = q.Get("filename")
	req.ContentType = q.Get("contentType")
	if s := q.Get("size"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return httpapi.Errorf(httpapi.CodeInvalidRequest, "size must be an integer")
		}
		req.Size = &n
	}
	req.Route = q.Get("route")
	if p := q.Get("clientPayload"); p != "" {
		if !json.Valid([]byte(p)) {
			return httpapi.Errorf(httpapi.CodeInvalidRequest, "clientPayload must be JSON")
		}
		req.ClientPayload = json.RawMessage(p)
	}
	return checkClientPayload(req.ClientPayload)
}

// upload is a checked request: what will be signed.
type upload struct {
	user        string
	route       uploadroutes.Route
	key         string
	contentType string // "" when not declared
	size        int64  // 0 when not declared
	now         time.Time
	// noRedirect leaves success_action_redirect out of the form and the
	// policy (POST /presign: Uppy refuses a form with that field).
	noRedirect bool
	meta       map[string]string // the hook's metadata; nil when none
	pin        string            // x-oss-meta-upload-pin; "" without a hook
}

// check applies the route's rules and picks the key under the route's
// directory; nothing is signed yet.
func (h *Handler) check(id auth.Identity, req signRequest, route uploadroutes.Route) (upload, error) {
	rules := h.cfg.Rules
	if req.Filename == "" {
		return upload{}, httpapi.Errorf(httpapi.CodeInvalidRequest, "filename is required")
	}
	up := upload{user: id.UserID, route: route, contentType: strings.TrimSpace(req.ContentType), now: h.deps.Now()}
	if req.Size != nil {
		up.size = *req.Size
		if up.size == 0 {
			return upload{}, httpapi.Errorf(httpapi.CodeInvalidRequest, "size must be at least 1 byte")
		}
	}
	if up.contentType == "" && !route.Rules(rules).AllowsAnyType() {
		return upload{}, httpapi.Errorf(httpapi.CodeInvalidRequest, "contentType is required")
	}
	if up.contentType != "" {
		mt, ok := uploadrules.ConcreteMediaType(up.contentType)
		if !ok {
			return upload{}, httpapi.Errorf(httpapi.CodeInvalidRequest, "contentType must be one media type like image/png: no wildcard, no parameters")
		}
		up.contentType = mt
	}
	// Without UPLOAD_ROUTES the default route is the UPLOAD_* rules, and
	// their own check keeps today's messages.
	check := route.CheckDeclared
	if !h.cfg.Routes.Configured() {
		check = rules.CheckDeclared
	}
	if err := check(up.size, up.contentType); err != nil {
		return upload{}, httpapi.FromRule(err)
	}
	key, err := route.NewKey(rules, id.UserID, req.Filename, up.now, h.deps.Random)
	if err != nil {
		return upload{}, httpapi.FromRule(err)
	}
	up.key = key
	return up, nil
}

// build makes and signs the policy for up into resp, encoding the policy
// into scratch (appended to if too small).
func (h *Handler) build(up upload, creds credentials.Credentials, resp *Response, scratch []byte) error {
	cfg := &h.cfg
	maxSize := up.route.MaxBytes
	if up.size > 0 && up.size < maxSize {
		maxSize = up.size
	}
	minSize := max(1, up.route.MinBytes)
	exp := up.now.UTC().Add(h.expiryOf(up.route)).Truncate(time.Second)
	*resp = Response{
		Method:    http.MethodPost,
		URL:       cfg.UploadURL,
		Host:      cfg.UploadURL,
		Key:       up.key,
		Dir:       userDir(cfg.Rules, up.route, up.user, up.key),
		Route:     up.route.Name,
		Expire:    exp.Unix(),
		ExpiresAt: exp.Format(time.RFC3339),
		MaxSize:   maxSize,
	}
	f := &resp.Fields
	f.Key = up.key
	f.SecurityToken = creds.SecurityToken
	f.SuccessActionStatus = SuccessActionStatus
	f.ContentType = up.contentType
	if f.ContentType == "" {
		f.ContentType = UndeclaredContentType
	}
	f.OSSContentType = f.ContentType
	f.ObjectACL = pinnedObjectACL
	f.StorageClass = pinnedStorageClass
	f.ServerSideEncryption = pinnedEncryption
	f.ForbidOverwrite = "true"
	f.Owner = up.user
	f.DeclaredType = up.contentType
	if up.size > 0 {
		f.DeclaredSize = strconv.FormatInt(up.size, 10)
	}
	f.Route = up.route.Name
	f.Pin = up.pin
	f.Meta = up.meta

	conds := make([]postpolicy.Condition, 0, 26) // constant: kept on the stack; hook metadata may grow it
	conds = append(conds,
		postpolicy.Exact("bucket", cfg.Bucket),
		postpolicy.Exact("key", up.key),
		postpolicy.ContentLengthRange(minSize, maxSize),
		postpolicy.Exact("success_action_status", f.SuccessActionStatus),
	)
	if !up.noRedirect {
		conds = append(conds, postpolicy.Exact("success_action_redirect", f.SuccessActionRedirect))
	}
	conds = append(conds,
		postpolicy.Exact("Content-Type", f.ContentType),
		postpolicy.Exact("x-oss-content-type", f.OSSContentType),
		postpolicy.Exact("Content-Disposition", f.ContentDisposition),
		postpolicy.Exact("Content-Encoding", f.ContentEncoding),
		postpolicy.Exact("Cache-Control", f.CacheControl),
		postpolicy.Exact("Expires", f.Expires),
		postpolicy.Exact("x-oss-object-acl", f.ObjectACL),
		postpolicy.Exact("x-oss-storage-class", f.StorageClass),
		postpolicy.Exact("x-oss-server-side-encryption", f.ServerSideEncryption),
		postpolicy.Exact("x-oss-forbid-overwrite", f.ForbidOverwrite),
		postpolicy.Exact("x-oss-meta-owner", f.Owner),
	)
	if f.DeclaredType != "" {
		conds = append(conds, postpolicy.Exact("x-oss-meta-declared-type", f.DeclaredType))
	}
	if f.DeclaredSize != "" {
		conds = append(conds, postpolicy.Exact("x-oss-meta-declared-size", f.DeclaredSize))
	}
	conds = append(conds, postpolicy.Exact(uploadroutes.MetaHeader, f.Route))
	for _, name := range sortedNames(f.Meta) {
		conds = append(conds, postpolicy.Exact(metaHeader(name), f.Meta[name]))
	}
	if f.Pin != "" {
		conds = append(conds, postpolicy.Exact(metaHeader(uploadpin.MetaName), f.Pin))
	}
	v4 := cfg.SignatureVersion != SignatureV1
	if v4 {
		f.SignatureVersion = postpolicy.SignatureVersionV4
		f.Credential = postpolicy.CredentialV4(creds.AccessKeyID, up.now, cfg.Region)
		f.Date = postpolicy.DateV4(up.now)
		conds = append(conds,
			postpolicy.Exact("x-oss-signature-version", f.SignatureVersion),
			postpolicy.Exact("x-oss-credential", f.Credential),
			postpolicy.Exact("x-oss-date", f.Date))
	}
	if f.SecurityToken != "" {
		conds = append(conds, postpolicy.Exact("x-oss-security-token", f.SecurityToken))
	}
	b64, err := postpolicy.Policy{Expiration: exp, Conditions: conds}.AppendBase64(scratch)
	if err != nil {
		return err
	}
	f.Policy = string(b64)
	if v4 {
		f.V4Signature = h.keys.sign(creds.AccessKeySecret, f.Date[:len(postpolicy.DayLayout)], cfg.Region, b64)
		return nil
	}
	f.OSSAccessKeyID = creds.AccessKeyID
	f.Signature = postpolicy.SignV1(creds.AccessKeySecret, f.Policy)
	resp.AccessID, resp.Policy, resp.Signature = f.OSSAccessKeyID, f.Policy, f.Signature
	return nil
}

// userDir is the caller's directory on route (Route.UserDir), taken from
// the key NewKey made (which starts with it) instead of built again on the
// default route.
func userDir(rules uploadrules.Rules, route uploadroutes.Route, user, key string) string {
	if route.Dir != "" {
		return route.UserDir(rules, user)
	}
	if n := len(rules.Prefix) + len(user) + 1; len(key) >= n && key[len(rules.Prefix):n-1] == user && key[:len(rules.Prefix)] == rules.Prefix && key[n-1] == '/' {
		return key[:n]
	}
	return rules.UserPrefix(user)
}

// keyCache keeps the V4 signer of the last signing key: the key changes only
// with the day, the region or the secret, and deriving it costs four HMACs.
type keyCache struct {
	mu                  sync.Mutex
	secret, day, region string
	signer              *postpolicy.V4Signer
}

// sign returns the V4 signature of policyB64 for the secret, day and region.
func (c *keyCache) sign(secret, day, region string, policyB64 []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.signer == nil || c.day != day || c.region != region ||
		subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		c.secret, c.day, c.region = secret, day, region
		c.signer = postpolicy.NewV4Signer(postpolicy.SigningKeyV4(secret, day, region))
	}
	return c.signer.Sign(policyB64)
}
