package stsvend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	alists "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/ossupload/ossupload/shared/credentials"
)

// CredentialSource gives the function's own credentials for one call;
// credentials.Chain implements it.
type CredentialSource interface {
	Resolve(ctx context.Context) (credentials.Credentials, error)
}

// SDK is the AssumeRoler on alibaba-cloud-sdk-go's sts client, signed with
// the function's own credentials (with their security token when they are
// STS credentials, as FC gives them).
type SDK struct {
	Credentials CredentialSource
	Region      string // e.g. "cn-hangzhou"
	// Endpoint is STS_ENDPOINT: "" means https://sts.<region>.aliyuncs.com;
	// "http://127.0.0.1:9001" for the local stack; a bare host means https.
	Endpoint string
	// Timeout bounds one call (connect + read); 0 means 10s.
	Timeout time.Duration
	// Transport is shared by the calls; nil means a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// NewSDK returns an SDK for region and endpoint using creds.
func NewSDK(creds CredentialSource, region, endpoint string) *SDK {
	return &SDK{Credentials: creds, Region: region, Endpoint: endpoint,
		Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// sharedTransport hides the concrete *http.Transport from the SDK client,
// which otherwise rewrites its DialContext and TLS settings on every call
// (a data race when calls run concurrently).
type sharedTransport struct{ rt http.RoundTripper }

func (s sharedTransport) RoundTrip(r *http.Request) (*http.Response, error) { return s.rt.RoundTrip(r) }

// STSEndpoint splits an STS_ENDPOINT value into scheme and host[:port]
// for the SDK request; "" means https://sts.<region>.aliyuncs.com.
func STSEndpoint(endpoint, region string) (scheme, host string, err error) {
	if endpoint == "" {
		return "https", "sts." + region + ".aliyuncs.com", nil
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("STS endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", "", fmt.Errorf("STS endpoint %q: want http(s)://host[:port]", endpoint)
	}
	return u.Scheme, u.Host, nil
}

// AssumeRole calls STS. Failures are *STSError with the kind set from the
// STS code and status; the upstream message is dropped.
func (s *SDK) AssumeRole(ctx context.Context, in AssumeRoleInput) (Temporary, error) {
	creds, err := s.Credentials.Resolve(ctx)
	if err != nil {
		return Temporary{}, fmt.Errorf("function credentials: %w", err)
	}
	scheme, host, err := STSEndpoint(s.Endpoint, s.Region)
	if err != nil {
		return Temporary{}, err
	}
	var client *alists.Client
	if creds.SecurityToken != "" {
		client, err = alists.NewClientWithStsToken(s.Region, creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	} else {
		client, err = alists.NewClientWithAccessKey(s.Region, creds.AccessKeyID, creds.AccessKeySecret)
	}
	if err != nil {
		return Temporary{}, fmt.Errorf("sts client: %w", err)
	}
	rt := s.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client.SetTransport(sharedTransport{rt})

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	req := alists.CreateAssumeRoleRequest()
	req.Scheme = scheme
	req.Domain = host
	req.RoleArn = in.RoleARN
	req.RoleSessionName = in.SessionName
	req.Policy = in.Policy
	req.DurationSeconds = requests.NewInteger(int(in.Duration / time.Second))
	req.SetConnectTimeout(timeout)
	req.SetReadTimeout(timeout)

	resp, err := client.AssumeRole(req)
	if err != nil {
		return Temporary{}, classify(err)
	}
	exp, err := time.Parse(time.RFC3339, resp.Credentials.Expiration)
	if err != nil || resp.Credentials.AccessKeyId == "" || resp.Credentials.AccessKeySecret == "" || resp.Credentials.SecurityToken == "" {
		return Temporary{}, &STSError{Kind: ErrRejected, Code: "MalformedResponse", Status: resp.GetHttpStatus()}
	}
	return Temporary{
		AccessKeyID:     resp.Credentials.AccessKeyId,
		AccessKeySecret: resp.Credentials.AccessKeySecret,
		SecurityToken:   resp.Credentials.SecurityToken,
		Expiration:      exp.UTC(),
	}, nil
}

// classify turns an SDK error into an *STSError without its message.
func classify(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		code, status := se.ErrorCode(), se.HttpStatus()
		kind := ErrRejected
		switch {
		case IsThrottling(code, se.Message()):
			kind = ErrThrottled
		case status >= 500:
			kind = ErrUnavailable
		}
		return &STSError{Kind: kind, Code: code, Status: status}
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return &STSError{Kind: ErrUnavailable, Code: ce.ErrorCode()}
	}
	// Transport failures (AutoRetry is off, so the SDK returns them as they
	// are): name the kind only, the text may hold the request URL with its
	// signature.
	code := "Transport"
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		code = "Timeout"
	}
	return &STSError{Kind: ErrUnavailable, Code: code}
}

// IsThrottling reports whether an STS error is flow control: codes starting
// with "Throttling" or the "user flow control" message (OSS/STS protocol
// reference §5.1).
func IsThrottling(code, message string) bool {
	return strings.HasPrefix(code, "Throttling") || strings.Contains(strings.ToLower(message), "flow control")
}

// retryAfter is the Retry-After (seconds) answered with 503.
func retryAfter(err error) string {
	if errors.Is(err, ErrThrottled) {
		return strconv.Itoa(2)
	}
	return strconv.Itoa(1)
}
