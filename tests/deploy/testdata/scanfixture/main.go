// Command scanfixture is read (never run) by the source scanner's test.
package main

import (
	"os"

	"github.com/ossupload/ossupload/tests/deploy/testdata/scanfixture/names"
)

type env struct{}

func (env) String(name, def string) string { return os.Getenv(name) + def }

const local = "LOCAL_CONST_VAR"

type bucket struct{}

func (bucket) CopyObject(src, dst string) {}

func main() {
	var e env
	e.String("LITERAL_VAR", "")
	e.String(local, "")
	e.String(names.Remote, "")
	e.String("lowercase_is_not_env", "")
	_ = os.Getenv("OS_GETENV_VAR")
	var b bucket
	b.CopyObject("a", "b")
}
