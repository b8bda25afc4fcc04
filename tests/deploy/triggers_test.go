package deploy

import (
	"fmt"
	"slices"
	"strings"
)

// Rules shared by s.yaml and template.yaml about what each trigger must be.

// uploaderEvents are the OSS events of every object an uploader can create
// with oss:PutObject: a single PutObject (ali-oss put, SDKs), a PostObject
// form, a completed multipart upload (ali-oss multipartUpload), and
// AppendObject and PutSymlink, which oss:PutObject allows as well (see
// local/oss/append.go and symlink.go). The verify function needs all five,
// or such an object is never judged.
var uploaderEvents = []string{
	"oss:ObjectCreated:PutObject",
	"oss:ObjectCreated:PostObject",
	"oss:ObjectCreated:CompleteMultipartUpload",
	"oss:ObjectCreated:AppendObject",
	"oss:ObjectCreated:PutSymlink",
}

// ownWriteEvents are events the verify function's own writes raise
// (CopyObject into the quarantine prefix) or that include them.
var ownWriteEvents = []string{
	"oss:ObjectCreated:*",
	"oss:ObjectCreated:CopyObject",
	"oss:ObjectCreated:UploadPartCopy",
	"oss:ObjectModified:UpdateObjectMeta",
}

// checkHTTPTrigger: browsers call sign and sts with a bearer JWT that the
// function checks (anonymous at the trigger) or that FC checks (jwt); FC's
// "function" auth would need request signatures browsers cannot make. The
// function serves GET, POST and the CORS preflight OPTIONS.
func checkHTTPTrigger(where string, cfg map[string]any) []error {
	var errs []error
	auth := str(cfg["authType"])
	if auth != "anonymous" && auth != "jwt" {
		errs = append(errs, fmt.Errorf("%s: authType %q: browsers need anonymous (the function checks the JWT) or jwt", where, auth))
	}
	methods := strList(cfg["methods"])
	for _, m := range []string{"GET", "POST", "OPTIONS"} {
		if !slices.Contains(methods, m) {
			errs = append(errs, fmt.Errorf("%s: methods %v lack %s, which the function serves", where, methods, m))
		}
	}
	if d, ok := cfg["disableURLInternet"].(bool); ok && d {
		errs = append(errs, fmt.Errorf("%s: disableURLInternet is true: browsers could not reach the trigger", where))
	}
	return errs
}

// checkOSSTrigger: the verify trigger sees every object an uploader creates
// under the upload prefix and nothing the function writes itself.
func checkOSSTrigger(where string, cfg map[string]any, uploadPrefix, quarantinePrefix string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
	}
	events := strList(cfg["events"])
	for _, e := range events {
		switch {
		case slices.Contains(ownWriteEvents, e):
			bad("event %s can fire on the function's own writes (it copies rejected objects into %q)", e, quarantinePrefix)
		case !slices.Contains(uploaderEvents, e):
			bad("event %s is not a finished upload", e)
		}
	}
	for _, e := range uploaderEvents {
		if !slices.Contains(events, e) {
			bad("events lack %s: those uploads would never be verified", e)
		}
	}
	key, _ := at(cfg, "filter", "key")
	km, _ := key.(map[string]any)
	prefix, suffix := str(km["prefix"]), str(km["suffix"])
	if prefix == "" {
		bad("empty filter prefix matches the whole bucket: can fire on the function's own writes under %q", quarantinePrefix)
	} else if prefix != uploadPrefix {
		bad("filter prefix %q is not UPLOAD_PREFIX %q", prefix, uploadPrefix)
	}
	// A quarantined object's key is QUARANTINE_PREFIX + the original key,
	// which itself starts with UPLOAD_PREFIX.
	if q := quarantinePrefix + uploadPrefix; prefix != "" && (strings.HasPrefix(q, prefix) || strings.HasPrefix(prefix, quarantinePrefix)) {
		bad("quarantined keys (%s...) match the filter prefix %q: can fire on the function's own writes", q, prefix)
	}
	if suffix != "" {
		bad("filter suffix %q would leave other uploads unverified", suffix)
	}
	if strings.HasPrefix(quarantinePrefix, uploadPrefix) || strings.HasPrefix(uploadPrefix, quarantinePrefix) {
		bad("QUARANTINE_PREFIX %q overlaps UPLOAD_PREFIX %q", quarantinePrefix, uploadPrefix)
	}
	return errs
}
