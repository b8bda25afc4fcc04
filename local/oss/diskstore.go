package oss

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DiskStore keeps everything under one directory:
//
//	buckets/<bucket>/bucket.json
//	buckets/<bucket>/objects/<sha256(key)>.json   metadata sidecar (names the data file)
//	buckets/<bucket>/objects/<sha256(key)>.<rand> object body
//	uploads/<id>/upload.json, <n>.json, <n>.data   multipart state
//	tmp/                                           staged bodies
//
// Every file is written to a temporary name and renamed into place, so state
// survives a restart and a crash leaves at most orphaned temporary files.
type DiskStore struct {
	dir string
	now func() time.Time
	mu  sync.Mutex // serialises metadata changes
}

var crcTable = crc64.MakeTable(crc64.ECMA)

// NewDiskStore opens (creating if needed) a store rooted at dir.
func NewDiskStore(dir string, now func() time.Time) (*DiskStore, error) {
	if now == nil {
		now = time.Now
	}
	for _, d := range []string{"buckets", "uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("oss store: %w", err)
		}
	}
	// Staged bodies of requests that were in flight when a previous process
	// stopped are garbage: nothing refers to them.
	if stale, err := filepath.Glob(filepath.Join(dir, "tmp", "stage-*")); err == nil {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	return &DiskStore{dir: dir, now: now}, nil
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// ValidBucketName reports whether name follows the OSS bucket naming rules.
func ValidBucketName(name string) bool { return bucketName.MatchString(name) }

func (d *DiskStore) bucketDir(name string) string { return filepath.Join(d.dir, "buckets", name) }

func (d *DiskStore) objectBase(bucket, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(d.bucketDir(bucket), "objects", hex.EncodeToString(sum[:]))
}

// writeJSON writes v to path via a temporary file and rename.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// PutBucket creates the bucket or replaces its CORS rules.
func (d *DiskStore) PutBucket(b Bucket) error {
	if !ValidBucketName(b.Name) {
		return fmt.Errorf("oss store: invalid bucket name %q", b.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Join(d.bucketDir(b.Name), "objects"), 0o755); err != nil {
		return fmt.Errorf("oss store: %w", err)
	}
	var old Bucket
	if err := readJSON(filepath.Join(d.bucketDir(b.Name), "bucket.json"), &old); err == nil && !old.Created.IsZero() {
		b.Created = old.Created
	}
	if b.Created.IsZero() {
		b.Created = d.now().UTC()
	}
	return writeJSON(filepath.Join(d.bucketDir(b.Name), "bucket.json"), b)
}

// GetBucket returns the bucket or ErrNotFound.
func (d *DiskStore) GetBucket(name string) (Bucket, error) {
	if !ValidBucketName(name) {
		return Bucket{}, ErrNotFound
	}
	var b Bucket
	err := readJSON(filepath.Join(d.bucketDir(name), "bucket.json"), &b)
	return b, err
}

// Stage streams r to a temporary file, hashing as it goes.
func (d *DiskStore) Stage(r io.Reader) (Staged, error) {
	f, err := os.CreateTemp(filepath.Join(d.dir, "tmp"), "stage-*")
	if err != nil {
		return Staged{}, fmt.Errorf("oss store: %w", err)
	}
	m, c := md5.New(), crc64.New(crcTable)
	n, err := io.Copy(io.MultiWriter(f, m, c), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return Staged{}, fmt.Errorf("oss store: stage: %w", err)
	}
	return Staged{ID: filepath.Base(f.Name()), Size: n, MD5: m.Sum(nil), CRC64: c.Sum64()}, nil
}

func (d *DiskStore) stagedPath(s Staged) (string, error) {
	if !strings.HasPrefix(s.ID, "stage-") || filepath.Base(s.ID) != s.ID {
		return "", fmt.Errorf("oss store: bad staged id %q", s.ID)
	}
	return filepath.Join(d.dir, "tmp", s.ID), nil
}

// Discard removes a staged file.
func (d *DiskStore) Discard(s Staged) error {
	p, err := d.stagedPath(s)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// record is the on-disk sidecar: the object plus the name of its data file.
type record struct {
	Object
	Data string
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// Commit moves the staged file into place as obj.
func (d *DiskStore) Commit(s Staged, obj Object, forbidOverwrite bool) (Object, error) {
	p, err := d.stagedPath(s)
	if err != nil {
		return Object{}, err
	}
	return d.install(p, obj, forbidOverwrite)
}

// install renames the file at src to be obj's body and writes its sidecar.
func (d *DiskStore) install(src string, obj Object, forbidOverwrite bool) (Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := os.Stat(filepath.Join(d.bucketDir(obj.Bucket), "bucket.json")); err != nil {
		os.Remove(src)
		return Object{}, fmt.Errorf("bucket %q: %w", obj.Bucket, ErrNotFound)
	}
	base := d.objectBase(obj.Bucket, obj.Key)
	var old record
	oldErr := readJSON(base+".json", &old)
	if oldErr == nil && forbidOverwrite {
		os.Remove(src)
		return Object{}, ErrExists
	}
	data := filepath.Base(base) + "." + randomHex(8)
	if err := os.Rename(src, filepath.Join(filepath.Dir(base), data)); err != nil {
		os.Remove(src)
		return Object{}, fmt.Errorf("oss store: %w", err)
	}
	if err := writeJSON(base+".json", record{Object: obj, Data: data}); err != nil {
		os.Remove(filepath.Join(filepath.Dir(base), data))
		return Object{}, fmt.Errorf("oss store: %w", err)
	}
	if oldErr == nil && old.Data != "" {
		os.Remove(filepath.Join(filepath.Dir(base), old.Data))
	}
	return obj, nil
}

func (d *DiskStore) readRecord(bucket, key string) (record, error) {
	if !ValidBucketName(bucket) {
		return record{}, ErrNotFound
	}
	var rec record
	if err := readJSON(d.objectBase(bucket, key)+".json", &rec); err != nil {
		return record{}, err
	}
	if rec.Key != key { // sha256 collision is not a concern; a corrupt sidecar is
		return record{}, ErrNotFound
	}
	return rec, nil
}

// Stat returns an object's metadata.
func (d *DiskStore) Stat(bucket, key string) (Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec, err := d.readRecord(bucket, key)
	return rec.Object, err
}

// Open opens an object's body. The handle stays valid if the object is
// replaced or deleted meanwhile.
func (d *DiskStore) Open(bucket, key string) (io.ReadSeekCloser, Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec, err := d.readRecord(bucket, key)
	if err != nil {
		return nil, Object{}, err
	}
	f, err := os.Open(filepath.Join(filepath.Dir(d.objectBase(bucket, key)), rec.Data))
	if err != nil {
		return nil, Object{}, fmt.Errorf("oss store: %w", err)
	}
	return f, rec.Object, nil
}

// UpdateObject changes an object's metadata in place.
func (d *DiskStore) UpdateObject(bucket, key string, fn func(*Object) error) (Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec, err := d.readRecord(bucket, key)
	if err != nil {
		return Object{}, err
	}
	if err := fn(&rec.Object); err != nil {
		return Object{}, err
	}
	if err := writeJSON(d.objectBase(bucket, key)+".json", rec); err != nil {
		return Object{}, fmt.Errorf("oss store: %w", err)
	}
	return rec.Object, nil
}

// Delete removes an object.
func (d *DiskStore) Delete(bucket, key string) (Object, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec, err := d.readRecord(bucket, key)
	if err != nil {
		return Object{}, err
	}
	base := d.objectBase(bucket, key)
	if err := os.Remove(base + ".json"); err != nil {
		return Object{}, fmt.Errorf("oss store: %w", err)
	}
	os.Remove(filepath.Join(filepath.Dir(base), rec.Data))
	return rec.Object, nil
}

// List walks the bucket's objects in key order.
func (d *DiskStore) List(bucket, prefix, marker string, fn func(Object) bool) error {
	d.mu.Lock()
	dir := filepath.Join(d.bucketDir(bucket), "objects")
	entries, err := os.ReadDir(dir)
	var objs []Object
	if err == nil {
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			var rec record
			if readJSON(filepath.Join(dir, e.Name()), &rec) != nil {
				continue
			}
			if strings.HasPrefix(rec.Key, prefix) && rec.Key > marker {
				objs = append(objs, rec.Object)
			}
		}
	}
	d.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("oss store: %w", err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	for _, o := range objs {
		if !fn(o) {
			break
		}
	}
	return nil
}

var uploadID = regexp.MustCompile(`^[0-9A-F]{32}$`)

func (d *DiskStore) uploadDir(id string) (string, error) {
	if !uploadID.MatchString(id) {
		return "", ErrNotFound
	}
	return filepath.Join(d.dir, "uploads", id), nil
}

// NewUploadID returns a fresh upload id in the format DiskStore accepts.
func NewUploadID() string { return strings.ToUpper(randomHex(16)) }

// CreateUpload records an initiated multipart upload.
func (d *DiskStore) CreateUpload(u Upload) error {
	dir, err := d.uploadDir(u.ID)
	if err != nil {
		return fmt.Errorf("oss store: bad upload id %q", u.ID)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("oss store: %w", err)
	}
	return writeJSON(filepath.Join(dir, "upload.json"), u)
}

// GetUpload returns an upload or ErrNotFound.
func (d *DiskStore) GetUpload(id string) (Upload, error) {
	dir, err := d.uploadDir(id)
	if err != nil {
		return Upload{}, err
	}
	var u Upload
	err = readJSON(filepath.Join(dir, "upload.json"), &u)
	return u, err
}

// PutPart installs (or replaces) part p of the upload.
func (d *DiskStore) PutPart(id string, p Part, s Staged) error {
	src, err := d.stagedPath(s)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dir, err := d.uploadDir(id)
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "upload.json"))
	}
	if err != nil {
		os.Remove(src)
		return ErrNotFound
	}
	n := strconv.Itoa(p.Number)
	if err := os.Rename(src, filepath.Join(dir, n+".data")); err != nil {
		os.Remove(src)
		return fmt.Errorf("oss store: %w", err)
	}
	return writeJSON(filepath.Join(dir, n+".json"), p)
}

// Parts lists the upload's parts in ascending part number.
func (d *DiskStore) Parts(id string) ([]Part, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.partsLocked(id)
}

func (d *DiskStore) partsLocked(id string) ([]Part, error) {
	dir, err := d.uploadDir(id)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oss store: %w", err)
	}
	var parts []Part
	for _, e := range entries {
		name := e.Name()
		if name == "upload.json" || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		var p Part
		if err := readJSON(filepath.Join(dir, name), &p); err != nil {
			return nil, fmt.Errorf("oss store: part %s: %w", name, err)
		}
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// CompleteUpload concatenates the parts into obj.
func (d *DiskStore) CompleteUpload(id string, parts []int, obj Object, forbidOverwrite bool) (Object, error) {
	dir, err := d.uploadDir(id)
	if err != nil {
		return Object{}, err
	}
	if _, err := os.Stat(filepath.Join(dir, "upload.json")); err != nil {
		return Object{}, ErrNotFound
	}
	out, err := os.CreateTemp(filepath.Join(d.dir, "tmp"), "stage-*")
	if err != nil {
		return Object{}, fmt.Errorf("oss store: %w", err)
	}
	err = concatParts(out, dir, parts)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return Object{}, err
	}
	obj, err = d.install(out.Name(), obj, forbidOverwrite)
	if err != nil {
		return Object{}, err
	}
	os.RemoveAll(dir)
	return obj, nil
}

func concatParts(out *os.File, dir string, parts []int) error {
	for _, n := range parts {
		f, err := os.Open(filepath.Join(dir, strconv.Itoa(n)+".data"))
		if err != nil {
			return fmt.Errorf("oss store: part %d: %w", n, err)
		}
		_, err = io.Copy(out, f) // copy_file_range on Linux: no user-space buffer
		f.Close()
		if err != nil {
			return fmt.Errorf("oss store: part %d: %w", n, err)
		}
	}
	return nil
}

// AbortUpload removes an upload and its parts.
func (d *DiskStore) AbortUpload(id string) error {
	dir, err := d.uploadDir(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "upload.json")); err != nil {
		return ErrNotFound
	}
	return os.RemoveAll(dir)
}
