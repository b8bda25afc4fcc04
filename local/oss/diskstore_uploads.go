package oss

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Uploads lists the bucket's unfinished multipart uploads.
func (d *DiskStore) Uploads(bucket string) ([]Upload, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	entries, err := os.ReadDir(filepath.Join(d.dir, "uploads"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("oss store: %w", err)
	}
	var out []Upload
	for _, e := range entries {
		if !e.IsDir() || !uploadID.MatchString(e.Name()) {
			continue
		}
		var u Upload
		if err := readJSON(filepath.Join(d.dir, "uploads", e.Name(), "upload.json"), &u); err != nil {
			continue // being created or removed right now
		}
		if u.Bucket == bucket {
			out = append(out, u)
		}
	}
	return out, nil
}
