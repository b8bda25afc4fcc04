package oss_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/oss"
)

// Issue "The emulator must never say yes where OSS says no": each test
// here drives the emulator with the official Go SDK (aliyun-oss-go-sdk
// v3.0.2) and checks an answer OSS documents. local/oss/CONFORMANCE.md
// names the test of each row.

func (e *env) client(t testing.TB, ak, secret, token string, opts ...aoss.ClientOption) *aoss.Client {
	t.Helper()
	if token != "" {
		opts = append(opts, aoss.SecurityToken(token))
	}
	c, err := aoss.New(e.url, ak, secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder keeps the response bodies the SDK receives, to check bytes the
// SDK's XML decoder would normalise away.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		return ""
	}
	return r.bodies[len(r.bodies)-1]
}

// (a) OSS exposes the ExposeHeader list of the matching rule and nothing
// else, so a rule without ETag hides it from browser clients.
func TestCORSExposesOnlyTheRuleList(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name   string
		expose []string
		want   string // Access-Control-Expose-Headers; "" = absent
	}{
		{"without ETag", []string{"x-oss-request-id"}, "x-oss-request-id"},
		{"with ETag", []string{"ETag", "x-oss-request-id"}, "ETag, x-oss-request-id"},
		{"nothing exposed", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rule := oss.CORSRule{AllowedOrigins: []string{"http://localhost:5173"}, AllowedMethods: []string{"GET", "PUT", "HEAD"},
				AllowedHeaders: []string{"*"}, ExposeHeaders: c.expose}
			if err := e.srv.CreateBucket(testBucket, []oss.CORSRule{rule}); err != nil {
				t.Fatal(err)
			}
			b := e.bucket(t, rootAK, rootSecret, "")
			var h http.Header
			if err := b.PutObject("cors/x", strings.NewReader("x"), aoss.Origin("http://localhost:5173"), aoss.GetResponseHeader(&h)); err != nil {
				t.Fatal(err)
			}
			if h.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
				t.Fatalf("the rule does not match: %v", h)
			}
			if got := h.Get("Access-Control-Expose-Headers"); got != c.want {
				t.Errorf("Access-Control-Expose-Headers = %q, want %q", got, c.want)
			}
			if v := h.Get("Vary"); v != "" {
				t.Errorf("Vary = %q without ResponseVary", v)
			}
			pre := httptest.NewRequest(http.MethodOptions, e.url+"/"+testBucket+"/cors/x", nil)
			pre.Header.Set("Origin", "http://localhost:5173")
			pre.Header.Set("Access-Control-Request-Method", "PUT")
			resp, err := http.DefaultTransport.RoundTrip(withURL(pre, e.url+"/"+testBucket+"/cors/x"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Expose-Headers"); resp.StatusCode != 200 || got != c.want {
				t.Errorf("preflight %d, Access-Control-Expose-Headers = %q, want %q", resp.StatusCode, got, c.want)
			}
		})
	}
}

func withURL(r *http.Request, u string) *http.Request {
	out, _ := http.NewRequest(r.Method, u, nil)
	out.Header = r.Header
	return out
}

// PutBucketCors, GetBucketCors and DeleteBucketCors as the Go SDK uses them.
func TestBucketCORSAPI(t *testing.T) {
	e := newEnv(t)
	for _, sg := range signings {
		t.Run(sg.name, func(t *testing.T) {
			c := e.client(t, rootAK, rootSecret, "", sg.opts...)
			rules := []aoss.CORSRule{
				{AllowedOrigin: []string{"http://localhost:5173", "https://*.example.com"}, AllowedMethod: []string{"PUT", "POST"},
					AllowedHeader: []string{"*"}, ExposeHeader: []string{"ETag", "x-oss-request-id"}, MaxAgeSeconds: 120},
				{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET"}},
			}
			if err := c.SetBucketCORS(testBucket, rules); err != nil {
				t.Fatalf("SetBucketCORS: %v", err)
			}
			got, err := c.GetBucketCORS(testBucket)
			if err != nil {
				t.Fatalf("GetBucketCORS: %v", err)
			}
			if len(got.CORSRules) != 2 || fmt.Sprint(got.CORSRules[0].AllowedOrigin) != "[http://localhost:5173 https://*.example.com]" ||
				fmt.Sprint(got.CORSRules[0].ExposeHeader) != "[ETag x-oss-request-id]" || got.CORSRules[0].MaxAgeSeconds != 120 ||
				fmt.Sprint(got.CORSRules[1].AllowedMethod) != "[GET]" || got.ResponseVary == nil || *got.ResponseVary {
				t.Fatalf("GetBucketCORS = %+v", got)
			}
			// The new rule governs at once: the page's origin is allowed, the old one is not.
			b := e.bucket(t, rootAK, rootSecret, "", sg.opts...)
			var h http.Header
			if err := b.PutObject("cors/y", strings.NewReader("y"), aoss.Origin("https://app.example.com"), aoss.GetResponseHeader(&h)); err != nil {
				t.Fatal(err)
			}
			if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Expose-Headers") != "ETag, x-oss-request-id" {
				t.Errorf("after SetBucketCORS: %v", h)
			}
			if err := b.PutObject("cors/y", strings.NewReader("y"), aoss.Origin("http://localhost:8080"), aoss.GetResponseHeader(&h)); err != nil ||
				h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("the replaced rule still applies: %v %v", h, err)
			}

			vary := true
			if err := c.SetBucketCORSV2(testBucket, aoss.PutBucketCORS{CORSRules: rules[1:], ResponseVary: &vary}); err != nil {
				t.Fatal(err)
			}
			if got, err := c.GetBucketCORS(testBucket); err != nil || len(got.CORSRules) != 1 || got.ResponseVary == nil || !*got.ResponseVary {
				t.Fatalf("ResponseVary not kept: %+v %v", got, err)
			}
			if _, err := b.GetObjectDetailedMeta("cors/y", aoss.GetResponseHeader(&h)); err != nil || h.Get("Vary") != "Origin" {
				t.Errorf("ResponseVary true: Vary = %q (%v)", h.Get("Vary"), err)
			}

			if err := c.DeleteBucketCORS(testBucket); err != nil {
				t.Fatalf("DeleteBucketCORS: %v", err)
			}
			_, err = c.GetBucketCORS(testBucket)
			wantCode(t, err, "NoSuchCORSConfiguration", 404)
			if err := b.PutObject("cors/y", strings.NewReader("y"), aoss.Origin("https://app.example.com"), aoss.GetResponseHeader(&h)); err != nil ||
				h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS headers without rules: %v %v", h, err)
			}
		})
	}
}

// The XML file ossutil's "cors --method put" sends as is (the document of
// the PutBucketCors reference), through the SDK's raw-XML calls.
func TestBucketCORSRawXML(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, rootAK, rootSecret, "")
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
    <CORSRule>
      <AllowedOrigin>*</AllowedOrigin>
      <AllowedMethod>PUT</AllowedMethod>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>Authorization</AllowedHeader>
    </CORSRule>
    <CORSRule>
      <AllowedOrigin>http://example.com</AllowedOrigin>
      <AllowedOrigin>http://example.net</AllowedOrigin>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>Authorization</AllowedHeader>
      <ExposeHeader>x-oss-test</ExposeHeader>
      <ExposeHeader>x-oss-test1</ExposeHeader>
      <MaxAgeSeconds>100</MaxAgeSeconds>
    </CORSRule>
    <ResponseVary>false</ResponseVary>
</CORSConfiguration>
`
	if err := c.SetBucketCORSXml(testBucket, doc); err != nil {
		t.Fatalf("SetBucketCORSXml: %v", err)
	}
	got, err := c.GetBucketCORSXml(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<CORSConfiguration>` +
		`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>Authorization</AllowedHeader></CORSRule>` +
		`<CORSRule><AllowedOrigin>http://example.com</AllowedOrigin><AllowedOrigin>http://example.net</AllowedOrigin><AllowedMethod>GET</AllowedMethod>` +
		`<AllowedHeader>Authorization</AllowedHeader><ExposeHeader>x-oss-test</ExposeHeader><ExposeHeader>x-oss-test1</ExposeHeader><MaxAgeSeconds>100</MaxAgeSeconds></CORSRule>` +
		`<ResponseVary>false</ResponseVary></CORSConfiguration>`
	if got != want {
		t.Errorf("GetBucketCORSXml =\n%s\nwant\n%s", got, want)
	}
}

func TestBucketCORSRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, rootAK, rootSecret, "")
	ok := aoss.CORSRule{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET"}}
	many := make([]aoss.CORSRule, 11)
	for i := range many {
		many[i] = ok
	}
	for _, tc := range []struct {
		name string
		xml  string
		code string
	}{
		{"no rule", `<CORSConfiguration></CORSConfiguration>`, "InvalidArgument"},
		{"method TEST", `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>TEST</AllowedMethod></CORSRule></CORSConfiguration>`, "InvalidArgument"},
		{"expose wildcard", `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-oss-*</ExposeHeader></CORSRule></CORSConfiguration>`, "InvalidArgument"},
		{"two wildcards in an origin", `<CORSConfiguration><CORSRule><AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`, "InvalidArgument"},
		{"no origin", `<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`, "MalformedXML"},
		{"not XML", `CORSConfiguration`, "MalformedXML"},
		{"other root", `<LifecycleConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></LifecycleConfiguration>`, "MalformedXML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, c.SetBucketCORSXml(testBucket, tc.xml), tc.code, 400)
		})
	}
	t.Run("eleven rules", func(t *testing.T) {
		wantCode(t, c.SetBucketCORS(testBucket, many), "InvalidArgument", 400)
	})
	// A refused PutBucketCors leaves the bucket's rules as they were.
	got, err := c.GetBucketCORS(testBucket)
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigin[0] != "http://localhost:8080" {
		t.Fatalf("rules changed by refused requests: %+v %v", got, err)
	}
	t.Run("RAM", func(t *testing.T) {
		p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetBucketCors"],"Resource":"acs:oss:*:*:`+testBucket+`"}]}`, 0)
		sc := e.client(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken)
		if _, err := sc.GetBucketCORS(testBucket); err != nil {
			t.Fatalf("allowed GetBucketCORS: %v", err)
		}
		wantCode(t, sc.SetBucketCORS(testBucket, []aoss.CORSRule{ok}), "AccessDenied", 403)
		wantCode(t, sc.DeleteBucketCORS(testBucket), "AccessDenied", 403)
	})
}

// (b) UploadPartCopy copies the source's bytes (whole or a range) into the
// part, after checking read permission on the source.
func TestUploadPartCopy(t *testing.T) {
	e := newEnv(t)
	for _, sg := range signings {
		t.Run(sg.name, func(t *testing.T) {
			b := e.bucket(t, rootAK, rootSecret, "", sg.opts...)
			src := pattern(300*1024+17, 9)
			srcKey := "uploads/user-42/" + sg.name + "/source object+ü.bin"
			if err := b.PutObject(srcKey, bytes.NewReader(src)); err != nil {
				t.Fatal(err)
			}
			dst := "uploads/user-42/" + sg.name + "/copied.bin"
			imur, err := b.InitiateMultipartUpload(dst)
			if err != nil {
				t.Fatal(err)
			}
			// SDK: x-oss-copy-source-range bytes=<start>-<start+size-1>.
			p1, err := b.UploadPartCopy(imur, testBucket, srcKey, 0, 200*1024, 1)
			if err != nil {
				t.Fatalf("UploadPartCopy 1: %v", err)
			}
			p2, err := b.UploadPartCopy(imur, testBucket, srcKey, 200*1024, int64(len(src)-200*1024), 2)
			if err != nil {
				t.Fatalf("UploadPartCopy 2: %v", err)
			}
			sum := md5.Sum(src[:200*1024])
			if want := `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`; p1.ETag != want {
				t.Errorf("part 1 ETag %s, want the MD5 of the copied range %s", p1.ETag, want)
			}
			lp, err := b.ListUploadedParts(imur)
			if err != nil || len(lp.UploadedParts) != 2 || lp.UploadedParts[0].Size != 200*1024 || lp.UploadedParts[1].Size != len(src)-200*1024 {
				t.Fatalf("ListUploadedParts = %+v, %v", lp, err)
			}
			if _, err := b.CompleteMultipartUpload(imur, []aoss.UploadPart{p1, p2}); err != nil {
				t.Fatal(err)
			}
			rc, err := b.GetObject(dst)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc) // the SDK checks the combined CRC-64
			rc.Close()
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("copied object differs (%d bytes, %v)", len(got), err)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		b := e.bucket(t, rootAK, rootSecret, "")
		if err := b.PutObject("private/secret.bin", bytes.NewReader(pattern(1000, 1))); err != nil {
			t.Fatal(err)
		}
		// A session that may write uploads/user-42/ but not read private/.
		p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:ListParts","oss:AbortMultipartUpload"],"Resource":"acs:oss:*:*:`+testBucket+`/uploads/user-42/*"}]}`, 0)
		sb := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken)
		imur, err := sb.InitiateMultipartUpload("uploads/user-42/steal.bin")
		if err != nil {
			t.Fatal(err)
		}
		_, err = sb.UploadPartCopy(imur, testBucket, "private/secret.bin", 0, 1000, 1)
		wantCode(t, err, "AccessDenied", 403)
		lp, err := sb.ListUploadedParts(imur)
		if err != nil || len(lp.UploadedParts) != 0 {
			t.Fatalf("a refused copy left a part: %+v %v", lp, err)
		}

		imur, err = b.InitiateMultipartUpload("uploads/user-42/x.bin")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.UploadPartCopy(imur, testBucket, "private/missing.bin", 0, 10, 1)
		wantCode(t, err, "NoSuchKey", 404)
		_, err = b.UploadPartCopy(imur, "nosuchbucket", "private/secret.bin", 0, 10, 1)
		wantCode(t, err, "NoSuchBucket", 404)
		_, err = b.UploadPartCopy(imur, testBucket, "private/secret.bin", 0, 10, 1, aoss.CopySourceIfMatch(`"0123456789ABCDEF0123456789ABCDEF"`))
		wantCode(t, err, "PreconditionFailed", 412)
		h, _ := b.GetObjectDetailedMeta("private/secret.bin")
		_, err = b.UploadPartCopy(imur, testBucket, "private/secret.bin", 0, 10, 1, aoss.CopySourceIfNoneMatch(h.Get("ETag")))
		wantCode(t, err, "PreconditionFailed", 412)
		_, err = b.UploadPartCopy(imur, testBucket, "private/secret.bin", 2000, 10, 1)
		wantCode(t, err, "InvalidRange", 416)
		gone := imur
		gone.UploadID = "0123456789ABCDEF0123456789ABCDEF"
		_, err = b.UploadPartCopy(gone, testBucket, "private/secret.bin", 0, 10, 1)
		wantCode(t, err, "NoSuchUpload", 404)
		if lp, err := b.ListUploadedParts(imur); err != nil || len(lp.UploadedParts) != 0 {
			t.Fatalf("refused copies left parts: %+v %v", lp, err)
		}
	})
}

// (c) ListMultipartUploads with prefix, delimiter and paging.
func TestListMultipartUploads(t *testing.T) {
	e := newEnv(t)
	b := e.bucket(t, rootAK, rootSecret, "")
	keys := []string{"uploads/a/1.bin", "uploads/a/1.bin", "uploads/a/2 ü+.bin", "uploads/b/3.bin", "uploads/top.bin", "other/4.bin"}
	var ids []aoss.InitiateMultipartUploadResult
	for _, k := range keys {
		imur, err := b.InitiateMultipartUpload(k)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, imur)
	}
	all, err := b.ListMultipartUploads()
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(all.Uploads) != len(keys) || all.IsTruncated || all.MaxUploads != 1000 {
		t.Fatalf("all uploads: %+v", all)
	}
	for i := 1; i < len(all.Uploads); i++ {
		a, c := all.Uploads[i-1], all.Uploads[i]
		if a.Key > c.Key || (a.Key == c.Key && a.UploadID >= c.UploadID) {
			t.Fatalf("not in key, upload id order: %+v", all.Uploads)
		}
	}
	if all.Uploads[0].Key != "other/4.bin" || all.Uploads[0].Initiated.IsZero() {
		t.Errorf("first upload %+v", all.Uploads[0])
	}

	grouped, err := b.ListMultipartUploads(aoss.Prefix("uploads/"), aoss.Delimiter("/"))
	if err != nil || fmt.Sprint(grouped.CommonPrefixes) != "[uploads/a/ uploads/b/]" || len(grouped.Uploads) != 1 ||
		grouped.Uploads[0].Key != "uploads/top.bin" || grouped.Prefix != "uploads/" || grouped.Delimiter != "/" {
		t.Fatalf("prefix+delimiter: %+v %v", grouped, err)
	}

	// Paging two at a time with the markers the SDK hands back.
	var paged []string
	opts := []aoss.Option{aoss.Prefix("uploads/"), aoss.MaxUploads(2)}
	for page := 0; ; page++ {
		res, err := b.ListMultipartUploads(opts...)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Uploads) > 2 || page > 5 {
			t.Fatalf("page %d: %+v", page, res)
		}
		for _, u := range res.Uploads {
			paged = append(paged, u.Key+"|"+u.UploadID)
		}
		if !res.IsTruncated {
			break
		}
		opts = []aoss.Option{aoss.Prefix("uploads/"), aoss.MaxUploads(2), aoss.KeyMarker(res.NextKeyMarker), aoss.UploadIDMarker(res.NextUploadIDMarker)}
	}
	var want []string
	for _, u := range all.Uploads {
		if strings.HasPrefix(u.Key, "uploads/") {
			want = append(want, u.Key+"|"+u.UploadID)
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(want) {
		t.Fatalf("paged\n%v\nwant\n%v", paged, want)
	}

	// key-marker alone starts after every upload of that key.
	res, err := b.ListMultipartUploads(aoss.KeyMarker("uploads/a/1.bin"))
	if err != nil || len(res.Uploads) != 3 || res.Uploads[0].Key != "uploads/a/2 ü+.bin" {
		t.Fatalf("key-marker: %+v %v", res, err)
	}

	// upload-id-marker without key-marker is ignored.
	if res, err := b.ListMultipartUploads(aoss.UploadIDMarker("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")); err != nil || len(res.Uploads) != len(keys) {
		t.Fatalf("upload-id-marker alone: %+v %v", res, err)
	}

	// An aborted or completed upload is no longer listed.
	if err := b.AbortMultipartUpload(ids[0]); err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(ids[5], bytes.NewReader([]byte("done")), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompleteMultipartUpload(ids[5], []aoss.UploadPart{part}); err != nil {
		t.Fatal(err)
	}
	res, err = b.ListMultipartUploads()
	var left []string
	for _, u := range res.Uploads {
		left = append(left, u.UploadID)
	}
	sort.Strings(left)
	for _, gone := range []string{ids[0].UploadID, ids[5].UploadID} {
		if i := sort.SearchStrings(left, gone); i < len(left) && left[i] == gone {
			t.Errorf("upload %s still listed", gone)
		}
	}
	if err != nil || len(res.Uploads) != len(keys)-2 {
		t.Fatalf("after abort and complete: %+v %v", res, err)
	}

	wantCode(t, listUploadsErr(b, aoss.MaxUploads(1001)), "InvalidArgument", 400)
	p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":"acs:oss:*:*:`+testBucket+`/*"}]}`, 0)
	sb := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken)
	wantCode(t, listUploadsErr(sb), "AccessDenied", 403)
}

func listUploadsErr(b *aoss.Bucket, opts ...aoss.Option) error {
	_, err := b.ListMultipartUploads(opts...)
	return err
}

// (d) OSS writes ETags with literal quotation marks; encoding/xml would
// write &#34;. The SDK's decoder hides the difference, so the bytes are
// checked as they came over the wire.
func TestXMLQuotesAreLiteral(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	b := e.bucket(t, rootAK, rootSecret, "", aoss.HTTPClient(&http.Client{Transport: rec}))
	if err := b.PutObject(`uploads/it's "quoted".txt`, strings.NewReader("q")); err != nil {
		t.Fatal(err)
	}
	imur, err := b.InitiateMultipartUpload(`uploads/it's "quoted".bin`)
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(imur, bytes.NewReader(pattern(1000, 5)), 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	check := func(op string) {
		t.Helper()
		body := rec.last()
		if !strings.Contains(body, `<ETag>"`) || strings.Contains(body, "&#34;") || strings.Contains(body, "&#39;") {
			t.Errorf("%s body has escaped quotes:\n%s", op, body)
		}
	}
	if _, err := b.ListUploadedParts(imur); err != nil {
		t.Fatal(err)
	}
	check("ListParts")
	if _, err := b.UploadPartCopy(imur, testBucket, `uploads/it's "quoted".txt`, 0, 1, 2); err != nil {
		t.Fatal(err)
	}
	check("UploadPartCopy")
	if _, err := b.ListObjects(aoss.Prefix("uploads/it's")); err != nil {
		t.Fatal(err)
	}
	check("ListObjects")
	if _, err := b.CopyObject(`uploads/it's "quoted".txt`, "uploads/copy.txt"); err != nil {
		t.Fatal(err)
	}
	check("CopyObject")
	if _, err := b.CompleteMultipartUpload(imur, []aoss.UploadPart{part}); err != nil {
		t.Fatal(err)
	}
	check("CompleteMultipartUpload")
	// Keys keep their quotes too; '&' and '<' stay escaped as XML requires.
	if _, err := b.InitiateMultipartUpload(`uploads/a&b<c>"d'.bin`); err != nil {
		t.Fatal(err)
	}
	if body := rec.last(); !strings.Contains(body, `<Key>uploads/a&amp;b&lt;c&gt;"d'.bin</Key>`) {
		t.Errorf("InitiateMultipartUpload key: %s", body)
	}
}

// (e) What the emulator does not implement is refused with OSS's
// NotImplemented error, never answered with a success.
func TestUnimplementedIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.bucket(t, rootAK, rootSecret, "")
	if err := b.PutObject("uploads/k.png", strings.NewReader("png")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		method string
		key    string
		params map[string]interface{}
		opts   []aoss.Option
		body   string
	}{
		{"PutObject with an upload callback", "PUT", "uploads/cb.txt", nil, []aoss.Option{aoss.Callback("eyJjYWxsYmFja1VybCI6Imh0dHA6Ly8xMjcuMC4wLjEvIn0=")}, "x"},
		{"PutObject to Archive storage", "PUT", "uploads/archive.txt", nil, []aoss.Option{aoss.ObjectStorageClass(aoss.StorageArchive)}, "x"},
		{"InitiateMultipartUpload to ColdArchive", "POST", "uploads/cold.bin", map[string]interface{}{"uploads": nil}, []aoss.Option{aoss.ObjectStorageClass(aoss.StorageColdArchive)}, ""},
		{"CompleteMultipartUpload with a callback", "POST", "uploads/cb.bin", map[string]interface{}{"uploadId": "0123456789ABCDEF0123456789ABCDEF"}, []aoss.Option{aoss.Callback("e30=")}, ""},
		{"image processing", "GET", "uploads/k.png", map[string]interface{}{"x-oss-process": "image/resize,w_10"}, nil, ""},
		{"RestoreObject", "POST", "uploads/k.png", map[string]interface{}{"restore": nil}, nil, ""},
		{"GetBucketWebsite", "GET", "", map[string]interface{}{"website": nil}, nil, ""},
		{"PutBucketLifecycle", "PUT", "", map[string]interface{}{"lifecycle": nil}, nil, "<LifecycleConfiguration/>"},
		{"DeleteMultipleObjects", "POST", "", map[string]interface{}{"delete": nil}, nil, "<Delete/>"},
		{"GetBucketPolicy", "GET", "", map[string]interface{}{"policy": nil}, nil, ""},
		{"GetBucketAcl", "GET", "", map[string]interface{}{"acl": nil}, nil, ""},
		{"GetBucketLogging", "GET", "", map[string]interface{}{"logging": nil}, nil, ""},
		{"PutBucketReferer", "PUT", "", map[string]interface{}{"referer": nil}, nil, "<RefererConfiguration/>"},
		{"GetBucketVersioning", "GET", "", map[string]interface{}{"versioning": nil}, nil, ""},
		{"ListObjectVersions", "GET", "", map[string]interface{}{"versions": nil}, nil, ""},
		{"GetBucketLocation", "GET", "", map[string]interface{}{"location": nil}, nil, ""},
		{"GetBucketInfo", "GET", "", map[string]interface{}{"bucketInfo": nil}, nil, ""},
		{"PutBucket", "PUT", "", nil, nil, ""},
		{"DeleteBucket", "DELETE", "", nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			resp, err := b.Do(c.method, c.key, c.params, c.opts, body, nil)
			if err == nil {
				resp.Body.Close()
			}
			wantCode(t, err, "NotImplemented", 501)
		})
	}
	if ok, err := b.IsObjectExist("uploads/cb.txt"); err != nil || ok {
		t.Errorf("a refused callback upload stored the object: %v %v", ok, err)
	}
	if ok, err := b.IsObjectExist("uploads/archive.txt"); err != nil || ok {
		t.Errorf("a refused Archive upload stored the object: %v %v", ok, err)
	}
	// Standard is the class the emulator stores: accepted.
	if err := b.PutObject("uploads/std.txt", strings.NewReader("x"), aoss.ObjectStorageClass(aoss.StorageStandard)); err != nil {
		t.Errorf("Standard storage class refused: %v", err)
	}
}

// Checks the conformance table lists for multipart and GetObject that the
// SDK suite does not exercise.
func TestMultipartAndGetDetails(t *testing.T) {
	e := newEnv(t)
	b := e.bucket(t, rootAK, rootSecret, "")
	if err := b.PutObject("uploads/exists.csv", strings.NewReader("a,b\n")); err != nil {
		t.Fatal(err)
	}
	t.Run("initiate with forbid-overwrite", func(t *testing.T) {
		_, err := b.InitiateMultipartUpload("uploads/exists.csv", aoss.ForbidOverWrite(true))
		wantCode(t, err, "FileAlreadyExists", 409)
	})
	imur, err := b.InitiateMultipartUpload("uploads/parts.bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("part number bounds", func(t *testing.T) {
		for _, n := range []int{0, 10001} {
			_, err := b.UploadPart(imur, strings.NewReader("x"), 1, n)
			wantCode(t, err, "InvalidArgument", 400)
		}
	})
	var parts []aoss.UploadPart
	for n := 1; n <= 5; n++ {
		p, err := b.UploadPart(imur, bytes.NewReader(pattern(100*1024, byte(n))), 100*1024, n)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	t.Run("ListParts paging", func(t *testing.T) {
		page, err := b.ListUploadedParts(imur, aoss.MaxParts(2), aoss.PartNumberMarker(1))
		if err != nil || len(page.UploadedParts) != 2 || page.UploadedParts[0].PartNumber != 2 || !page.IsTruncated || page.NextPartNumberMarker != "3" {
			t.Fatalf("ListUploadedParts(max 2 after 1) = %+v, %v", page, err)
		}
		last, err := b.ListUploadedParts(imur, aoss.PartNumberMarker(3))
		if err != nil || len(last.UploadedParts) != 2 || last.IsTruncated || last.UploadedParts[1].ETag != parts[4].ETag {
			t.Fatalf("ListUploadedParts(after 3) = %+v, %v", last, err)
		}
		_, err = b.ListUploadedParts(imur, aoss.MaxParts(1001))
		wantCode(t, err, "InvalidArgument", 400)
	})
	t.Run("complete-all", func(t *testing.T) {
		res, err := b.CompleteMultipartUpload(imur, nil, aoss.SetHeader("x-oss-complete-all", "yes"))
		if err != nil || !strings.HasSuffix(res.ETag, `-5"`) {
			t.Fatalf("complete-all: %+v, %v", res, err)
		}
		h, err := b.GetObjectDetailedMeta("uploads/parts.bin")
		if err != nil || h.Get("Content-Length") != fmt.Sprint(5*100*1024) {
			t.Fatalf("completed object %v, %v", h, err)
		}
	})
	t.Run("response overrides", func(t *testing.T) {
		var h http.Header
		rc, err := b.GetObject("uploads/exists.csv", aoss.ResponseContentType("text/csv"), aoss.ResponseContentDisposition("attachment"), aoss.GetResponseHeader(&h))
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if h.Get("Content-Type") != "text/csv" || h.Get("Content-Disposition") != "attachment" {
			t.Errorf("overrides not applied: %v", h)
		}
	})
}

// CopyObject's x-oss-copy-source-if-* conditions: 412 for if-match and
// if-unmodified-since, 304 for if-none-match and if-modified-since, and
// nothing copied when they fail.
func TestCopyObjectConditions(t *testing.T) {
	e := newEnv(t)
	b := e.bucket(t, rootAK, rootSecret, "")
	if err := b.PutObject("uploads/src.txt", strings.NewReader("source")); err != nil {
		t.Fatal(err)
	}
	h, err := b.GetObjectDetailedMeta("uploads/src.txt")
	if err != nil {
		t.Fatal(err)
	}
	etag := h.Get("ETag")
	modified, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil {
		t.Fatal(err)
	}
	const other = `"0123456789ABCDEF0123456789ABCDEF"`
	before, after := modified.Add(-time.Hour), modified.Add(time.Hour)
	for i, c := range []struct {
		name   string
		opt    aoss.Option
		status int // 200 copied, 304, 412
	}{
		{"if-match same", aoss.CopySourceIfMatch(etag), 200},
		{"if-match other", aoss.CopySourceIfMatch(other), 412},
		{"if-none-match other", aoss.CopySourceIfNoneMatch(other), 200},
		{"if-none-match same", aoss.CopySourceIfNoneMatch(etag), 304},
		{"if-unmodified-since after", aoss.CopySourceIfUnmodifiedSince(after), 200},
		{"if-unmodified-since before", aoss.CopySourceIfUnmodifiedSince(before), 412},
		{"if-modified-since before", aoss.CopySourceIfModifiedSince(before), 200},
		{"if-modified-since after", aoss.CopySourceIfModifiedSince(after), 304},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := fmt.Sprintf("uploads/dst-%d.txt", i)
			_, err := b.CopyObject("uploads/src.txt", dst, c.opt)
			switch c.status {
			case 200:
				if err != nil {
					t.Fatalf("CopyObject: %v", err)
				}
			case 304:
				if !notModified(err) {
					t.Fatalf("CopyObject err = %v, want a 304", err)
				}
			default:
				wantCode(t, err, "PreconditionFailed", 412)
			}
			if ok, err := b.IsObjectExist(dst); err != nil || ok != (c.status == 200) {
				t.Errorf("target exists = %v (%v) after a %d", ok, err, c.status)
			}
		})
	}
	p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":"acs:oss:*:*:`+testBucket+`/*"}]}`, 0)
	sb := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken)
	_, err = sb.CopyObject("uploads/src.txt", "uploads/x.txt", aoss.CopySourceIfMatch(other))
	wantCode(t, err, "AccessDenied", 403)
}
