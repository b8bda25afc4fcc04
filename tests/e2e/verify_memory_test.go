package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// procField reads one "name: value" number from a /proc/<pid> file
// (status: kB; io: bytes).
func procField(t *testing.T, pid, file, name string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", pid, file))
	if err != nil {
		t.Skipf("cannot read /proc/%s/%s: %v", pid, file, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%s/%s has no %s", pid, file, name)
	return 0
}

// verifyPID is the pid of the running verify function process.
func verifyPID(t *testing.T) string {
	t.Helper()
	for _, p := range functionProcesses(t) {
		pid, exe, _ := strings.Cut(strings.TrimSuffix(p, ")"), "(")
		if strings.HasSuffix(exe, filepath.Join("verify", "main")) {
			return pid
		}
	}
	t.Fatal("no verify process")
	return ""
}

// TestVerifyMemoryFlatOnHugeObject: verify judges a 4 GiB upload (a
// sparse object in the emulator: a real PNG head, then zeros) reading a
// few KiB of it; its process's peak RSS stays far below the object and
// below the 128 MB the smallest functions get.
func TestVerifyMemoryFlatOnHugeObject(t *testing.T) {
	s := startStack(t, "", "UPLOAD_MAX_BYTES=5368709120") // OSS's 5 GiB cap, so the size rule passes
	const size = 4 << 30
	key := "uploads/" + s.User + "/2026/01/01/0123456789abcdef-huge.png"
	pid := verifyPID(t)
	before := procField(t, pid, "io", "rchar")

	body, _ := json.Marshal(map[string]any{"bucket": s.Bucket, "key": key, "contentType": "image/png", "head": realPNG(t), "size": size})
	res, err := http.Post(strings.TrimSuffix(s.OSS, "/")+"/_emulator/sparse-object", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sparse object: HTTP %d", res.StatusCode)
	}
	if h, err := devBucket(t, s).GetObjectDetailedMeta(key); err != nil || h.Get("Content-Length") != strconv.Itoa(size) {
		t.Fatalf("HEAD of the huge object: %v %v", h.Get("Content-Length"), err)
	}
	if st, reason := waitVerdict(t, s, key); st != "verified" {
		t.Fatalf("verdict %s (%s), want verified", st, reason)
	}
	if now := verifyPID(t); now != pid {
		t.Fatalf("the verify process changed (%s, then %s): it crashed", pid, now)
	}
	read := procField(t, pid, "io", "rchar") - before
	peakKB := procField(t, pid, "status", "VmHWM")
	t.Logf("verify read %d bytes (all sources) for a %d-byte object; peak RSS %d KiB", read, size, peakKB)
	if read > 1<<20 {
		t.Errorf("verify read %d bytes while judging the object, want well under 1 MiB", read)
	}
	if peakKB > 64<<10 {
		t.Errorf("verify's peak RSS %d KiB, want under 64 MiB", peakKB)
	}
}
