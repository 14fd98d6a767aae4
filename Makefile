# yubin: the two commands are `make run` and `make test` (see README.md).
# Every target installs the Debian packages it needs first (scripts/deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60

.PHONY: all build asan run test unit integration check-layers cppcheck fuzz bench clean

all: build

build:
	@scripts/deps.sh build
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

asan:
	@scripts/deps.sh build
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
	@ninja -C $(ASAN_BUILD)

run: build
	@scripts/run-demo.sh $(BUILD)/yubin

test:
	@scripts/deps.sh test
	@scripts/test.sh

fuzz:
	@scripts/deps.sh fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false >/dev/null
	@ninja -C $(FUZZ_BUILD)
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TIME)

bench: build
	@scripts/deps.sh bench
	@echo "benchmarks: see bench/README.md (bench/smtp-in, bench/pop3, bench/imap, bench/relay)"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
