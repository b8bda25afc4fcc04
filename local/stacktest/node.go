package stacktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireNode returns the node binary for the tests that run ali-oss in
// Node (tests/node/*.mjs). Without node or tests/node_modules/ali-oss it
// skips the test, or fails it when REQUIRE_NODE=1.
func RequireNode(t testing.TB) string {
	t.Helper()
	missing := ""
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(RepoRoot(t), "tests", "node_modules", "ali-oss", "package.json")); err != nil {
		missing = "tests/node_modules/ali-oss is missing (run: npm ci --prefix tests)"
	}
	if missing != "" {
		if os.Getenv("REQUIRE_NODE") == "1" {
			t.Fatalf("REQUIRE_NODE=1 but %s", missing)
		}
		t.Skipf("skipping the ali-oss run: %s (set REQUIRE_NODE=1 to make this a failure)", missing)
	}
	return nodeBin
}
