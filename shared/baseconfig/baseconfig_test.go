package baseconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/logging"
)

func read(env map[string]string) (Base, config.Problems) {
	e := config.NewEnv(func(k string) string { return env[k] })
	b := Read(e)
	var p config.Problems
	b.Check(&p)
	return b, e.Problems().Merge(p)
}

func TestReadAndCheck(t *testing.T) {
	b, p := read(map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "ap-southeast-1", "LOG_LEVEL": "debug"})
	if len(p) != 0 || b.Bucket != "ossupload-dev" || b.Region != "ap-southeast-1" || b.LogLevel != slog.LevelDebug ||
		b.DefaultUploadURL() != "https://ossupload-dev.oss-ap-southeast-1.aliyuncs.com" {
		t.Fatalf("Read = %+v, problems %q", b, p)
	}
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{}, []string{"OSS_BUCKET: required", "OSS_REGION: required"}},
		{map[string]string{"OSS_BUCKET": "My_Bucket", "OSS_REGION": "hangzhou"}, []string{"OSS_BUCKET: \"My_Bucket\" is not", "OSS_REGION: \"hangzhou\" is not"}},
		{map[string]string{"OSS_BUCKET": "x", "OSS_REGION": "oss-cn-hangzhou"}, []string{"OSS_BUCKET: \"x\" is not", "OSS_REGION: \"oss-cn-hangzhou\" is not"}},
		{map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "UPLOAD_PREFIX": "/abs", "UPLOAD_MAX_BYTES": "-5", "UPLOAD_ALLOWED_TYPES": "png"},
			[]string{"UPLOAD_MAX_BYTES: ", "UPLOAD_PREFIX: ", "UPLOAD_ALLOWED_TYPES: "}},
	} {
		_, p := read(tc.env)
		if len(p) != len(tc.want) {
			t.Errorf("%v: problems %q, want %d", tc.env, p, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(p[i], w) {
				t.Errorf("%v: problem %d = %q, want it to start %q", tc.env, i, p[i], w)
			}
		}
	}
	// A hand-built Base with broken rules is refused per variable too.
	var p2 config.Problems
	Base{Bucket: "ossupload-dev", Region: "cn-hangzhou"}.Check(&p2)
	for _, name := range []string{"UPLOAD_PREFIX", "UPLOAD_MAX_BYTES", "UPLOAD_ALLOWED_TYPES"} {
		if !p2.About(name) {
			t.Errorf("zero rules: no %s problem in %q", name, p2)
		}
	}
}

// The refusal is one JSON line with the one message and the problems as an
// array of "VARIABLE: what to fix" strings; a setup error that is not a
// Problems becomes its lines.
func TestLogRefusal(t *testing.T) {
	for _, err := range []error{
		config.Problems{"OSS_BUCKET: required", "OSS_REGION: required"},
		fmt.Errorf("wrapped: %w", config.Problems{"OSS_BUCKET: required", "OSS_REGION: required"}),
		errors.New("OSS_BUCKET: required\nOSS_REGION: required"),
	} {
		var out bytes.Buffer
		LogRefusal(logging.New(&out, slog.LevelInfo), err)
		if n := strings.Count(out.String(), "\n"); n != 1 {
			t.Fatalf("%d lines: %s", n, out.String())
		}
		var line struct {
			Level, Msg string
			Problems   []string
		}
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			t.Fatalf("not JSON: %s", out.String())
		}
		if line.Level != "ERROR" || line.Msg != "invalid configuration, not starting" || !slices.Equal(line.Problems, []string{"OSS_BUCKET: required", "OSS_REGION: required"}) {
			t.Errorf("refusal line %s", out.String())
		}
	}
}
