# Fuzzing the request decoder and dispatcher (tests/fuzz/fuzz_dispatch.c).
# Included from the Makefile; uses its CPPFLAGS, CFLAGS_COMMON, ASAN_FLAGS,
# SHARED_SRC, SERVER_SRC, ASAN_SERVER_OBJ and SERVER_LIBS.
#
#   make fuzz          libFuzzer (clang) for $(FUZZ_SECONDS) seconds, starting
#                      from tests/fuzz/corpus; what it finds goes to
#                      build/fuzz/corpus, crashes to build/fuzz/crash-*
#   make fuzz-replay   the seed corpus through the target without libFuzzer
#                      (gcc, ASan+UBSan), as `make test` can on any machine
#
# `make fuzz` installs clang and its fuzzer runtime (Debian: clang,
# libclang-rt-14-dev) when they are missing.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -g -O1
# clang has no -Wformat-truncation, which CFLAGS_COMMON turns off for gcc.
FUZZ_CFLAGS   = $(CFLAGS_COMMON) -Wno-unknown-warning-option $(FUZZ_FLAGS)
FUZZ_OBJ      = $(call objects,fuzz/obj,$(SHARED_SRC) $(SERVER_SRC) tests/fuzz/fuzz_dispatch.c)
FUZZ_CORPUS   = tests/fuzz/corpus
# Protocol words, so mutations can splice in op and field names.
FUZZ_WORDS    = op request_id user_id token name concert_id schedule_id concert_date \
                seat_number reservation_id amount limit user.create queue.enter \
                queue.status concert.list concert.dates concert.seats seat.reserve \
                point.charge point.balance point.history payment.pay reservation.list \
                server.ping token-1 token-2 token-3

.PHONY: fuzz fuzz-replay fuzz-deps

build/fuzz/obj/%.o: %.c build/gen/sql_embedded.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

build/fuzz/fuzz_dispatch: $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(LDFLAGS) $^ $(SERVER_LIBS) -o $@

build/fuzz/boxoffice.dict: tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@for word in $(FUZZ_WORDS); do printf '"\\"%s\\""\n' "$$word"; done > $@

# New inputs are written to the first corpus directory (build/fuzz/corpus);
# the seed corpus in the source tree is only read.
fuzz-deps:
	@sh tools/deps.sh clang libclang-rt-14-dev

build/fuzz/fuzz_dispatch: | fuzz-deps

fuzz: fuzz-deps build/fuzz/fuzz_dispatch build/fuzz/boxoffice.dict
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_dispatch -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    -dict=build/fuzz/boxoffice.dict -artifact_prefix=build/fuzz/ \
	    build/fuzz/corpus $(FUZZ_CORPUS)

build/asan/tests/fuzz_replay: build/asan/tests/fuzz/replay.o build/asan/tests/fuzz/fuzz_dispatch.o \
		$(ASAN_SERVER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) $^ $(SERVER_LIBS) -o $@

fuzz-replay: build/asan/tests/fuzz_replay
	build/asan/tests/fuzz_replay $(FUZZ_CORPUS)
