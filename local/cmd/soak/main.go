// Command soak is the sign function's load benchmark on the local stack:
// it starts the stack (functions from -bin, data in a temporary folder, free
// ports), sends -n sign requests at -c concurrency through the sign
// function's HTTP trigger, then uploads -uploads of the returned forms to
// the OSS emulator by PostObject, and reports requests per second, latency
// percentiles, errors and the sign process's peak resident memory. Any
// error makes it exit 1.
//
//	make build-host && go run ./local/cmd/soak -n 10000 -c 64 -uploads 500
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossupload/ossupload/local/stack"
)

type signResponse struct {
	URL    string            `json:"url"`
	Key    string            `json:"key"`
	Fields map[string]string `json:"fields"`
}

func main() {
	n := flag.Int("n", 10000, "sign requests")
	c := flag.Int("c", 64, "concurrent requests")
	uploads := flag.Int("uploads", 500, "returned forms to upload to the OSS emulator")
	bin := flag.String("bin", "build/host", "folder with the host builds of the functions (make build-host)")
	flag.Parse()
	if err := run(*n, *c, *uploads, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(n, conc, uploads int, bin string) error {
	dir, err := os.MkdirTemp("", "ossupload-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := stack.Start(ctx, stack.Config{
		OSSAddr: "127.0.0.1:0", STSAddr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", SignAddr: "127.0.0.1:0", STSFunctionAddr: "127.0.0.1:0",
		DataDir: dir, BinDir: bin, SYAML: "s.yaml", Template: "template.yaml", WebRoot: "web", Output: io.Discard,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	name := os.Getenv("OSSUPLOAD_NAME")
	if name == "" {
		name = "ossupload"
	}
	name += "-sign"

	content := pngBytes()
	reqBody, _ := json.Marshal(map[string]any{"filename": "soak.png", "contentType": "image/png", "size": len(content)})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 30 * time.Second}
	signURL := s.Ready.Functions["sign"]

	latencies := make([]time.Duration, n)
	forms := make([]signResponse, 0, uploads)
	var (
		mu     sync.Mutex
		errs   atomic.Int64
		next   atomic.Int64
		first  string
		wg     sync.WaitGroup
		every  = max(1, n/max(uploads, 1))
		starts = time.Now()
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				resp, err := sign(client, signURL, s.Ready.JWT, reqBody)
				latencies[i] = time.Since(t0)
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err.Error()
						mu.Unlock()
					}
					continue
				}
				if i%every == 0 {
					mu.Lock()
					if len(forms) < uploads {
						forms = append(forms, resp)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(starts)
	peak := vmHWM(s.FunctionPID(name))

	// Upload the sampled forms, conc at a time.
	var upErrs atomic.Int64
	var firstUp atomic.Value
	jobs := make(chan signResponse)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				if err := postForm(client, f, content); err != nil {
					if upErrs.Add(1) == 1 {
						firstUp.Store(err.Error())
					}
				}
			}
		}()
	}
	for _, f := range forms {
		jobs <- f
	}
	close(jobs)
	wg.Wait()

	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	fmt.Printf("sign requests   %d at concurrency %d in %v: %.0f req/s\n", n, conc, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	fmt.Printf("latency         p50 %v  p99 %v  max %v\n", pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), latencies[n-1].Round(time.Microsecond))
	fmt.Printf("sign errors     %d\n", errs.Load())
	fmt.Printf("uploads         %d of the returned forms, %d failed\n", len(forms), upErrs.Load())
	fmt.Printf("sign peak RSS   %.1f MiB (VmHWM of pid %d)\n", float64(peak)/(1<<20), s.FunctionPID(name))
	if errs.Load() > 0 || upErrs.Load() > 0 || len(forms) < uploads {
		if first != "" {
			fmt.Println("first sign error:", first)
		}
		if v, ok := firstUp.Load().(string); ok {
			fmt.Println("first upload error:", v)
		}
		return fmt.Errorf("%d sign errors, %d upload errors, %d forms uploaded (wanted %d)", errs.Load(), upErrs.Load(), len(forms), uploads)
	}
	return nil
}

func sign(client *http.Client, u, jwt string, body []byte) (signResponse, error) {
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return signResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return signResponse{}, err
	}
	if res.StatusCode != http.StatusOK {
		return signResponse{}, fmt.Errorf("sign: HTTP %d: %.200s", res.StatusCode, raw)
	}
	var out signResponse
	if err := json.Unmarshal(raw, &out); err != nil || out.URL == "" || out.Key == "" {
		return signResponse{}, fmt.Errorf("sign: unexpected answer %.200s", raw)
	}
	return out, nil
}

// postForm uploads content with a signed form, as a browser does.
func postForm(client *http.Client, f signResponse, content []byte) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range f.Fields {
		if err := mw.WriteField(k, v); err != nil {
			return err
		}
	}
	fw, err := mw.CreateFormFile("file", "soak.png")
	if err != nil {
		return err
	}
	fw.Write(content)
	mw.Close()
	res, err := client.Post(f.URL, mw.FormDataContentType(), &body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("PostObject %s: HTTP %d: %.300s", f.Key, res.StatusCode, raw)
	}
	return nil
}

func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		img.Set(x, x, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// vmHWM is a process's peak resident set size in bytes (proc(5)), 0 if unknown.
func vmHWM(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
