# boxoffice: a concert box office with a virtual waiting room.
#
#   make run     build, start a demo daemon and open the client
#   make test    install what is missing, build, run every test suite
#   make all     build the release binaries into build/release/
#
# Two builds live side by side: build/release (-O2) and build/asan
# (AddressSanitizer + UndefinedBehaviorSanitizer), which the tests use.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
MANDIR   = $(PREFIX)/share/man
DOCDIR   = $(PREFIX)/share/doc/boxoffice
UNITDIR  = $(PREFIX)/lib/systemd/system
# /usr installs configure in /etc; other prefixes keep it under themselves.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MAN_PAGES = man/boxoffice.1 man/boxoffice-call.1 man/boxoffice.conf.5 \
            man/boxoffice-protocol.7 man/boxofficed.8
PYTHON   = /usr/bin/python3

CC      ?= cc
# Messages are cut to their buffers on purpose, so truncation is no error.
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-format-truncation
CPPFLAGS = -D_DEFAULT_SOURCE -Ishared -Iserver -Itui -Ibuild/gen
CFLAGS_COMMON = -std=c11 $(WARN) -g -MMD -MP
RELEASE_FLAGS = -O2
ASAN_FLAGS    = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SERVER_LIBS   = -lczmq -lzmq -ljansson -lsqlite3
TUI_LIBS      = -lncursesw -lczmq -lzmq -ljansson
TEST_LIBS     = -lcmocka

SHARED_SRC = shared/bo_time.c shared/protocol.c shared/codec.c
SERVER_SRC = server/log.c server/options.c \
             server/store_sqlite.c server/store_points.c server/store_queue.c \
             server/store_catalog.c server/store_booking.c server/store_vfs.c server/store_checkpoint.c \
             server/ops.c server/ops_account.c server/ops_queue.c server/ops_catalog.c \
             server/ops_booking.c server/reply_cache.c server/dispatch.c server/scheduler.c \
             server/loop_stats.c server/runner.c server/server.c \
             build/gen/sql_embedded.c
TUI_SRC    = tui/app.c tui/screen.c tui/screen_signin.c tui/screen_queue.c \
             tui/screen_concerts.c tui/screen_dates.c tui/screen_seats.c tui/screen_hold.c \
             tui/screen_pay.c tui/screen_wallet.c tui/screen_tickets.c tui/format.c tui/text.c \
             tui/draw.c tui/chrome.c tui/net.c tui/config.c
MIGRATIONS  = $(sort $(wildcard db/migrations/*.sql))
SERVER_TESTS = test_time test_codec test_options test_store test_queue test_booking \
               test_dispatch test_scheduler test_reply_cache test_loop_stats test_runner
TUI_TESTS    = test_format test_text test_app
UNIT_TESTS   = $(SERVER_TESTS) $(TUI_TESTS)

objects = $(patsubst %.c,build/$(1)/%.o,$(2))

RELEASE_SERVER_OBJ = $(call objects,release,$(SHARED_SRC) $(SERVER_SRC))
ASAN_SERVER_OBJ    = $(call objects,asan,$(SHARED_SRC) $(SERVER_SRC))
RELEASE_TUI_OBJ    = $(call objects,release,$(SHARED_SRC) $(TUI_SRC))
ASAN_TUI_OBJ       = $(call objects,asan,$(SHARED_SRC) $(TUI_SRC))

.PHONY: all asan deps run test check unit integration integration-release valgrind faults e2e \
        e2e-release bench bench-smoke soak clean install uninstall format

all: build/release/boxofficed build/release/boxoffice build/release/boxoffice-call

asan: build/asan/boxofficed build/asan/boxoffice $(addprefix build/asan/tests/,$(UNIT_TESTS))

# The directory is a prerequisite too: removing a migration changes no file
# listed here, only the directory's mtime, and a stale file would still carry
# the removed migration into every build.
build/gen/sql_embedded.c: tools/embed-sql.sh db/seed.sql db/migrations $(MIGRATIONS)
	@mkdir -p $(dir $@)
	sh tools/embed-sql.sh $@ db/seed.sql $(MIGRATIONS)

build/release/%.o: %.c build/gen/sql_embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_COMMON) $(RELEASE_FLAGS) $(CFLAGS) -c $< -o $@

build/asan/%.o: %.c build/gen/sql_embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_COMMON) $(ASAN_FLAGS) $(CFLAGS) -c $< -o $@

build/release/boxofficed: $(RELEASE_SERVER_OBJ) build/release/server/main.o
	$(CC) $(RELEASE_FLAGS) $(LDFLAGS) $^ $(SERVER_LIBS) -o $@

build/asan/boxofficed: $(ASAN_SERVER_OBJ) build/asan/server/main.o
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $^ $(SERVER_LIBS) -o $@

build/release/boxoffice: $(RELEASE_TUI_OBJ) build/release/tui/main.o
	$(CC) $(RELEASE_FLAGS) $(LDFLAGS) $^ $(TUI_LIBS) -o $@

build/asan/boxoffice: $(ASAN_TUI_OBJ) build/asan/tui/main.o
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $^ $(TUI_LIBS) -o $@

build/release/boxoffice-call: build/release/cli/boxoffice-call.o build/release/shared/protocol.o \
		build/release/shared/bo_time.o
	$(CC) $(RELEASE_FLAGS) $(LDFLAGS) $^ -lczmq -lzmq -ljansson -o $@

$(addprefix build/asan/tests/,$(SERVER_TESTS)): build/asan/tests/%: build/asan/tests/unit/%.o \
		$(ASAN_SERVER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $^ $(SERVER_LIBS) $(TEST_LIBS) -o $@

$(addprefix build/asan/tests/,$(TUI_TESTS)): build/asan/tests/%: build/asan/tests/unit/%.o \
		$(ASAN_TUI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $^ $(TUI_LIBS) $(TEST_LIBS) -o $@

BENCH_SRC = bench/main.c bench/load.c bench/baseline.c bench/fixture.c bench/daemon.c \
            bench/stats.c
build/release/boxoffice-bench: $(call objects,release,$(BENCH_SRC))
	$(CC) $(RELEASE_FLAGS) $(LDFLAGS) $^ -lczmq -lzmq -lsqlite3 -lpthread -o $@

# Figures against same-run baselines (BENCH_SECONDS a phase, default 5;
# BENCH_CLIENTS, default 64); a table on stdout, CSV in build/bench/.
bench: deps
	$(MAKE) all build/release/boxoffice-bench
	@mkdir -p build/bench
	build/release/boxoffice-bench

# Ten minutes (SOAK_SECONDS) of full load; the daemon's memory must stay flat.
SOAK_SECONDS ?= 600
soak: deps
	$(MAKE) all build/release/boxoffice-bench
	@mkdir -p build/bench
	build/release/boxoffice-bench --soak $(SOAK_SECONDS) -o build/bench/soak.csv

deps:
	@sh tools/deps.sh

# The demo: a database with demo data, the daemon on loopback, and the
# client; the daemon stops when you leave the client.
run: deps
	$(MAKE) all
	sh tools/run-demo.sh build/release

test: deps
	$(MAKE) check

check: all asan
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) integration
	$(MAKE) valgrind
	$(MAKE) faults
	$(MAKE) bench-smoke
	$(MAKE) e2e

unit: asan
	@for test in $(UNIT_TESTS); do \
	    echo "== $$test"; \
	    build/asan/tests/$$test || exit 1; \
	done

# The integration suites drive real daemons over ZeroMQ, in the sanitizer
# build. The release build is driven by the valgrind and fault suites, and
# `make integration-release` runs these on it too.
integration: all asan
	BOXOFFICED=build/asan/boxofficed $(PYTHON) -m unittest discover -s tests/integration -p 'test_*.py'

integration-release: all
	BOXOFFICED=build/release/boxofficed $(PYTHON) -m unittest discover -s tests/integration -p 'test_*.py'

# The integration suites with the release daemon under valgrind: any memory
# error or definite leak makes it exit non-zero, which the harness reports.
# Not the two timing-bound suites (schedulers, concurrency), which would
# only measure valgrind's slowness, nor the documentation checks, which
# drive the daemon no way the others do not.
VALGRIND = valgrind --quiet --error-exitcode=87 --leak-check=full \
           --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
# Valgrind runs one daemon on one core, so the suites run as two groups
# of about equal length side by side, each logged apart and shown whole.
valgrind: all
	@cd tests/integration && export BOXOFFICED_WRAPPER="$(VALGRIND)" \
	    BOXOFFICED=build/release/boxofficed && logs=$$(mktemp -d) && \
	    { $(PYTHON) -m unittest test_protocol >$$logs/1 2>&1 & first=$$!; } && \
	    { $(PYTHON) -m unittest test_hostile test_daemon test_examples >$$logs/2 2>&1; second=$$?; } ; \
	    wait $$first; first=$$?; cat $$logs/1 $$logs/2; rm -rf $$logs; \
	    test $$first -eq 0 && test $$second -eq 0

# Crashes, vanishing and non-reading clients, crowds, Lazy Pirate retries:
# the release build, since the sanitizers' own memory hides the growth the
# suite bounds and their slowness hides nothing else.
faults: all
	BOXOFFICED=build/release/boxofficed $(PYTHON) -m unittest discover -s tests/faults -p 'test_*.py'

# Every phase of the benchmark for a moment, so a change cannot leave
# `make bench` broken unnoticed; no timing goal is judged here.
bench-smoke: all build/release/boxoffice-bench
	$(PYTHON) -m unittest discover -s tests/bench -p 'test_*.py'

# The client in a real terminal (tmux), against real daemons: the sanitizer
# builds (`make e2e-release` for the release ones).
e2e: all asan
	BOXOFFICE=build/asan/boxoffice BOXOFFICED=build/asan/boxofficed \
	    $(PYTHON) -m unittest discover -s tests/e2e -p 'test_*.py'

e2e-release: all
	BOXOFFICE=build/release/boxoffice BOXOFFICED=build/release/boxofficed \
	    $(PYTHON) -m unittest discover -s tests/e2e -p 'test_*.py'

# Binaries, man pages, the examples, a systemd unit, and the config file
# (only if there is none yet: an administrator's edits are never replaced).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/boxoffice
	install -m 755 build/release/boxofficed $(DESTDIR)$(SBINDIR)/boxofficed
	install -m 755 build/release/boxoffice build/release/boxoffice-call $(DESTDIR)$(BINDIR)/
	for page in $(MAN_PAGES); do \
	    section=$${page##*.}; \
	    install -d $(DESTDIR)$(MANDIR)/man$$section; \
	    install -m 644 $$page $(DESTDIR)$(MANDIR)/man$$section/; \
	done
	install -m 644 etc/boxofficed.conf.example README.md $(DESTDIR)$(DOCDIR)/
	install -m 755 examples/buy_ticket.py examples/buy_ticket.sh $(DESTDIR)$(DOCDIR)/examples/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    etc/boxofficed.service.in > $(DESTDIR)$(UNITDIR)/boxofficed.service
	chmod 644 $(DESTDIR)$(UNITDIR)/boxofficed.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/boxoffice/boxofficed.conf ] || \
	    install -m 644 etc/boxofficed.conf.example $(DESTDIR)$(SYSCONFDIR)/boxoffice/boxofficed.conf

# Removes what install put there; the config file only if it is unchanged.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/boxofficed $(DESTDIR)$(BINDIR)/boxoffice \
	    $(DESTDIR)$(BINDIR)/boxoffice-call $(DESTDIR)$(UNITDIR)/boxofficed.service
	for page in $(MAN_PAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/}; \
	done
	rm -rf $(DESTDIR)$(DOCDIR)
	if cmp -s etc/boxofficed.conf.example $(DESTDIR)$(SYSCONFDIR)/boxoffice/boxofficed.conf; then \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/boxoffice/boxofficed.conf; \
	    rmdir $(DESTDIR)$(SYSCONFDIR)/boxoffice 2>/dev/null || true; \
	fi

format:
	clang-format -i shared/*.[ch] server/*.[ch] tui/*.[ch] cli/*.c tests/unit/*.[ch] bench/*.[ch] \
	    tests/fuzz/*.c

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

# Test binaries are rebuilt from objects that should stay for the next build.
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
