// Package logging builds the functions' logger: JSON lines through log/slog
// at the level LOG_LEVEL names, and the one key under which a line carries
// the platform's request id. It depends on nothing of the HTTP edge, so the
// event-triggered verify function uses it as the HTTP functions do.
package logging

import (
	"io"
	"log/slog"

	"github.com/ossupload/ossupload/shared/config"
)

// RequestIDKey is the log key of the platform's request id (the FC request
// id, or the Lambda one): the same in every function, so one query finds a
// request's lines wherever they were written.
const RequestIDKey = "request_id"

// RequestID is the attribute carrying request id id.
func RequestID(id string) slog.Attr { return slog.String(RequestIDKey, id) }

// New returns a JSON slog logger writing to w at level.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// LevelFromEnv reads LOG_LEVEL (debug|info|warn|error, default info) from
// env; any other value is a configuration problem recorded in env, and the
// level is then info.
func LevelFromEnv(env *config.Env) slog.Level {
	switch env.Enum("LOG_LEVEL", "info", "debug", "info", "warn", "error") {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
