# ossupload: direct browser uploads to Alibaba Cloud OSS from Function Compute 3.0.
# `make run` starts the local stack, `make test` runs every test.

GO        ?= go
FUNCTIONS := sign sts verify
DIST      := build/dist
HOST      := build/host
PACKAGE   := build/package
LAMBDA    := build/lambda
LAMBDA_FUNCTIONS := sign sts
LDFLAGS   := -s -w
# Serverless Devs: a global `s`, else the one pinned in tests/package.json.
S         ?= $(shell command -v s 2>/dev/null || echo tests/node_modules/.bin/s)

.PHONY: all build build-host build-lambda package deploy check-deploy run test test-browser fuzz lint node-deps web-deps test-deps clean

all: build

## build: the three deployable binaries (static linux/amd64, named main, one folder each: build/dist/<fn>/main)
build:
	@for fn in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/$$fn/main ./functions/$$fn || exit 1; \
	done
	@ls -l $(DIST)/*/main

## package: one zip per function for the ROS path (main at the zip root, exec bit kept): build/package/<fn>.zip
package: build
	@for fn in $(FUNCTIONS); do \
		$(GO) run ./local/cmd/zipdir -o $(PACKAGE)/$$fn.zip $(DIST)/$$fn || exit 1; \
	done
	@ls -l $(PACKAGE)/*.zip

## build-lambda: sign and sts for AWS Lambda behind a Function URL (provided.al2023): build/lambda/<fn>/bootstrap and <fn>.zip
build-lambda:
	@for fn in $(LAMBDA_FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -tags lambda.norpc -trimpath -ldflags '$(LDFLAGS)' -o $(LAMBDA)/$$fn/bootstrap ./functions/$$fn/lambda || exit 1; \
		$(GO) run ./local/cmd/zipdir -o $(LAMBDA)/$$fn.zip $(LAMBDA)/$$fn || exit 1; \
	done
	@ls -l $(LAMBDA)/*/bootstrap $(LAMBDA)/*.zip

## deploy: Serverless Devs deploys the three functions and triggers (s.yaml; its pre-deploy action runs make build)
deploy:
	$(S) deploy -y

## check-deploy: offline checks of s.yaml and template.yaml against the code (+ Serverless Devs' s preview when Node is present)
check-deploy:
	@if command -v npm >/dev/null 2>&1 && [ ! -x tests/node_modules/.bin/s ]; then \
		npm ci --prefix tests --no-audit --no-fund --loglevel=error || true; \
	fi
	$(GO) test -count=1 ./tests/deploy ./local/cmd/zipdir

## build-host: the same functions for this machine, run by the local stack, and the stack itself (build/host/localstack)
build-host:
	@for fn in $(FUNCTIONS); do \
		echo "  $(HOST)/$$fn/main"; \
		CGO_ENABLED=0 $(GO) build -trimpath -o $(HOST)/$$fn/main ./functions/$$fn || exit 1; \
	done
	@echo "  $(HOST)/localstack"
	@$(GO) build -o $(HOST)/localstack ./local

## web-deps / test-deps: what the demo page and the Node/browser tests need from npm, installed from the
## lockfiles when they change (skipped with a note when npm is missing: everything else works without Node);
## web-deps also bundles the page's Uppy with the pinned esbuild into web/dist/ (not committed)
web-deps:
	@$(MAKE) --no-print-directory -s web/node_modules/.package-lock.json web/dist/uppy.js || true
test-deps:
	@$(MAKE) --no-print-directory -s tests/node_modules/.package-lock.json || true
node-deps: web-deps test-deps

web/dist/uppy.js: web/uppy-bundle.mjs web/node_modules/.package-lock.json
	@echo "Bundling Uppy for the demo page (esbuild: web/dist/uppy.js, web/dist/uppy.css)"
	@web/node_modules/.bin/esbuild web/uppy-bundle.mjs --bundle --format=iife --global-name=UppyBundle --minify \
		--log-level=warning --outdir=web/dist --entry-names=uppy

%/node_modules/.package-lock.json: %/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "Installing the npm packages of $*/ (npm ci --prefix $*; the first time downloads them, about a minute)"; \
		npm ci --prefix $* --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: $* needs Node.js and npm for its ali-oss / Node parts (install them, then run make again)"; exit 1; fi

## run: the local stack (OSS + STS emulators, FC runtime with the real binaries, demo page).
## ARGS passes flags, e.g. make run ARGS='-cors-origins http://localhost:5173' (or set CORS_ALLOWED_ORIGINS).
## ROUTES is the upload routes file given to the functions as UPLOAD_ROUTES (-routes): the demo's avatar and
## document routes by default; make run ROUTES= runs without routes, as a deployment without UPLOAD_ROUTES.
## The stack runs as a built binary, not `go run`: Ctrl-C then ends it with status 0 and make reports no error.
ROUTES ?= local/demo-routes.json
run:
	@echo "Building the functions (sign, sts, verify) and the local stack for this machine into $(HOST)/."
	@echo "The first build downloads the Go modules and compiles the Alibaba Cloud SDKs: it takes a few minutes; later ones take seconds."
	@$(MAKE) --no-print-directory build-host
	@$(MAKE) --no-print-directory web-deps
	@echo "Starting the local stack..."
	@$(HOST)/localstack -bin $(HOST) $(if $(ROUTES),-routes $(ROUTES)) $(ARGS)

## test: every Go test (unit, conformance with the official SDKs, end to end on the local stack)
test: node-deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## test-browser: the demo page in headless Chromium (installs chromium and playwright-core if missing)
test-browser: build-host
	bash tests/browser/run.sh

## fuzz: every fuzz target (func FuzzX in a _test.go file) for FUZZTIME each, one target per run as go test
## -fuzz requires; a crasher fails the run and is kept in the package's testdata/fuzz/FuzzX as a regression.
# A count of executions (Nx), not a duration: with a duration, Go 1.26's fuzz
# coordinator can fail a target with a bare "context deadline exceeded" at the
# end of the window on a busy machine (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 10000x
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' --exclude-dir=node_modules '^func Fuzz' . | sort); do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$(dirname $$f) $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$(dirname $$f) || exit 1; \
		done; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

clean:
	rm -rf build .localstack web/dist
