// Package sts is the local STS emulator: an http.Handler answering the
// AssumeRole RPC call the way sts.aliyuncs.com does, so the unmodified
// alibaba-cloud-sdk-go sts client (and any RPC-signing client) works
// against it.
//
// Requests: GET or POST to any path, parameters in the query string, the
// form body, or both (merged; all of them are signed). Authentication is
// the RPC signature (HMAC-SHA1, SignatureVersion 1.0): RFC 3986
// canonicalisation of every parameter except Signature (the empty
// SignatureType included), key AccessKeySecret + "&"; Timestamp within ±15
// minutes of the injected clock; each SignatureNonce accepted once per
// AccessKeyId while its Timestamp is inside the window. Callers using STS
// credentials must send the matching SecurityToken. Identities, roles and
// sessions live in an *iam.Store.
//
// Responses and errors are JSON (or XML with Format=XML) in the shapes of
// the OSS/STS protocol reference §5.2: {"RequestId","AssumedRoleUser",
// "Credentials"} and {"RequestId","HostId","Code","Message"}.
package sts

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// TimestampWindow is how far a request Timestamp may be from the server clock.
const TimestampWindow = 15 * time.Minute

// APIVersion is the STS API version served.
const APIVersion = "2015-04-01"

// externalID is the ExternalId format of the current AssumeRole docs
// (OSS/STS protocol reference §5.1). The emulator's roles do not require one.
var externalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2..1224 characters

// maxBody caps a form body; a session policy is at most 1 KiB.
const maxBody = 64 << 10

type handler struct {
	store *iam.Store
	now   func() time.Time

	mu        sync.Mutex
	nonces    map[string]time.Time // AccessKeyId + "\x00" + nonce -> forget after
	lastPrune time.Time
}

// New returns the STS AssumeRole endpoint backed by store, checking
// timestamps against now (nil: time.Now).
func New(store *iam.Store, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return &handler{store: store, now: now, nonces: map[string]time.Time{}}
}

// apiError is an error answered on the wire.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func fail(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func missing(name string) *apiError {
	return fail(http.StatusBadRequest, "MissingParameter", name+" is mandatory for this action.")
}

type assumedRoleUser struct {
	Arn           string
	AssumedRoleId string //nolint:revive // wire name
}

type credentials struct {
	AccessKeyId     string //nolint:revive // wire name
	AccessKeySecret string
	SecurityToken   string
	Expiration      string
}

type assumeRoleResponse struct {
	XMLName         xml.Name `json:"-" xml:"AssumeRoleResponse"`
	RequestId       string   //nolint:revive // wire name
	AssumedRoleUser assumedRoleUser
	Credentials     credentials
}

type errorResponse struct {
	XMLName   xml.Name `json:"-" xml:"Error"`
	RequestId string   //nolint:revive // wire name
	HostId    string   //nolint:revive // wire name
	Code      string
	Message   string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	xmlOut := strings.EqualFold(r.URL.Query().Get("Format"), "XML")
	resp, err := h.serve(w, r, &xmlOut)
	if err != nil {
		e := toAPIError(err)
		h.write(w, e.status, xmlOut, requestID, &errorResponse{RequestId: requestID, HostId: r.Host, Code: e.code, Message: e.message})
		return
	}
	resp.RequestId = requestID
	h.write(w, http.StatusOK, xmlOut, requestID, resp)
}

// toAPIError maps every error to the wire exactly once: ours and the
// store's typed errors keep their status and code, anything else is a
// generic 500 whose text never leaves the process.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ie *iam.Error
	if errors.As(err, &ie) && ie.Status < 500 {
		return &apiError{status: ie.Status, code: ie.Code, message: ie.Message}
	}
	return fail(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error.")
}

func (h *handler) write(w http.ResponseWriter, status int, asXML bool, requestID string, v any) {
	var body []byte
	var err error
	if asXML {
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		body, err = xml.Marshal(v)
		body = append([]byte(xml.Header), body...)
	} else {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		body, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"Code":"InternalError","Message":"The request processing has failed due to some unknown error."}`)
	}
	w.Header().Set("x-acs-request-id", requestID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, xmlOut *bool) (*assumeRoleResponse, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "This http method is not supported.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fail(http.StatusRequestEntityTooLarge, "InvalidParameter", "The request body is too large.")
		}
		return nil, fail(http.StatusBadRequest, "InvalidParameter", "The request parameters could not be parsed.")
	}
	params := r.Form // query and form body merged
	*xmlOut = strings.EqualFold(params.Get("Format"), "XML")

	caller, err := h.authenticate(r.Method, params)
	if err != nil {
		return nil, err
	}

	roleArn, name := params.Get("RoleArn"), params.Get("RoleSessionName")
	if roleArn == "" {
		return nil, missing("RoleArn")
	}
	if name == "" {
		return nil, missing("RoleSessionName")
	}
	var d time.Duration // 0: the default
	if s, ok := params["DurationSeconds"]; ok && s[0] != "" {
		n, err := strconv.ParseInt(s[0], 10, 32)
		if err != nil || n <= 0 {
			n = -1 // outside every range: the store answers InvalidParameter.DurationSeconds with the role's limits
		}
		d = time.Duration(n) * time.Second
	}
	if ext, ok := params["ExternalId"]; ok && (len(ext[0]) < 2 || len(ext[0]) > 1224 || !externalID.MatchString(ext[0])) {
		return nil, fail(http.StatusBadRequest, "InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed.")
	}
	policy, err := iam.ParseSessionPolicy(params.Get("Policy"))
	if err != nil {
		return nil, err
	}
	p, err := h.store.AssumeRole(caller, roleArn, name, policy, d)
	if err != nil {
		return nil, err
	}
	return &assumeRoleResponse{
		AssumedRoleUser: assumedRoleUser{Arn: p.ARN, AssumedRoleId: p.AssumedRoleID},
		Credentials: credentials{AccessKeyId: p.AccessKeyID, AccessKeySecret: p.AccessKeySecret, SecurityToken: p.SecurityToken,
			Expiration: p.Expiration.UTC().Format("2006-01-02T15:04:05Z")},
	}, nil
}

// authenticate runs the POP gateway checks in order: parameters present,
// action and version, signature method, timestamp, access key (and STS
// token), signature, nonce.
func (h *handler) authenticate(method string, params url.Values) (iam.Principal, error) {
	for _, k := range []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if params.Get(k) == "" {
			return iam.Principal{}, missing(k)
		}
	}
	if params.Get("Action") != "AssumeRole" {
		return iam.Principal{}, fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	if params.Get("Version") != APIVersion {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if params.Get("SignatureMethod") != "HMAC-SHA1" {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not supported.")
	}
	if params.Get("SignatureVersion") != "1.0" {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not supported.")
	}
	if params.Get("SignatureType") != "" {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidSignatureType", "Specified signature type is not supported.")
	}
	ts, ok := parseTimestamp(params.Get("Timestamp"))
	if !ok {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	now := h.now()
	if ts.Before(now.Add(-TimestampWindow)) || ts.After(now.Add(TimestampWindow)) {
		return iam.Principal{}, fail(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}

	ak := params.Get("AccessKeyId")
	p, err := h.store.Lookup(ak)
	expired := errors.Is(err, iam.ErrExpired)
	if err != nil && !expired {
		if errors.Is(err, iam.ErrNotFound) {
			return iam.Principal{}, fail(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		}
		return iam.Principal{}, err
	}
	if p.Kind == iam.KindAssumedRole {
		token := params.Get("SecurityToken")
		switch {
		case token == "":
			return iam.Principal{}, fail(http.StatusBadRequest, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
		case !hmac.Equal([]byte(token), []byte(p.SecurityToken)):
			return iam.Principal{}, fail(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.")
		case expired || p.Expired(now):
			return iam.Principal{}, fail(http.StatusBadRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
		}
	}

	sts := StringToSign(method, params)
	if !hmac.Equal([]byte(params.Get("Signature")), []byte(Sign(sts, p.AccessKeySecret))) {
		return iam.Principal{}, fail(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	if !h.useNonce(ak, params.Get("SignatureNonce"), ts, now) {
		return iam.Principal{}, fail(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	return p, nil
}

// parseTimestamp accepts the ISO 8601 UTC forms the SDKs send.
func parseTimestamp(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// useNonce records nonce for ak and reports whether it was new. A nonce is
// remembered until its request's Timestamp leaves the window, after which
// the timestamp check refuses a replay anyway.
func (h *handler) useNonce(ak, nonce string, ts, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.lastPrune) > time.Minute {
		for k, until := range h.nonces {
			if now.After(until) {
				delete(h.nonces, k)
			}
		}
		h.lastPrune = now
	}
	key := ak + "\x00" + nonce
	if until, ok := h.nonces[key]; ok && !now.After(until) {
		return false
	}
	h.nonces[key] = ts.Add(TimestampWindow)
	return true
}

// newRequestID returns an upper-case UUID-shaped id from crypto/rand.
func newRequestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "00000000-0000-0000-0000-000000000000"
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
