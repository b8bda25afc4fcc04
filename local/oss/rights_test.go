package oss_test

import (
	"bytes"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/oss"
)

// What a caller allowed only oss:PutObject can still do on OSS, through the
// official Go SDK: set an object ACL with x-oss-object-acl (refused only by
// the bucket's Block Public Access), append, create symlinks; and
// x-oss-forbid-overwrite on every write that takes it.

type eventLog struct {
	mu     sync.Mutex
	events []oss.Event
}

func (l *eventLog) Publish(e oss.Event) { l.mu.Lock(); l.events = append(l.events, e); l.mu.Unlock() }

func (l *eventLog) names(key string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if e.Key == key {
			out = append(out, e.Name)
		}
	}
	return out
}

// putOnlySession is an uploader session whose session policy allows only
// oss:PutObject under uploads/user-42/ (what the sts function vends, minus
// the multipart housekeeping actions).
func putOnlySession(t *testing.T, e *env) *aoss.Bucket {
	c := assumeUploader(t, e, `"oss:PutObject"`)
	return e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
}

func objectType(t *testing.T, b *aoss.Bucket, key string) http.Header {
	t.Helper()
	h, err := b.GetObjectDetailedMeta(key)
	if err != nil {
		t.Fatalf("HEAD %s: %v", key, err)
	}
	return h
}

func TestObjectACLHeaderAndBlockPublicAccess(t *testing.T) {
	e := newEnv(t)
	root := e.bucket(t, rootAK, rootSecret, "")
	up := putOnlySession(t, e)
	const dir = "uploads/user-42/"

	// Without Block Public Access, OSS lets oss:PutObject set the ACL.
	if err := up.PutObject(dir+"open.txt", strings.NewReader("x"), aoss.ObjectACL(aoss.ACLPublicRead)); err != nil {
		t.Fatalf("public-read without Block Public Access: %v", err)
	}
	wantCode(t, up.PutObject(dir+"bad-acl.txt", strings.NewReader("x"), aoss.SetHeader("x-oss-object-acl", "world")), "InvalidArgument", 400)

	if err := e.srv.SetBlockPublicAccess(testBucket, true); err != nil {
		t.Fatal(err)
	}
	for _, acl := range []aoss.ACLType{aoss.ACLPublicRead, aoss.ACLPublicReadWrite} {
		wantCode(t, up.PutObject(dir+"pub.txt", strings.NewReader("x"), aoss.ObjectACL(acl)), "AccessDenied", 403)
		_, err := up.InitiateMultipartUpload(dir+"pub.bin", aoss.ObjectACL(acl))
		wantCode(t, err, "AccessDenied", 403)
		_, err = up.AppendObject(dir+"pub.log", strings.NewReader("x"), 0, aoss.ObjectACL(acl))
		wantCode(t, err, "AccessDenied", 403)
		wantCode(t, up.PutSymlink(dir+"pub.lnk", dir+"open.txt", aoss.ObjectACL(acl)), "AccessDenied", 403)
		// Even the account itself cannot: Block Public Access is not RAM.
		_, err = root.CopyObject(dir+"open.txt", dir+"pub-copy.txt", aoss.ObjectACL(acl))
		wantCode(t, err, "AccessDenied", 403)
	}
	if _, err := up.GetObjectDetailedMeta(dir + "pub.txt"); err == nil {
		t.Fatal("a refused upload stored an object")
	}
	// Private and default stay allowed.
	for _, acl := range []aoss.ACLType{aoss.ACLPrivate, aoss.ACLDefault} {
		if err := up.PutObject(dir+"private.txt", strings.NewReader("x"), aoss.ObjectACL(acl)); err != nil {
			t.Fatalf("%s under Block Public Access: %v", acl, err)
		}
	}
	// The switch survives CreateBucket (which the stack calls at start).
	if err := e.srv.CreateBucket(testBucket, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, up.PutObject(dir+"pub.txt", strings.NewReader("x"), aoss.ObjectACL(aoss.ACLPublicRead)), "AccessDenied", 403)
}

func TestAppendObject(t *testing.T) {
	e := newEnv(t)
	log := &eventLog{}
	e.srv = e.newServer(t, log)
	e.url = serve(t, e.srv)
	up := putOnlySession(t, e)
	root := e.bucket(t, rootAK, rootSecret, "")
	const key = "uploads/user-42/a.log"

	next, err := up.AppendObject(key, strings.NewReader("hello "), 0, aoss.ContentType("image/png"))
	if err != nil || next != 6 {
		t.Fatalf("first append: next %d, %v", next, err)
	}
	// The SDK checks the CRC-64 of the whole object when given the previous one.
	if next, err = up.AppendObject(key, strings.NewReader("world"), 6, aoss.InitCRC(crc64.Checksum([]byte("hello "), crc64.MakeTable(crc64.ECMA)))); err != nil || next != 11 {
		t.Fatalf("second append: next %d, %v", next, err)
	}
	_, err = up.AppendObject(key, strings.NewReader("!"), 6)
	wantCode(t, err, "PositionNotEqualToLength", 409)
	_, err = up.AppendObject("uploads/user-42/new.log", strings.NewReader("!"), 3)
	wantCode(t, err, "PositionNotEqualToLength", 409)

	h := objectType(t, root, key)
	if h.Get("X-Oss-Object-Type") != "Appendable" || h.Get("X-Oss-Next-Append-Position") != "11" ||
		h.Get("Content-Type") != "image/png" || h.Get("Content-Length") != "11" {
		t.Fatalf("HEAD of an appendable object: %v", h)
	}
	list, err := root.ListObjects(aoss.Prefix(key))
	if err != nil || len(list.Objects) != 1 || list.Objects[0].Type != "Appendable" {
		t.Fatalf("ListObjects: %+v %v", list.Objects, err)
	}
	rc, err := root.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "hello world" {
		t.Fatalf("content %q", got)
	}
	if names := log.names(key); len(names) != 2 || names[0] != "ObjectCreated:AppendObject" || names[1] != "ObjectCreated:AppendObject" {
		t.Fatalf("events %v", names)
	}

	// A Normal object is not appendable; PutObject over an appendable one
	// makes it Normal.
	const normal = "uploads/user-42/n.txt"
	if err := up.PutObject(normal, strings.NewReader("n")); err != nil {
		t.Fatal(err)
	}
	_, err = up.AppendObject(normal, strings.NewReader("x"), 1)
	wantCode(t, err, "ObjectNotAppendable", 409)
	if err := up.PutObject(key, strings.NewReader("replaced")); err != nil {
		t.Fatal(err)
	}
	if typ := objectType(t, root, key).Get("X-Oss-Object-Type"); typ != "Normal" {
		t.Fatalf("after PutObject: %s", typ)
	}
	// Appending needs oss:PutObject like any upload.
	_, err = up.AppendObject("uploads/user-43/a.log", strings.NewReader("x"), 0)
	wantCode(t, err, "AccessDenied", 403)
}

func TestPutSymlink(t *testing.T) {
	e := newEnv(t)
	log := &eventLog{}
	e.srv = e.newServer(t, log)
	e.url = serve(t, e.srv)
	up := putOnlySession(t, e)
	root := e.bucket(t, rootAK, rootSecret, "")
	const dir = "uploads/user-42/"
	page := []byte("<html><script>alert(1)</script>")
	if err := root.PutObject("site/page.html", bytes.NewReader(page), aoss.ContentType("text/html")); err != nil {
		t.Fatal(err)
	}

	// oss:PutObject is enough, the target is not checked (it is outside the
	// uploader's prefix and may not even exist).
	if err := up.PutSymlink(dir+"x.png", "site/page.html", aoss.ContentType("image/png")); err != nil {
		t.Fatalf("PutSymlink: %v", err)
	}
	if err := up.PutSymlink(dir+"dangling.png", "site/none.html"); err != nil {
		t.Fatalf("PutSymlink to a missing target: %v", err)
	}
	if names := log.names(dir + "x.png"); len(names) != 1 || names[0] != "ObjectCreated:PutSymlink" {
		t.Fatalf("events %v", names)
	}

	h := objectType(t, root, dir+"x.png")
	target := objectType(t, root, "site/page.html")
	if h.Get("X-Oss-Object-Type") != "Symlink" || h.Get("Content-Type") != "image/png" ||
		h.Get("Content-Length") != target.Get("Content-Length") || h.Get("ETag") != target.Get("ETag") {
		t.Fatalf("HEAD of a symlink %v (target %v)", h, target)
	}
	rc, err := root.GetObject(dir + "x.png")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, page) {
		t.Fatalf("GET through the link: %q", got)
	}
	list, err := root.ListObjects(aoss.Prefix(dir + "x.png"))
	if err != nil || len(list.Objects) != 1 || list.Objects[0].Type != "Symlink" {
		t.Fatalf("ListObjects: %+v %v", list.Objects, err)
	}
	sh, err := root.GetSymlink(dir + "x.png")
	if err != nil || sh.Get(aoss.HTTPHeaderOssSymlinkTarget) != "site/page.html" {
		t.Fatalf("GetSymlink: %v %v", sh, err)
	}
	_, err = root.GetObject(dir + "dangling.png")
	wantCode(t, err, "SymlinkTargetNotExist", 404)
	if err := root.PutSymlink(dir+"chain.png", dir+"x.png"); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetObject(dir + "chain.png")
	wantCode(t, err, "InvalidTargetType", 400)
	wantCode(t, up.PutSymlink("uploads/user-43/x.png", "site/page.html"), "AccessDenied", 403)
}

// x-oss-forbid-overwrite is honoured on every write that takes it, and only
// true or false is a valid value.
func TestForbidOverwriteEveryWrite(t *testing.T) {
	e := newEnv(t)
	root := e.bucket(t, rootAK, rootSecret, "")
	const key = "uploads/user-42/kept.txt"
	if err := root.PutObject(key, strings.NewReader("original")); err != nil {
		t.Fatal(err)
	}
	forbid := aoss.ForbidOverWrite(true)
	wantCode(t, root.PutObject(key, strings.NewReader("x"), forbid), "FileAlreadyExists", 409)
	_, err := root.CopyObject("uploads/user-42/kept.txt", key, forbid)
	wantCode(t, err, "FileAlreadyExists", 409)
	wantCode(t, root.PutSymlink(key, "elsewhere", forbid), "FileAlreadyExists", 409)
	imur, err := root.InitiateMultipartUpload(key)
	if err != nil {
		t.Fatal(err)
	}
	part, err := root.UploadPart(imur, strings.NewReader("p"), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.CompleteMultipartUpload(imur, []aoss.UploadPart{part}, forbid)
	wantCode(t, err, "FileAlreadyExists", 409)
	wantCode(t, root.PutObject(key, strings.NewReader("x"), aoss.SetHeader("x-oss-forbid-overwrite", "yes")), "InvalidArgument", 400)
	wantCode(t, root.PutSymlink(key, "elsewhere", aoss.SetHeader("x-oss-forbid-overwrite", "1")), "InvalidArgument", 400)

	rc, err := root.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "original" {
		t.Fatalf("overwritten: %q", got)
	}
	if typ := objectType(t, root, key).Get("X-Oss-Object-Type"); typ != "Normal" {
		t.Fatalf("type %s", typ)
	}
}

// OSS's naming rules refuse only invalid UTF-8, more than 1,023 bytes and a
// leading slash or backslash: control characters are valid key bytes.
func TestObjectNamingRules(t *testing.T) {
	e := newEnv(t)
	up := putOnlySession(t, e)
	for _, key := range []string{"uploads/user-42/nul\x00.png", "uploads/user-42/bell\a\r\n.png", "uploads/user-42/del\x7f.png"} {
		if err := up.PutObject(key, strings.NewReader("x")); err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
		if _, err := up.GetObjectMeta(key); err == nil {
			t.Fatalf("%q: the upload-only session could read", key)
		}
		root := e.bucket(t, rootAK, rootSecret, "")
		if _, err := root.GetObjectMeta(key); err != nil {
			t.Fatalf("%q was not stored under its exact name: %v", key, err)
		}
	}
	for _, key := range []string{"uploads/user-42/\xff.png", "\\uploads/user-42/a.png"} {
		wantCode(t, up.PutObject(key, strings.NewReader("x")), "InvalidObjectName", 400)
	}
	wantCode(t, up.PutObject("uploads/user-42/"+strings.Repeat("k", 1008), strings.NewReader("x")), "InvalidObjectName", 400)
}

// serve puts srv on loopback HTTP and returns its URL.
func serve(t *testing.T, srv *oss.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}
