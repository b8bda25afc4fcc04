package oss

import (
	"crypto/md5"
	"encoding/xml"
	"errors"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/osspolicy"
)

const (
	maxObjectSize     = 5 << 30 // 5 GB
	maxFieldNameBytes = 8 << 10
	maxFieldBytes     = 2 << 20
	maxFormBytes      = 16 << 20 // all non-file fields together
)

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Bucket   string   `xml:"Bucket"`
	Location string   `xml:"Location"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postForm is a PostObject form read up to and including the file part.
type postForm struct {
	fields   map[string]string // lower-cased names
	fileName string
	fileType string
	staged   Staged
}

func errFieldTooLong() *Error {
	return newError(http.StatusBadRequest, "FieldItemTooLong", "Your form field item is too long.", "")
}

// readPostForm streams the multipart body: fields are kept (bounded), the
// file part goes straight to a staged file in the store. Fields after the
// file are not considered.
func (s *Server) readPostForm(r *http.Request) (*postForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, newError(http.StatusBadRequest, "RequestIsNotMultiPartContent", "Bucket POST must be of the enclosure-type multipart/form-data", "")
	}
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, newError(http.StatusBadRequest, "IncorrectNumberOfFilesInPOSTRequest", "POST requires exactly one file upload per request.", "")
		}
		if err != nil {
			return nil, errInvalidArgument("The multipart/form-data body is malformed.")
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			part.Close()
			continue
		}
		if len(name) > maxFieldNameBytes {
			return nil, errFieldTooLong()
		}
		if name == "file" {
			return s.readPostFile(f, part)
		}
		var b strings.Builder
		n, err := io.Copy(&b, io.LimitReader(part, maxFieldBytes+1))
		part.Close()
		if err != nil {
			return nil, errInvalidArgument("The multipart/form-data body is malformed.")
		}
		total += int(n) + len(name)
		if n > maxFieldBytes || total > maxFormBytes {
			return nil, errFieldTooLong()
		}
		f.fields[name] = b.String()
	}
}

func (s *Server) readPostFile(f *postForm, part *multipart.Part) (*postForm, error) {
	defer part.Close()
	f.fileName, f.fileType = part.FileName(), part.Header.Get("Content-Type")
	st, err := s.store.Stage(io.LimitReader(part, maxObjectSize+1))
	if err != nil {
		return nil, err
	}
	if st.Size > maxObjectSize {
		_ = s.store.Discard(st)
		return nil, newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", "")
	}
	f.staged = st
	return f, nil
}

// postObject handles a browser form upload (multipart POST to the bucket
// root): the form is read, the policy evaluated on the un-expanded values,
// the signature (V1 or V4) and STS token checked, ${filename} expanded, the
// key authorised for oss:PutObject and the file committed.
func (s *Server) postObject(w http.ResponseWriter, rq *request, b Bucket) error {
	r := rq.r
	var bodyMD5 hash.Hash
	if r.Header.Get("Content-MD5") != "" {
		bodyMD5 = md5.New()
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, bodyMD5), r.Body}
	}
	form, err := s.readPostForm(r)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = s.store.Discard(form.staged)
		}
	}()
	if bodyMD5 != nil {
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, maxFormBytes)); err != nil {
			return errInvalidArgument("The multipart/form-data body is malformed.")
		}
		if err := checkMD5(r.Header.Get("Content-MD5"), bodyMD5.Sum(nil)); err != nil {
			return err
		}
	}
	fields := form.fields
	key, ok := fields["key"]
	if !ok || key == "" {
		return errInvalidArgument("The bucket POST must contain the specified 'key'. If it is specified, please check the order of the fields")
	}
	if rq.principal, err = s.postAuth(rq, form); err != nil {
		return err
	}
	key = strings.ReplaceAll(key, "${filename}", form.fileName)
	if len(key) > 1023 {
		return errInvalidArgument("The length of the object name must be less than 1024.")
	}
	rq.key = key
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, key), nil); err != nil {
		return err
	}
	if err := refusePublicACLValue(fields["x-oss-object-acl"], b); err != nil {
		return err
	}
	// A form field x-oss-tagging is treated as PutObject's header: tags set
	// at upload need oss:PutObjectTagging of the signer besides
	// oss:PutObject ("To add tags to an object, you must have permissions to
	// call the PutObjectTagging operation", and tags may be added "when and
	// after you upload the object": OSS user guide, object tagging,
	// https://www.alibabacloud.com/help/doc-detail/154383.htm). The PostObject
	// reference does not say whether the field is honoured; refusing it for a
	// signer without the permission is the stricter reading, so an uploader
	// who adds the field to a form the sign role signed (forged
	// upload-status=verified tags) is refused here as it would be at OSS if
	// OSS honours it, and OSS ignoring it could not store the tags either.
	var formTags []Tag
	if v, ok := fields["x-oss-tagging"]; ok {
		if err := s.authorizeUploadTags(rq, true); err != nil {
			return err
		}
		if formTags, err = parseTaggingHeader(v); err != nil {
			return err
		}
	}
	// x-oss-server-side-encryption: AES256, KMS or SM4, else 400
	// InvalidEncryptionAlgorithmError; echoed in the response (OSS API
	// reference "PostObject", form fields and error codes). The emulator
	// stores plain bytes either way.
	sse, hasSSE := fields["x-oss-server-side-encryption"]
	if hasSSE && sse != "AES256" && sse != "KMS" && sse != "SM4" {
		return newError(http.StatusBadRequest, "InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. Supported value: AES256/KMS/SM4.", "")
	}
	obj := Object{Bucket: rq.bucket, Key: key, LastModified: rq.now.UTC(),
		ContentDisposition: fields["content-disposition"], CacheControl: fields["cache-control"],
		ContentEncoding: fields["content-encoding"], Expires: fields["expires"], Tags: formTags}
	for _, ct := range []string{fields["x-oss-content-type"], fields["content-type"], form.fileType, "application/octet-stream"} {
		if ct != "" {
			obj.ContentType = ct
			break
		}
	}
	size := 0
	for name, v := range fields {
		if m, ok := strings.CutPrefix(name, "x-oss-meta-"); ok && m != "" {
			if obj.Meta == nil {
				obj.Meta = map[string]string{}
			}
			obj.Meta[m] = v
			size += len(m) + len(v)
		}
	}
	if size > maxMetaBytes {
		return errInvalidArgument("Your metadata headers exceed the maximum allowed metadata size.")
	}
	old := s.previousSize(rq.bucket, key)
	committed = true // commit consumes or discards the staged file
	obj, err = s.commit(form.staged, obj, "", forbidOverwrite(fields["x-oss-forbid-overwrite"]) || s.overwriteForbidden(rq, key))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	if hasSSE {
		h.Set("x-oss-server-side-encryption", sse)
	}
	s.publish(rq, "ObjectCreated:PostObject", obj, obj.Size-old)
	if redirect := fields["success_action_redirect"]; redirect != "" {
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			q := u.Query()
			q.Set("bucket", rq.bucket)
			q.Set("key", key)
			q.Set("etag", quoteETag(obj.ETag))
			u.RawQuery = q.Encode()
			h.Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return nil
		}
	}
	switch fields["success_action_status"] {
	case "200":
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case "201":
		loc := "http://" + r.Host + "/"
		if bucket, _ := resolve(r.Host, "/"+rq.bucket); bucket == rq.bucket && !strings.HasPrefix(strings.ToLower(r.Host), rq.bucket+".") {
			loc += rq.bucket + "/"
		}
		writeXML(w, http.StatusCreated, postResponse{Bucket: rq.bucket, Location: loc + key, Key: key, ETag: quoteETag(obj.ETag)})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// postAuth authenticates a PostObject form: the V1 trio (OSSAccessKeyId,
// policy, Signature) or the V4 set (x-oss-signature-version,
// x-oss-credential, x-oss-date, x-oss-signature, policy), plus
// x-oss-security-token for STS keys. Without any, the request is anonymous.
func (s *Server) postAuth(rq *request, form *postForm) (*iam.Principal, error) {
	f := form.fields
	_, hasAK := f["ossaccesskeyid"]
	_, hasSig := f["signature"]
	_, hasPolicy := f["policy"]
	v4 := f["x-oss-signature-version"] != "" || f["x-oss-credential"] != "" || f["x-oss-signature"] != ""
	switch {
	case v4:
		return s.postAuthV4(rq, form)
	case hasAK || hasSig || hasPolicy:
		if f["ossaccesskeyid"] == "" || f["policy"] == "" || f["signature"] == "" {
			return nil, errInvalidArgument("If any of OSSAccessKeyId, policy and Signature is present, all three must be.")
		}
		p, err := s.principal(f["ossaccesskeyid"], f["x-oss-security-token"], rq.now)
		if err != nil {
			return nil, err
		}
		if err := s.evaluatePolicy(rq, form); err != nil {
			return nil, err
		}
		if !osspolicy.VerifyV1(p.AccessKeySecret, f["policy"], f["signature"]) {
			return nil, signatureMismatch("0002-00000705", p.AccessKeyID, f["signature"], f["policy"])
		}
		return p, nil
	}
	return nil, nil
}

func (s *Server) postAuthV4(rq *request, form *postForm) (*iam.Principal, error) {
	f := form.fields
	if v := f["x-oss-signature-version"]; v != osspolicy.SignatureVersionV4 {
		return nil, errInvalidArgument("Unsupported x-oss-signature-version: " + v + ".")
	}
	if _, ok := f["policy"]; !ok {
		e := errInvalidArgument("The policy form field is required for V4 POST.")
		e.EC = "0002-00000702"
		return nil, e
	}
	if sig, ok := f["x-oss-signature"]; !ok || sig == "" {
		e := errInvalidArgument("The x-oss-signature form field is required and must not be empty.")
		e.EC = "0002-00000703"
		if ok {
			e.EC = "0002-00000704"
		}
		return nil, e
	}
	cred, err := osspolicy.ParseCredential(f["x-oss-credential"])
	if err != nil {
		return nil, fromPolicyError(err)
	}
	if s.region != "" && cred.Region != s.region {
		return nil, errInvalidArgument("Invalid signing region in credential: " + cred.Region + ", expected " + s.region + ".")
	}
	// The signing fields must be named by the policy; the 0006-00000228
	// example (x-oss-date "abc", uncovered) shows this is checked before
	// the date itself.
	if err := osspolicy.CheckV4Coverage(f["policy"], f); err != nil {
		return nil, fromPolicyError(err)
	}
	p, err := s.principal(cred.AccessKeyID, f["x-oss-security-token"], rq.now)
	if err != nil {
		return nil, err
	}
	if _, err := osspolicy.CheckV4Date(f["x-oss-date"], cred, rq.now); err != nil {
		var pe *osspolicy.Error
		if t, perr := time.Parse(isoBasic, f["x-oss-date"]); perr == nil && errors.As(err, &pe) && pe.Code == "RequestTimeTooSkewed" {
			return nil, checkSkew(t, rq.now) // the same body as header requests, with ServerTime
		}
		return nil, fromPolicyError(err)
	}
	if err := s.evaluatePolicy(rq, form); err != nil {
		return nil, err
	}
	if !osspolicy.VerifyV4(p.AccessKeySecret, cred, f["policy"], f["x-oss-signature"]) {
		return nil, signatureMismatch("0002-00000705", p.AccessKeyID, f["x-oss-signature"], f["policy"])
	}
	return p, nil
}
