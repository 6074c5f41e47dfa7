# tcpx - a user-level TCP/IPv4 stack.
#
#   make            build everything into build/
#   make check      unit tests, the core-purity check, lab integration tests
#   make check SAN=1  the same under AddressSanitizer + UBSan (build/san/)
#   make fuzz       libFuzzer over the frame-input entry point, bounded
#   make demo       see tcpx at work in the lab
#   make bench      tcpx and the kernel side by side in the lab (a table)
#   make install PREFIX=/usr/local
#
# New source files are picked up by wildcard: core/*.c make the engine,
# shim/common/*.c the code tcpxd, tcpx and libtcpx.so share,
# shim/daemon/*.c tcpxd, shim/tool/*.c tcpx, preload/*.c libtcpx.so,
# tests/unit/test_*.c one Check program each.

PREFIX ?= /usr/local
SAN ?= 0
FUZZ_SECONDS ?= 60

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
BSD_CFLAGS := $(shell pkg-config --cflags libbsd-overlay 2>/dev/null)
BSD_LIBS := $(shell pkg-config --libs libbsd-overlay 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
PCAP_LIBS := $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE \
	$(BSD_CFLAGS) -Icore -Ishim/common
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

CORE_SRCS := $(sort $(wildcard core/*.c))
COMMON_SRCS := $(sort $(wildcard shim/common/*.c))
DAEMON_SRCS := $(sort $(wildcard shim/daemon/*.c))
TOOL_SRCS := $(sort $(wildcard shim/tool/*.c))
PRELOAD_SRCS := $(sort $(wildcard preload/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
HARNESS_SRCS := $(sort $(wildcard tests/harness/*.c))
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
FMT_SRCS := $(sort $(wildcard shim/fmt/*.c))
SELFTEST_SRCS := $(sort $(wildcard shim/selftest/*.c))

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
COMMON_PIC_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/pic/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
PRELOAD_OBJS := $(PRELOAD_SRCS:%.c=$(BUILD)/pic/%.o)
HARNESS_OBJS := $(HARNESS_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%)
FMT_OBJS := $(FMT_SRCS:%.c=$(BUILD)/%.o)
SELFTEST_OBJS := $(SELFTEST_SRCS:%.c=$(BUILD)/%.o)

CORE_LIB := $(BUILD)/libtcpxcore.a
TARGETS := $(CORE_LIB) $(BUILD)/tcpx-selftest
ifneq ($(DAEMON_SRCS),)
TARGETS += $(BUILD)/tcpxd
endif
ifneq ($(TOOL_SRCS),)
TARGETS += $(BUILD)/tcpx
endif
ifneq ($(PRELOAD_SRCS),)
TARGETS += $(BUILD)/libtcpx.so
endif
TARGETS += $(HELPER_BINS)

.PHONY: all deps check unit purity integration fuzz demo bench install \
	clean lab-down
.DEFAULT_GOAL := all

all: deps $(TARGETS)

# Install missing Debian packages first (a no-op when all are present).
deps:
	@scripts/deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ishim/fmt -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tcpx-selftest: $(SELFTEST_OBJS) $(FMT_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(BSD_LIBS)

$(BUILD)/tcpxd: $(DAEMON_OBJS) $(COMMON_OBJS) $(FMT_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PCAP_LIBS) $(BSD_LIBS)

$(BUILD)/tcpx: $(TOOL_OBJS) $(COMMON_OBJS) $(FMT_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PCAP_LIBS) $(BSD_LIBS)

# The preload library is never built with ASan: an LD_PRELOADed library
# cannot bring the ASan runtime into a program that was not built with it.
$(BUILD)/libtcpx.so: $(PRELOAD_SRCS) $(COMMON_SRCS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE $(BSD_CFLAGS) \
		-Icore -Ishim/common -fPIC -shared -fvisibility=hidden \
		-o $@ $(PRELOAD_SRCS) $(COMMON_SRCS) -ldl -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(HARNESS_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/harness -MMD -MP -o $@ \
		$< $(HARNESS_OBJS) $(CORE_LIB) $(CHECK_LIBS) $(BSD_LIBS)

# The ss filter parser is the tool's: its suite links it alone.
$(BUILD)/tests/test_ssfilter: tests/unit/test_ssfilter.c \
    $(BUILD)/shim/tool/ssfilter.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Ishim/tool -MMD -MP -o $@ \
		$(filter %.c %.o,$^) $(CHECK_LIBS)

# floor's round trips pass fds with the control channel's own code.
$(BUILD)/helpers/floor: tests/helpers/floor.c $(BUILD)/shim/common/ctl_msg.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDFLAGS_ALL)

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS_ALL)

# The test command: every Check suite, the core-purity check, then the lab
# integration tests (skipped with a message where namespaces cannot be made).
check: all $(TEST_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) scripts/run-tests $(TEST_BINS)

unit: all $(TEST_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) TCPX_SKIP_INTEGRATION=1 scripts/run-tests $(TEST_BINS)

purity: $(CORE_OBJS)
	@scripts/check-core-purity $(CORE_OBJS)

FUZZ_BIN := build/fuzz/fuzz_input
$(FUZZ_BIN): tests/fuzz/fuzz_input.c $(CORE_SRCS) | deps
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-D_GNU_SOURCE $(BSD_CFLAGS) -Icore -o $@ $^

fuzz: $(FUZZ_BIN)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
		build/fuzz/corpus tests/fuzz/seeds

demo: all
	@scripts/demo

bench: all
	@scripts/bench

lab-down:
	@scripts/lab down

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/tcpx
	install -m 755 $(BUILD)/tcpxd $(BUILD)/tcpx $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libtcpx.so $(DESTDIR)$(PREFIX)/lib/tcpx/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
