// Command zipdir packs the files of a folder into a zip with each file at
// the archive root (sub-folders kept as paths), preserving the executable
// bit and using a fixed timestamp so the same binaries give the same zip.
// It is what `make package` and `make build-lambda` use, so a machine with
// only Go can build the code packages FC (handler "main") and AWS Lambda
// (provided.al2023, "bootstrap") expect: a zip made without the exec bit
// fails at the first invocation with "permission denied".
//
//	go run ./local/cmd/zipdir -o build/package/sign.zip build/dist/sign
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// epoch is the modification time written for every entry (reproducible zips;
// the zip format cannot store dates before 1980).
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", "", "zip file to write")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: zipdir -o out.zip dir")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := zipDir(*out, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "zipdir:", err)
		os.Exit(1)
	}
}

// zipDir writes every regular file under dir into a new zip at out.
func zipDir(out, dir string) (err error) {
	var files []string
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		} else if !d.IsDir() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		return nil
	})
	if walkErr != nil {
		return walkErr
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no files to pack", dir)
	}
	sort.Strings(files)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".zipdir-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, path := range files {
		if err := addFile(zw, dir, path); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp made it 0600
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func addFile(zw *zip.Writer, dir, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return err
	}
	hdr, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	hdr.Name = filepath.ToSlash(rel)
	hdr.Method = zip.Deflate
	hdr.Modified = epoch
	// Unix permission bits travel in the external attributes; keep only
	// rwx so an exec bit survives and nothing else (setuid) does.
	hdr.SetMode(info.Mode().Perm())
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
