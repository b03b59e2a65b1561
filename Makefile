# gisd — build, test, demo and benchmark. `make test` and `make demo` install
# what a fresh Debian 12 machine lacks (apt-get), then build and run.

CC       ?= cc
PKGS     := gdal spatialite sqlite3 libmicrohttpd jansson geos zlib libprotobuf-c freetype2 cbc pangocairo fontconfig minizip libpq libsystemd
DEB_PKGS := build-essential pkg-config libgdal-dev gdal-bin libproj-dev proj-bin \
            libspatialite-dev libsqlite3-mod-spatialite libsqlite3-dev sqlite3 \
            libmicrohttpd-dev libcmocka-dev libjansson-dev libgeos-dev zlib1g-dev \
            libprotobuf-c-dev protobuf-c-compiler libfreetype-dev python3 python3-owslib curl wrk \
            chromium fonts-wqy-zenhei clang libclang-rt-14-dev coinor-libcbc-dev libpq-dev postgresql-15-postgis-3 \
            libcairo2-dev libpango1.0-dev poppler-utils libminizip-dev \
            python3-qgis qgis-providers python3-gdal python3-pil unzip openssl \
            libsystemd-dev systemd debhelper lintian fakeroot unicode-data
# What make bench measures gisd against (not needed to build, run or test).
BENCH_PKGS := postgresql postgresql-15-postgis-3 mapserver-bin nginx-light spawn-fcgi \
              python3-pulp coinor-cbc python3-shapely python3-numpy postgresql-15-pgrouting
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lgeos_c -lpthread -lm

WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP
CFLAGS   ?= -O2 -g
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# Each room of gisd/ has a folder, from the bottom up (tests/rooms.sh checks
# that a room includes only the headers of the rooms below it). Their
# headers are found for #include "..." only (-iquote): features.h is also libc's.
ROOMS    := core geom query store edit tiles network analysis optimize report catalog http cli
INC      := $(patsubst %,-iquote gisd/%,$(ROOMS)) -iquote importers -Ibuild/gen
LIB_SRC  := $(filter-out gisd/cli/main.c,$(wildcard gisd/*/*.c)) $(wildcard importers/*.c)
# The MVT and glyph encodings compiled by protoc-c from their published .proto files.
PROTOS   := vector_tile glyphs
GEN_HDR  := $(patsubst %,build/gen/%.pb-c.h,$(PROTOS)) build/gen/pinyin_table.h
BIN_SRC  := gisd/cli/main.c
TEST_SRC := $(wildcard tests/test_*.c)
HEADERS  := $(wildcard gisd/*/*.h importers/*.h tests/*.h) $(GEN_HDR)

REL_OBJ  := $(patsubst %.c,build/rel/%.o,$(LIB_SRC) $(BIN_SRC)) $(patsubst %,build/rel/gen/%.pb-c.o,$(PROTOS))
SAN_OBJ  := $(patsubst %.c,build/san/%.o,$(LIB_SRC)) $(patsubst %,build/san/gen/%.pb-c.o,$(PROTOS))
TESTS    := $(patsubst tests/%.c,build/san/tests/%,$(TEST_SRC))

.PHONY: all deps test demo bench fuzz clean check-deps install uninstall deb FORCE
all: gisd/gisd

# ---- dependencies: Debian packages, installed once when missing ----
build/.deps: Makefile
	@mkdir -p build
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null 2>&1 || echo nodejs npm); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@touch $@
deps: build/.deps build/.npm

# ---- npm: MapLibre GL JS for the viewer, the style validator and
# playwright-core for the tests, pinned by the committed package-lock.json ----
build/.npm: package.json package-lock.json | build/.deps
	npm ci --no-audit --no-fund
	@touch $@

# ---- the version: gisd --version, the manual page and the package ----
VERSION  := 0.12.0
# rewritten only when the commit changes, so that nothing rebuilds for nothing
build/gen/version.h: FORCE
	@mkdir -p build/gen
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	  dirty=$$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty); \
	  date=$$(git log -1 --format=%cs 2>/dev/null || echo unknown); \
	  printf '#define GISD_VERSION "%s"\n#define GISD_COMMIT "%s%s"\n#define GISD_BUILD_DATE "%s"\n' \
	    "$(VERSION)" "$$commit" "$$dirty" "$$date" > $@.new; \
	  cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
FORCE:

# ---- generated code ----
.SECONDARY: $(patsubst %,build/gen/%.pb-c.c,$(PROTOS)) $(GEN_HDR)
build/gen/%.pb-c.c build/gen/%.pb-c.h: gisd/proto/%.proto | build/.deps
	@mkdir -p build/gen
	protoc-c --c_out=build/gen --proto_path=gisd/proto $<

# The pinyin initials of Han characters, from Unicode's Unihan data (unicode-data).
build/gen/pinyin_table.h: tools/gen_pinyin.py | build/.deps
	@mkdir -p build/gen
	python3 tools/gen_pinyin.py /usr/share/unicode/Unihan_Readings.txt.bz2 $@

build/rel/gen/%.o: build/gen/%.c $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(CFLAGS) $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/san/gen/%.o: build/gen/%.c $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g $(SAN) $(PKG_CFLAGS) $(INC) -c -o $@ $<

# ---- the release binary ----
gisd/gisd: $(REL_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/rel/%.o: %.c | build/.deps $(GEN_HDR) build/gen/version.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) $(INC) -c -o $@ $<

# ---- sanitized builds for the tests ----
build/san/%.o: %.c | build/.deps $(GEN_HDR) build/gen/version.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/san/bin/gisd: $(SAN_OBJ) build/san/gisd/cli/main.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/san/tests/%: tests/%.c tests/testutil.c $(SAN_OBJ) $(HEADERS) | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) $(INC) -o $@ $< tests/testutil.c $(SAN_OBJ) $(PKG_LIBS) -lcmocka

# The ThreadSanitizer build of the server, for tests/test_races.c.
TSAN_OBJ := $(patsubst %.c,build/tsan/%.o,$(LIB_SRC)) $(patsubst %,build/tsan/gen/%.pb-c.o,$(PROTOS))

build/tsan/%.o: %.c | build/.deps $(GEN_HDR) build/gen/version.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g -fsanitize=thread $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/tsan/gen/%.o: build/gen/%.c $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -fsanitize=thread $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/tsan/bin/gisd: $(TSAN_OBJ) build/tsan/gisd/cli/main.o
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=thread -o $@ $^ $(PKG_LIBS)

# ---- libFuzzer targets, built with clang: the request parsers, the site
# GeoJSON, the importers on in-memory files, the layer and rules loaders ----
FUZZ_CC    := clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJ   := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC)) $(patsubst %,build/fuzz/gen/%.pb-c.o,$(PROTOS))
FUZZERS    := $(patsubst fuzz/%.c,build/fuzz/bin/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 600
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/%.o: %.c | build/.deps $(GEN_HDR) build/gen/version.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/fuzz/gen/%.o: build/gen/%.c $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -O1 -g $(FUZZ_SAN) $(PKG_CFLAGS) $(INC) -c -o $@ $<

build/fuzz/bin/%: fuzz/%.c $(FUZZ_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS) $(INC) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# Every test binary runs against the sanitized gisd; their cmocka summaries
# and a closing "N passed, N failed" line are the result. Each fuzz target
# runs for 30 s on its seeds and regression files. Then every suite that
# touches a store runs again with its stores on a throwaway PostgreSQL +
# PostGIS cluster (run_all.sh --pg); the suites of pure functions (CRS
# parsing, layer definitions, the p-median's search, GEOS failures) and
# test_pg (which compares the two backends itself) run once.
PG_SUITES := analysis catalog clients cql2 scenarios edit hardening http import network opinions optimize processes public qgis races report sites store tiles viewer
PG_TESTS  := $(patsubst %,build/san/tests/test_%,$(PG_SUITES))
test: build/.deps build/.npm gisd/gisd build/san/bin/gisd build/tsan/bin/gisd $(TESTS) $(FUZZERS)
	@tests/rooms.sh
	@GISD_BIN=$(CURDIR)/build/san/bin/gisd GISD_TSAN_BIN=$(CURDIR)/build/tsan/bin/gisd \
	  GISD_ROOT=$(CURDIR) GISD_FUZZ_SECONDS=30 tests/run_all.sh $(TESTS) $(FUZZERS) --pg $(PG_TESTS)

# The fuzz targets for as long as asked: make fuzz FUZZ_SECONDS=3600 (each).
# Then CQL2 across the two stores: GISD_DIFF_FILTERS random filters (default
# 20,000) must get the same answers from SpatiaLite and PostgreSQL.
GISD_DIFF_FILTERS ?= 20000
fuzz: build/.deps $(FUZZERS) gisd/gisd
	@GISD_ROOT=$(CURDIR) GISD_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run_all.sh $(FUZZERS)
	@GISD_ROOT=$(CURDIR) GISD_DIFF_FILTERS=$(GISD_DIFF_FILTERS) tests/cql2_diff_fuzz.sh

demo: build/.deps build/.npm gisd/gisd
	rm -f build/demo.sqlite build/demo.sqlite-wal build/demo.sqlite-shm
	./gisd/gisd import --db build/demo.sqlite --manifest data/reference/manifest-network.json
	./gisd/gisd serve --db build/demo.sqlite --listen 127.0.0.1:8080

# ---- install (FHS): make install [PREFIX=/usr/local] [DESTDIR=...] ----
# An installed gisd finds its layers, styles, viewer and MapLibre under
# PREFIX/share/gisd and reads SYSCONFDIR/gisd/gisd.conf (paths.c); /usr's
# configuration lives in /etc.
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_BIN ?= gisd/gisd
SHARE      := $(DESTDIR)$(PREFIX)/share/gisd
# the npm packages the viewer loads, copied from node_modules (npm ci, the lock file)
VENDOR_PKGS := maplibre-gl terra-draw terra-draw-maplibre-gl-adapter

install: $(INSTALL_BIN) build/.npm
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/layers $(SHARE)/docs $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(SYSCONFDIR)/gisd $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(UNITDIR)
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/gisd
	install -m 0644 layers/*.json $(SHARE)/layers/
	rm -rf $(SHARE)/styles $(SHARE)/vendor
	cp -R styles $(SHARE)/styles
	for p in $(VENDOR_PKGS); do install -d $(SHARE)/vendor/$$p && cp -R node_modules/$$p/dist $(SHARE)/vendor/$$p/ \
	  && install -m 0644 node_modules/$$p/package.json $(SHARE)/vendor/$$p/ || exit 1; \
	  find $(SHARE)/vendor/$$p/dist \( -name '*.map' -o -name '*-dev.js' -o -name '*.d.ts' \) -delete; \
	  for l in node_modules/$$p/LICENSE*; do [ ! -e "$$l" ] || install -m 0644 "$$l" $(SHARE)/vendor/$$p/ || exit 1; done; \
	done
	install -m 0644 README.md docs/*.md $(SHARE)/docs/
	$(INSTALL_BIN) help --man | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man1/gisd.1.gz
	[ -e $(DESTDIR)$(SYSCONFDIR)/gisd/gisd.conf ] || install -m 0644 packaging/gisd.conf $(DESTDIR)$(SYSCONFDIR)/gisd/gisd.conf
	install -m 0644 packaging/gisd.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/gisd
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' packaging/gisd.service.in \
	  > $(DESTDIR)$(UNITDIR)/gisd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/gisd.service

# The configuration file stays: it is the operator's.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/gisd $(DESTDIR)$(PREFIX)/share/man/man1/gisd.1.gz \
	  $(DESTDIR)$(UNITDIR)/gisd.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/gisd
	rm -rf $(SHARE)

# ---- the Debian package: build/deb/gisd_VERSION_ARCH.deb ----
# -nc: the package is made of what is built here (no clean), so make test's
# own build is reused.
deb: gisd/gisd build/.npm
	@rm -rf build/deb debian/gisd debian/gisd-dbgsym debian/.debhelper debian/files debian/debhelper-build-stamp \
	  debian/*.substvars debian/*.debhelper debian/*.debhelper.log
	@mkdir -p build/deb
	dpkg-buildpackage -us -uc -b -nc --buildinfo-option=-ubuild/deb --changes-option=-ubuild/deb \
	  --buildinfo-file=build/deb/gisd_$(VERSION)-1_$$(dpkg --print-architecture).buildinfo \
	  --changes-file=build/deb/gisd_$(VERSION)-1_$$(dpkg --print-architecture).changes
	lintian --fail-on error build/deb/gisd_$(VERSION)-1_*.deb

build/.bench-deps: Makefile | build/.deps
	@missing=$$(for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@touch $@

# The tests' JSON comparer, for the benchmarks' checks of PostGIS's answers.
build/bench/jsonmatch: tests/jsonmatch.c tests/testutil.c tests/testutil.h | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(PKG_CFLAGS) -o $@ tests/jsonmatch.c tests/testutil.c -ljansson -lcmocka -lm

bench: build/.deps build/.npm build/.bench-deps gisd/gisd build/bench/jsonmatch
	bench/run.sh

clean:
	rm -rf build gisd/gisd

# Each object's headers, as the compiler found them (-MMD -MP).
-include $(shell find build/rel build/san build/tsan build/fuzz -name '*.d' -type f 2>/dev/null)
