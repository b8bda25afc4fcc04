package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sCLI finds Serverless Devs (npm @serverless-devs/s, pinned in
// tests/package.json; `npm install --prefix tests`). Without it the test
// skips, unless REQUIRE_NODE=1 (CI), where it fails.
func sCLI(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("REQUIRE_NODE") == "1" {
			t.Fatalf("REQUIRE_NODE=1 but %s", why)
		}
		t.Skipf("skipping s preview: %s (install Node.js, then `npm install --prefix tests`)", why)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not on PATH")
	}
	s, err := filepath.Abs(filepath.Join(repoRoot, "tests", "node_modules", ".bin", "s"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s); err != nil {
		missing("tests/node_modules/.bin/s is missing")
	}
	return s
}

// TestSPreviewRendersValidProps runs Serverless Devs' own renderer
// (`s preview -o json --silent`, which works offline) on a copy of s.yaml,
// with a throw-away HOME and the credential variables `s` reads instead of
// ~/.s/access.yaml, then applies the fc3 schema rules and the deploy checks
// to what it rendered, and compares it with this package's renderer.
func TestSPreviewRendersValidProps(t *testing.T) {
	stdout, stderr, err := sPreview(t, "AUTH_JWT_SECRET="+testJWTSecret)
	if err != nil {
		t.Fatalf("s preview: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	var rendered map[string]any
	if err := json.Unmarshal([]byte(stdout), &rendered); err != nil {
		t.Fatalf("s preview output is not JSON: %v\n%s", err, stdout)
	}
	ids := fc3ResourceIDs(t, rendered)
	if len(ids) != len(deployedFunctions) {
		t.Errorf("s preview rendered fc3 resources %v, want %v", ids, deployedFunctions)
	}
	for _, id := range ids {
		noErrs(t, "s preview", validateFC3Props(id, mustMap(t, rendered, "resources", id, "props")))
	}
	noErrs(t, "s preview", checkSYAML(rendered, contractRequiredEnv()))

	// This package's renderer (and so local/sdevs' rules) agree with s.
	ours := renderedSYAML(t)
	b, err := json.Marshal(ours["resources"])
	if err != nil {
		t.Fatal(err)
	}
	var oursJSON any
	if err := json.Unmarshal(b, &oursJSON); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		got, _ := at(rendered, "resources", id, "props")
		want, _ := at(oursJSON, id, "props")
		if !reflect.DeepEqual(got, want) {
			gb, _ := json.MarshalIndent(got, "", " ")
			wb, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s: s preview rendered\n%s\nthe Go renderer\n%s", id, gb, wb)
		}
	}
}

// sPreview runs `s preview -o json --silent` on a copy of s.yaml, with a
// throw-away HOME, the credential variables `s` reads instead of
// ~/.s/access.yaml, and env added to the environment.
func sPreview(t *testing.T, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	s := sCLI(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A copy, so a developer's .env beside s.yaml cannot change the result.
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	// s's background reporter may still write under HOME/.s after s exits:
	// a HOME outside t.TempDir, removed on a best-effort basis, keeps that
	// from failing the test.
	home, err := os.MkdirTemp("", "sdevs-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s, "preview", "-o", "json", "--silent", "-t", "s.yaml")
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AccessKeyID=x",
		"AccessKeySecret=x",
		"AccountID=" + testAccountID,
	}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Serverless Devs itself refuses s.yaml until AUTH_JWT_SECRET is set, rather
// than deploying functions that would refuse every caller.
func TestSPreviewRefusesMissingJWTSecret(t *testing.T) {
	stdout, stderr, err := sPreview(t)
	if err == nil {
		t.Fatalf("s preview succeeded without AUTH_JWT_SECRET:\n%s", stdout)
	}
	if !strings.Contains(stdout+stderr, "env('AUTH_JWT_SECRET') not found") {
		t.Errorf("s preview failed for another reason: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
}
