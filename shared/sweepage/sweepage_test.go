package sweepage

import (
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/config"
)

func TestFromEnv(t *testing.T) {
	rows := []struct {
		value string
		want  time.Duration
		bad   bool
	}{
		{"", Default, false},
		{"90", 90 * time.Second, false},
		{" 1 ", time.Second, false},
		{"2592000", 30 * 24 * time.Hour, false},
		{"0", Default, true},
		{"-5", Default, true},
		{"1h", Default, true},
		{"2592001", Default, true},
	}
	for _, row := range rows {
		env := config.NewEnv(func(k string) string {
			if k == EnvName {
				return row.value
			}
			return ""
		})
		got := FromEnv(env)
		err := env.Err()
		if got != row.want || (err != nil) != row.bad {
			t.Errorf("%q: %v, %v; want %v, problem %t", row.value, got, err, row.want, row.bad)
		}
		if err != nil && !strings.Contains(err.Error(), EnvName) {
			t.Errorf("%q: problem %q does not name the variable", row.value, err)
		}
		if !row.bad && !Valid(got) {
			t.Errorf("%q: FromEnv returned %v, which Valid refuses", row.value, got)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, 1500 * time.Millisecond, Max + time.Second} {
		if Valid(d) {
			t.Errorf("Valid(%v)", d)
		}
	}
}
