package oss

import (
	"encoding/xml"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// genReader yields n deterministic bytes without holding them.
type genReader struct {
	n, off int64
	block  []byte
}

func newGenReader(n int64) *genReader {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return &genReader{n: n, block: b}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	if rem := g.n - g.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	k := 0
	for k < len(p) {
		k += copy(p[k:], g.block[(g.off+int64(k))%int64(len(g.block)):])
	}
	g.off += int64(k)
	return k, nil
}

// heapSampler records the peak HeapInuse while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		var m runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > h.peak.Load() {
				h.peak.Store(m.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 { close(h.stop); h.wg.Wait(); return h.peak.Load() }

// streamMultipart pushes total bytes through the handler as a multipart
// upload of partSize parts, then reads the object back, and returns the
// peak heap growth over the baseline seen while doing so.
func streamMultipart(t *testing.T, total, partSize int64) uint64 {
	w := newWireEnv(t)
	const host, path = "127.0.0.1:9000", "/examplebucket/big.bin"
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	sampler := startHeapSampler()

	rec := w.do(w.signed("POST", host, path+"?uploads", path+"?uploads", nil, nil))
	var init struct{ UploadId string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &init); err != nil {
		t.Fatalf("initiate: %d %s", rec.Code, rec.Body)
	}
	gen := newGenReader(total)
	want := crc64.New(crcTable)
	body := "<CompleteMultipartUpload>"
	for n := 1; gen.off < total; n++ {
		size := min(partSize, total-gen.off)
		q := fmt.Sprintf("?partNumber=%d&uploadId=%s", n, init.UploadId)
		r := w.signed("PUT", host, path+q, path+q, nil, nil)
		r.Body = io.NopCloser(io.TeeReader(io.LimitReader(gen, size), want))
		r.ContentLength = size
		rec := w.do(r)
		if rec.Code != 200 {
			t.Fatalf("part %d: %d %s", n, rec.Code, rec.Body)
		}
		body += fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, rec.Header().Get("ETag"))
	}
	body += "</CompleteMultipartUpload>"
	q := "?uploadId=" + init.UploadId
	rec = w.do(w.signed("POST", host, path+q, path+q, []byte(body), nil))
	if rec.Code != 200 {
		t.Fatalf("complete: %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("x-oss-hash-crc64ecma"); got != strconv.FormatUint(want.Sum64(), 10) {
		t.Fatalf("combined CRC %s, want %d", got, want.Sum64())
	}
	// Read it back through the handler into a CRC, never into memory.
	sink := &crcWriter{h: crc64.New(crcTable), header: http.Header{}}
	w.srv.ServeHTTP(sink, w.signed("GET", host, path, path, nil, nil))
	if sink.code != 200 || sink.n != total || sink.h.Sum64() != want.Sum64() {
		t.Fatalf("read back: status %d, %d bytes, crc %d want %d", sink.code, sink.n, sink.h.Sum64(), want.Sum64())
	}
	peak := sampler.Stop()
	if peak < base.HeapInuse {
		return 0
	}
	return peak - base.HeapInuse
}

// crcWriter is an http.ResponseWriter that only hashes the body.
type crcWriter struct {
	h interface {
		io.Writer
		Sum64() uint64
	}
	header http.Header
	code   int
	n      int64
}

func (c *crcWriter) Header() http.Header  { return c.header }
func (c *crcWriter) WriteHeader(code int) { c.code = code }
func (c *crcWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = 200
	}
	c.n += int64(len(p))
	return c.h.Write(p)
}

var _ http.ResponseWriter = (*crcWriter)(nil)

// maxHeapGrowth is far below any part size: bodies must stream.
const maxHeapGrowth = 16 << 20

// TestMultipartMemoryFlat streams 1 GiB in 100 MiB parts through the
// handler (about 8 s and 2 GiB of temporary disk on a 2-core machine) and
// reads it back, sampling HeapInuse all the while: growth must stay far
// below one part. With -short it streams 64 MiB in 16 MiB parts instead.
func TestMultipartMemoryFlat(t *testing.T) {
	total, part := int64(1<<30), int64(100<<20)
	if testing.Short() {
		total, part = 64<<20, 16<<20
	}
	g := streamMultipart(t, total, part)
	if g > maxHeapGrowth {
		t.Fatalf("heap grew by %d bytes while streaming %d MiB", g, total>>20)
	}
	t.Logf("peak heap growth %d KiB while streaming %d MiB", g>>10, total>>20)
}
