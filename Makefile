# Stratum: dynamic nginx modules, built out of tree into build/.
#
#   make                  every module (build/*.so) and build/stratum-jwt
#   make NGINX_SRC=DIR    the same against another nginx source tree
#   make deps             install the missing Debian packages
#   make test             deps, build, then every suite under t/
#   make test-valgrind    the same under valgrind
#   make demo             deps, build, then examples/demo.sh
#   make bench            bench/run.sh, ratelimit.sh and audit.sh
#   make clean
#
# Hardening (clang, cppcheck, clang-tidy: "make deps-hardening"):
#
#   make test-asan        the suites against an ASan+UBSan build of the
#                         modules (build-asan/) in Debian's nginx
#   make fuzz             every fuzz target for FUZZ_SECONDS (60) each
#   make fuzz-regress     every fuzz target over its seeds and regressions
#   make analyze          cppcheck and clang-tidy over our sources
#   make load             bench/load.sh, the load check (a benchmark)

SHELL         := /bin/bash

NGINX_SRC     ?= /usr/share/nginx/src
NGINX_BINARY  ?= /usr/sbin/nginx
BUILD         ?= $(CURDIR)/build
TEST_FILES    ?= t

override NGINX_SRC := $(abspath $(NGINX_SRC))
override BUILD     := $(abspath $(BUILD))

# every module that config declares, one .so each: the single list
MODULES       := $(shell sed -n 's/^ngx_module_name=//p' $(CURDIR)/config)
MODULE_SOS    := $(MODULES:%=$(BUILD)/%.so)

# Debian's hardening flags, as "nginx -V" shows them
DEB_CFLAGS    ?= -g -O2 -fstack-protector-strong -Wformat \
                 -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
DEB_LDFLAGS   ?= -Wl,-z,relro -Wl,-z,now -fPIC

# Warnings are errors in our code.  They are not handed to configure:
# its feature probes compile with --with-cc-opt, and under -Werror some
# probes fail (pwrite() and strerrordesc_np() came out "not found"),
# which changes ngx_auto_config.h.  They are appended instead to the
# CFLAGS of build/Makefile, which compiles only our modules; nginx's
# headers are clean under them, and nginx's own -Wno-unused-parameter
# (handler signatures) stays in force.
WARN_CFLAGS   ?= -Wall -Wextra -Werror

TEST_ENV       = TEST_NGINX_BINARY=$(NGINX_BINARY) \
                 TEST_NGINX_LOAD_MODULES="$(MODULE_SOS)" \
                 STRATUM_JWT=$(BUILD)/stratum-jwt

DEPS          := nginx nginx-dev gcc make libc6-dev libjansson-dev \
                 libjwt-dev libhiredis-dev libssl-dev openssl curl \
                 redis-server valgrind wrk perl libtest-base-perl \
                 libtext-diff-perl libtest-longstring-perl libipc-run-perl

SUDO          := $(if $(filter 0,$(shell id -u)),,sudo)
APT           := env DEBIAN_FRONTEND=noninteractive apt-get

CONFIGURE_ARGS = $(NGINX_SRC) $(NGINX_CONFIGURE_FLAGS) $(DEB_CFLAGS) \
                 $(DEB_LDFLAGS) $(WARN_CFLAGS)


.PHONY: all modules tool deps test test-valgrind demo bench clean FORCE \
        deps-hardening asan-modules test-asan fuzz-build fuzz fuzz-regress \
        analyze load redact-bench
.DELETE_ON_ERROR:

all: modules tool

modules: $(BUILD)/Makefile
	$(MAKE) -f $(BUILD)/Makefile -C $(NGINX_SRC) modules

tool: $(BUILD)/stratum-jwt

# Debian's tree has conf_flags (the flags nginx-core was built with); any
# other tree gets --with-compat, which is what makes a .so loadable.
# With --builddir only $(BUILD) is written in Debian's tree; a full nginx
# source tree also gets a top-level Makefile there, which we never use.
$(BUILD)/Makefile: $(CURDIR)/config $(BUILD)/configure.args
	cd $(NGINX_SRC) \
	&& if [ -f conf_flags ]; then . ./conf_flags; \
	   else NGX_CONF_FLAGS=(--with-compat); fi \
	&& if [ -x configure ]; then c=./configure; else c=auto/configure; fi \
	&& env -u CFLAGS $$c "$${NGX_CONF_FLAGS[@]}" $(NGINX_CONFIGURE_FLAGS) \
	       --with-cc-opt='$(DEB_CFLAGS)' --with-ld-opt='$(DEB_LDFLAGS)' \
	       --add-dynamic-module=$(CURDIR) --builddir=$(BUILD) \
	       > $(BUILD)/configure.log 2>&1 \
	|| { tail -n 20 $(BUILD)/configure.log; exit 1; }
	sed -i 's/^CFLAGS = .*/& $(WARN_CFLAGS)/' $@

# configure runs again when config changes, build/Makefile is missing, or
# the arguments (NGINX_SRC, flags) differ: this file changes only then
$(BUILD)/configure.args: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CONFIGURE_ARGS)' | cmp -s - $@ \
	 || echo '$(CONFIGURE_ARGS)' > $@

$(BUILD)/stratum-jwt: tools/stratum-jwt.c
	@mkdir -p $(BUILD)
	$(CC) $(DEB_CFLAGS) $(WARN_CFLAGS) -o $@ $< $(DEB_LDFLAGS) \
	    -ljwt -ljansson -lcrypto

# Installing nginx may start Debian's own service on port 80: nothing here
# uses it; tests, demo and bench run their own nginx, each with a private
# prefix, pid file and ports.
# $(call apt-install,PACKAGES): the ones that are not installed yet
apt-install = missing=; \
	for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    $(SUDO) $(APT) update -q \
	    && $(SUDO) $(APT) install -y -q --no-install-recommends $$missing; \
	fi

deps:
	@$(call apt-install,$(DEPS))

# Test::Nginx from the system if it is there, else our own subset
test test-valgrind: deps
	$(MAKE) all
	inc=; perl -MTest::Nginx::Socket -e1 2>/dev/null || inc='-I t/runner'; \
	$(TEST_ENV) $(if $(filter test-valgrind,$@),TEST_NGINX_USE_VALGRIND=1) \
	    prove -r $$inc $(TEST_FILES)

demo: deps
	$(MAKE) all
	NGINX_BINARY=$(NGINX_BINARY) BUILD=$(BUILD) examples/demo.sh

# one script after the other: each wants the machine to itself
bench: all $(BUILD)/redact-bench
	$(TEST_ENV) bash bench/run.sh
	NGINX_BINARY=$(NGINX_BINARY) BUILD=$(BUILD) bash bench/ratelimit.sh
	NGINX_BINARY=$(NGINX_BINARY) BUILD=$(BUILD) bash bench/audit.sh
	$(BUILD)/redact-bench

redact-bench: $(BUILD)/redact-bench

# the redaction of client strings alone, with the fuzz harness's stand-ins
# for the nginx functions it calls (nginx's configure has made
# ngx_auto_config.h in $(BUILD))
$(BUILD)/redact-bench: bench/redact.c ngx_stratum_redact.c \
                       ngx_stratum_redact.h fuzz/ngx_stratum_fuzz.h \
                       fuzz/ngx_stratum_fuzz.c fuzz/ngx_stratum_fuzz_stubs.c \
                       | modules
	$(CC) -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror \
	    -I$(CURDIR) -I$(BUILD) $(NGINX_INCS) -o $@ bench/redact.c \
	    ngx_stratum_redact.c fuzz/ngx_stratum_fuzz.c \
	    fuzz/ngx_stratum_fuzz_stubs.c \
	    -Wl,--gc-sections -ljansson -lcrypto -lhiredis

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) t/servroot*


# ---------------------------------------------------------------------
# Hardening: sanitizers, fuzzing, static analysis, the load check

CLANG         ?= clang
CPPCHECK      ?= cppcheck
CLANG_TIDY    ?= clang-tidy
ASAN_BUILD    ?= $(CURDIR)/build-asan

override ASAN_BUILD := $(abspath $(ASAN_BUILD))

HARDENING_DEPS := clang libclang-rt-14-dev llvm cppcheck clang-tidy \
                  nginx-dev libhiredis-dev

ASAN_SOS       = $(MODULES:%=$(ASAN_BUILD)/%.so)
ASAN_LOGS      = $(ASAN_BUILD)/logs

# Our modules only: nginx stays Debian's uninstrumented binary, which gets
# the ASan runtime (UBSan included) preloaded.  -Wno-unused-parameter:
# clang's -Wextra, given after nginx's own flags, would turn it back on.
# _FORTIFY_SOURCE off: its __memcpy_chk() and friends bypass ASan's checks.
SAN_CFLAGS    ?= -fsanitize=address,undefined -fno-omit-frame-pointer \
                 -Wno-unused-parameter -U_FORTIFY_SOURCE

# keep-modules.so (tools/stratum-keep-modules.c) keeps the modules mapped
# until the exit-time leak check, so that their frames are named;
# log_path: one file per process, read by tools/sanitizer-report after the
# suites (an ASan error also kills the nginx process, which fails tests);
# exitcode=0: nginx's own leaks (a regex context, say) must not turn the
# exit of the daemonizing parent into a failed start, the logs decide;
# fast_unwind_on_malloc=0: whole allocation stacks, through nginx's frames
ASAN_RUNTIME   = $(shell $(CLANG) -print-file-name=libclang_rt.asan-x86_64.so)
ASAN_OPTS      = log_path=$(ASAN_LOGS)/san detect_leaks=1 exitcode=0 \
                 fast_unwind_on_malloc=0 malloc_context_size=64
UBSAN_OPTS     = log_path=$(ASAN_LOGS)/san print_stacktrace=1
ASAN_ENV       = LD_PRELOAD="$(ASAN_RUNTIME) $(ASAN_BUILD)/keep-modules.so" \
                 ASAN_OPTIONS=$(subst $(space),:,$(strip $(ASAN_OPTS))) \
                 UBSAN_OPTIONS=$(subst $(space),:,$(strip $(UBSAN_OPTS)))

empty         :=
space         := $(empty) $(empty)

# fuzz targets: fuzz/fuzz_NAME.c, seeds in fuzz/corpus/NAME/, inputs that
# once failed in fuzz/regress/NAME/, a libFuzzer dictionary (optional) in
# fuzz/dict/NAME.dict.  FUZZ_SRCS_NAME lists the module sources linked in
# (a target that calls a module's static functions includes its .c file
# instead); a target whose sources are missing is skipped, with a note.
FUZZ_SRCS_jwt_split   := ngx_stratum_jwt.c ngx_stratum_conf.c
FUZZ_SRCS_jwks        := ngx_stratum_jwt.c ngx_stratum_conf.c
FUZZ_SRCS_auth_claims := ngx_stratum_jwt.c ngx_stratum_conf.c \
                         ngx_stratum_http.c ngx_stratum_redact.c
FUZZ_SRCS_auth_token  := ngx_stratum_jwt.c ngx_stratum_conf.c \
                         ngx_stratum_http.c ngx_stratum_redact.c
FUZZ_SRCS_rbac_match  := ngx_stratum_rbac_match.c
FUZZ_SRCS_redact      := ngx_stratum_redact.c
FUZZ_SRCS_ratelimit   := ngx_stratum_http.c ngx_stratum_redact.c

FUZZ_SECONDS  ?= 60
FUZZ_BIN       = $(ASAN_BUILD)/fuzz
FUZZ_WORK      = $(ASAN_BUILD)/fuzz-work
FUZZ_ALL      := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS  := $(foreach t,$(FUZZ_ALL),$(if $(filter-out \
                     $(wildcard $(FUZZ_SRCS_$(t))),$(FUZZ_SRCS_$(t))),,$(t)))
FUZZ_SKIPPED  := $(filter-out $(FUZZ_TARGETS),$(FUZZ_ALL))

FUZZ_CFLAGS   ?= -g -O1 -fno-omit-frame-pointer \
                 -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=all -ffunction-sections \
                 -fdata-sections -Wall -Wextra -Wno-unused-parameter -Werror
NGINX_INCS     = $(addprefix -I$(NGINX_SRC)/src/,core event os/unix http \
                     http/modules http/v2)
FUZZ_INCS      = -I$(CURDIR) -I$(ASAN_BUILD) $(NGINX_INCS)
# --gc-sections: what a target cannot reach needs no stand-in
FUZZ_LIBS      = -Wl,--gc-sections -ljansson -lcrypto -lhiredis
FUZZ_SHIM      = fuzz/ngx_stratum_fuzz.c fuzz/ngx_stratum_fuzz_stubs.c

# static analysis: our C, never nginx's, with the definitions of the ASan
# build's configure run (clang's, as clang-tidy is)
ANALYZE_SRCS   = $(wildcard *.c tools/*.c fuzz/*.c bench/*.c)
ANALYZE_INCS   = -I$(CURDIR) -I$(ASAN_BUILD) $(NGINX_INCS)

# the plain build's rules, into build-asan/, with clang and the sanitizers
ASAN_MAKE      = $(MAKE) BUILD=$(ASAN_BUILD) \
                 NGINX_CONFIGURE_FLAGS='$(NGINX_CONFIGURE_FLAGS) \
                                        --with-cc=$(CLANG)' \
                 WARN_CFLAGS='$(WARN_CFLAGS) $(SAN_CFLAGS)'

deps-hardening: deps
	@$(call apt-install,$(HARDENING_DEPS))

# The *_modules.c files configure generates define ngx_modules, which the
# nginx binary defines too and so wins in every module: instrumented, each
# module would put its redzone over the binary's array (a false overflow
# when a reload copies it).  They hold nothing else, so they are compiled
# without ASan.
MODULES_CC        = $$(CFLAGS) $$(ALL_INCS)
MODULES_CC_NOASAN = $$(CFLAGS) -fno-sanitize=address $$(ALL_INCS)

asan-modules:
	$(ASAN_MAKE) $(ASAN_BUILD)/Makefile
	if sed -n '/_modules\.o:/,/^$$/p' $(ASAN_BUILD)/Makefile \
	   | grep -qF '$(MODULES_CC)'; \
	then \
	    sed -i '/_modules\.o:/,/^$$/ s/$(MODULES_CC)/$(MODULES_CC_NOASAN)/' \
	        $(ASAN_BUILD)/Makefile; \
	    rm -f $(ASAN_BUILD)/*_modules.o; \
	fi
	$(ASAN_MAKE) modules

# configure alone: nginx's definitions for the fuzz targets and analysis
$(ASAN_BUILD)/ngx_auto_config.h:
	$(ASAN_MAKE) $(ASAN_BUILD)/Makefile

# nginx is started through a wrapper, so that only nginx gets the
# runtime: prove, perl and openssl would report their own exit leaks
test-asan: deps-hardening
	$(MAKE) asan-modules
	$(MAKE) tool BUILD=$(ASAN_BUILD)
	$(CLANG) -shared -fPIC -O2 -Wall -Wextra -Werror \
	    -o $(ASAN_BUILD)/keep-modules.so tools/stratum-keep-modules.c
	rm -rf $(ASAN_LOGS)
	mkdir -p -m 1777 $(ASAN_LOGS)
	printf '#!/bin/sh\nexec env %s %s "$$@"\n' \
	    '$(ASAN_ENV)' '$(NGINX_BINARY)' > $(ASAN_BUILD)/nginx
	chmod +x $(ASAN_BUILD)/nginx
	inc=; perl -MTest::Nginx::Socket -e1 2>/dev/null || inc='-I t/runner'; \
	TEST_NGINX_BINARY=$(ASAN_BUILD)/nginx \
	TEST_NGINX_LOAD_MODULES="$(ASAN_SOS)" \
	STRATUM_JWT=$(ASAN_BUILD)/stratum-jwt \
	    prove -r $$inc $(TEST_FILES); rc=$$?; \
	perl tools/sanitizer-report $(ASAN_LOGS) || rc=1; \
	exit $$rc

$(FUZZ_BIN)/%: fuzz/fuzz_%.c $(FUZZ_SHIM) $(wildcard *.c *.h fuzz/*.h) \
               $(ASAN_BUILD)/ngx_auto_config.h
	@mkdir -p $(FUZZ_BIN)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_INCS) -o $@ $< $(FUZZ_SHIM) \
	    $(FUZZ_SRCS_$*) $(FUZZ_LIBS)

fuzz-build: deps-hardening
	@$(if $(FUZZ_SKIPPED),echo "fuzz: skipped (sources missing):" \
	    "$(FUZZ_SKIPPED)")
	$(MAKE) $(FUZZ_TARGETS:%=$(FUZZ_BIN)/%)

# each target from its seeds (and the regressions, run first) for
# FUZZ_SECONDS; new inputs stay in build-asan/fuzz-work/NAME, a failing
# one is saved next to it and the run fails after the other targets ran
fuzz: fuzz-build
	@mkdir -p $(FUZZ_WORK); failed=; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_WORK)/$$t; \
	    regress=; [ -d fuzz/regress/$$t ] && regress=fuzz/regress/$$t; \
	    dict=; [ -f fuzz/dict/$$t.dict ] && dict=-dict=fuzz/dict/$$t.dict; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    if $(FUZZ_BIN)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	           -print_final_stats=1 -artifact_prefix=$(FUZZ_WORK)/$$t- \
	           $$dict $(FUZZ_WORK)/$$t fuzz/corpus/$$t $$regress \
	           > $(FUZZ_WORK)/$$t.log 2>&1; \
	    then \
	        n=$$(sed -n 's/^stat::number_of_executed_units: *//p' \
	             $(FUZZ_WORK)/$$t.log); \
	        echo "fuzz: $$t: $$n executions, clean"; \
	    else \
	        tail -n 40 $(FUZZ_WORK)/$$t.log; \
	        echo "fuzz: $$t FAILED (log: $(FUZZ_WORK)/$$t.log)"; \
	        failed="$$failed $$t"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

# every seed and regression input once: quick, and the same every time
fuzz-regress: fuzz-build
	@failed=; \
	for t in $(FUZZ_TARGETS); do \
	    if $(FUZZ_BIN)/$$t fuzz/corpus/$$t/* \
	           $$(ls -d fuzz/regress/$$t/* 2>/dev/null) \
	           > $(FUZZ_BIN)/$$t.regress.log 2>&1; \
	    then \
	        echo "fuzz-regress: $$t: ok"; \
	    else \
	        tail -n 40 $(FUZZ_BIN)/$$t.regress.log; \
	        echo "fuzz-regress: $$t FAILED"; \
	        failed="$$failed $$t"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then exit 1; fi

# -D: the configuration configure chose, so cppcheck checks that one;
# clang-tidy reads .clang-tidy (and fuzz/.clang-tidy), two files at once
analyze: deps-hardening $(ASAN_BUILD)/ngx_auto_config.h
	$(CPPCHECK) --std=c99 --enable=warning,portability,performance \
	    --inline-suppr --error-exitcode=1 --quiet \
	    --suppressions-list=$(CURDIR)/.cppcheck-suppress \
	    --suppress='*:$(NGINX_SRC)/*' \
	    -D__linux__ -D__x86_64__ -D__GNUC__=12 \
	    $(ANALYZE_INCS) $(ANALYZE_SRCS)
	printf '%s\n' $(ANALYZE_SRCS) \
	| xargs -P 2 -I {} $(CLANG_TIDY) --quiet {} -- $(ANALYZE_INCS)

load: all
	NGINX_BINARY=$(NGINX_BINARY) BUILD=$(BUILD) bash bench/load.sh
