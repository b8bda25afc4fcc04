package oss

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/ossupload/ossupload/local/iam"
)

// SparseObject describes a test-only object of Size bytes: Head, then
// zeros. On the disk store it is a sparse file, so a multi-GiB object
// costs a few KiB of disk; tests use it to show that a reader (verify)
// reads only the bytes it needs.
type SparseObject struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
	Head        []byte `json:"head"` // JSON: base64
	Size        int64  `json:"size"`
}

// PutSparse stores o as if PutObject had (with the developer's account as
// the writer) and publishes its ObjectCreated:PutObject event. Hashing
// gigabytes would take seconds, so the object is not what a real upload
// of those bytes would give: its ETag is the MD5 of Head and Size (not of
// the content) and its CRC-64 is 0, so a whole-object GET that checks the
// CRC fails; ranged reads, HEAD and tags behave as for any object. Only
// the disk store supports it.
func (s *Server) PutSparse(o SparseObject) (Object, error) {
	d, ok := s.store.(*DiskStore)
	if !ok {
		return Object{}, errors.New("sparse objects need the disk store")
	}
	if o.Size < int64(len(o.Head)) || o.Key == "" {
		return Object{}, fmt.Errorf("sparse object: size %d below its head (%d bytes), or no key", o.Size, len(o.Head))
	}
	st, err := d.Stage(bytes.NewReader(o.Head))
	if err != nil {
		return Object{}, err
	}
	path, err := d.stagedPath(st)
	if err == nil {
		err = os.Truncate(path, o.Size) // a hole: nothing written
	}
	if err != nil {
		_ = d.Discard(st)
		return Object{}, fmt.Errorf("sparse object: %w", err)
	}
	m := md5.New()
	m.Write(o.Head)
	_ = binary.Write(m, binary.BigEndian, o.Size)
	st.Size, st.MD5, st.CRC64 = o.Size, m.Sum(nil), 0
	now := s.now().UTC()
	old := s.previousSize(o.Bucket, o.Key)
	obj, err := s.commit(st, Object{Bucket: o.Bucket, Key: o.Key, ContentType: o.ContentType, LastModified: now, Type: typeNormal}, "", false)
	if err != nil {
		return Object{}, err
	}
	if s.events != nil {
		s.events.Publish(Event{Name: "ObjectCreated:PutObject", Bucket: o.Bucket, Region: s.region, Key: obj.Key, ETag: obj.ETag,
			Size: obj.Size, DeltaSize: obj.Size - old, RequestID: newRequestID(), SourceIP: "127.0.0.1", PrincipalID: iam.AccountID,
			ContentType: obj.ContentType, Time: now})
	}
	return obj, nil
}
