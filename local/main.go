// Command local runs the local stack: the OSS and STS emulators, the FC
// runtime with the real function binaries (as s.yaml deploys them, with the
// roles of template.yaml), the OSS trigger, and the demo page.
//
//	go run ./local [-oss 127.0.0.1:9000] [-sts 127.0.0.1:9001] [-web 127.0.0.1:8080]
//	               [-sign 127.0.0.1:9100] [-sts-function 127.0.0.1:9101]
//	               [-data .localstack] [-bin build/host] [-cors-origins http://localhost:5173]
//
// When every listener serves it prints one line `READY {json}` on stdout and
// writes <data>/env, which sets SIGN_URL, STS_URL and JWT for a shell.
// Ctrl-C (or SIGTERM) stops everything and exits 0; the data folder survives.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ossupload/ossupload/local/stack"
)

func main() {
	var cfg stack.Config
	flag.StringVar(&cfg.OSSAddr, "oss", "127.0.0.1:9000", "OSS emulator listen address (port 0 = any free port)")
	flag.StringVar(&cfg.STSAddr, "sts", "127.0.0.1:9001", "STS emulator listen address")
	flag.StringVar(&cfg.WebAddr, "web", "127.0.0.1:8080", "demo page listen address")
	flag.StringVar(&cfg.SignAddr, "sign", "127.0.0.1:9100", "HTTP trigger of the sign function")
	flag.StringVar(&cfg.STSFunctionAddr, "sts-function", "127.0.0.1:9101", "HTTP trigger of the sts function")
	flag.StringVar(&cfg.DataDir, "data", ".localstack", "data folder (objects, identities, generated secrets)")
	flag.StringVar(&cfg.BinDir, "bin", "build/host", "folder with the host builds of the functions (<bin>/<function>/main)")
	flag.StringVar(&cfg.SYAML, "s", "s.yaml", "Serverless Devs file whose functions, environment and triggers to run")
	flag.StringVar(&cfg.Template, "template", "template.yaml", "ROS template whose roles to grant")
	flag.StringVar(&cfg.WebRoot, "webroot", "web", "demo page folder")
	flag.StringVar(&cfg.CORSOrigins, "cors-origins", "", "comma-separated origins, besides the demo page's, that may call the functions and "+
		"upload to the bucket, e.g. a frontend's dev server http://localhost:5173 (* = any); default: $CORS_ALLOWED_ORIGINS")
	flag.DurationVar(&cfg.TimerInterval, "timer-interval", 0, "fire every enabled timer trigger of s.yaml this often instead of its cronExpression (e.g. 2s to see the sweep)")
	flag.StringVar(&cfg.DropOSSEventsUnder, "drop-oss-events", "", "lose the OSS events of keys under this prefix, as if FC had dropped them (the sweep judges those uploads)")
	var routesFile string
	flag.StringVar(&routesFile, "routes", "", "JSON file of upload routes to give the functions as UPLOAD_ROUTES (README \"Upload routes\"); default: s.yaml's")
	cfg.FunctionEnv = map[string]string{}
	flag.Func("env", "NAME=VALUE to add to every function's environment, as a deployment would (repeatable), e.g. -env UPLOAD_HOOK_URL=http://127.0.0.1:3000/hook", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("want NAME=VALUE, got %q", s)
		}
		cfg.FunctionEnv[name] = value
		return nil
	})
	flag.Parse()
	if routesFile != "" {
		b, err := os.ReadFile(routesFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "local stack: -routes:", err)
			os.Exit(2)
		}
		cfg.FunctionEnv["UPLOAD_ROUTES"] = string(b)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := stack.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	fmt.Println(s.ReadyLine())
	fmt.Fprintf(os.Stderr, "\nLocal stack ready. Open the demo page: %s\n"+
		"  OSS %s  STS %s  sign %s  sts %s\n  bucket %s, dev user %q (JWT in the READY line)\n"+
		"  origins allowed to call the functions and upload: %s\n"+
		"  for curl: . %s (sets SIGN_URL, STS_URL, JWT). Ctrl-C stops.\n\n",
		s.Ready.Web, s.Ready.OSS, s.Ready.STS, s.Ready.Functions["sign"], s.Ready.Functions["sts"], s.Ready.Bucket, s.Ready.User,
		strings.Join(s.Ready.CORSOrigins, " "), s.Ready.EnvFile)
	<-ctx.Done()
	stop() // a second Ctrl-C ends the process at once
	fmt.Fprintln(os.Stderr, "local stack: stopping")
	s.Close()
	fmt.Fprintln(os.Stderr, "local stack: stopped")
}
