package uploadroutes

import (
	"strings"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Reasons a verdict records when an object's route is wrong. They are
// spelled only here: package verifier declares its Reason* codes for them
// from these constants.
const (
	ReasonOutsidePrefix = "outside-prefix" // not under an owner's prefix
	ReasonUnknownRoute  = "unknown-route"  // the key lies in no configured route's directory
	ReasonRouteMismatch = "route-mismatch" // x-oss-meta-route is absent or not the key's route
	ReasonTooSmall      = "too-small"      // below the route's MinBytes
	ReasonTooLarge      = "too-large"      // above the route's MaxBytes
)

// ForKey returns the owner of key and the route whose directory holds it.
// With configured routes, a key directly in the user's prefix, or in a
// directory no route has, has no route (ok false); without them every
// owned key is the default route's. Directories never nest (FromEnv
// refuses that), so at most one route matches.
func (s Set) ForKey(rules uploadrules.Rules, key string) (user string, route Route, ok bool) {
	user, owned := rules.OwnerOf(key)
	if !owned {
		return "", Route{}, false
	}
	if !s.configured {
		if len(s.routes) == 0 {
			return user, Route{}, false
		}
		return user, s.routes[0], true
	}
	rest := key[len(rules.UserPrefix(user)):]
	for _, r := range s.routes {
		if tail, in := strings.CutPrefix(rest, r.Dir+"/"); in && tail != "" {
			return user, r, true
		}
	}
	return user, Route{}, false
}

// Judge decides which route an uploaded object is judged by: the route
// whose directory holds key (ForKey), which must be the one pinned in its
// user metadata meta (names without x-oss-meta-, as OSS returns them
// lower-cased: meta["route"]). reason is "" when the object passes, else
// one of ReasonOutsidePrefix, ReasonUnknownRoute or ReasonRouteMismatch.
//
// Without configured routes an object may lack the metadata (objects
// uploaded before routes existed, STS clients that never set it); if it
// has it, it must name the default route. With configured routes it must
// be present: the signed form policy and presigned initiate pin it, and an
// STS session can write only in its route's directory, so a missing or
// different value was not set by the server's signature.
func (s Set) Judge(rules uploadrules.Rules, key string, meta map[string]string) (Route, string) {
	user, route, ok := s.ForKey(rules, key)
	switch {
	case user == "":
		return Route{}, ReasonOutsidePrefix
	case !ok:
		return Route{}, ReasonUnknownRoute
	}
	pinned, has := meta[MetaName]
	if !has && !s.configured {
		return route, ""
	}
	if pinned != route.Name {
		return route, ReasonRouteMismatch
	}
	return route, ""
}

// SizeReason judges a stored object's size against the route: "",
// ReasonTooSmall or ReasonTooLarge.
func (r Route) SizeReason(size int64) string {
	switch {
	case size < r.MinBytes:
		return ReasonTooSmall
	case size > r.MaxBytes:
		return ReasonTooLarge
	}
	return ""
}
