package uploadrules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
)

func TestFromEnv(t *testing.T) {
	env := config.NewEnv(func(string) string { return "" })
	r := FromEnv(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if r.Prefix != DefaultPrefix || r.MaxBytes != DefaultMaxBytes || !slices.Equal(r.AllowedTypes, DefaultAllowedTypes) {
		t.Fatalf("defaults: %+v", r)
	}

	vars := map[string]string{"UPLOAD_PREFIX": "u/", "UPLOAD_MAX_BYTES": "1024", "UPLOAD_ALLOWED_TYPES": "image/png, text/*"}
	env = config.NewEnv(func(k string) string { return vars[k] })
	r = FromEnv(env)
	if err := env.Err(); err != nil || r.Prefix != "u/" || r.MaxBytes != 1024 || !slices.Equal(r.AllowedTypes, []string{"image/png", "text/*"}) {
		t.Fatalf("FromEnv = %+v, %v", r, err)
	}

	vars = map[string]string{"UPLOAD_PREFIX": "/abs", "UPLOAD_MAX_BYTES": "-1", "UPLOAD_ALLOWED_TYPES": "image,*/png"}
	env = config.NewEnv(func(k string) string { return vars[k] })
	FromEnv(env)
	err := env.Err()
	if err == nil {
		t.Fatal("bad variables accepted")
	}
	for _, name := range []string{"UPLOAD_PREFIX", "UPLOAD_MAX_BYTES", "UPLOAD_ALLOWED_TYPES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%q does not name %s", err, name)
		}
	}
}
