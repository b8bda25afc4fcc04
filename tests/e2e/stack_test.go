// Package e2e runs the local stack as a user does (`go run ./local`, here a
// build of it) on free ports, with the real function binaries, and drives it
// with plain HTTP and the official Go OSS SDK.
package e2e

import (
	"testing"

	"github.com/ossupload/ossupload/local/stacktest"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { stacktest.Main(m) }

// stack is a running local stack process.
type stack = stacktest.Process

// startStack runs the local stack on free ports with data in dir (a fresh
// temp dir when empty) and stops it when the test ends.
func startStack(t *testing.T, dir string, extraEnv ...string) *stack {
	t.Helper()
	return stacktest.StartProcess(t, dir, nil, extraEnv...)
}

// startStackArgs is startStack with extra command-line flags.
func startStackArgs(t *testing.T, dir string, args []string, extraEnv ...string) *stack {
	t.Helper()
	return stacktest.StartProcess(t, dir, args, extraEnv...)
}
