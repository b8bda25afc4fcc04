package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/logging"
)

type body struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder) body {
	t.Helper()
	var b body
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("error body is not the contract shape: %v", err)
	}
	return b
}

func TestWriteError(t *testing.T) {
	const secretDetail = "dial tcp 10.0.0.1: secret=abc123"
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
		wantLog    bool
	}{
		{"typed", Errorf(CodeInvalidFilename, "filename %q is empty", ""), 400, "invalid_filename", `filename "" is empty`, false},
		{"wrapped typed", fmt.Errorf("sign: %w", Errorf(CodeForbidden, "no")), 403, "forbidden", "no", false},
		{"plain error", errors.New(secretDetail), 500, "internal", internalMessage, true},
		{"undeclared code", &Error{Code: Code{"ok", 200}, Message: "x"}, 500, "internal", internalMessage, true},
		{"unavailable", Errorf(CodeUnavailable, "try later"), 503, "unavailable", "try later", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx := WithLogger(WithRequestID(context.Background(), "req-42"), logging.New(&logs, slog.LevelDebug))
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/sign", nil)
			rec := httptest.NewRecorder()
			WriteError(rec, r, tc.err)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
			if rec.Header().Get("X-Request-Id") != "req-42" {
				t.Fatalf("X-Request-Id = %q", rec.Header().Get("X-Request-Id"))
			}
			raw := rec.Body.String()
			if strings.Contains(raw, "secret") || strings.Contains(raw, "10.0.0.1") {
				t.Fatalf("internal detail reached the client: %s", raw)
			}
			b := decodeBody(t, rec)
			if b.Error.Code != tc.wantCode || b.Error.Message != tc.wantMsg {
				t.Fatalf("body %+v", b)
			}
			if tc.wantStatus == 503 && rec.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if tc.wantLog {
				var line map[string]any
				if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
					t.Fatalf("log is not one JSON line: %q", logs.String())
				}
				if line["request_id"] != "req-42" || line["error"] == nil {
					t.Fatalf("log line lacks request id or error: %v", line)
				}
			} else if logs.Len() != 0 {
				t.Fatalf("unexpected log for client error: %s", logs.String())
			}
		})
	}
}

func TestWriteErrorKeepsRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "30")
	WriteError(rec, httptest.NewRequest("GET", "/", nil), Errorf(CodeUnavailable, "x"))
	if rec.Header().Get("Retry-After") != "30" {
		t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, 201, map[string]string{"key": "<a&b>"})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	var got map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["key"] != "<a&b>" {
		t.Fatalf("%v %v", got, err)
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, 200, map[string]any{"bad": func() {}})
	if rec.Code != 500 {
		t.Fatalf("unmarshallable value: status %d", rec.Code)
	}
	if b := decodeBody(t, rec); b.Error.Code != "internal" {
		t.Fatalf("%+v", b)
	}
}

type signReq struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	Tags     []string
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		max        int64
		wantStatus int // 0 = success
		wantCode   string
		wantMsg    string
	}{
		{"ok", `{"filename":"a.jpg","size":3}`, 1024, 0, "", ""},
		{"ok with trailing whitespace", "{\"filename\":\"a.jpg\"}\n  \r\n", 1024, 0, "", ""},
		{"unknown field", `{"filename":"a","bucket":"x"}`, 1024, 400, "invalid_request", `unknown field "bucket"`},
		{"trailing object", `{"filename":"a"}{"filename":"b"}`, 1024, 400, "invalid_request", "trailing data"},
		{"trailing garbage", `{"filename":"a"} xyz`, 1024, 400, "invalid_request", "trailing data"},
		{"trailing close brace", `{"filename":"a"}}`, 1024, 400, "invalid_request", "trailing data"},
		{"trailing close bracket", `{"filename":"a"}]`, 1024, 400, "invalid_request", "trailing data"},
		{"trailing comma", `{"filename":"a"},`, 1024, 400, "invalid_request", "trailing data"},
		{"trailing number", `{"filename":"a"} 1`, 1024, 400, "invalid_request", "trailing data"},
		{"syntax", `{"filename":}`, 1024, 400, "invalid_request", "not valid JSON"},
		{"truncated", `{"filename":"a"`, 1024, 400, "invalid_request", "truncated"},
		{"empty", ``, 1024, 400, "invalid_request", "empty"},
		{"wrong type", `{"size":"big"}`, 1024, 400, "invalid_request", `field "size" must be a JSON number`},
		{"array not object", `[1,2]`, 1024, 400, "invalid_request", "must be a JSON object"},
		{"too large", `{"filename":"` + strings.Repeat("a", 100) + `"}`, 64, 413, "request_too_large", "64 bytes"},
		{"exactly max", `{"filename":"abc"}`, int64(len(`{"filename":"abc"}`)), 0, "", ""},
		{"field twice", `{"filename":"a.png","filename":"x.html"}`, 1024, 400, "invalid_request", `names field "filename" more than once`},
		{"field twice in another case", `{"filename":"a.png","FileName":"x.html"}`, 1024, 400, "invalid_request", `names field "FileName" more than once`},
		{"field twice through a long s", "{\"size\":1,\"\u017fize\":2}", 1024, 400, "invalid_request", "more than once"},
		{"one field in another case", `{"FILENAME":"a.png"}`, 1024, 0, "", ""},
	}
	for _, tc := range tests {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunked=%v", tc.name, chunked), func(t *testing.T) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
				if chunked {
					r.ContentLength = -1
				}
				if tc.body == "" {
					r.Body = http.NoBody
				}
				var dst signReq
				err := DecodeJSON(r, tc.max, &dst)
				if tc.wantStatus == 0 {
					if err != nil {
						t.Fatalf("unexpected %v", err)
					}
					return
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("want *Error, got %T %v", err, err)
				}
				if e.Status() != tc.wantStatus || e.Code.String() != tc.wantCode || !strings.Contains(e.Message, tc.wantMsg) {
					t.Fatalf("got %+v, want %d %s ~%q", e, tc.wantStatus, tc.wantCode, tc.wantMsg)
				}
			})
		}
	}
}

func TestTooLargeBodyOverRealServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v signReq
		if err := DecodeJSON(r, 16<<10, &v); err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, 200, v)
	}))
	defer srv.Close()
	res, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"filename":"`+strings.Repeat("x", 20<<10)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestRequestID(t *testing.T) {
	if RequestID(context.Background()) != "" {
		t.Fatal("empty ctx")
	}
	if RequestID(WithRequestID(context.Background(), "x")) != "x" {
		t.Fatal("round trip")
	}
}

// TestCodes pins the wire name and status of every declared code: they are
// a contract with clients, and WriteError must send exactly them.
func TestCodes(t *testing.T) {
	want := map[string]int{
		"invalid_request": 400, "invalid_filename": 400, "type_not_allowed": 400, "too_small": 400,
		"unauthorized": 401, "forbidden": 403, "upload_denied": 403, "not_found": 404,
		"method_not_allowed": 405, "incomplete": 409, "request_too_large": 413, "too_large": 413,
		"unsupported_media_type": 415, "internal": 500, "unavailable": 503, "hook_unavailable": 503,
	}
	seen := map[string]bool{}
	for _, c := range allCodes {
		if seen[c.String()] {
			t.Errorf("code %q declared twice", c)
		}
		seen[c.String()] = true
		if st, ok := want[c.String()]; !ok || st != c.Status() {
			t.Errorf("code %q has status %d, want %d", c, c.Status(), st)
		}
		rec := httptest.NewRecorder()
		quiet := WithLogger(context.Background(), logging.New(io.Discard, slog.LevelError))
		WriteError(rec, httptest.NewRequestWithContext(quiet, "GET", "/", nil), Errorf(c, "m"))
		if b := decodeBody(t, rec); rec.Code != c.Status() || b.Error.Code != c.String() || b.Error.Message != "m" {
			t.Errorf("code %q written as %d %+v", c, rec.Code, b)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d codes declared, want %d", len(seen), len(want))
	}
}
