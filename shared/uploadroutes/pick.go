package uploadroutes

import (
	"strconv"
	"strings"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Pick returns the route a request names for an upload through path
// (PathForm, PathPresign or PathSTS): with UPLOAD_ROUTES the name is
// required and must be configured; without it the name may be "" or
// "default". Errors are *uploadrules.Error: invalid_request for a missing
// or unknown name (naming the routes), forbidden when the route does not
// allow path. sign and sts both call it, so they refuse alike.
func (s Set) Pick(name, path string) (Route, error) {
	if name == "" && !s.Configured() {
		name = DefaultName
	}
	if name == "" {
		return Route{}, &uploadrules.Error{Code: uploadrules.CodeInvalidRequest, Message: "route is required: one of " + s.names()}
	}
	r, ok := s.Route(name)
	switch {
	case !ok && s.Configured():
		return Route{}, &uploadrules.Error{Code: uploadrules.CodeInvalidRequest, Message: "unknown route " + quoteName(name) + ": one of " + s.names()}
	case !ok:
		return Route{}, &uploadrules.Error{Code: uploadrules.CodeInvalidRequest,
			Message: "unknown route " + quoteName(name) + ": without UPLOAD_ROUTES the only route is " + strconv.Quote(DefaultName) + " (or leave route out)"}
	case !r.Allows(path):
		return Route{}, &uploadrules.Error{Code: uploadrules.CodeForbidden, Message: "route " + strconv.Quote(r.Name) + " does not allow " + path + " uploads"}
	}
	return r, nil
}

// names lists the configured routes for error messages.
func (s Set) names() string {
	names := make([]string, len(s.routes))
	for i, r := range s.routes {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// quoteName quotes a name a caller sent, cut to a route name's longest
// length so a huge name is not echoed back.
func quoteName(name string) string {
	if len(name) > MaxNameLen {
		return strconv.Quote(name[:MaxNameLen]) + "..."
	}
	return strconv.Quote(name)
}
