// Package verifiertest provides an in-memory fake of verifier.Store and a
// contract test that the fake and the real OSS-backed store (against the
// local OSS emulator) both pass, so tests written against the fake mean
// something for the real thing.
package verifiertest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ossupload/ossupload/shared/verifier"
)

// Object is one stored object of the fake.
type Object struct {
	Size               int64
	ETag               string
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ObjectType         string // "Normal" after Put, "Multipart" after PutLazy
	StorageClass       string // "Standard" unless changed with Modify
	Meta               map[string]string
	Tags               map[string]string
	data               []byte // small objects
	prefix             []byte // lazy objects: prefix, then a repeating pattern up to Size
}

// byteAt returns the object's byte at off (lazily generated for big objects).
func (o *Object) byteAt(off int64) byte {
	if o.data != nil {
		return o.data[off]
	}
	if off < int64(len(o.prefix)) {
		return o.prefix[off]
	}
	return byte(off * 31)
}

// Fake is an in-memory verifier.Store. It counts the content bytes handed
// out through GetRange and records each call, and can be told to fail.
type Fake struct {
	mu      sync.Mutex
	objects map[string]*Object
	calls   []string
	fail    map[string][]error
	hooks   map[string][]func()
	seq     int

	bytesRead atomic.Int64
}

// NewFake returns an empty fake store.
func NewFake() *Fake {
	return &Fake{objects: map[string]*Object{}, fail: map[string][]error{}, hooks: map[string][]func(){}}
}

// Put stores data under key and returns its ETag (upper-case hex MD5, as
// OSS gives for single-part uploads). Tags are cleared, as an overwrite in
// OSS does.
func (f *Fake) Put(key string, data []byte, contentType string, meta map[string]string) string {
	sum := md5.Sum(data)
	etag := strings.ToUpper(hex.EncodeToString(sum[:]))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = &Object{Size: int64(len(data)), ETag: etag, ContentType: contentType, ObjectType: "Normal", StorageClass: "Standard",
		Meta: lower(meta), Tags: map[string]string{}, data: slices.Clone(data)}
	return etag
}

// Modify changes a stored object's attributes in place (headers an uploader
// may set, object type, storage class), as OSS would have stored them. The
// ETag and content are unchanged unless fn changes them.
func (f *Fake) Modify(key string, fn func(o *Object)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.objects[key]; ok {
		fn(o)
	}
}

// OnNext runs fn (outside the store's lock) just before the next call of op
// is served, e.g. to overwrite an object between two steps of the verifier.
func (f *Fake) OnNext(op string, fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[op] = append(f.hooks[op], fn)
}

func (f *Fake) hook(op string) {
	f.mu.Lock()
	q := f.hooks[op]
	var fn func()
	if len(q) > 0 {
		fn, f.hooks[op] = q[0], q[1:]
	}
	f.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// PutLazy stores an object of size bytes whose content is prefix followed by
// a generated pattern, without holding it in memory. Its ETag is a
// multipart-style ETag unique to this call.
func (f *Fake) PutLazy(key string, prefix []byte, size int64, contentType string, meta map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	etag := fmt.Sprintf("%032X-%d", f.seq, size/(8<<20)+1)
	f.objects[key] = &Object{Size: size, ETag: etag, ContentType: contentType, ObjectType: "Multipart", StorageClass: "Standard",
		Meta: lower(meta), Tags: map[string]string{}, prefix: slices.Clone(prefix)}
	return etag
}

// Get returns a copy of the object's attributes and whether it exists.
func (f *Fake) Get(key string) (Object, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[key]
	if !ok {
		return Object{}, false
	}
	c := *o
	c.Meta, c.Tags = maps.Clone(o.Meta), maps.Clone(o.Tags)
	return c, true
}

// Keys lists the stored keys in order.
func (f *Fake) Keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.objects))
}

// BytesRead is the number of content bytes read through GetRange so far.
func (f *Fake) BytesRead() int64 { return f.bytesRead.Load() }

// Calls returns the calls made so far, as "Op key".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CountCalls counts calls of one operation ("Copy", "Delete", ...).
func (f *Fake) CountCalls(op string) int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, op+" ") {
			n++
		}
	}
	return n
}

// FailNext makes the next call of op (e.g. "Head", "PutTags") return err.
func (f *Fake) FailNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = append(f.fail[op], err)
}

func (f *Fake) enter(op, key string) error {
	f.calls = append(f.calls, op+" "+key)
	if q := f.fail[op]; len(q) > 0 {
		f.fail[op] = q[1:]
		return q[0]
	}
	return nil
}

func (f *Fake) obj(op, key string) (*Object, error) {
	if err := f.enter(op, key); err != nil {
		return nil, err
	}
	o, ok := f.objects[key]
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", op, key, verifier.ErrNotFound)
	}
	return o, nil
}

// Head implements verifier.Store.
func (f *Fake) Head(_ context.Context, key string) (verifier.ObjectInfo, error) {
	f.hook("Head")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.obj("Head", key)
	if err != nil {
		return verifier.ObjectInfo{}, err
	}
	return verifier.ObjectInfo{Size: o.Size, ETag: o.ETag, ContentType: o.ContentType,
		ContentEncoding: o.ContentEncoding, ContentDisposition: o.ContentDisposition,
		ObjectType: o.ObjectType, StorageClass: o.StorageClass, Meta: maps.Clone(o.Meta)}, nil
}

// GetRange implements verifier.Store; bytes are generated as they are read.
func (f *Fake) GetRange(_ context.Context, key, etag string, n int64) (io.ReadCloser, error) {
	f.hook("GetRange")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.obj("GetRange", key)
	if err != nil {
		return nil, err
	}
	if etag != "" && verifier.NormalizeETag(etag) != o.ETag {
		return nil, fmt.Errorf("get %q: %w", key, verifier.ErrChanged)
	}
	if n > o.Size {
		n = o.Size
	}
	return &rangeReader{o: o, end: n, count: &f.bytesRead}, nil
}

type rangeReader struct {
	o     *Object
	off   int64
	end   int64
	count *atomic.Int64
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.off < r.end {
		p[n] = r.o.byteAt(r.off)
		n++
		r.off++
	}
	r.count.Add(int64(n))
	return n, nil
}

func (r *rangeReader) Close() error { return nil }

// GetTags implements verifier.Store.
func (f *Fake) GetTags(_ context.Context, key string) (map[string]string, error) {
	f.hook("GetTags")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.obj("GetTags", key)
	if err != nil {
		return nil, err
	}
	return maps.Clone(o.Tags), nil
}

// PutTags implements verifier.Store.
func (f *Fake) PutTags(_ context.Context, key string, tags map[string]string) error {
	f.hook("PutTags")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.obj("PutTags", key)
	if err != nil {
		return err
	}
	if len(tags) > 10 {
		return fmt.Errorf("put tags %q: %d tags, OSS allows 10", key, len(tags))
	}
	o.Tags = maps.Clone(tags)
	return nil
}

// Copy implements verifier.Store.
func (f *Fake) Copy(_ context.Context, src, dst, etag string, tags map[string]string) error {
	f.hook("Copy")
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Copy", src+" -> "+dst); err != nil {
		return err
	}
	o, ok := f.objects[src]
	if !ok {
		return fmt.Errorf("copy %q: %w", src, verifier.ErrNotFound)
	}
	if etag != "" && verifier.NormalizeETag(etag) != o.ETag {
		return fmt.Errorf("copy %q: %w", src, verifier.ErrChanged)
	}
	c := *o
	c.Meta, c.Tags = maps.Clone(o.Meta), maps.Clone(tags)
	f.objects[dst] = &c
	return nil
}

// Delete implements verifier.Store.
func (f *Fake) Delete(_ context.Context, key string) error {
	f.hook("Delete")
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Delete", key); err != nil {
		return err
	}
	delete(f.objects, key)
	return nil
}

func lower(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
