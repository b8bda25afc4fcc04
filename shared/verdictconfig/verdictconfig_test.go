package verdictconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

func check(env map[string]string) (Verdicts, config.Problems) {
	e := config.NewEnv(func(k string) string { return env[k] })
	b := baseconfig.Base{Bucket: "ossupload-dev", Region: "cn-shanghai", Rules: uploadrules.Default()}
	v := Read(e, b)
	var p config.Problems
	v.Check(&p, b)
	return v, e.Problems().Merge(p)
}

func TestReadAndCheck(t *testing.T) {
	v, p := check(map[string]string{})
	if len(p) != 0 || v.Endpoint != "https://oss-cn-shanghai.aliyuncs.com" || v.QuarantinePrefix != uploadrules.DefaultQuarantinePrefix || v.SweepMinAge != 2*time.Hour {
		t.Fatalf("defaults %+v, problems %q", v, p)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OSS_ENDPOINT": "ftp://x"}, "OSS_ENDPOINT: "},
		{map[string]string{"QUARANTINE_PREFIX": "uploads/q/"}, "QUARANTINE_PREFIX: "},
		{map[string]string{"SWEEP_MIN_AGE_SECONDS": "0"}, "SWEEP_MIN_AGE_SECONDS: "},
	} {
		if _, p := check(tc.env); len(p) != 1 || !strings.HasPrefix(p[0], tc.want) {
			t.Errorf("%v: problems %q, want one starting %q", tc.env, p, tc.want)
		}
	}
	if DefaultEndpoint("") != "" {
		t.Error("an endpoint without a region")
	}
}
