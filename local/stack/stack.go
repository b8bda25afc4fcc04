// Package stack composes the local stack: the OSS and STS emulators, the FC
// runtime running the real function binaries with the environment and
// triggers of s.yaml and the roles of template.yaml, the OSS trigger wired
// from the emulator's events to the verify function, and the demo page.
// `go run ./local` (make run) is a thin command line around Start.
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ossupload/ossupload/local/devpage"
	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
	"github.com/ossupload/ossupload/local/ossevents"
	"github.com/ossupload/ossupload/local/sdevs"
	"github.com/ossupload/ossupload/local/sts"
	"github.com/ossupload/ossupload/shared/auth"
)

// Region is the region the local stack emulates.
const Region = "cn-hangzhou"

// DevUser is the user id of the development JWT printed in the READY line.
const DevUser = "dev-user"

// Config chooses where the stack listens and what it runs.
type Config struct {
	// Listen addresses; port 0 picks a free port.
	OSSAddr, STSAddr, WebAddr, SignAddr, STSFunctionAddr string
	// DataDir keeps objects, identities and generated secrets across restarts.
	DataDir string
	// BinDir holds the host builds of the functions: <BinDir>/<resource id>/main.
	BinDir string
	// SYAML and Template are the deployment files the stack mirrors.
	SYAML, Template string
	// WebRoot is the demo page's folder.
	WebRoot string
	// CORSOrigins are the origins, comma-separated, that may call the
	// functions and upload to the bucket besides the demo page's own (a
	// frontend on its own dev server); "*" admits any. Empty means the
	// CORS_ALLOWED_ORIGINS value from Getenv.
	CORSOrigins string
	// Getenv supplies ${env()} values of s.yaml not set by the stack (default os.Getenv).
	Getenv func(string) string
	// Output receives the functions' output and the stack's logs (default os.Stderr).
	Output io.Writer
	// TimerInterval, when positive, replaces the interval of every enabled
	// timer trigger of s.yaml (tests run the sweep every few hundred ms).
	TimerInterval time.Duration
	// DropOSSEventsUnder, when set, loses the OSS events of keys under this
	// prefix before they reach any function, as a dropped event would be
	// lost: the sweep is what judges such uploads.
	DropOSSEventsUnder string
}

// Ready is the JSON of the READY line.
type Ready struct {
	OSS             string            `json:"oss"`
	STS             string            `json:"sts"`
	Web             string            `json:"web"`
	Functions       map[string]string `json:"functions"`
	Bucket          string            `json:"bucket"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	RoleARN         string            `json:"roleArn"`
	JWT             string            `json:"jwt"`
	User            string            `json:"user"`
	DataDir         string            `json:"dataDir"`
	// CORSOrigins may call the functions and upload to the bucket.
	CORSOrigins []string `json:"corsOrigins"`
	// EnvFile sets SIGN_URL, STS_URL, JWT, OSS_URL and WEB_URL for a shell.
	EnvFile string `json:"envFile"`
}

// Stack is a running local stack.
type Stack struct {
	Ready Ready
	// OSSFaults and STSFaults inject failures into the emulators (also
	// over HTTP at <emulator>/_emulator/faults); empty by default.
	OSSFaults oss.Faults
	STSFaults sts.Faults

	log      *slog.Logger
	servers  []*http.Server
	runtime  *fcruntime.Runtime
	dispatch *ossevents.Dispatcher
	wg       sync.WaitGroup

	dataGone   atomic.Bool // the data folder vanished (see watchDataDir)
	envPath    string      // the env file this stack wrote, and its content
	envContent []byte
}

type listener struct {
	name string
	ln   net.Listener
	url  string
}

// listen opens the listener of the flag named name (-oss, -web, ...).
func listen(name, addr string) (listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return listener{}, fmt.Errorf("%s: %s is already in use: another local stack may already be running (stop it with Ctrl-C), "+
			"or another program has the port; choose another address with -%s (port 0 picks a free one, e.g. -%s 127.0.0.1:0)",
			name, addr, name, name)
	}
	if err != nil {
		return listener{}, fmt.Errorf("%s: listen on %s: %w (choose another address with -%s; port 0 picks a free one)", name, addr, err, name)
	}
	return listener{name: name, ln: ln, url: "http://" + ln.Addr().String()}, nil
}

// Start brings the whole stack up and returns once every listener serves.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	log := slog.New(slog.NewTextHandler(cfg.Output, nil)).With("component", "localstack")
	s := &Stack{log: log}
	var lns []listener
	defer func() {
		if err != nil {
			s.Close()
			for _, l := range lns {
				l.ln.Close() // those not yet served
			}
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	state, err := loadDevState(cfg.DataDir)
	if err != nil {
		return nil, err
	}

	extra := cfg.CORSOrigins
	if extra == "" {
		extra = cfg.Getenv("CORS_ALLOWED_ORIGINS")
	}
	extraOrigins, err := corsOrigins(extra)
	if err != nil {
		return nil, err
	}

	// Listen first: the functions' configuration needs the URLs.
	for _, l := range []struct{ name, addr string }{
		{"oss", cfg.OSSAddr}, {"sts", cfg.STSAddr}, {"web", cfg.WebAddr}, {"sign", cfg.SignAddr}, {"sts-function", cfg.STSFunctionAddr},
	} {
		ln, err := listen(l.name, l.addr)
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
	}
	ossL, stsL, webL, signL, stsFnL := lns[0], lns[1], lns[2], lns[3], lns[4]

	bucket := cfg.Getenv("OSS_BUCKET")
	if bucket == "" {
		bucket = "ossupload-dev"
	}
	origins := append([]string{webL.url, strings.Replace(webL.url, "127.0.0.1", "localhost", 1)}, extraOrigins...)
	overrides := map[string]string{
		"OSS_BUCKET":           bucket,
		"OSS_REGION":           Region,
		"OSS_ENDPOINT":         ossL.url,
		"OSS_UPLOAD_URL":       ossL.url + "/" + bucket,
		"STS_ENDPOINT":         stsL.url,
		"AUTH_JWT_SECRET":      state.JWTSecret,
		"AUTH_JWKS_URL":        "",
		"AUTH_ALLOW_ANONYMOUS": "false",
		"CORS_ALLOWED_ORIGINS": strings.Join(origins, ","),
	}
	getenv := func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		return cfg.Getenv(k)
	}
	fns, err := sdevs.Load(cfg.SYAML, sdevs.Resolver{Getenv: getenv, Config: map[string]string{"AccountID": iam.AccountID}})
	if err != nil {
		return nil, err
	}

	// Identities: the developer, the FC service (which assumes function
	// roles), and the roles of template.yaml.
	store, err := iam.NewStore(filepath.Join(cfg.DataDir, "iam.json"), time.Now)
	if err != nil {
		return nil, err
	}
	uploaderARN, err := s.setupIdentities(store, state, cfg, fns, bucket)
	if err != nil {
		return nil, err
	}

	// Events: the OSS emulator publishes, the dispatcher delivers to the
	// FC runtime's async queue of the function whose oss trigger matches.
	s.dispatch = ossevents.NewDispatcher(ossevents.WithLogger(log.With("component", "oss-events")), ossevents.WithAccountID(iam.AccountID))
	ossSrv, err := oss.New(oss.Config{
		Region: Region, DataDir: filepath.Join(cfg.DataDir, "oss"), IAM: store,
		Events: publisher{d: s.dispatch, drop: cfg.DropOSSEventsUnder, log: log.With("component", "oss-events")}, Logger: log.With("component", "oss"),
	})
	if err != nil {
		return nil, err
	}
	// The rule ali-oss asks for in the browser: ETag exposed, since it
	// completes a multipart upload with the parts' ETags (ali-oss 6.23.0
	// README.md, "Browser Usage" > "Bucket setup"), and x-oss-request-id,
	// which it copies into its errors (lib/browser/client.js, requestId).
	if err := ossSrv.CreateBucket(bucket, []oss.CORSRule{{
		AllowedOrigins: origins,
		AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag", "x-oss-request-id", "x-oss-hash-crc64ecma", "x-oss-version-id"},
		MaxAgeSeconds:  600,
	}}); err != nil {
		return nil, err
	}
	// As template.yaml's UploadBucket (BlockPublicAccess: true).
	if err := ossSrv.SetBlockPublicAccess(bucket, true); err != nil {
		return nil, err
	}
	if err := setOverwriteRules(ossSrv, cfg.Template, fns, bucket); err != nil {
		return nil, err
	}

	dest := &destinations{dataDir: cfg.DataDir, log: log.With("component", "fc-destinations"), onFailure: map[string]string{}}
	s.runtime, err = fcruntime.New(fcruntime.Config{Output: cfg.Output, Logger: log.With("component", "fcruntime"), AsyncDone: dest.done})
	if err != nil {
		return nil, err
	}
	fcCaller, err := store.Lookup(state.FCKeyID)
	if err != nil {
		return nil, fmt.Errorf("fc service identity: %w", err)
	}
	triggerURLs := map[string]string{}
	handlers := map[string]http.Handler{}
	for _, fn := range fns {
		bin := filepath.Join(cfg.BinDir, fn.ID, "main")
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("function %s: %s is missing: build the functions for this machine first (make build-host)", fn.ID, bin)
		}
		rf := runtimeFunction(fn, bin)
		rf.Credentials = roleCredentials(store, fcCaller, fn.Role, "fc-"+fn.ID)
		if err := s.runtime.Add(rf); err != nil {
			return nil, fmt.Errorf("function %s: %w", fn.ID, err)
		}
		dest.set(fn.Name, fn.Async.OnFailure)
		for _, tr := range fn.Triggers {
			switch tr.Type {
			case "http":
				l := map[string]listener{"sign": signL, "sts": stsFnL}[fn.ID]
				if l.ln == nil {
					return nil, fmt.Errorf("function %s has an HTTP trigger but the local stack has no listener for it", fn.ID)
				}
				handlers[fn.ID] = s.runtime.HTTPTrigger(fn.Name)
				triggerURLs[fn.ID] = l.url
			case "oss":
				s.dispatch.Add(ossevents.Rule{Events: tr.Events, Prefix: tr.Prefix, Suffix: tr.Suffix}, s.runtime.Sink(fn.Name))
			case "timer":
				if !tr.Enabled {
					continue
				}
				every := cfg.TimerInterval
				if every <= 0 {
					if every, err = tr.Interval(); err != nil {
						return nil, fmt.Errorf("function %s: %w", fn.ID, err)
					}
				}
				if err := s.runtime.StartTimer(fn.Name, tr.Name, every, tr.Payload); err != nil {
					return nil, fmt.Errorf("function %s: %w", fn.ID, err)
				}
			}
		}
	}
	if triggerURLs["sign"] == "" || triggerURLs["sts"] == "" {
		return nil, errors.New("s.yaml must give the sign and sts functions an HTTP trigger")
	}

	issuer, audience := getenv("AUTH_ISSUER"), getenv("AUTH_AUDIENCE")
	mint := func(user string) (string, error) {
		return auth.IssueHS256([]byte(state.JWTSecret), user, issuer, audience, time.Now(), 24*time.Hour)
	}
	jwt, err := mint(DevUser)
	if err != nil {
		return nil, err
	}
	page := devpage.New(devpage.Config{
		Root: cfg.WebRoot, SignURL: triggerURLs["sign"] + "/", STSURL: triggerURLs["sts"] + "/",
		Bucket: bucket, Region: Region, MintToken: mint,
	})

	s.OSSFaults.SetKiller(s.runtime.Kill) // the "kill" fault: crash the calling function mid-invocation
	s.serve(ossL, s.watchDataDir(cfg.DataDir, s.OSSFaults.Wrap(ossSrv)))
	s.serve(stsL, s.watchDataDir(cfg.DataDir, s.STSFaults.Wrap(sts.New(store, time.Now))))
	s.serve(webL, page)
	s.serve(signL, s.watchDataDir(cfg.DataDir, handlers["sign"]))
	s.serve(stsFnL, s.watchDataDir(cfg.DataDir, handlers["sts"]))

	s.Ready = Ready{
		OSS: ossL.url, STS: stsL.url, Web: webL.url + "/", Functions: triggerURLs, Bucket: bucket, Region: Region,
		AccountID: iam.AccountID, AccessKeyID: state.AccessKeyID, AccessKeySecret: state.AccessKeySecret,
		RoleARN: uploaderARN, JWT: jwt, User: DevUser, DataDir: cfg.DataDir, CORSOrigins: origins,
	}
	s.Ready.EnvFile = filepath.Join(cfg.DataDir, envFile)
	if err := s.writeEnvFile(s.Ready.EnvFile); err != nil {
		return nil, err
	}
	return s, nil
}

// ReadyLine is the line the command prints when everything serves.
func (s *Stack) ReadyLine() string {
	b, _ := json.Marshal(s.Ready) // plain strings and a map: cannot fail
	return "READY " + string(b)
}

func (s *Stack) serve(l listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("listener stopped", "listener", l.name, "err", err)
		}
	}()
}

// Close stops the listeners, the event dispatcher and every function
// process, and waits for them.
func (s *Stack) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	s.wg.Wait()
	if s.dispatch != nil {
		s.dispatch.Close()
	}
	if s.runtime != nil {
		_ = s.runtime.Close()
	}
	s.removeEnvFile()
}

// runtimeFunction is fn as the FC runtime runs it from bin (without its
// role's credentials). s.yaml's asyncInvokeConfig: maxAsyncRetryAttempts
// unset is FC's default (0 for the runtime), 0 is no retry (negative for
// the runtime); maxAsyncEventAgeInSeconds unset (0) is FC's default, also 0
// for the runtime.
func runtimeFunction(fn sdevs.Function, bin string) fcruntime.Function {
	retries := 0
	if fn.Async.MaxRetries != nil {
		retries = *fn.Async.MaxRetries
		if retries == 0 {
			retries = -1
		}
	}
	return fcruntime.Function{
		Name: fn.Name, Binary: bin, Env: fn.Env, Timeout: time.Duration(fn.TimeoutSec) * time.Second,
		MemoryMB: fn.MemoryMB, Handler: fn.Handler, Region: Region, AccountID: iam.AccountID,
		MaxAsyncRetries: retries, MaxAsyncEventAge: time.Duration(fn.Async.MaxEventAge) * time.Second,
	}
}

// roleCredentials returns a provider of the role's temporary credentials,
// assumed by the FC service identity and renewed well before they expire,
// as FC does for a function's execution role.
func roleCredentials(store *iam.Store, caller iam.Principal, roleARN, session string) func(context.Context) (fcruntime.Credentials, error) {
	var mu sync.Mutex
	var cur iam.Principal
	return func(context.Context) (fcruntime.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		if cur.AccessKeyID == "" || time.Until(cur.Expiration) < 10*time.Minute {
			p, err := store.AssumeRole(caller, roleARN, session, nil, time.Hour)
			if err != nil {
				return fcruntime.Credentials{}, fmt.Errorf("assume %s: %w", roleARN, err)
			}
			cur = p
		}
		return fcruntime.Credentials{AccessKeyID: cur.AccessKeyID, AccessKeySecret: cur.AccessKeySecret, SecurityToken: cur.SecurityToken}, nil
	}
}

// publisher adapts the dispatcher to the emulator's event interface.
type publisher struct {
	d    *ossevents.Dispatcher
	drop string // Config.DropOSSEventsUnder
	log  *slog.Logger
}

func (p publisher) Publish(e oss.Event) {
	if p.drop != "" && strings.HasPrefix(e.Key, p.drop) {
		p.log.Warn("OSS event dropped on purpose (-drop-oss-events)", "event", e.Name, "key", e.Key)
		return
	}
	p.d.PublishEvent(ossevents.Event{
		Name: e.Name, Bucket: e.Bucket, Region: e.Region, AccountID: iam.AccountID, Key: e.Key, ETag: e.ETag,
		Size: e.Size, DeltaSize: e.DeltaSize, RequestID: e.RequestID, SourceIP: e.SourceIP, PrincipalID: e.PrincipalID,
		MimeType: e.ContentType, Time: e.Time,
	})
}
