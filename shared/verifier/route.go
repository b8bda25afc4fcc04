package verifier

import (
	"strconv"

	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// judge is what an object is judged by: the UPLOAD_* rules, the routes
// (uploadroutes.Default(base) without UPLOAD_ROUTES) and the key of the
// upload pins (nil without UPLOAD_HOOK_SECRET).
type judge struct {
	base   uploadrules.Rules
	routes uploadroutes.Set
	pinKey []byte
}

// defaultJudge judges by base alone: the default route, no pin key.
func defaultJudge(base uploadrules.Rules) judge {
	return judge{base: base, routes: uploadroutes.Default(base)}
}

// judge returns what v judges objects by. A Verifier built without Routes
// judges by the default route, exactly as before routes existed.
func (v *Verifier) judge() judge {
	routes := v.Routes
	if _, ok := routes.Route(uploadroutes.DefaultName); !ok && !routes.Configured() {
		routes = uploadroutes.Default(v.Rules)
	}
	return judge{base: v.Rules, routes: routes, pinKey: v.PinKey}
}

// judgeRoute decides the route of owner's object key and what it passes on
// (precheck's steps after the UPLOAD_MAX_BYTES cap):
//
//   - unknown-route, route-mismatch: uploadroutes.Set.Judge (the key's
//     directory names the route, and x-oss-meta-route must name the same
//     one; it may be absent only without UPLOAD_ROUTES);
//   - too-large, too-small: the route's maxBytes and minBytes;
//   - unpinned-metadata: see pinned.
//
// rules are the route's (uploadroutes.Route.Rules), by which the types are
// judged. The verdict carries the route's name and the pinned metadata.
func (j judge) judgeRoute(owner, key string, info ObjectInfo) (v Verdict, rules uploadrules.Rules, ok bool) {
	v = Verdict{Status: StatusVerified, Owner: owner}
	route, reason := j.routes.Judge(j.base, key, info.Meta)
	v.Route = route.Name
	switch reason {
	case "":
	case ReasonUnknownRoute:
		return v.rejected(reason, "key is in no route's directory"), rules, false
	case ReasonRouteMismatch:
		got, has := info.Meta[uploadroutes.MetaName]
		what := "absent"
		if has {
			what = strconv.Quote(got)
		}
		return v.rejected(reason, uploadroutes.MetaHeader+" is "+what+", the key is route "+strconv.Quote(route.Name)+"'s"), rules, false
	default:
		return v.rejected(reason, "key is not inside an owner prefix"), rules, false
	}
	rules = route.Rules(j.base)
	switch route.SizeReason(info.Size) {
	case ReasonTooLarge:
		return v.rejected(ReasonTooLarge, "object is "+strconv.FormatInt(info.Size, 10)+" bytes, route "+strconv.Quote(route.Name)+"'s cap "+strconv.FormatInt(route.MaxBytes, 10)), rules, false
	case ReasonTooSmall:
		return v.rejected(ReasonTooSmall, "object is "+strconv.FormatInt(info.Size, 10)+" bytes, route "+strconv.Quote(route.Name)+"'s minimum "+strconv.FormatInt(route.MinBytes, 10)), rules, false
	}
	meta, why := j.pinned(route, owner, key, info.Meta)
	if why != "" {
		return v.rejected(ReasonUnpinnedMetadata, why), rules, false
	}
	v.Metadata = meta
	return v, rules, true
}

// appMetadata is the app's part of an object's user metadata: every pair
// whose name is not the service's own (uploadhook.ReservedMetadata: owner,
// route, declared-*, upload-*). nil when there is none.
func appMetadata(meta map[string]string) map[string]string {
	var app map[string]string
	for k, val := range meta {
		if uploadhook.ReservedMetadata(k) {
			continue
		}
		if app == nil {
			app = map[string]string{}
		}
		app[k] = val
	}
	return app
}

// pinned returns the app's metadata that the object's upload pin
// (x-oss-meta-upload-pin) vouches for, or why the object is refused ("" when
// it is not). Without a pin key the app's metadata is ignored: nothing is
// passed on and nothing refused. With one, an object that has app metadata
// or a pin must have a pin valid for exactly that metadata, the route, the
// owner and a scope: the key itself with the declared type and size (sign
// pins a form or presigned upload to its key and declared file), or the route's directory for the owner, which holds the key
// (sts pins a session's directory). An object with neither passes on
// nothing.
func (j judge) pinned(route uploadroutes.Route, owner, key string, meta map[string]string) (map[string]string, string) {
	if j.pinKey == nil {
		return nil, ""
	}
	app := appMetadata(meta)
	value, hasPin := meta[uploadpin.MetaName]
	if len(app) == 0 && !hasPin {
		return nil, ""
	}
	if !hasPin {
		return nil, "the app's metadata without x-oss-meta-" + uploadpin.MetaName
	}
	// A key's pin (form, presign) also names the declared type and size the
	// hook was asked about, which the rules then hold the object to
	// (type-mismatch, size-mismatch). Set.Judge placed key under
	// route.UserDir(owner), so a pin for that directory (sts, which
	// declares nothing) covers it.
	p := uploadpin.Pin{Route: route.Name, Owner: owner, Scope: key, Metadata: app,
		DeclaredType: meta["declared-type"], DeclaredSize: meta["declared-size"]}
	if uploadpin.Valid(j.pinKey, p, value) {
		return app, ""
	}
	p.Scope, p.DeclaredType, p.DeclaredSize = route.UserDir(j.base, owner), "", ""
	if uploadpin.Valid(j.pinKey, p, value) {
		return app, ""
	}
	return nil, "the upload pin does not vouch for this route, owner, key and metadata"
}
