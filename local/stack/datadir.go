package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// envFile is the name, in the data folder, of the shell file that sets the
// running stack's URLs and development token: `. .localstack/env`.
const envFile = "env"

// writeEnvFile writes the variables the README's curl examples use. It is
// readable by the owner only, like dev.json: it holds a bearer token.
func (s *Stack) writeEnvFile(path string) error {
	var b bytes.Buffer
	b.WriteString("# The running local stack (written at start, removed at stop). Load it with: . " + path + "\n")
	for _, kv := range [][2]string{
		{"SIGN_URL", s.Ready.Functions["sign"]}, {"STS_URL", s.Ready.Functions["sts"]}, {"JWT", s.Ready.JWT},
		{"OSS_URL", s.Ready.OSS}, {"WEB_URL", s.Ready.Web},
	} {
		fmt.Fprintf(&b, "export %s='%s'\n", kv[0], strings.ReplaceAll(kv[1], "'", `'\''`))
	}
	if err := os.WriteFile(path+".tmp", b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	s.envPath, s.envContent = path, b.Bytes()
	return nil
}

// removeEnvFile removes the env file if it is still the one this stack
// wrote, so that a stopped stack leaves no URLs behind that answer nothing.
func (s *Stack) removeEnvFile() {
	if s.envPath == "" {
		return
	}
	if b, err := os.ReadFile(s.envPath); err == nil && bytes.Equal(b, s.envContent) {
		_ = os.Remove(s.envPath)
	}
}

// watchDataDir wraps a listener's handler: before each request it checks
// that the data folder is still there. Deleting it while the stack runs
// takes the bucket, the identities and the generated keys with it, and the
// emulators can then only answer NoSuchBucket or refuse credentials, which
// says nothing about the cause; so the stack says it, once, in its log.
func (s *Stack) watchDataDir(dir string, h http.Handler) http.Handler {
	marker := filepath.Join(dir, devStateFile)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := os.Stat(marker)
		switch gone := errors.Is(err, fs.ErrNotExist); {
		case gone && s.dataGone.CompareAndSwap(false, true):
			s.log.Error("the data folder " + dir + " was deleted while the stack runs: the bucket, its objects, the identities " +
				"and the development keys were in it, so OSS answers NoSuchBucket and the functions fail. Stop the stack " +
				"(Ctrl-C) and start it again (make run): it creates the folder afresh.")
		case !gone && err == nil:
			s.dataGone.Store(false)
		}
		h.ServeHTTP(w, r)
	})
}
