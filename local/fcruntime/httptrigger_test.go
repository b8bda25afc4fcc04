package fcruntime

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// triggerEcho mirrors what testdata/fn answers to an HTTP trigger event:
// the event decoded with the SDK's events.HTTPTriggerEvent.
type triggerEcho struct {
	Event struct {
		Version         string            `json:"version"`
		RawPath         string            `json:"rawPath"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
		Headers         map[string]string `json:"headers"`
		QueryParameters map[string]string `json:"queryParameters"`
		RequestContext  struct {
			AccountID string `json:"accountId"`
			HTTP      struct {
				Method, Path, Protocol, SourceIP, UserAgent string
			} `json:"http"`
			SourceIP  string `json:"-"`
			RequestID string `json:"requestId"`
			TimeEpoch string `json:"timeEpoch"`
		} `json:"requestContext"`
	} `json:"event"`
	Body        []byte `json:"body"` // the function's decoded view of the request body
	FCRequestID string `json:"fcRequestId"`
}

func TestHTTPTriggerRoundTrip(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("web"))
	srv := httptest.NewServer(rt.HTTPTrigger("web"))
	defer srv.Close()

	body := []byte{0x00, 0x01, 0xfe, 0xff, '{'}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/a%20b/c?name=photo.jpg&tag=x&tag=y&status=201", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("User-Agent", "fcruntime-test/1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || resp.Header.Get("X-Echo") != "photo.jpg" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d headers %v body %s", resp.StatusCode, resp.Header, raw)
	}
	var e triggerEcho
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("body %q is not the decoded base64 JSON: %v", raw, err)
	}
	ev := e.Event
	checks := []struct{ name, got, want string }{
		{"version", ev.Version, "v1"},
		{"rawPath", ev.RawPath, "/a%20b/c"},
		{"http.path", ev.RequestContext.HTTP.Path, "/a b/c"},
		{"http.method", ev.RequestContext.HTTP.Method, "POST"},
		{"http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"http.userAgent", ev.RequestContext.HTTP.UserAgent, "fcruntime-test/1"},
		{"accountId", ev.RequestContext.AccountID, testAccount},
		{"query name", ev.QueryParameters["name"], "photo.jpg"},
		{"query tag (repeated)", ev.QueryParameters["tag"], "x,y"},
		{"header X-Multi (repeated)", ev.Headers["X-Multi"], "a,b"},
		{"body (base64 both ways)", string(e.Body), string(body)},
		{"fccontext request id", e.FCRequestID, resp.Header.Get("X-Fc-Request-Id")},
		{"requestContext.requestId", ev.RequestContext.RequestID, resp.Header.Get("X-Fc-Request-Id")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !ev.IsBase64Encoded || ev.RequestContext.TimeEpoch == "" || e.FCRequestID == "" {
		t.Errorf("isBase64Encoded %v timeEpoch %q", ev.IsBase64Encoded, ev.RequestContext.TimeEpoch)
	}
}

func TestHTTPTriggerErrors(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("web"))
	mux := http.NewServeMux()
	mux.Handle("/web/", http.StripPrefix("/web", rt.HTTPTrigger("web")))
	mux.Handle("/gone/", rt.HTTPTrigger("gone"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/web/?fail=1")
	if err != nil {
		t.Fatal(err)
	}
	var eb struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	err = json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Fc-Error-Type") != "UnhandledInvocationError" ||
		eb.ErrorMessage != "http failure on demand" || eb.ErrorType != "errorString" {
		t.Errorf("function error: status %d type %q body %+v (%v)", resp.StatusCode, resp.Header.Get("X-Fc-Error-Type"), eb, err)
	}

	// No body: the event carries none and is not marked base64.
	resp, err = http.Post(srv.URL+"/web/", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var e triggerEcho
	err = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || e.Event.IsBase64Encoded || len(e.Body) != 0 {
		t.Errorf("empty body: status %d %+v (%v)", resp.StatusCode, e, err)
	}

	resp, err = http.Get(srv.URL + "/gone/")
	if err != nil {
		t.Fatal(err)
	}
	var ae apiError
	_ = json.NewDecoder(resp.Body).Decode(&ae)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || ae.Code != "FunctionNotFound" || ae.RequestID == "" {
		t.Errorf("missing function: %d %+v", resp.StatusCode, ae)
	}
}

func TestWriteHTTPResponseRejectsNonTriggerResults(t *testing.T) {
	for name, payload := range map[string]string{
		"string":     `"hello"`,
		"bad base64": `{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}`,
		"bad status": `{"statusCode":42}`,
	} {
		w := httptest.NewRecorder()
		writeHTTPResponse(w, "id", []byte(payload))
		if w.Code != http.StatusBadGateway || w.Header().Get("X-Fc-Error-Type") != TypeUnhandled {
			t.Errorf("%s: status %d", name, w.Code)
		}
	}
	w := httptest.NewRecorder()
	writeHTTPResponse(w, "id", []byte(`{"headers":{"X-A":"1","Content-Length":"999"},"body":"plain"}`))
	if w.Code != 200 || w.Body.String() != "plain" || w.Header().Get("X-A") != "1" || w.Header().Get("Content-Length") != "5" {
		t.Errorf("plain body: %d %v %q", w.Code, w.Header(), w.Body)
	}
}

func TestNewHTTPEventMatchesDocumentedShape(t *testing.T) {
	// Values from the FC3 HTTP trigger event sample (fc3-deploy-and-runtime
	// reference §4.3, after
	// https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function).
	r := httptest.NewRequest(http.MethodPost, "http://abc123.cn-hangzhou.fcapp.run/sign?name=photo.jpg&tag=x&tag=y", nil)
	r.RemoteAddr = "203.0.113.7:5555"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Add("X-Multi", "a")
	r.Header.Add("X-Multi", "b")
	r.Header.Set("User-Agent", "curl/8.5.0")
	now := time.Date(2024, 10, 1, 8, 0, 0, 0, time.UTC)
	ev := NewHTTPEvent(r, []byte(`{"k":1}`), "1-6700aaaa-0123456789abcdef", "1234567890123456", now)
	got, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"v1","rawPath":"/sign","body":"eyJrIjoxfQ==","isBase64Encoded":true,` +
		`"headers":{"Content-Type":"application/json","Host":"abc123.cn-hangzhou.fcapp.run","User-Agent":"curl/8.5.0","X-Multi":"a,b"},` +
		`"queryParameters":{"name":"photo.jpg","tag":"x,y"},` +
		`"requestContext":{"accountId":"1234567890123456","domainName":"abc123.cn-hangzhou.fcapp.run","domainPrefix":"abc123",` +
		`"http":{"method":"POST","path":"/sign","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},` +
		`"requestId":"1-6700aaaa-0123456789abcdef","time":"2024-10-01T08:00:00Z","timeEpoch":"1727769600000"}}`
	if string(got) != want {
		t.Errorf("event\n got %s\nwant %s", got, want)
	}
	// And the SDK's own type reads it.
	var sdk events.HTTPTriggerEvent
	if err := json.Unmarshal(got, &sdk); err != nil || *sdk.TriggerContext.Http.SourceIp != "203.0.113.7" || (*sdk.QueryParameters)["tag"] != "x,y" {
		t.Errorf("events.HTTPTriggerEvent: %v", err)
	}
}
