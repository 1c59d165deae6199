# Guichet — see README.md. Every tool is pinned: Go tools in go.mod's tool
# block, npm tools by exact version.
GO ?= go
REDOCLY ?= @redocly/cli@2.77.0
PKGS_RACE ?= ./internal/store/... ./internal/httpapi/... ./internal/auth/... ./internal/app/... ./internal/imapsync/... ./internal/smtpsend/... ./internal/ingest/... ./internal/outmail/...

.PHONY: run test test-race generate build lint bench

run:
	$(GO) run ./cmd/guichet

build:
	$(GO) build -o bin/guichet ./cmd/guichet

generate:
	$(GO) generate ./api/...

test:
	$(GO) test -count=1 ./...

test-race:
	$(GO) test -count=1 -race $(PKGS_RACE)

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...
	npx --yes $(REDOCLY) lint --config api/redocly.yaml openapi.yaml

bench:
	$(GO) run ./cmd/guichet-bench
