# effad -- build with a C compiler and nothing else.
#
#   make            the effad CLI (build/effad) and build/libeffad.a
#   make test       unit, property, golden and end-to-end tests (C only)
#   make asan       the same tests under AddressSanitizer + UBSan
#   make fuzz       every libFuzzer harness in tests/fuzz/ for FUZZ_SECONDS
#                   each (needs clang; see tests/fuzz/README.md)
#   make tsan       the thread tests and a threaded fit under ThreadSanitizer
#   make bench      effad vs ONNX Runtime, B0@224 and B4@380, 1 and 2 threads
#                   (needs node + onnxruntime-node; report in build/bench/)
#
#   THREADS=1       the pthread pool (engine/threads-pthread.c) is compiled in
#                   and EFFAD_HAVE_THREADS defined: the default on Linux, where
#                   pthreads are part of libc. THREADS=0: no pthreads at all;
#                   the CLI then refuses --threads above 1.
#
# Sources are picked up by directory: ops/, engine/, convert/ and src/ form
# the library; src/main.c and src/cmd-*.c form the CLI; every
# tests/unit/test-*.c is one test program; every tests/fuzz/fuzz-*.c is a
# fuzz harness, built for `make fuzz` with libFuzzer and for `make test` with
# the replay main (tests/fuzz/replay.c) as $(B)/tests/replay-<name>.

CC      ?= cc
AR      ?= ar
OPT     ?= -O2 -g
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes
CFLAGS  += $(STD) $(OPT) $(WARN) $(EXTRA_CFLAGS)
LDLIBS  += -lm $(EXTRA_LDLIBS)
B       ?= build

ARCH := $(shell $(CC) -dumpmachine 2>/dev/null)

ifneq (,$(findstring linux,$(ARCH)))
THREADS ?= 1
else
THREADS ?= 0
endif

LIB_SRC := $(filter-out engine/%-pthread.c,$(wildcard ops/*.c engine/*.c convert/*.c)) \
           $(filter-out src/main.c src/cmd-%.c,$(wildcard src/*.c))
ifeq ($(THREADS),1)
LIB_SRC += $(wildcard engine/*-pthread.c)
CFLAGS  += -DEFFAD_HAVE_THREADS -pthread
LDLIBS  += -pthread
endif
ifneq (,$(findstring x86_64,$(ARCH)))
LIB_SRC += $(wildcard ops/x86/*.c)
endif
ifneq (,$(findstring aarch64,$(ARCH)))
LIB_SRC += $(wildcard ops/arm/*.c)
else
# The Arm DSP-extension int8 kernels are plain C off Arm: built everywhere,
# so the tests hold them against the references on any host.
LIB_SRC += $(wildcard ops/arm/*-dsp.c)
endif
CLI_SRC  := src/main.c $(wildcard src/cmd-*.c)
TEST_SRC := $(wildcard tests/unit/test-*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=%)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
REPLAYS  := $(FUZZ_NAMES:%=$(B)/tests/replay-%)

INC := -Iengine -Iops -Iconvert -Isrc

.PHONY: all test asan clean
all: $(B)/effad $(B)/libeffad.a

# Test messages may be cut short; that is fine for a diagnostic.
# Per-ISA kernel files get their instruction set; everything else stays
# portable so one binary runs on any x86-64 and picks its path at load.
# The SIMD kernel files are 94 % of a build's compile time (GCC: 430 of
# 459 CPU seconds at -O2 -g); tracking each variable's location through
# their unrolled intrinsics is a third of that (q8-dwconv-3x3-avx512: 98 s,
# 66 s without), for debug info nobody steps through, and it does not
# change the code. Line tables stay. clang has no such flag.
KERNEL_CFLAGS := $(if $(shell echo | $(CC) -dM -E - 2>/dev/null | grep __clang__),,-fno-var-tracking-assignments)
# AVX2_OPT: the AVX2 kernel files at -O3 in a build optimised at -O2 (the
# default, make static); the sanitizer and fuzz builds (-O1) keep theirs.
# GCC 12 on Zen 3, -O3 against -O2, same bits (make test passes either
# way): the depthwise kernels with swish and channel sums on B4's nine
# shapes 0.83-0.97x the time (best of 40, alternating builds), the GEMM
# unchanged; a B4 pass 2-3 % faster at 1 and 2 threads, B0 0.5-1 %; the
# kernels compile in the same time (1m42 against 1m50, -j2). The AVX-512
# files stay at -O2: on Zen 5, -O3 against -O2 (AVX-512 time over the same
# -O3 AVX2 kernels', in one process, bench-kernels isa and bench-gemm-b4,
# two runs each): depthwise B0 0.660/0.649 against 0.643/0.650, B4
# 0.686/0.686 against 0.676/0.683; GEMM 0.527/0.520 against 0.526/0.533.
ifneq (,$(filter -O2,$(OPT)))
AVX2_OPT := -O3
endif
# KERNEL_SAN: what make asan takes off the SIMD kernel files (below).
# KERNEL_ALIGN: every SIMD kernel function and loop on a 64-byte boundary,
# so that a kernel's hot loop keeps its place in the fetch blocks when
# another file grows. Without it the int8 AVX2 GEMM, unchanged, lost 2.5 %
# of B4's time when the depthwise files before it grew (Zen 5, 2026-12-03:
# B4 int8 1x1 layers 40.0-40.3 -> 41.0-41.35 ms). Measured against the
# default alignment (`effad bench`, alternated, paired ratios): int8 on the
# plain AVX2 kernels B4 0.95-0.995 (1 thread), 0.97-0.985 (2), B0
# 0.91-0.99; avx2-vnni and avx512 int8 B4 0.95-1.01; float32 B4 on the
# AVX2 kernels 0.97-1.03 (1 thread) and 1.00-1.02 (2), on AVX-512
# 0.97-0.99. The kernels' text grows 74 KB (1.3 %).
KERNEL_ALIGN := -falign-functions=64 -falign-loops=64
X86_KERNEL := $(KERNEL_CFLAGS) $(KERNEL_SAN) $(KERNEL_ALIGN)
$(B)/ops/x86/%-avx2.o:   XFLAGS := -mavx2 -mfma $(AVX2_OPT) $(X86_KERNEL)
$(B)/ops/x86/%-fma3.o:   XFLAGS := -mavx2 -mfma $(AVX2_OPT) $(X86_KERNEL)
$(B)/ops/x86/%-avxvnni.o: XFLAGS := -mavx2 -mfma -mavxvnni $(AVX2_OPT) $(X86_KERNEL)
$(B)/ops/x86/%-avx512.o: XFLAGS := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma $(X86_KERNEL)
$(B)/ops/x86/%-avx512vnni.o: XFLAGS := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni -mavx2 -mfma $(X86_KERNEL)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XFLAGS) $(INC) -MMD -MP -c $< -o $@

$(B)/libeffad.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/effad: $(CLI_OBJ) $(B)/libeffad.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libeffad.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libeffad.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-format-truncation $(INC) -Itests/unit -o $@ $< $(B)/libeffad.a $(LDLIBS)

$(B)/tests/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) $(B)/libeffad.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) -Itests/fuzz -o $@ $< tests/fuzz/replay.c $(B)/libeffad.a $(LDLIBS)

test: $(B)/effad $(TESTS) $(REPLAYS)
	@sh tests/run-tests.sh $(B)

# The x86 SIMD kernel files get ASan without UBSan: GCC's UBSan checks on
# their unrolled intrinsics took 7-10 minutes per depthwise file (5x5
# avx512: 612 s with both, 48 s with ASan alone, 15-31 s plain -O2), most
# of CI's asan step, for checks a kernel's vector code barely has; their
# out-of-bounds reads and writes stay checked, and each kernel is held
# against its scalar reference, which UBSan checks.
asan:
	$(MAKE) B=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	        KERNEL_SAN=-fno-sanitize=undefined LDFLAGS="-fsanitize=address,undefined" test

# make tsan: ThreadSanitizer on the thread tests (the pool, the batch, the
# Gaussians on threads) and a threaded fit/score
# (tests/tsan-run.sh); THREADS=1 builds only.
.PHONY: tsan
tsan:
	$(MAKE) B=build/tsan OPT="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread" \
	        build/tsan/effad build/tsan/tests/test-threads build/tsan/tests/test-batch \
	        build/tsan/tests/test-gauss-chol build/tsan/tests/test-gauss-lw
	sh tests/tsan-run.sh build/tsan

clean:
	rm -rf build

# ---- fuzzing (tests/fuzz/README.md) ----
# make fuzz FUZZ_SECONDS=N  builds every harness with clang's libFuzzer,
# ASan and UBSan (the library too, in build/fuzz/lib), makes the seed
# corpora and runs each harness N seconds, one per CPU at a time
# (tests/fuzz/run.sh: limits, per-harness figures, crash inputs).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
# The SIMD kernel files are built first without instrumentation: clang
# takes minutes per file to instrument their unrolled intrinsics, the
# fuzzers gain nothing from coverage inside a kernel, and every kernel is
# held against its scalar reference (instrumented here, and in make asan).
FUZZ_KERNEL_OBJ := $(patsubst %.c,build/fuzz/lib/%.o,$(filter ops/x86/% ops/arm/%,$(LIB_SRC)))
.PHONY: fuzz fuzz-build
fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) not found (apt-get install clang)"; exit 1; }
	$(MAKE) B=build/fuzz/lib CC=$(FUZZ_CC) OPT="-O1 -g" $(FUZZ_KERNEL_OBJ)
	$(MAKE) B=build/fuzz/lib CC=$(FUZZ_CC) OPT="$(FUZZ_OPT) -fsanitize=fuzzer-no-link" build/fuzz/lib/libeffad.a
	$(MAKE) $(FUZZ_NAMES:%=build/fuzz/fuzz-%)
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(wildcard tests/fuzz/*.h) build/fuzz/lib/libeffad.a
	$(FUZZ_CC) $(STD) $(FUZZ_OPT) -fsanitize=fuzzer $(WARN) $(INC) -Itests/fuzz -o $@ $< build/fuzz/lib/libeffad.a -lm -pthread
fuzz: fuzz-build $(B)/effad
	sh tests/fuzz/make-seeds.sh build/fuzz/seeds
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_NAMES)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---- reference checks (need the reference tools; see README "Checks") ----
# golden-full: full-size B0 and B4 (torchvision) and B0 (lukemelas) with
# random weights, exported by PyTorch, run by ONNX Runtime, compared per
# level by the same test program as the committed tiny cases.
PY      ?= /usr/bin/python3
ORT_DIR ?= build/ort
.PHONY: golden golden-full ort
ort:
	@test -d $(ORT_DIR)/node_modules/onnxruntime-node || \
	  (mkdir -p $(ORT_DIR) && cd $(ORT_DIR) && npm init -y >/dev/null && npm install --ignore-scripts onnxruntime-node)
golden: ort
	EFFAD_ORT_DIR=$(ORT_DIR) $(PY) tests/golden/gen.py
golden-full: ort $(B)/tests/test-golden
	EFFAD_ORT_DIR=$(ORT_DIR) $(PY) tests/golden/gen.py --only b0-tv,b4-tv,b0-lm --full
	$(B)/tests/test-golden build/golden-full

# golden-int8: effad's int8 pass against ONNX Runtime running the QDQ graph
# effad emits for it, on full-size B0 and B4, with uint8 and with int16
# activations (tests/int8/gen.py; the committed tiny cases run in `make test`);
# first the int8 activations' exponential constants recomputed (tests/int8/exp-table.py).
.PHONY: golden-int8
golden-int8: ort $(B)/effad $(B)/tests/test-golden-int8
	$(PY) tests/int8/exp-table.py --check ops/q8.h
	@test -f build/golden-full/b0-tv/model.onnx -a -f build/golden-full/b4-tv/model.onnx || $(MAKE) golden-full ORT_DIR=$(ORT_DIR)
	EFFAD_ORT_DIR=$(abspath $(ORT_DIR)) $(PY) tests/int8/gen.py --only b0,b4,b0-w8,b0-mx,b0-a16,b4-a16 --effad $(B)/effad
	$(B)/tests/test-golden-int8 build/golden-int8

# bench: effad vs ONNX Runtime side by side (bench/bench.js; table on stdout
# and in build/bench/report.md), float32 and int8 (effad int8 against ORT
# float32 and ORT on the QDQ graph effad emits; also the int8 model
# convert's default choices make, converted once and kept while current). BENCH_ARGS e.g. "--rounds 3
# --runs 10", "--int8 0" for the float32 table alone. Then the detector's throughput beside the Python pipeline
# (bench/throughput.js; THROUGHPUT_ARGS e.g. "--rounds 1 --python 0").
# The full-size models come from golden-full when they are missing.
# On an x86-64 machine with AVX-512, the AVX2 rows set effad's AVX2 kernels
# against ORT's own AVX2 path: ort-avx2 makes a copy of ORT whose CPUID and
# XGETBV trap to bench/hide-avx512.so, which answers as an AVX2-only CPU
# (bench/ort-as-avx2.py; the stand-in for an AVX2-only machine that
# issues 18 and 20 ask for, on the same cores).
ORT_AVX2_DIR ?= build/ort-avx2
ifneq (,$(findstring x86_64,$(ARCH)))
BENCH_ORT_AVX2 := ort-avx2
BENCH_ORT_AVX2_ENV = EFFAD_ORT_AVX2_DIR=$(ORT_AVX2_DIR) EFFAD_HIDE_AVX512_SO=$(abspath $(B)/bench/hide-avx512.so)
endif
ort-avx2: ort $(B)/bench/hide-avx512.so
	$(PY) bench/ort-as-avx2.py --check $(B)/bench/hide-avx512.so $(CC)
	@test -d $(ORT_AVX2_DIR)/node_modules/onnxruntime-node || $(PY) bench/ort-as-avx2.py $(ORT_DIR) $(ORT_AVX2_DIR)
$(B)/bench/hide-avx512.so: bench/hide-avx512.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -shared -fPIC -o $@ $<
# xnn-bench: XNNPACK (TensorFlow Lite's CPU backend) as the third peer:
# bench/xnn-bench.c builds the .efm's network as an XNNPACK subgraph (float32,
# or QS8 from an all-int8 .efm) against Debian's libxnnpack-dev and
# libpthreadpool-dev (apt-get install them; make bench adds the XNNPACK
# table whenever both headers are there), and on x86-64 a copy of its
# libraries whose CPUID traps to hide-avx512.so, for the AVX2 rows. bench.js
# checks each graph against effad (xnn-bench --check) before timing it. A
# bench tool: nothing of it is in effad.
XNN_BENCH := $(if $(and $(wildcard /usr/include/xnnpack.h),$(wildcard /usr/include/pthreadpool.h)),xnn-bench)
XNN_LIBDIR ?= /usr/lib/$(ARCH)
XNN_AVX2_DIR ?= build/xnn-avx2
BENCH_XNN_ENV = $(if $(XNN_BENCH),EFFAD_XNN_BENCH=$(B)/bench/xnn-bench $(if $(BENCH_ORT_AVX2),EFFAD_XNN_AVX2_DIR=$(XNN_AVX2_DIR)))
XNN_BENCH_SRC := bench/xnn-bench.c bench/xnn-graph-f32.c bench/xnn-graph-qs8.c
$(B)/bench/xnn-bench: $(XNN_BENCH_SRC) bench/xnn-graph.h $(B)/libeffad.a
	@test -f /usr/include/xnnpack.h -a -f /usr/include/pthreadpool.h || \
	  { echo "xnn-bench: needs XNNPACK: apt-get install libxnnpack-dev libpthreadpool-dev"; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Iengine -o $@ $(XNN_BENCH_SRC) $(B)/libeffad.a -lXNNPACK -lpthreadpool -lm -pthread
xnn-bench: $(B)/bench/xnn-bench $(if $(BENCH_ORT_AVX2),$(B)/bench/hide-avx512.so)
ifneq (,$(BENCH_ORT_AVX2))
	@test -d $(XNN_AVX2_DIR) || $(PY) bench/ort-as-avx2.py --libs $(XNN_AVX2_DIR) $(XNN_LIBDIR)/libXNNPACK.so.0 \
	  $(XNN_LIBDIR)/libcpuinfo.so.0 $(XNN_LIBDIR)/libpthreadpool.so.0
endif
# xnn-check: the XNNPACK graphs against effad (what make bench checks before
# timing them; .ci/run runs it): float32 B0 and B4 (golden-full's), every
# tap within 1e-4, and B0 all-int8 (calibrated on effad demo's images, as
# make bench converts it) as XNNPACK's QS8 graph, the last tap's cosine at
# least 0.9; natively and, on x86-64, as on an AVX2-only CPU.
XNN_CHECK = $(B)/xnn-check
xnn-check: $(B)/effad xnn-bench
	@test -f build/golden-full/b0-tv/model.onnx -a -f build/golden-full/b4-tv/model.onnx || $(MAKE) golden-full ORT_DIR=$(ORT_DIR)
	@mkdir -p $(XNN_CHECK)
	for m in b0 b4; do $(B)/effad convert build/golden-full/$$m-tv/model.onnx -o $(XNN_CHECK)/$$m.efm >/dev/null || exit 1; done
	test -d $(XNN_CHECK)/demo || $(B)/effad demo --out $(XNN_CHECK)/demo >/dev/null
	$(B)/effad convert build/golden-full/b0-tv/model.onnx -o $(XNN_CHECK)/b0-int8.efm --int8 \
	  --calib $(XNN_CHECK)/demo/data/train/good --calib-n 8 --measure 2 --calib-method minmax --headroom 1.5 \
	  --float-budget 0 --weight-only-budget 0 --act16-budget 0 --weight-bits 6 --quiet
	for m in b0 b4 b0-int8; do $(B)/bench/xnn-bench $(XNN_CHECK)/$$m.efm --check || exit 1; done
ifneq (,$(BENCH_ORT_AVX2))
	for m in b0 b4 b0-int8; do LD_LIBRARY_PATH=$(XNN_AVX2_DIR) LD_PRELOAD=$(abspath $(B)/bench/hide-avx512.so) \
	  EFFAD_HIDE_KEEP_AVXVNNI=0 $(B)/bench/xnn-bench $(XNN_CHECK)/$$m.efm --check >/dev/null || exit 1; done
endif
.PHONY: bench ort-avx2 xnn-bench xnn-check
bench: $(B)/effad ort $(BENCH_ORT_AVX2) $(XNN_BENCH)
	@test -f build/golden-full/b0-tv/model.onnx -a -f build/golden-full/b4-tv/model.onnx || $(MAKE) golden-full ORT_DIR=$(ORT_DIR)
	B=$(B) EFFAD_ORT_DIR=$(ORT_DIR) $(BENCH_ORT_AVX2_ENV) $(BENCH_XNN_ENV) node bench/bench.js $(BENCH_ARGS)
	B=$(B) EFFAD_ORT_DIR=$(abspath $(ORT_DIR)) node bench/throughput.js $(THROUGHPUT_ARGS)
	$(PY) bench/camera-images.py $(B)/effad --out $(B)/bench/camera

# ---- cross builds (scripts and the packages they need in tests/cross/) ----
#   make cross-test  the test suite for aarch64 (NEON) and big-endian s390x,
#                    run under qemu-user via RUNNER in tests/run-tests.sh
#                    (-j2 -Otarget runs the two side by side, as .ci/run does)
#   make static      build/static/effad, fully static with musl
#   make cross-asan  the aarch64 suite under ASan + UBSan (NEON tail loads);
#                    LeakSanitizer cannot run under qemu-user, hence detect_leaks=0
#   make baremetal   ops/ + engine/ freestanding for Cortex-M7 / -A7 / -A53,
#                    and the undefined-symbol allow-list check
#   make firmware-test  the detector as firmware on emulated Cortex-M boards
.PHONY: cross-test cross-aarch64 cross-s390x cross-asan static baremetal
cross-test: cross-aarch64 cross-s390x
cross-aarch64:
	sh tests/cross/run.sh aarch64
cross-s390x:
	sh tests/cross/run.sh s390x
static:
	sh tests/cross/static.sh
baremetal:
	sh tests/cross/baremetal.sh
cross-asan:
	ASAN_OPTIONS=detect_leaks=0 sh tests/cross/run.sh aarch64 B=build/aarch64-asan \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"

# firmware-test: the detector as Cortex-M firmware (tests/cross/firmware/):
# model, .gauss and test images made on the host, built with
# arm-none-eabi-gcc + newlib-nano, run under qemu-system-arm on MPS2 AN500
# (Cortex-M7) and AN386 (Cortex-M4F), checked against `effad features` and
# `effad score`; prints flash, RAM and the stack high-water mark.
.PHONY: firmware-test
$(B)/fw-assets: tests/cross/firmware/fw-assets.c $(B)/libeffad.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(INC) -o $@ $< $(B)/libeffad.a $(LDLIBS)
firmware-test: $(B)/effad $(B)/fw-assets
	B=$(B) sh tests/cross/firmware/firmware.sh

# ---- ONNX backend conformance (Debian's libonnx-testdata; see issue 10) ----
#   make onnx-backend-check  build/onnx-backend-check DIR... runs ONNX backend
#                            test directories through effad's reader, converter
#                            and kernels (PASS/FAIL/SKIP per directory)
#   make conformance         every node/ test whose operators effad knows (the
#                            list is computed by the runner), once per kernel ISA
#                            this machine runs; not part of `make test`
ONNX_TESTDATA ?= /usr/include/onnx/backend/test/data
# node/ is the operator suite; "node pytorch-converted pytorch-operator"
# adds PyTorch's grouped and dilated Conv2d, padding and Gemm cases.
CONFORMANCE_SETS ?= node
.PHONY: onnx-backend-check conformance
onnx-backend-check: $(B)/onnx-backend-check
$(B)/onnx-backend-check: tests/onnx-backend-check.c $(B)/libeffad.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wno-format-truncation $(INC) -o $@ $< $(B)/libeffad.a $(LDLIBS)
conformance: $(B)/onnx-backend-check
	@if [ ! -d "$(ONNX_TESTDATA)/node" ]; then \
	  echo "conformance: $(ONNX_TESTDATA)/node not found."; \
	  echo "  Install ONNX's backend test vectors: apt-get install libonnx-testdata"; \
	  echo "  (or point ONNX_TESTDATA=... at a copy of onnx/backend/test/data)"; exit 1; fi
	@dirs=$$(for set in $(CONFORMANCE_SETS); do $(B)/onnx-backend-check --list $(ONNX_TESTDATA)/$$set/*; done); \
	  test -n "$$dirs" || { echo "conformance: no node test selected"; exit 1; }; \
	  rc=0; for isa in $$($(B)/onnx-backend-check --isas); do \
	    EFFAD_ISA=$$isa $(B)/onnx-backend-check $$dirs || rc=1; \
	  done; exit $$rc

# reference: every preset's network input bit for bit against its own Python
# reference (tests/reference/prep_check.py, through build/prep-dump), then
# effad's fit + score against the Python reference pipelines (ONNX Runtime +
# scikit-learn + scipy; PIL for ailia/mahalanobisad, OpenCV for paper) on
# generated images, all three presets, 1e-3 relative (tests/reference/);
# then the anomaly maps against maps_ref.py (PyTorch resampling, scipy blur
# and labelling, numpy / scikit-learn covariances), both geometries.
.PHONY: reference
reference: ort $(B)/effad $(B)/prep-dump
	EFFAD_ORT_DIR=$(abspath $(ORT_DIR)) PREP_DUMP=$(abspath $(B)/prep-dump) sh tests/reference/effad-vs-ref.sh build/reference
	EFFAD_ORT_DIR=$(abspath $(ORT_DIR)) sh tests/reference/maps-vs-ref.sh build/reference
$(B)/prep-dump: tests/reference/prep-dump.c $(B)/libeffad.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(INC) -o $@ $< $(B)/libeffad.a $(LDLIBS)

# install: the CLI, the library, the public header and a pkg-config file.
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: install
install: $(B)/effad $(B)/libeffad.a
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(B)/effad $(DESTDIR)$(PREFIX)/bin/effad
	install -m 644 $(B)/libeffad.a $(DESTDIR)$(PREFIX)/lib/libeffad.a
	install -m 644 engine/effad.h $(DESTDIR)$(PREFIX)/include/effad.h
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: effad\nDescription: pure-C EfficientNet anomaly detection\nVersion: 0.1\nLibs: -L$${libdir} -leffad -lm\nCflags: -I$${includedir}\n' \
	  "$(PREFIX)" > $(DESTDIR)$(PREFIX)/lib/pkgconfig/effad.pc
