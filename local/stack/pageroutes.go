package stack

import (
	"github.com/ossupload/ossupload/local/devpage"
	"github.com/ossupload/ossupload/local/sdevs"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// pageRoutes reads the upload routes from the sign function's environment
// exactly as the function reads them (UPLOAD_ROUTES bounded by
// UPLOAD_MAX_BYTES and UPLOAD_ALLOWED_TYPES), so the demo page shows what
// the functions enforce. It returns nil routes when UPLOAD_ROUTES is not
// set, and the problems for which the functions will refuse it.
func pageRoutes(fns []sdevs.Function) ([]devpage.Route, []string) {
	var fnEnv map[string]string
	for _, fn := range fns {
		if fn.ID == "sign" {
			fnEnv = fn.Env
		}
	}
	env := config.NewEnv(func(name string) string { return fnEnv[name] })
	set := uploadroutes.FromEnv(env, uploadrules.FromEnv(env))
	if problems := env.Problems(); len(problems) > 0 {
		return nil, problems
	}
	if !set.Configured() {
		return nil, nil
	}
	var routes []devpage.Route
	for _, r := range set.Routes() {
		routes = append(routes, devpage.Route{Name: r.Name, AllowedTypes: r.AllowedTypes, MinBytes: r.MinBytes, MaxBytes: r.MaxBytes, Paths: r.Paths})
	}
	return routes, nil
}
