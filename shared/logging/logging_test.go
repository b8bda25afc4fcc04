package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
)

func TestLevelFromEnv(t *testing.T) {
	tests := []struct {
		value   string
		want    slog.Level
		problem bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"info", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"WARN", slog.LevelWarn, false},
		{"loud", slog.LevelInfo, true},
		{"warning", slog.LevelInfo, true},
	}
	for _, tc := range tests {
		env := config.NewEnv(func(name string) string {
			if name == "LOG_LEVEL" {
				return tc.value
			}
			return ""
		})
		if got := LevelFromEnv(env); got != tc.want {
			t.Errorf("LOG_LEVEL=%q: level %v, want %v", tc.value, got, tc.want)
		}
		if p := env.Problems(); (len(p) > 0) != tc.problem || tc.problem && !strings.Contains(p[0], "LOG_LEVEL") {
			t.Errorf("LOG_LEVEL=%q: problems %q", tc.value, p)
		}
	}
}

func TestNewWritesJSONAtLevel(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelWarn)
	l.Info("hidden")
	l.Warn("shown", RequestID("1-abc"))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	if line["msg"] != "shown" || line["request_id"] != "1-abc" {
		t.Fatalf("line %v", line)
	}
}
