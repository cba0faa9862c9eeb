# Stratum: dynamic nginx modules, built out of tree into build/.
#
#   make                  every module (build/*.so) and build/stratum-jwt
#   make NGINX_SRC=DIR    the same against another nginx source tree
#   make deps             install the missing Debian packages
#   make test             deps, build, then every suite under t/
#   make test-valgrind    the same under valgrind
#   make demo             deps, build, then examples/demo.sh
#   make bench            bench/run.sh, when it exists
#   make clean

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


.PHONY: all modules tool deps test test-valgrind demo bench clean FORCE
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
deps:
	@missing=; \
	for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    $(SUDO) $(APT) update -q \
	    && $(SUDO) $(APT) install -y -q --no-install-recommends $$missing; \
	fi

# Test::Nginx from the system if it is there, else our own subset
test test-valgrind: deps
	$(MAKE) all
	inc=; perl -MTest::Nginx::Socket -e1 2>/dev/null || inc='-I t/runner'; \
	$(TEST_ENV) $(if $(filter test-valgrind,$@),TEST_NGINX_USE_VALGRIND=1) \
	    prove -r $$inc $(TEST_FILES)

demo: deps
	$(MAKE) all
	NGINX_BINARY=$(NGINX_BINARY) BUILD=$(BUILD) examples/demo.sh

bench: all
	@if [ -f bench/run.sh ]; then \
	    $(TEST_ENV) bash bench/run.sh; \
	else \
	    echo "bench/run.sh does not exist yet"; \
	fi

clean:
	rm -rf $(BUILD) t/servroot*
