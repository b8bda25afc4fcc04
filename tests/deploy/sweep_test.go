package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// The sweep: verify's second trigger is a timer, SWEEP_MIN_AGE_SECONDS is
// above the longest an OSS event can still be retried, and the role lists
// the upload prefix only.

// everyRe is FC's "@every <n>m" / "<n>h" timer form (FC 3.0 time triggers:
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/time-triggers).
var everyRe = regexp.MustCompile(`^@every ([1-9][0-9]*)(m|h)$`)

// checkSweepTriggers checks verify's triggers: exactly the OSS trigger
// (checked by the caller) and a timer that runs the sweep often enough.
func checkSweepTriggers(where string, triggers []any, env, props map[string]any) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
	}
	if len(triggers) != 2 {
		bad("%d triggers, want 2: the OSS trigger and the sweep's timer", len(triggers))
		return errs
	}
	t, _ := triggers[1].(map[string]any)
	if typ := str(t["triggerType"]); typ != "timer" {
		bad("second trigger is %q, want timer (the sweep)", typ)
		return errs
	}
	minAge, err := strconv.ParseInt(str(env["SWEEP_MIN_AGE_SECONDS"]), 10, 64)
	if err != nil || minAge < 1 {
		bad("SWEEP_MIN_AGE_SECONDS %q is not a positive integer", str(env["SWEEP_MIN_AGE_SECONDS"]))
	}
	cfg, _ := t["triggerConfig"].(map[string]any)
	if on, _ := cfg["enable"].(bool); !on {
		bad("the sweep's timer is not enabled")
	}
	m := everyRe.FindStringSubmatch(str(cfg["cronExpression"]))
	if m == nil {
		bad("sweep cronExpression %q: want @every <n>m or <n>h", str(cfg["cronExpression"]))
	} else {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		if m[2] == "h" {
			n *= 60
		}
		if minAge > 0 && n*60 > minAge {
			bad("the sweep runs every %d minutes, less often than SWEEP_MIN_AGE_SECONDS=%d: overdue uploads would wait", n, minAge)
		}
	}
	// A lost event's retries end maxAsyncEventAgeInSeconds after the upload,
	// and the last attempt may run for the function's timeout: the sweep
	// starts after both, so it does not race a live retry.
	age, ok := integer(at2(props, "asyncInvokeConfig", "maxAsyncEventAgeInSeconds"))
	if !ok {
		age = 86400 // FC's default
	}
	timeout, _ := integer(props["timeout"])
	if minAge > 0 && minAge <= age+timeout {
		bad("SWEEP_MIN_AGE_SECONDS=%d is not above maxAsyncEventAgeInSeconds %d + timeout %d: the sweep could race an event FC still retries", minAge, age, timeout)
	}
	return errs
}

// checkSameSweepAge: sign's GET /status calls an upload overdue at the age
// verify's sweep starts judging it, so both read the same
// SWEEP_MIN_AGE_SECONDS (the values as deployed, by function id).
func checkSameSweepAge(file string, ages map[string]any) []error {
	if s, v := str(ages["sign"]), str(ages["verify"]); s != v {
		return []error{fmt.Errorf("%s: SWEEP_MIN_AGE_SECONDS of sign (%q) differs from verify's (%q): /status would call uploads overdue at another age than the sweep judges them", file, s, v)}
	}
	return nil
}

// checkSweepList: a statement granting oss:ListObjects carries exactly the
// condition StringLike oss:Prefix <UploadPrefix>* (OSS RAM condition key
// oss:Prefix), or it would list the whole bucket.
func checkSweepList(where string, stmt map[string]any, uploadPrefix string) []error {
	if !slices.Contains(strList(stmt["Action"]), "oss:ListObjects") {
		return nil
	}
	cond, _ := stmt["Condition"].(map[string]any)
	like, _ := cond["StringLike"].(map[string]any)
	want := []string{uploadPrefix + "*"}
	if len(cond) != 1 || len(like) != 1 || !slices.Equal(strList(like["oss:Prefix"]), want) {
		return []error{fmt.Errorf("%s: oss:ListObjects needs exactly the condition StringLike oss:Prefix %v (got %v): without it the role lists the whole bucket", where, want, cond)}
	}
	return nil
}

func TestSweepChecksCatchMutations(t *testing.T) {
	sBase, tBase := renderedSYAML(t), loadYAML(t, "template.yaml")
	timer := func(rest ...any) []any {
		return append([]any{"resources", "verify", "props", "triggers", 1}, rest...)
	}
	senv := []any{"resources", "verify", "props", "environmentVariables", "SWEEP_MIN_AGE_SECONDS"}
	list := []any{"Resources", "VerifyRole", "Properties", "Policies", 0, "PolicyDocument", "Statement", 4}
	syaml := []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"no timer", []any{"resources", "verify", "props", "triggers"}, []any{at2(sBase, "resources", "verify", "props", "triggers", 0)}, "1 triggers, want 2"},
		{"timer off", timer("triggerConfig", "enable"), false, "not enabled"},
		{"timer too rare", timer("triggerConfig", "cronExpression"), "@every 3h", "less often than SWEEP_MIN_AGE_SECONDS"},
		{"timer form", timer("triggerConfig", "cronExpression"), "every 15 minutes", "want @every"},
		{"timer type", timer("triggerType"), "http", "want timer"},
		{"age too short", senv, "3700", "could race an event"},
		{"age missing", senv, nil, "SWEEP_MIN_AGE_SECONDS"},
		{"sign's age differs", []any{"resources", "sign", "props", "environmentVariables", "SWEEP_MIN_AGE_SECONDS"}, "3600", "differs from verify's"},
	}
	for _, tc := range syaml {
		t.Run("s.yaml "+tc.name, func(t *testing.T) {
			doc := deepCopy(sBase).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkSYAML(doc, contractRequiredEnv()), tc.want)
		})
	}
	tmpl := []struct {
		name  string
		path  []any
		value any
		want  string
	}{
		{"no timer", []any{"Resources", "VerifySweepTrigger"}, nil, "1 triggers, want 2"},
		{"timer too rare", []any{"Resources", "VerifySweepTrigger", "Properties", "TriggerConfig", "cronExpression"}, "@every 4h", "less often"},
		{"age too short", []any{"Parameters", "SweepMinAgeSeconds", "Default"}, "600", "could race an event"},
		{"event age raised", []any{"Resources", "VerifyAsyncInvokeConfig", "Properties", "MaxAsyncEventAgeInSeconds"}, 86400, "could race an event"},
		{"list unconditional", append(list, "Condition"), nil, "needs exactly the condition"},
		{"list whole bucket", append(list, "Condition", "StringLike", "oss:Prefix"), []any{"*"}, "needs exactly the condition"},
		{"list no prefix", list, nil, "does not grant oss:ListObjects"},
		{"sign's age differs", []any{"Resources", "SignFunction", "Properties", "EnvironmentVariables", "SWEEP_MIN_AGE_SECONDS"}, "3600", "differs from verify's"},
	}
	for _, tc := range tmpl {
		t.Run("template "+tc.name, func(t *testing.T) {
			doc := deepCopy(tBase).(map[string]any)
			set(doc, tc.value, tc.path...)
			expectErr(t, checkTemplateSemantics(doc, contractRequiredEnv(), nil), tc.want)
		})
	}
}
