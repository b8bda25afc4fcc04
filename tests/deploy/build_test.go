package deploy

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBuildMakesStaticLinuxAmd64Executables builds each function the way
// the Makefile's build target does and checks what FC's go1 runtime needs:
// an x86-64 ELF executable with no dynamic loader (static), at the path
// s.yaml's code and handler name (build/dist/<fn>/main).
func TestBuildMakesStaticLinuxAmd64Executables(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0 GOOS=linux GOARCH=amd64", "-trimpath", "LDFLAGS   := -s -w", "-o $(DIST)/$$fn/main ./functions/$$fn", "DIST      := build/dist"} {
		if !strings.Contains(string(mk), want) {
			t.Errorf("Makefile's build no longer has %q", want)
		}
	}
	dir := t.TempDir()
	for _, fn := range deployedFunctions {
		t.Run(fn, func(t *testing.T) {
			out := filepath.Join(dir, fn, "main")
			cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./functions/"+fn)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
				t.Errorf("%s: machine %v type %v, want x86-64 executable", fn, f.Machine, f.Type)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
					t.Errorf("%s: has %v: not a static executable", fn, p.Type)
				}
			}
			if f.Section(".symtab") != nil {
				t.Errorf("%s: symbol table present: not stripped (-s)", fn)
			}
		})
	}
}
