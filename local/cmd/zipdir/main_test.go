package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestZipDirKeepsExecBitAndRootLayout(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "fn")
	if err := os.MkdirAll(filepath.Join(src, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]struct {
		body string
		mode os.FileMode
	}{
		"main":           {"\x7fELF binary", 0o755},
		"conf/rules.txt": {"image/*", 0o644},
	}
	for name, f := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out", "fn.zip")
	if err := zipDir(out, src); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("zip file mode: %v %v, want 0644", fi.Mode(), err)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != len(files) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(files))
	}
	for _, zf := range zr.File {
		want, ok := files[zf.Name]
		if !ok {
			t.Errorf("unexpected entry %q (files must sit at the zip root)", zf.Name)
			continue
		}
		if got := zf.Mode().Perm(); got != want.mode {
			t.Errorf("%s: mode %v, want %v", zf.Name, got, want.mode)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if string(body) != want.body {
			t.Errorf("%s: body %q", zf.Name, body)
		}
	}
	// Same input, same bytes.
	if err := zipDir(out, src); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(out)
	if !bytes.Equal(first, second) {
		t.Error("zip is not reproducible")
	}
}

func TestZipDirRefusesEmptyAndMissing(t *testing.T) {
	dir := t.TempDir()
	if err := zipDir(filepath.Join(dir, "x.zip"), dir); err == nil {
		t.Error("empty folder packed")
	}
	if err := zipDir(filepath.Join(dir, "y.zip"), filepath.Join(dir, "missing")); err == nil {
		t.Error("missing folder packed")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.zip")); !os.IsNotExist(err) {
		t.Error("a failed run left a zip behind")
	}
}
