package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/shared/uploadhook"
)

// Issue #18 red-teamed: a caller with a valid token (so sign forms,
// presigned URLs and STS credentials for their own user) tries to get an
// object verified against its route's rules, app metadata the hook never
// granted, or signatures the hook never approved. Everything goes through
// the local stack: the hook is a HookApp, uploads go to the OSS emulator
// with the official Go SDK (STS) or as a browser sends presigned requests,
// and the outcome is what the app's completion webhook receives.

// redteamRoutes: avatars (PNG/JPEG up to 2 MB) and documents (PDF of
// 250,000 bytes to 50 MB: a minimum, so a short upload has a rule to break).
const redteamRoutes = `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
 "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "minBytes": 250000, "maxBytes": 50000000}}`

var (
	redteamHookSecret    = "whsec_" + base64.StdEncoding.EncodeToString([]byte("redteam-pre-sign-hook-secret-32b"))
	redteamWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("redteam-completion-webhook-32byt"))
)

// redteamStack is the local stack with redteamRoutes, a hook that grants
// {"project-id": "p-7"} to form and presign uploads and no metadata to sts
// sessions, and the app's completion webhook.
type redteamStack struct {
	s    *localstack.Stack
	p    *stack
	hook *stacktest.HookApp
	recv *routeReceiver
}

// grantFormsOnly is the hook's answer: form and presign uploads get
// project p-7, sts sessions are allowed without metadata.
func grantFormsOnly(w http.ResponseWriter, r *http.Request, call uploadhook.Request) {
	if call.Via == "sts" {
		stacktest.AnswerJSON(map[string]any{"allow": true})(w, r, call)
		return
	}
	stacktest.AnswerJSON(map[string]any{"allow": true, "metadata": map[string]string{"project-id": "p-7"}})(w, r, call)
}

func startRedteam(t *testing.T, signatureVersion string) *redteamStack {
	t.Helper()
	rt := &redteamStack{recv: startRouteReceiver(t, redteamWebhookSecret), hook: stacktest.StartHookApp(t, redteamHookSecret)}
	rt.hook.SetAnswer(grantFormsOnly)
	rt.s, _ = stacktest.Start(t, func(c *localstack.Config) {
		c.FunctionEnv = map[string]string{
			"UPLOAD_ROUTES":      redteamRoutes,
			"UPLOAD_HOOK_URL":    rt.hook.URL,
			"UPLOAD_HOOK_SECRET": redteamHookSecret,
			"WEBHOOK_URL":        rt.recv.URL,
			"WEBHOOK_SECRET":     redteamWebhookSecret,
			"SIGNATURE_VERSION":  signatureVersion,
		}
	})
	rt.p = &stack{Ready: rt.s.Ready}
	return rt
}

// presignInit asks /presign to start a multipart upload of size bytes on
// route.
func (rt *redteamStack) presignInit(t *testing.T, route, filename, contentType string, size int) presigned {
	t.Helper()
	return mustAsk(t, rt.p, rt.s.Ready.JWT, map[string]any{"method": "POST", "key": "uuid-" + filename, "route": route,
		"filename": filename, "contentType": contentType, "size": size, "clientPayload": map[string]string{"projectId": "p-7"}})
}

// startMultipart sends the presigned initiate and returns the upload.
func (rt *redteamStack) startMultipart(t *testing.T, route, filename, contentType string, size int) *upload {
	t.Helper()
	ini := rt.presignInit(t, route, filename, contentType, size)
	res, body := sendTo(t, "POST", ini, nil)
	var out struct{ UploadId string }
	if err := xml.Unmarshal(body, &out); res.StatusCode != 200 || err != nil || out.UploadId == "" {
		t.Fatalf("initiate: HTTP %d %s", res.StatusCode, body)
	}
	return &upload{s: rt.p, token: rt.s.Ready.JWT, key: ini.Key, id: out.UploadId, etags: map[int]string{}, declared: size}
}

// completeWith sends the presigned complete with a body naming parts.
func completeWith(t *testing.T, complete presigned, m *upload, parts ...int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, n := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, m.etags[n])
	}
	b.WriteString("</CompleteMultipartUpload>")
	if res, body := sendTo(t, "POST", complete, []byte(b.String())); res.StatusCode != 200 {
		t.Fatalf("complete: HTTP %d %s", res.StatusCode, body)
	}
}

// wantDelivery checks the app's webhook for an upload; noMetadata: the
// upload carries metadata the hook never granted to it, which must not
// reach the app.
func wantDelivery(t *testing.T, d routeDelivery, verdict, reason, route string, noMetadata bool) {
	t.Helper()
	if d.Verdict != verdict || d.Reason != reason || d.Route != route || noMetadata && len(d.Metadata) != 0 {
		t.Fatalf("webhook %+v, want %s %q route %q (no metadata: %v)", d, verdict, reason, route, noMetadata)
	}
}

func TestRedteamRoutes(t *testing.T) {
	rt := startRedteam(t, "v4")
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("% padding\n"), 30000)...)

	// A form's pin names its exact key. The hook granted p-7 to a form; the
	// caller's sts session got no metadata. Copying the form's metadata and
	// pin onto another key, written with the session, must not carry p-7 to
	// the app.
	t.Run("a form's pin on another key", func(t *testing.T) {
		code, form, raw := call(t, rt.s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 1000})
		if code != 200 || form.Fields["x-oss-meta-project-id"] != "p-7" || form.Fields["x-oss-meta-upload-pin"] == "" {
			t.Fatalf("sign: HTTP %d %s", code, raw)
		}
		a := mustVend(t, rt.s, map[string]any{"route": "avatar"})
		if _, granted := a.Headers["x-oss-meta-project-id"]; granted {
			t.Fatalf("the sts session was granted metadata: %v", a.Headers)
		}
		key := a.Dir + "2026/12/01/00000000000000aa-other.png"
		err := sdkBucket(t, rt.s, a).PutObject(key, bytes.NewReader(realPNG(t)), oss.ContentType("image/png"),
			oss.Meta("route", "avatar"), oss.Meta("project-id", "p-7"), oss.Meta("upload-pin", form.Fields["x-oss-meta-upload-pin"]))
		if err != nil {
			t.Fatal(err)
		}
		wantDelivery(t, rt.recv.wait(t, key), "rejected", "unpinned-metadata", "avatar", true)
	})

	// The hook approved a form for one declared file (a 50-byte PNG) and
	// granted p-7 to it; the form's pin names its key. The caller's sts
	// session may write that same key first, with a bigger file: the pin
	// must not vouch for p-7 on a file the hook was never asked about
	// (the app's hook may decide by size, e.g. a quota per project).
	t.Run("a form's pin at its own key with a bigger file", func(t *testing.T) {
		png := realPNG(t)
		for _, tc := range []struct {
			name     string
			declared []oss.Option
		}{
			{"no declared type or size", nil},
			{"the file's own type and size declared", []oss.Option{oss.Meta("declared-type", "image/png"), oss.Meta("declared-size", fmt.Sprint(len(png)))}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, form, raw := call(t, rt.s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 50})
				if code != 200 || form.Fields["x-oss-meta-project-id"] != "p-7" {
					t.Fatalf("sign: HTTP %d %s", code, raw)
				}
				a := mustVend(t, rt.s, map[string]any{"route": "avatar"})
				opts := append([]oss.Option{oss.ContentType("image/png"), oss.Meta("route", "avatar"), oss.Meta("project-id", "p-7"),
					oss.Meta("upload-pin", form.Fields["x-oss-meta-upload-pin"])}, tc.declared...)
				if err := sdkBucket(t, rt.s, a).PutObject(form.Key, bytes.NewReader(png), opts...); err != nil {
					t.Fatal(err)
				}
				wantDelivery(t, rt.recv.wait(t, form.Key), "rejected", "unpinned-metadata", "avatar", true)
			})
		}
	})

	// An sts session cannot read, so it cannot copy another object's
	// bytes into its own multipart upload: UploadPartCopy needs
	// oss:GetObject on the source (also its own earlier upload).
	t.Run("UploadPartCopy with an sts session", func(t *testing.T) {
		victim := "uploads/bob/documents/2026/12/01/00000000000000dd-secret.pdf"
		if err := devBucket(t, rt.p).PutObject(victim, bytes.NewReader(pdf)); err != nil {
			t.Fatal(err)
		}
		a := mustVend(t, rt.s, map[string]any{"route": "avatar"})
		b := sdkBucket(t, rt.s, a)
		own := a.Dir + "2026/12/01/00000000000000de-own.png"
		if err := putWithHeaders(b, a, own, "image/png", realPNG(t)); err != nil {
			t.Fatal(err)
		}
		opts := []oss.Option{oss.ContentType("image/png")}
		for name, value := range a.Headers {
			opts = append(opts, oss.Meta(strings.TrimPrefix(name, "x-oss-meta-"), value))
		}
		imur, err := b.InitiateMultipartUpload(a.Dir+"2026/12/01/00000000000000df-copy.png", opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{victim, own} {
			if _, err := b.UploadPartCopy(imur, a.Bucket, src, 0, 100, 1); !accessDenied(err) {
				t.Fatalf("UploadPartCopy from %s: %v, want 403 AccessDenied", src, err)
			}
		}
	})

	// RAM resources match keys literally and OSS does not resolve "..":
	// an avatar session may write "<avatars dir>../documents/x.pdf", which
	// names the documents directory to anyone who cleans the path.
	t.Run("dot-dot out of the avatar directory", func(t *testing.T) {
		a := mustVend(t, rt.s, map[string]any{"route": "avatar"})
		key := a.Dir + "../documents/2026/12/01/00000000000000bb-cv.pdf"
		err := sdkBucket(t, rt.s, a).PutObject(key, bytes.NewReader(pdf), oss.ContentType("application/pdf"), oss.Meta("route", "document"))
		if err != nil {
			t.Fatalf("the emulator refused the key (real OSS stores it): %v", err)
		}
		wantDelivery(t, rt.recv.wait(t, key), "rejected", "outside-prefix", "", true)
	})

	// sign checks the listed parts before it signs a complete, but the
	// uploader holds the part URLs and writes the complete body: a part
	// uploaded again after the check, or a complete naming fewer parts,
	// changes the size. verify judges the stored size by the route.
	t.Run("a multipart upload grown past its route's maximum after the complete was signed", func(t *testing.T) {
		part := bytes.Repeat([]byte{0x5a}, 100<<10)
		m := rt.startMultipart(t, "avatar", "me.png", "image/png", 3*len(part))
		for n := 1; n <= 3; n++ {
			m.part(t, n, part)
		}
		complete := mustAsk(t, rt.p, m.token, map[string]any{"method": "POST", "key": m.key, "uploadId": m.id})
		m.part(t, 3, bytes.Repeat([]byte{0x5b}, 2<<20)) // the same part number, 2 MiB
		completeWith(t, complete, m, 1, 2, 3)
		wantDelivery(t, rt.recv.wait(t, m.key), "rejected", "too-large", "avatar", false)
	})
	t.Run("a multipart upload completed below its route's minimum", func(t *testing.T) {
		part := bytes.Repeat([]byte{0x5a}, 100<<10)
		m := rt.startMultipart(t, "document", "cv.pdf", "application/pdf", 3*len(part))
		for n := 1; n <= 3; n++ {
			m.part(t, n, part)
		}
		complete := mustAsk(t, rt.p, m.token, map[string]any{"method": "POST", "key": m.key, "uploadId": m.id})
		completeWith(t, complete, m, 1, 2) // 204,800 bytes: under the route's 250,000
		wantDelivery(t, rt.recv.wait(t, m.key), "rejected", "too-small", "document", false)
	})

	// sts GET takes the route from the query and POST from the body; a
	// request naming one route in each gets credentials, headers and a hook
	// call for the same one route, never the hook asked about one and the
	// session scoped to the other.
	t.Run("sts with one route in the query and another in the body", func(t *testing.T) {
		for _, tc := range []struct{ method, query, body, want string }{
			{http.MethodGet, "avatar", "document", "avatar"},
			{http.MethodPost, "document", "avatar", "avatar"},
		} {
			req, err := http.NewRequest(tc.method, rt.s.Ready.Functions["sts"]+"?route="+tc.query, strings.NewReader(`{"route":"`+tc.body+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+rt.s.Ready.JWT)
			req.Header.Set("Content-Type", "application/json")
			res, raw := stacktest.Do(t, req)
			var a stsAnswer
			if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &a) != nil {
				t.Fatalf("%s: HTTP %d %.300s", tc.method, res.StatusCode, raw)
			}
			calls := rt.hook.Calls()
			if a.Route != tc.want || !strings.HasSuffix(a.Dir, "/"+tc.want+"s/") || a.Headers["x-oss-meta-route"] != tc.want || calls[len(calls)-1].Route != tc.want {
				t.Fatalf("%s: route %q dir %q headers %v, hook asked about %q; want %s throughout", tc.method, a.Route, a.Dir, a.Headers, calls[len(calls)-1].Route, tc.want)
			}
		}
	})

	// The app builds its answer from its own deny and data it does not
	// control, so the JSON names "allow" twice: JavaScript reads the
	// lower-case one (a deny), encoding/json the last in any case (an
	// allow). An ambiguous answer is no answer.
	t.Run("the hook's answer names allow twice", func(t *testing.T) {
		rt.hook.SetAnswer(func(w http.ResponseWriter, _ *http.Request, _ uploadhook.Request) {
			_, _ = io.WriteString(w, `{"allow":false,"message":"project p-7 is read-only","Allow":true}`)
		})
		t.Cleanup(func() { rt.hook.SetAnswer(grantFormsOnly) })
		code, a, raw := call(t, rt.s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 1000})
		if code != http.StatusServiceUnavailable || a.Error.Code != "hook_unavailable" {
			t.Fatalf("sign: HTTP %d %.300s, want 503 hook_unavailable", code, raw)
		}
		if st, _, e, raw := vendRoute(t, rt.s, map[string]any{"route": "avatar"}); st != http.StatusServiceUnavailable || e.Error.Code != "hook_unavailable" {
			t.Fatalf("sts: HTTP %d %.300s, want 503 hook_unavailable", st, raw)
		}
	})

	// The hook's URL answers a redirect to a host that allows everything
	// with metadata of its choosing: sign must not follow it (the other
	// host would approve the upload and pick the metadata verify passes on).
	t.Run("the hook redirects to another host", func(t *testing.T) {
		asked := make(chan struct{}, 8)
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked <- struct{}{}
			_, _ = io.WriteString(w, `{"allow":true,"metadata":{"project-id":"p-9"}}`)
		}))
		t.Cleanup(other.Close)
		rt.hook.SetAnswer(func(w http.ResponseWriter, r *http.Request, _ uploadhook.Request) {
			http.Redirect(w, r, other.URL+"/hook", http.StatusTemporaryRedirect)
		})
		t.Cleanup(func() { rt.hook.SetAnswer(grantFormsOnly) })
		code, a, raw := call(t, rt.s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 1000})
		if code != http.StatusServiceUnavailable || a.Error.Code != "hook_unavailable" {
			t.Fatalf("sign: HTTP %d %.300s, want 503 hook_unavailable", code, raw)
		}
		if st, _, e, raw := vendRoute(t, rt.s, map[string]any{"route": "avatar"}); st != http.StatusServiceUnavailable || e.Error.Code != "hook_unavailable" {
			t.Fatalf("sts: HTTP %d %.300s, want 503 hook_unavailable", st, raw)
		}
		if len(asked) != 0 {
			t.Fatalf("the redirect's host was asked %d times", len(asked))
		}
	})
}

// A presigned request signs every x-oss-* header it is sent with: OSS
// refuses one with a header changed, added or left out, with 403
// SignatureDoesNotMatch, in V4 and V1. So a multipart upload's metadata,
// which is fixed at initiate (route, the hook's metadata, the pin), is what
// sign approved, and a part URL cannot become a copy.
func TestRedteamPresignedHeaders(t *testing.T) {
	for _, version := range []string{"v4", "v1"} {
		t.Run(version, func(t *testing.T) {
			rt := startRedteam(t, version)
			other := rt.presignInit(t, "avatar", "other.png", "image/png", 300<<10)
			// V4 query signing names its version; V1 signs with Signature and OSSAccessKeyId.
			if v4 := strings.Contains(other.URL, "x-oss-signature-version=OSS4-HMAC-SHA256"); v4 != (version == "v4") {
				t.Fatalf("a %s stack presigned %s", version, other.URL)
			}
			for _, tc := range []struct {
				name   string
				change func(h map[string]string)
			}{
				{"route", func(h map[string]string) { h["x-oss-meta-route"] = "document" }},
				{"route in upper case", func(h map[string]string) {
					delete(h, "x-oss-meta-route")
					h["X-OSS-META-ROUTE"] = "document"
				}},
				{"the hook's metadata", func(h map[string]string) { h["x-oss-meta-project-id"] = "p-9" }},
				{"the pin (another upload's)", func(h map[string]string) {
					h["x-oss-meta-upload-pin"] = other.Headers["x-oss-meta-upload-pin"]
				}},
				{"the pin left out", func(h map[string]string) { delete(h, "x-oss-meta-upload-pin") }},
				{"metadata added", func(h map[string]string) { h["x-oss-meta-project-name"] = "p-9" }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ini := rt.presignInit(t, "avatar", "me.png", "image/png", 300<<10)
					if ini.Headers["x-oss-meta-route"] != "avatar" || ini.Headers["x-oss-meta-project-id"] != "p-7" || ini.Headers["x-oss-meta-upload-pin"] == "" {
						t.Fatalf("signed headers %v", ini.Headers)
					}
					tc.change(ini.Headers)
					if res, body := sendTo(t, "POST", ini, nil); res.StatusCode != http.StatusForbidden || ossCode(body) != "SignatureDoesNotMatch" {
						t.Fatalf("initiate with %s changed: HTTP %d %s", tc.name, res.StatusCode, body)
					}
				})
			}
			// The unchanged request is accepted: the refusals above are the
			// changes'.
			if res, body := sendTo(t, "POST", other, nil); res.StatusCode != http.StatusOK {
				t.Fatalf("initiate as signed: HTTP %d %s", res.StatusCode, body)
			}

			// The sign role may read every upload (oss:GetObject on
			// UPLOAD_PREFIX, for GET /status), so a presigned UploadPart
			// that also carried x-oss-copy-source would be an UploadPartCopy
			// of another user's object into the caller's upload. The copy
			// header is an x-oss-* header the URL never signed.
			t.Run("UploadPart turned into UploadPartCopy", func(t *testing.T) {
				victim := "uploads/bob/documents/2026/12/01/00000000000000cc-secret.pdf"
				if err := devBucket(t, rt.p).PutObject(victim, bytes.NewReader(bytes.Repeat([]byte("s"), 200<<10))); err != nil {
					t.Fatal(err)
				}
				m := rt.startMultipart(t, "avatar", "me.png", "image/png", 300<<10)
				part := mustAsk(t, rt.p, m.token, map[string]any{"method": "PUT", "key": m.key, "uploadId": m.id, "partNumber": 1})
				part.Headers = map[string]string{"x-oss-copy-source": "/" + rt.s.Ready.Bucket + "/" + victim}
				if res, body := sendTo(t, "PUT", part, nil); res.StatusCode != http.StatusForbidden || ossCode(body) != "SignatureDoesNotMatch" {
					t.Fatalf("UploadPartCopy with a presigned part URL: HTTP %d %s", res.StatusCode, body)
				}
				if n, err := uploadedParts(t, rt.p, m.key, m.id); err != nil || n != 0 {
					t.Fatalf("%d parts stored (%v), want 0", n, err)
				}
			})
		})
	}
}
