package deploy

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	signapp "github.com/ossupload/ossupload/functions/sign/app"
	stsapp "github.com/ossupload/ossupload/functions/sts/app"
	verifyapp "github.com/ossupload/ossupload/functions/verify/app"
)

const modulePath = "github.com/ossupload/ossupload"

// deployedFunctions are the s.yaml resource ids, each built from ./functions/<id>.
var deployedFunctions = []string{"sign", "sts", "verify"}

// contractEnv is the list of environment variables each function reads, as
// its Config reads them (app.Variables: every name FromEnv asks for), so the
// list has one owner, the code. The source scan below cross-checks it both
// ways: a variable read beside the Config (a stray os.Getenv) or one the
// Config reads in a way the scan cannot see fails the test. OSS_ENDPOINT is
// how a function reaches OSS: sign (GET /status) and verify do, sts never
// calls OSS.
var contractEnv = map[string][]string{
	"sign":   signapp.Variables(),
	"sts":    stsapp.Variables(),
	"verify": verifyapp.Variables(),
}

// platformEnv reports variables FC sets itself (role credentials, FC_*): a
// function may read them, s.yaml must not set them.
func platformEnv(name string) bool {
	return strings.HasPrefix(name, "ALIBABA_CLOUD_") || strings.HasPrefix(name, "FC_")
}

// envReaders are the names of the calls whose first argument is an
// environment variable name: shared/config's Env methods, os.Getenv,
// os.LookupEnv and injected getenv functions.
var envReaders = map[string]bool{
	"String": true, "Required": true, "Int": true, "Bool": true, "List": true, "URL": true, "Enum": true,
	"Duration": true, "Secret": true, "Getenv": true, "getenv": true, "LookupEnv": true,
}

var envLiteralRe = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{3,}$`)

// sdkActions maps the OSS and STS SDK calls (aliyun-oss-go-sdk Bucket
// methods, alibaba-cloud-sdk-go sts.Client.AssumeRole, and the HEAD-style
// names consumer-side interfaces use) to the RAM actions they need. Source:
// OSS RAM policy action list (HeadObject/GetObjectMeta are authorised as
// oss:GetObject; CopyObject needs oss:GetObject on the source and
// oss:PutObject on the target).
var sdkActions = map[string][]string{
	"PutObject":             {"oss:PutObject"},
	"PutObjectFromFile":     {"oss:PutObject"},
	"GetObject":             {"oss:GetObject"},
	"GetObjectToFile":       {"oss:GetObject"},
	"GetObjectDetailedMeta": {"oss:GetObject"},
	"GetObjectMeta":         {"oss:GetObject"},
	"IsObjectExist":         {"oss:GetObject"},
	"HeadObject":            {"oss:GetObject"},
	"CopyObject":            {"oss:GetObject", "oss:PutObject"},
	"CopyObjectTo":          {"oss:GetObject", "oss:PutObject"},
	"CopyObjectFrom":        {"oss:GetObject", "oss:PutObject"},
	"DeleteObject":          {"oss:DeleteObject"},
	"DeleteObjects":         {"oss:DeleteObject"},
	"GetObjectTagging":      {"oss:GetObjectTagging"},
	"PutObjectTagging":      {"oss:PutObjectTagging"},
	"DeleteObjectTagging":   {"oss:DeleteObjectTagging"},
	"ListObjects":           {"oss:ListObjects"},
	"ListObjectsV2":         {"oss:ListObjects"},
	"ListUploadedParts":     {"oss:ListParts"},
	"AssumeRole":            {"sts:AssumeRole"},
}

// codeFacts is what the source scan learnt about one function.
type codeFacts struct {
	Packages []string        // in-module packages compiled into the function
	Env      map[string]bool // environment variable names read
	Actions  map[string]bool // RAM actions implied by SDK calls
}

var (
	scanMu    sync.Mutex
	scanCache = map[string]codeFacts{}
)

// scanFunction lists the in-module packages ./functions/<fn> is built from
// (go list -deps) and scans their non-test Go files.
func scanFunction(fn string) (codeFacts, error) {
	scanMu.Lock()
	defer scanMu.Unlock()
	if f, ok := scanCache[fn]; ok {
		return f, nil
	}
	f, err := scanPackage("functions/" + fn)
	if err == nil {
		scanCache[fn] = f
	}
	return f, err
}

// scanPackage scans the main package at dir (relative to the repository
// root) and every in-module package it imports.
func scanPackage(dir string) (codeFacts, error) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}", "./"+dir)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return codeFacts{}, fmt.Errorf("go list ./%s: %v: %s", dir, err, stderr.String())
	}
	facts := codeFacts{Env: map[string]bool{}, Actions: map[string]bool{}}
	type pkg struct {
		path, dir string
		files     []string
	}
	var pkgs []pkg
	root := modulePath + "/" + dir
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || (parts[0] != modulePath && !strings.HasPrefix(parts[0], modulePath+"/")) {
			continue
		}
		if parts[0] == root && parts[2] == "" {
			return codeFacts{}, fmt.Errorf("./%s has no Go files (not written yet?)", dir)
		}
		if parts[2] == "" {
			continue
		}
		pkgs = append(pkgs, pkg{parts[0], parts[1], strings.Split(parts[2], ",")})
		facts.Packages = append(facts.Packages, parts[0])
	}
	if !slices.Contains(facts.Packages, root) {
		return codeFacts{}, fmt.Errorf("./%s not found by go list", dir)
	}

	// Pass 1: package-level string constants, so env names held in
	// constants (config.Env.String(envBucket, ...)) are found too.
	fset := token.NewFileSet()
	consts := map[string]string{} // "<import path>.<Name>"
	type parsed struct {
		pkg     string
		file    *ast.File
		imports map[string]string // local name -> import path
	}
	var files []parsed
	for _, p := range pkgs {
		for _, name := range p.files {
			f, err := parser.ParseFile(fset, filepath.Join(p.dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return codeFacts{}, fmt.Errorf("parse %s: %w", name, err)
			}
			imports := map[string]string{}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				local := path[strings.LastIndex(path, "/")+1:]
				if imp.Name != nil {
					local = imp.Name.Name
				}
				imports[local] = path
			}
			files = append(files, parsed{p.path, f, imports})
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								s, _ := strconv.Unquote(lit.Value)
								consts[p.path+"."+n.Name] = s
							}
						}
					}
				}
			}
		}
	}

	// Pass 2: calls.
	for _, pf := range files {
		resolve := func(e ast.Expr) (string, bool) {
			switch x := e.(type) {
			case *ast.BasicLit:
				if x.Kind == token.STRING {
					s, err := strconv.Unquote(x.Value)
					return s, err == nil
				}
			case *ast.Ident:
				s, ok := consts[pf.pkg+"."+x.Name]
				return s, ok
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					s, ok := consts[pf.imports[id.Name]+"."+x.Sel.Name]
					return s, ok
				}
			}
			return "", false
		}
		ast.Inspect(pf.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch f := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = f.Sel.Name
				for _, a := range sdkActions[name] {
					facts.Actions[a] = true
				}
			case *ast.Ident:
				name = f.Name
			}
			if envReaders[name] && len(call.Args) > 0 {
				if s, ok := resolve(call.Args[0]); ok && envLiteralRe.MatchString(s) {
					facts.Env[s] = true
				}
			}
			return true
		})
	}
	return facts, nil
}

// requiredEnv is what s.yaml and template.yaml must set for fn: the
// contract list plus anything else the code reads (minus what FC provides).
func requiredEnv(fn string, facts codeFacts) []string {
	req := slices.Clone(contractEnv[fn])
	for name := range facts.Env {
		if !platformEnv(name) && !slices.Contains(req, name) {
			req = append(req, name)
		}
	}
	slices.Sort(req)
	return req
}

// TestSourceScanAgreesWithContract: the explicit list and the code agree
// both ways, so a variable added to a function shows up here and then in
// the s.yaml/template checks.
func TestSourceScanAgreesWithContract(t *testing.T) {
	for _, fn := range deployedFunctions {
		t.Run(fn, func(t *testing.T) {
			facts, err := scanFunction(fn)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: packages %v, env %v, actions %v", fn, facts.Packages, sortedKeys(facts.Env), sortedKeys(facts.Actions))
			for _, name := range sortedKeys(facts.Env) {
				if !platformEnv(name) && !slices.Contains(contractEnv[fn], name) {
					t.Errorf("functions/%s reads %s, which contractEnv lacks: add it to s.yaml, template.yaml and the list", fn, name)
				}
			}
			for _, name := range contractEnv[fn] {
				if !facts.Env[name] {
					t.Errorf("contractEnv lists %s for %s but no package of functions/%s reads it", name, fn, fn)
				}
			}
		})
	}
}

// The scanner finds literals, same-package and cross-package constants,
// os.Getenv, SDK calls, and ignores what is not an env name (fixture in
// testdata/scanfixture).
func TestSourceScannerFindsEnvAndCalls(t *testing.T) {
	facts, err := scanPackage("tests/deploy/testdata/scanfixture")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LITERAL_VAR", "LOCAL_CONST_VAR", "OS_GETENV_VAR", "REMOTE_CONST_VAR"}
	if got := sortedKeys(facts.Env); !slices.Equal(got, want) {
		t.Errorf("env = %v, want %v", got, want)
	}
	if got := sortedKeys(facts.Actions); !slices.Equal(got, []string{"oss:GetObject", "oss:PutObject"}) {
		t.Errorf("actions = %v, want CopyObject's oss:GetObject and oss:PutObject", got)
	}
	if len(facts.Packages) != 2 {
		t.Errorf("packages = %v, want the fixture and its names package", facts.Packages)
	}
	if _, err := scanPackage("tests/deploy/testdata/nosuchpackage"); err == nil {
		t.Error("scanning a missing package succeeded")
	}
}

// stringSliceVar reads a package-level `var name = []string{"a", ...}` from
// the non-test Go files of dir (relative to the repository root).
func stringSliceVar(dir, name string) ([]string, error) {
	fset := token.NewFileSet()
	matches, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
	if err != nil {
		return nil, err
	}
	for _, path := range matches {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						return nil, fmt.Errorf("%s.%s is not a composite literal", dir, name)
					}
					var out []string
					for _, elt := range lit.Elts {
						bl, ok := elt.(*ast.BasicLit)
						if !ok || bl.Kind != token.STRING {
							return nil, fmt.Errorf("%s.%s has a non-literal element", dir, name)
						}
						s, _ := strconv.Unquote(bl.Value)
						out = append(out, s)
					}
					return out, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no var %s in %s", name, dir)
}
