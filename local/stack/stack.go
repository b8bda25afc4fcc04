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
	// FunctionEnv is set in every function's environment after s.yaml's
	// values and before the stack's own (endpoints, secrets): what a
	// deployment would add, such as UPLOAD_ROUTES or the UPLOAD_HOOK_*
	// settings. An empty value removes the variable.
	FunctionEnv map[string]string
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
// Each step sets up one part and hands the next what it needs through a
// builder; the first failure stops it and undoes what was started.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	log := slog.New(slog.NewTextHandler(cfg.Output, nil)).With("component", "localstack")
	b := &builder{cfg: cfg, log: log, s: &Stack{log: log}}
	defer func() {
		if err != nil {
			b.s.Close()
			for _, l := range b.lns {
				l.ln.Close() // those not yet served
			}
		}
	}()
	for _, step := range []func() error{
		b.loadDevState,  // the data folder and the development secrets kept in it
		b.listen,        // the five listeners, first: the functions' configuration needs their URLs
		b.loadFunctions, // the functions of s.yaml, with the stack's URLs, bucket and secret in their environment
		b.identities,    // the developer, the FC service and the roles of template.yaml
		b.ossEmulator,   // the OSS emulator, publishing its events to the dispatcher
		b.bucket,        // the bucket as template.yaml makes it: CORS, no public access, overwrite rules
		b.runtime,       // the FC runtime running every function, and its HTTP, OSS and timer triggers
		b.demoPage,      // the development JWT and the demo page that mints more
		b.serve,         // every listener serving its handler
		b.ready,         // the READY line's content and the env file
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return b.s, nil
}

// builder carries what one step of Start hands to the next.
type builder struct {
	cfg Config
	log *slog.Logger
	s   *Stack

	state        devState
	extraOrigins []string                // Config.CORSOrigins or CORS_ALLOWED_ORIGINS
	lns          []listener              // every listener, in the order of the names below
	ossL, stsL   listener                // the emulators
	webL         listener                // the demo page
	signL        listener                // the sign function's HTTP trigger
	stsFnL       listener                // the sts function's HTTP trigger
	bucketName   string                  // OSS_BUCKET, ossupload-dev by default
	origins      []string                // the demo page's and extraOrigins
	getenv       func(string) string     // Config.Getenv under the stack's overrides
	fns          []sdevs.Function        // s.yaml's functions
	store        *iam.Store              // identities and roles
	uploaderARN  string                  // the role browsers upload as
	ossSrv       *oss.Server             // the OSS emulator
	handlers     map[string]http.Handler // function id -> its HTTP trigger
	triggerURLs  map[string]string       // function id -> its HTTP trigger's URL
	jwt          string                  // DevUser's
	page         http.Handler            // the demo page
}

// loadDevState makes the data folder and reads (or creates) the development
// secrets and keys kept in it, and checks the extra CORS origins.
func (b *builder) loadDevState() error {
	if err := os.MkdirAll(b.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	state, err := loadDevState(b.cfg.DataDir)
	if err != nil {
		return err
	}
	b.state = state
	extra := b.cfg.CORSOrigins
	if extra == "" {
		extra = b.cfg.Getenv("CORS_ALLOWED_ORIGINS")
	}
	b.extraOrigins, err = corsOrigins(extra)
	return err
}

// listen opens the five listeners; none serves before the last step.
func (b *builder) listen() error {
	for _, l := range []struct{ name, addr string }{
		{"oss", b.cfg.OSSAddr}, {"sts", b.cfg.STSAddr}, {"web", b.cfg.WebAddr}, {"sign", b.cfg.SignAddr}, {"sts-function", b.cfg.STSFunctionAddr},
	} {
		ln, err := listen(l.name, l.addr)
		if err != nil {
			return err
		}
		b.lns = append(b.lns, ln)
	}
	b.ossL, b.stsL, b.webL, b.signL, b.stsFnL = b.lns[0], b.lns[1], b.lns[2], b.lns[3], b.lns[4]
	return nil
}

// loadFunctions reads s.yaml with the environment the stack imposes: its
// own URLs, bucket, region and JWT secret, and the allowed origins.
func (b *builder) loadFunctions() error {
	b.bucketName = b.cfg.Getenv("OSS_BUCKET")
	if b.bucketName == "" {
		b.bucketName = "ossupload-dev"
	}
	b.origins = append([]string{b.webL.url, strings.Replace(b.webL.url, "127.0.0.1", "localhost", 1)}, b.extraOrigins...)
	overrides := map[string]string{
		"OSS_BUCKET":           b.bucketName,
		"OSS_REGION":           Region,
		"OSS_ENDPOINT":         b.ossL.url,
		"OSS_UPLOAD_URL":       b.ossL.url + "/" + b.bucketName,
		"STS_ENDPOINT":         b.stsL.url,
		"AUTH_JWT_SECRET":      b.state.JWTSecret,
		"AUTH_JWKS_URL":        "",
		"AUTH_ALLOW_ANONYMOUS": "false",
		"CORS_ALLOWED_ORIGINS": strings.Join(b.origins, ","),
	}
	b.getenv = func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		return b.cfg.Getenv(k)
	}
	fns, err := sdevs.Load(b.cfg.SYAML, sdevs.Resolver{Getenv: b.getenv, Config: map[string]string{"AccountID": iam.AccountID}})
	if err != nil {
		return err
	}
	for k, v := range b.cfg.FunctionEnv {
		if _, own := overrides[k]; own {
			return fmt.Errorf("function environment: %s is set by the local stack itself", k)
		}
		for i := range fns {
			if fns[i].Env == nil {
				fns[i].Env = map[string]string{}
			}
			if v == "" {
				delete(fns[i].Env, k)
			} else {
				fns[i].Env[k] = v
			}
		}
	}
	b.fns = fns
	// Routes given on the command line (-routes, -env) are the operator's
	// input to the stack: refuse them here, with what to fix, rather than
	// start functions that will refuse to run.
	if b.cfg.FunctionEnv["UPLOAD_ROUTES"] != "" {
		if _, problems := pageRoutes(fns); len(problems) > 0 {
			return fmt.Errorf("the functions would refuse these upload routes (-routes or -env UPLOAD_ROUTES):\n  %s", strings.Join(problems, "\n  "))
		}
	}
	return nil
}

// identities opens the identity store and sets up the developer, the FC
// service (which assumes function roles), and the roles of template.yaml.
func (b *builder) identities() error {
	store, err := iam.NewStore(filepath.Join(b.cfg.DataDir, "iam.json"), time.Now)
	if err != nil {
		return err
	}
	b.store = store
	b.uploaderARN, err = b.s.setupIdentities(store, b.state, b.cfg, b.fns, b.bucketName)
	return err
}

// ossEmulator starts the event dispatcher and the OSS emulator: the
// emulator publishes, the dispatcher delivers to the FC runtime's async
// queue of the function whose oss trigger matches.
func (b *builder) ossEmulator() error {
	eventLog := b.log.With("component", "oss-events")
	b.s.dispatch = ossevents.NewDispatcher(ossevents.WithLogger(eventLog), ossevents.WithAccountID(iam.AccountID))
	srv, err := oss.New(oss.Config{
		Region: Region, DataDir: filepath.Join(b.cfg.DataDir, "oss"), IAM: b.store,
		Events: publisher{d: b.s.dispatch, drop: b.cfg.DropOSSEventsUnder, log: eventLog}, Logger: b.log.With("component", "oss"),
	})
	b.ossSrv = srv
	return err
}

// bucket creates the bucket with the CORS rule browsers need, blocks public
// access and sets the overwrite rules, as template.yaml's UploadBucket.
func (b *builder) bucket() error {
	// The rule ali-oss asks for in the browser: ETag exposed, since it
	// completes a multipart upload with the parts' ETags (ali-oss 6.23.0
	// README.md, "Browser Usage" > "Bucket setup"), and x-oss-request-id,
	// which it copies into its errors (lib/browser/client.js, requestId).
	if err := b.ossSrv.CreateBucket(b.bucketName, []oss.CORSRule{{
		AllowedOrigins: b.origins,
		AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag", "x-oss-request-id", "x-oss-hash-crc64ecma", "x-oss-version-id"},
		MaxAgeSeconds:  600,
	}}); err != nil {
		return err
	}
	// As template.yaml's UploadBucket (BlockPublicAccess: true).
	if err := b.ossSrv.SetBlockPublicAccess(b.bucketName, true); err != nil {
		return err
	}
	return setOverwriteRules(b.ossSrv, b.cfg.Template, b.fns, b.bucketName)
}

// runtime starts the FC runtime, adds every function of s.yaml with its
// role's credentials and async destinations, and wires its triggers.
func (b *builder) runtime() error {
	dest := &destinations{dataDir: b.cfg.DataDir, log: b.log.With("component", "fc-destinations"), onFailure: map[string]string{}}
	rt, err := fcruntime.New(fcruntime.Config{Output: b.cfg.Output, Logger: b.log.With("component", "fcruntime"), AsyncDone: dest.done})
	b.s.runtime = rt
	if err != nil {
		return err
	}
	fcCaller, err := b.store.Lookup(b.state.FCKeyID)
	if err != nil {
		return fmt.Errorf("fc service identity: %w", err)
	}
	b.triggerURLs = map[string]string{}
	b.handlers = map[string]http.Handler{}
	for _, fn := range b.fns {
		bin := filepath.Join(b.cfg.BinDir, fn.ID, "main")
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("function %s: %s is missing: build the functions for this machine first (make build-host)", fn.ID, bin)
		}
		rf := runtimeFunction(fn, bin)
		rf.Credentials = roleCredentials(b.store, fcCaller, fn.Role, "fc-"+fn.ID)
		if err := rt.Add(rf); err != nil {
			return fmt.Errorf("function %s: %w", fn.ID, err)
		}
		dest.set(fn.Name, fn.Async.OnFailure)
		for _, tr := range fn.Triggers {
			if err := b.trigger(fn, tr); err != nil {
				return err
			}
		}
	}
	if b.triggerURLs["sign"] == "" || b.triggerURLs["sts"] == "" {
		return errors.New("s.yaml must give the sign and sts functions an HTTP trigger")
	}
	return nil
}

// trigger wires one trigger of fn: an HTTP trigger to its listener, an OSS
// trigger to the event dispatcher, an enabled timer to the runtime's clock.
func (b *builder) trigger(fn sdevs.Function, tr sdevs.Trigger) error {
	switch tr.Type {
	case "http":
		l := map[string]listener{"sign": b.signL, "sts": b.stsFnL}[fn.ID]
		if l.ln == nil {
			return fmt.Errorf("function %s has an HTTP trigger but the local stack has no listener for it", fn.ID)
		}
		b.handlers[fn.ID] = b.s.runtime.HTTPTrigger(fn.Name)
		b.triggerURLs[fn.ID] = l.url
	case "oss":
		b.s.dispatch.Add(ossevents.Rule{Events: tr.Events, Prefix: tr.Prefix, Suffix: tr.Suffix}, b.s.runtime.Sink(fn.Name))
	case "timer":
		if !tr.Enabled {
			return nil
		}
		every := b.cfg.TimerInterval
		if every <= 0 {
			var err error
			if every, err = tr.Interval(); err != nil {
				return fmt.Errorf("function %s: %w", fn.ID, err)
			}
		}
		if err := b.s.runtime.StartTimer(fn.Name, tr.Name, every, tr.Payload); err != nil {
			return fmt.Errorf("function %s: %w", fn.ID, err)
		}
	}
	return nil
}

// demoPage mints the development JWT and builds the demo page, which
// mints one for any user it is asked for.
func (b *builder) demoPage() error {
	secret, issuer, audience := []byte(b.state.JWTSecret), b.getenv("AUTH_ISSUER"), b.getenv("AUTH_AUDIENCE")
	mint := func(user string) (string, error) {
		return auth.IssueHS256(secret, user, issuer, audience, time.Now(), 24*time.Hour)
	}
	jwt, err := mint(DevUser)
	if err != nil {
		return err
	}
	b.jwt = jwt
	routes, problems := pageRoutes(b.fns)
	for _, p := range problems {
		b.log.Error("the functions will refuse to start: "+p, "component", "demo-page")
	}
	b.page = devpage.New(devpage.Config{
		Root: b.cfg.WebRoot, SignURL: b.triggerURLs["sign"] + "/", STSURL: b.triggerURLs["sts"] + "/",
		Bucket: b.bucketName, Region: Region, MintToken: mint, Routes: routes, RouteProblems: problems,
	})
	return nil
}

// serve puts every listener to work behind the fault switches and the
// data-folder watch.
func (b *builder) serve() error {
	s, dir := b.s, b.cfg.DataDir
	s.OSSFaults.SetKiller(s.runtime.Kill) // the "kill" fault: crash the calling function mid-invocation
	s.serve(b.ossL, s.watchDataDir(dir, s.OSSFaults.Wrap(b.ossSrv)))
	s.serve(b.stsL, s.watchDataDir(dir, s.STSFaults.Wrap(sts.New(b.store, time.Now))))
	s.serve(b.webL, b.page)
	s.serve(b.signL, s.watchDataDir(dir, b.handlers["sign"]))
	s.serve(b.stsFnL, s.watchDataDir(dir, b.handlers["sts"]))
	return nil
}

// ready fills the READY line and writes the env file it names.
func (b *builder) ready() error {
	b.s.Ready = Ready{
		OSS: b.ossL.url, STS: b.stsL.url, Web: b.webL.url + "/", Functions: b.triggerURLs, Bucket: b.bucketName, Region: Region,
		AccountID: iam.AccountID, AccessKeyID: b.state.AccessKeyID, AccessKeySecret: b.state.AccessKeySecret,
		RoleARN: b.uploaderARN, JWT: b.jwt, User: DevUser, DataDir: b.cfg.DataDir, CORSOrigins: b.origins,
	}
	b.s.Ready.EnvFile = filepath.Join(b.cfg.DataDir, envFile)
	return b.s.writeEnvFile(b.s.Ready.EnvFile)
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
