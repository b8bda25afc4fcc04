package stacktest

import (
	"testing"

	"github.com/ossupload/ossupload/local/fcruntime"
)

// Function runs f alone under the local FC runtime (the runtime API that
// fc.Start speaks), with its output in the returned Buffer, and closes the
// runtime when the test ends (Close may be called earlier, to have
// everything the function printed in the Buffer).
func Function(t testing.TB, cfg fcruntime.Config, f fcruntime.Function) (*fcruntime.Runtime, *Buffer) {
	t.Helper()
	out := &Buffer{}
	if cfg.Output == nil {
		cfg.Output = out
	}
	rt, err := fcruntime.New(cfg, f)
	if err != nil {
		t.Fatalf("start %s under the local FC runtime: %v\n%s", f.Name, err, out.String())
	}
	t.Cleanup(func() {
		rt.Close()
		if t.Failed() {
			t.Logf("%s output:\n%s", f.Name, out.String())
		}
	})
	return rt, out
}
