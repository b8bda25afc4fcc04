// Package uploadroutes provides upload routes: named rule sets (allowed
// types, size range, directory under the user's prefix, policy expiry,
// upload paths, overwrite) that a caller picks per upload, as UploadThing's
// file routes do. A route's name is pinned on each object as user metadata
// (x-oss-meta-route), and verify judges an object by the route whose
// directory holds its key, which must be the pinned one.
//
// Routes come from UPLOAD_ROUTES (FromEnv). Without it, a single route
// named "default" is made from the UPLOAD_* rules with no directory, so
// keys and checks stay exactly as without routes. Everything here is pure:
// no clock, environment or I/O.
package uploadroutes

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Upload paths a route may allow; the same words as uploadhook.Request.Via.
const (
	PathForm    = "form"    // sign: the PostObject form
	PathPresign = "presign" // sign: POST /presign, presigned multipart
	PathSTS     = "sts"     // sts: temporary credentials
)

// AllPaths is every path, the default of a route's paths.
var AllPaths = []string{PathForm, PathPresign, PathSTS}

// DefaultName is the name of the route made from the UPLOAD_* rules when
// UPLOAD_ROUTES is not set.
const DefaultName = "default"

// MetaName is the user metadata that pins an object's route: the header
// MetaHeader on upload, Meta["route"] in what OSS returns.
const (
	MetaName   = "route"
	MetaHeader = "x-oss-meta-" + MetaName
)

// Route is one named rule set.
type Route struct {
	Name string
	// Dir is the directory under the user's prefix that holds this
	// route's keys ("avatars"); "" only for the default route.
	Dir string
	// AllowedTypes are exact media types, or wildcards where the operator
	// wrote them; matched as uploadrules.Rules.TypeAllowed does.
	AllowedTypes []string
	// MinBytes and MaxBytes bound an object's size, inclusive.
	MinBytes, MaxBytes int64
	// PolicyExpiry is how long a form policy or presigned URL stays
	// valid; 0 means the function's default.
	PolicyExpiry time.Duration
	// Paths are the upload paths the route allows (Path* constants).
	Paths []string
	// Overwrite: may the verified object be replaced.
	Overwrite bool
}

// Allows reports whether the route may be used through path (PathForm,
// PathPresign or PathSTS).
func (r Route) Allows(path string) bool { return slices.Contains(r.Paths, path) }

// Rules returns base narrowed to the route: the same prefix, the route's
// maximum size and types. verify judges the rest of an object (type
// agreement, active content, sniffing) with these rules.
func (r Route) Rules(base uploadrules.Rules) uploadrules.Rules {
	return uploadrules.Rules{Prefix: base.Prefix, MaxBytes: r.MaxBytes, AllowedTypes: r.AllowedTypes}
}

// CheckDeclared checks what a caller declares for this route before
// anything is signed, as uploadrules.Rules.CheckDeclared does with the
// route's maximum and types, and also a declared size below MinBytes
// (too_small). A size of 0 is "not declared": the signed size range still
// holds the minimum. Errors are *uploadrules.Error.
func (r Route) CheckDeclared(size int64, contentType string) error {
	if err := r.Rules(uploadrules.Rules{}).CheckDeclared(size, contentType); err != nil {
		if t := uploadrules.MediaType(contentType); errors.Is(err, uploadrules.ErrTypeNotAllowed) && uploadrules.IsActive(t) && r.Rules(uploadrules.Rules{}).TypeAllowed(t) {
			// uploadrules' message names UPLOAD_ALLOWED_TYPES; here the
			// route's list is the one that must name the type.
			return &uploadrules.Error{Code: uploadrules.CodeTypeNotAllowed,
				Message: "active content (HTML, SVG, XML, JavaScript) is allowed only when the route " + strconv.Quote(r.Name) + " lists its exact type"}
		}
		return err
	}
	if size > 0 && size < r.MinBytes {
		return &uploadrules.Error{Code: uploadrules.CodeTooSmall,
			Message: "size " + strconv.FormatInt(size, 10) + " is below the minimum of " + strconv.FormatInt(r.MinBytes, 10) + " bytes"}
	}
	return nil
}

// UserDir is the prefix of every key of user on this route:
// <Prefix><user>/<Dir>/, or <Prefix><user>/ for Dir "". It is the prefix a
// form policy's key must start with and the one an STS session policy is
// scoped to. user must be a valid user id (uploadrules.ValidUserID).
func (r Route) UserDir(rules uploadrules.Rules, user string) string {
	if r.Dir == "" {
		return rules.UserPrefix(user)
	}
	return rules.UserPrefix(user) + r.Dir + "/"
}

// NewKey returns a fresh key for user's file under UserDir (see
// uploadrules.Rules.NewKeyIn).
func (r Route) NewKey(rules uploadrules.Rules, user, filename string, now time.Time, random io.Reader) (string, error) {
	return rules.NewKeyIn(user, r.Dir, filename, now, random)
}

// Set is the ordered routes of a deployment.
type Set struct {
	routes     []Route
	configured bool // from UPLOAD_ROUTES; false: the default route only
}

// Default returns the set used without UPLOAD_ROUTES: one route named
// DefaultName with base's size cap and types, no directory, no minimum,
// the function's expiry, every path, no overwrite.
func Default(base uploadrules.Rules) Set {
	return Set{routes: []Route{{
		Name:         DefaultName,
		AllowedTypes: slices.Clone(base.AllowedTypes),
		MaxBytes:     base.MaxBytes,
		Paths:        slices.Clone(AllPaths),
	}}}
}

// Configured reports whether the routes came from UPLOAD_ROUTES.
func (s Set) Configured() bool { return s.configured }

// Routes returns the routes in configuration order.
func (s Set) Routes() []Route { return slices.Clone(s.routes) }

// Route returns the route named name.
func (s Set) Route(name string) (Route, bool) {
	for _, r := range s.routes {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}
