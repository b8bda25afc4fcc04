package oss

import (
	"encoding/json"
	"fmt"
	"github.com/ossupload/ossupload/local/faultset"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault injection: make the emulator misbehave on purpose, for one
// operation and a key pattern, so tests (and people trying the stack) can
// see what the functions and the app do when OSS fails.
//
//	var f oss.Faults
//	h := f.Wrap(server)                 // the one-line hook
//	f.Add(oss.Fault{Op: "GetObjectTagging", Key: "uploads/*/*", Action: oss.FaultError, Status: 503})
//	f.Clear()
//
// Over HTTP, on the wrapped emulator (path style), the same as JSON:
//
//	curl -X POST localhost:9000/_emulator/faults -d '{"op":"GetObjectTagging","key":"uploads/*/*","action":"error","status":503}'
//	curl localhost:9000/_emulator/faults          # list
//	curl -X DELETE localhost:9000/_emulator/faults # clear
//
// "_emulator" is not a valid bucket name, so the path never names a bucket.

// Fault actions.
const (
	// FaultError answers with OSS's own error document: 503
	// ServiceUnavailable (the default) or 500 InternalError.
	FaultError = "error"
	// FaultSlow waits Delay (or until the client gives up), then serves
	// the request normally.
	FaultSlow = "slow"
	// FaultDrop closes the connection without an answer.
	FaultDrop = "drop"
	// FaultKill kills the process of Function (a function of the local
	// FC runtime, the caller) while it waits for this answer, as FC kills
	// an instance out of memory, then drops the connection. It needs a
	// killer (SetKiller), which the local stack sets.
	FaultKill = "kill"
)

// Fault is one injected failure.
type Fault struct {
	// Op is the OSS API name the request is routed to ("PutObject",
	// "PostObject", "GetObject", "HeadObject", "GetObjectMeta",
	// "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
	// "DeleteObject", "CopyObject", "AppendObject", "ListObjects",
	// "InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
	// "AbortMultipartUpload", "ListParts", "PutSymlink", "GetSymlink",
	// "Options"); "" or "*" matches all.
	Op string `json:"op,omitempty"`
	// Key is a path.Match pattern on the object key ("uploads/*/x-*.png":
	// "*" does not cross "/");
	// "" matches all. PostObject names its key inside the form, so only ""
	// and "*" match it.
	Key    string `json:"key,omitempty"`
	Action string `json:"action,omitempty"` // FaultError (default), FaultSlow, FaultDrop or FaultKill
	// Function names the function whose process FaultKill kills.
	Function string `json:"function,omitempty"`
	// Status is 503 (default) or 500, for FaultError.
	Status int `json:"status,omitempty"`
	// Delay is the wait of FaultSlow (default one minute). JSON: a Go
	// duration string such as "30s".
	Delay time.Duration `json:"-"`
	// Times is how many matching requests the fault hits before it
	// retires itself; 0 means until Clear.
	Times int `json:"times,omitempty"`
}

// The real documents (OSS error responses, https://help.aliyun.com/zh/oss/support/http-status-code-503:
// "ServiceUnavailable / Thread pool is almost full, please retry later";
// InternalError as errInternal).
func errServiceUnavailable() *Error {
	return newError(http.StatusServiceUnavailable, "ServiceUnavailable", "Thread pool is almost full, please retry later", "")
}

// Faults is a set of injected failures; the zero value is empty and ready.
type Faults struct {
	set  faultset.Set[Fault]
	mu   sync.Mutex // guards kill
	kill func(function string) error
}

// Selector implements faultset.Fault: a fault matches on the OSS API name
// and a pattern on the object key.
func (ft Fault) Selector() (op, pattern string, times int) { return ft.Op, ft.Key, ft.Times }

// SetKiller sets what FaultKill calls to kill a function's process; it
// returns once the process is gone.
func (f *Faults) SetKiller(kill func(function string) error) {
	f.mu.Lock()
	f.kill = kill
	f.mu.Unlock()
}

// Add arms a fault. It returns an error for an unknown action or status.
func (f *Faults) Add(ft Fault) error {
	switch ft.Action {
	case "":
		ft.Action = FaultError
	case FaultError, FaultSlow, FaultDrop:
	case FaultKill:
		f.mu.Lock()
		noKiller := f.kill == nil
		f.mu.Unlock()
		if ft.Function == "" {
			return fmt.Errorf("fault action kill needs the function whose process to kill")
		}
		if noKiller {
			return fmt.Errorf("fault action kill needs a function runtime (the local stack)")
		}
	default:
		return fmt.Errorf("unknown fault action %q (want error, slow, drop or kill)", ft.Action)
	}
	if err := faultset.Fill(ft.Action == FaultError, &ft.Status, ft.Action == FaultSlow, &ft.Delay, "key", ft.Key); err != nil {
		return err
	}
	f.set.Add(ft)
	return nil
}

// Clear removes every fault.
func (f *Faults) Clear() { f.set.Clear() }

// Hits is how many requests faults have hit so far.
func (f *Faults) Hits() int { return f.set.Hits() }

// adminPath is where the wrapped emulator takes fault commands.
const adminPath = "/_emulator/faults"

// Wrap returns h with the faults applied in front of it, and the admin
// endpoint at /_emulator/faults.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket, key := resolve(r.Host, r.URL.Path)
		if bucket+"/"+key == strings.TrimPrefix(adminPath, "/") {
			f.admin(w, r)
			return
		}
		if sp, ok := h.(sparsePutter); ok && bucket+"/"+key == strings.TrimPrefix(sparsePath, "/") {
			serveSparse(sp, w, r)
			return
		}
		ft, ok := f.set.Match(operation(r, key), key)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		switch ft.Action {
		case FaultSlow:
			t := time.NewTimer(ft.Delay)
			defer t.Stop()
			select {
			case <-t.C:
				h.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		case FaultKill, FaultDrop:
			if ft.Action == FaultKill {
				f.mu.Lock()
				kill := f.kill
				f.mu.Unlock()
				if err := kill(ft.Function); err != nil {
					// Nothing of that function was running: the caller is
					// someone else, who gets an OSS InternalError instead.
					id := newRequestID()
					w.Header().Set("x-oss-request-id", id)
					writeError(w, r, id, errInternal())
					return
				}
			}
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler) // net/http closes the connection
		default:
			id := newRequestID()
			w.Header().Set("x-oss-request-id", id)
			w.Header().Set("Server", "AliyunOSS")
			w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
			e := errInternal()
			if ft.Status == http.StatusServiceUnavailable {
				e = errServiceUnavailable()
			}
			writeError(w, r, id, e)
		}
	})
}

// sparsePath takes test-only sparse objects (POST, a SparseObject as
// JSON): a multi-GiB object without writing gigabytes, see PutSparse.
const sparsePath = "/_emulator/sparse-object"

type sparsePutter interface {
	PutSparse(SparseObject) (Object, error)
}

func serveSparse(sp sparsePutter, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var o SparseObject
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		http.Error(w, "sparse object: "+err.Error(), http.StatusBadRequest)
		return
	}
	obj, err := sp.PutSparse(o)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		ETag string `json:"etag"`
		Size int64  `json:"size"`
	}{obj.ETag, obj.Size})
}

func (f *Faults) admin(w http.ResponseWriter, r *http.Request) {
	faultset.Admin(w, r, &f.set, f.Add, func(ft *Fault) *time.Duration { return &ft.Delay })
}

// operation names the OSS API a request goes to, as Server.serve routes it.
func operation(r *http.Request, key string) string {
	q := r.URL.Query()
	if r.Method == http.MethodOptions {
		return "Options"
	}
	if key == "" {
		switch {
		case r.Method == http.MethodPost && isMultipartForm(r):
			return "PostObject"
		case r.Method == http.MethodGet:
			return "ListObjects"
		}
		return "Bucket" + strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:])
	}
	switch r.Method {
	case http.MethodPut:
		switch {
		case q.Has("uploadId"):
			return "UploadPart"
		case q.Has("tagging"):
			return "PutObjectTagging"
		case q.Has("symlink"):
			return "PutSymlink"
		case r.Header.Get("x-oss-copy-source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodGet, http.MethodHead:
		switch {
		case r.Method == http.MethodGet && q.Has("uploadId"):
			return "ListParts"
		case r.Method == http.MethodGet && q.Has("tagging"):
			return "GetObjectTagging"
		case q.Has("symlink"):
			return "GetSymlink"
		case q.Has("objectMeta"):
			return "GetObjectMeta"
		case r.Method == http.MethodHead:
			return "HeadObject"
		}
		return "GetObject"
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return "AbortMultipartUpload"
		case q.Has("tagging"):
			return "DeleteObjectTagging"
		}
		return "DeleteObject"
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return "InitiateMultipartUpload"
		case q.Has("uploadId"):
			return "CompleteMultipartUpload"
		case q.Has("append"):
			return "AppendObject"
		case isMultipartForm(r):
			return "PostObject"
		}
	}
	return r.Method + " " + strconv.Quote(key)
}
