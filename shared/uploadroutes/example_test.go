package uploadroutes_test

import (
	"fmt"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

func Example() {
	env := config.NewEnv(vars{
		"UPLOAD_ROUTES": `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg", "image/webp"],
		                              "maxBytes": 2000000, "paths": ["form", "presign", "sts"]},
		                   "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000000}}`,
	}.get)
	rules := uploadrules.Default()
	routes := uploadroutes.FromEnv(env, rules)
	if err := env.Err(); err != nil {
		fmt.Println(err)
		return
	}
	avatar, _ := routes.Route("avatar")
	fmt.Println(avatar.UserDir(rules, "alice"))
	fmt.Println(avatar.CheckDeclared(3000000, "image/png"))
	fmt.Println(avatar.CheckDeclared(1000, "application/pdf"))

	_, reason := routes.Judge(rules, "uploads/alice/avatars/2026/12/01/0011223344556677-me.png", map[string]string{"route": "avatar"})
	fmt.Printf("pinned avatar: %q\n", reason)
	_, reason = routes.Judge(rules, "uploads/alice/avatars/2026/12/01/0011223344556677-cv.pdf", map[string]string{"route": "document"})
	fmt.Printf("forged document: %q\n", reason)
	// Output:
	// uploads/alice/avatars/
	// too_large: size 3000000 exceeds the limit of 2000000 bytes
	// type_not_allowed: content type is not allowed
	// pinned avatar: ""
	// forged document: "route-mismatch"
}

type vars map[string]string

func (v vars) get(name string) string { return v[name] }
