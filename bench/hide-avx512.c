/* hide-avx512.so: make this CPU look like an AVX2-only one to a library
 * whose CPUID and XGETBV instructions were replaced by traps
 * (bench/ort-as-avx2.py does that to a copy of ONNX Runtime).
 *
 * Why: issues 18 and 20 ask for effad against ONNX Runtime "on an AVX2-only
 * machine", and session after session ran on AVX-512 parts. effad picks its
 * kernels with EFFAD_ISA=avx2; ONNX Runtime has no such switch, it reads
 * CPUID itself (MLAS, its CPUIDInfo, cpuinfo). This shim answers those reads
 * as a Zen 3 / Haswell-class CPU would: no AVX-512 of any kind, no AVX-VNNI,
 * no AMX, and XCR0 without the opmask and ZMM state. Both sides then run
 * their AVX2 code on the same cores, side by side. It is a stand-in for an
 * AVX2-only machine (same instructions, not the same microarchitecture),
 * and the bench report says so.
 *
 * With EFFAD_HIDE_KEEP_AVXVNNI=1 the AVX-VNNI bit (the VEX-coded VPDPBUSD
 * on ymm) stays visible: the CPU then looks like the other kind of
 * AVX2-only part, Intel's from Alder Lake on (the N100-class Atoms of
 * fanless edge boxes, Core parts whose AVX-512 is fused off, Xeon 6
 * E-cores), where ONNX Runtime's int8 kernels and effad's avx2-vnni
 * table both use it.
 *
 * How: the patcher rewrote every `cpuid` (0F A2) as `int3; nop` (CC 90) and
 * every `xgetbv` (0F 01 D0) as `int3; xchg ecx,eax; xchg ecx,eax`
 * (CC 91 91). The SIGTRAP handler reads the byte after the trap to tell
 * the two apart, executes the real instruction with the trapped registers,
 * masks the answer and resumes after the replaced bytes. Any other int3
 * is not ours: the default action is restored and the trap re-raised.
 *
 * Built only for x86-64 Linux, as a bench tool: nothing here is linked into
 * effad. Set EFFAD_HIDE_AVX512_LOG=1 to print each answer it changed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

/* CPUID.(EAX=7,ECX=0): the AVX-512 families, AMX (EDX 22, 24, 25). */
static const uint32_t leaf7_ebx_hidden = BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) |
                                         BIT(28) | BIT(30) | BIT(31);
static const uint32_t leaf7_ecx_hidden = BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14);
static const uint32_t leaf7_edx_hidden = BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) |
                                         BIT(24) | BIT(25);
/* CPUID.(EAX=7,ECX=1): AVX-VNNI (EAX 4), AVX512-BF16 (EAX 5), AVX-IFMA
 * (EAX 23); AVX-VNNI-INT8 (EDX 4), AVX-NE-CONVERT (EDX 5), AVX-VNNI-INT16
 * (EDX 10). AVX-VNNI unless EFFAD_HIDE_KEEP_AVXVNNI (above). */
static uint32_t leaf7_1_eax_hidden = BIT(4) | BIT(5) | BIT(23);
static const uint32_t leaf7_1_edx_hidden = BIT(4) | BIT(5) | BIT(10);
/* XCR0 and CPUID.(EAX=0xD,ECX=0).EAX: opmask, ZMM_Hi256, Hi16_ZMM (5-7),
 * AMX tile config and data (17, 18). */
static const uint64_t xcr0_hidden = (uint64_t)0xE0 | ((uint64_t)3 << 17);

static int logging;

static void note(const char *what, uint32_t leaf, uint32_t sub)
{
    if (!logging)
        return;
    char line[96];
    int n = snprintf(line, sizeof line, "hide-avx512: %s %#x.%u masked\n", what, leaf, sub);
    if (n > 0)
        (void)!write(2, line, (size_t)n);
}

static void answer_cpuid(greg_t *g)
{
    uint32_t leaf = (uint32_t)g[REG_RAX], sub = (uint32_t)g[REG_RCX];
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
    uint32_t a0 = a, b0 = b, c0 = c, d0 = d;
    if (leaf == 7 && sub == 0) {
        b &= ~leaf7_ebx_hidden;
        c &= ~leaf7_ecx_hidden;
        d &= ~leaf7_edx_hidden;
    } else if (leaf == 7 && sub == 1) {
        a &= ~leaf7_1_eax_hidden;
        d &= ~leaf7_1_edx_hidden;
    } else if (leaf == 0xD && sub == 0) {
        a &= ~(uint32_t)xcr0_hidden;
        c = b; /* the XSAVE area size for what stays enabled: XCR0's own */
    }
    if (a != a0 || b != b0 || c != c0 || d != d0)
        note("cpuid", leaf, sub);
    /* CPUID writes the low halves and zeroes the high ones. */
    g[REG_RAX] = a;
    g[REG_RBX] = b;
    g[REG_RCX] = c;
    g[REG_RDX] = d;
}

static void answer_xgetbv(greg_t *g)
{
    uint32_t which = (uint32_t)g[REG_RCX], lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(which));
    uint64_t v = ((uint64_t)hi << 32) | lo;
    if (which == 0 && (v & xcr0_hidden)) {
        v &= ~xcr0_hidden;
        note("xgetbv", 0, 0);
    }
    g[REG_RAX] = (uint32_t)v;
    g[REG_RDX] = (uint32_t)(v >> 32);
}

static void on_trap(int sig, siginfo_t *info, void *ctx)
{
    (void)info;
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    const unsigned char *next = (const unsigned char *)g[REG_RIP];
    if (next[0] == 0x90) {
        answer_cpuid(g);
        g[REG_RIP] += 1;
    } else if (next[0] == 0x91 && next[1] == 0x91) {
        answer_xgetbv(g);
        g[REG_RIP] += 2;
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

__attribute__((constructor)) static void install(void)
{
    const char *log = getenv("EFFAD_HIDE_AVX512_LOG");
    logging = log && *log && strcmp(log, "0") != 0;
    const char *keep = getenv("EFFAD_HIDE_KEEP_AVXVNNI");
    if (keep && *keep && strcmp(keep, "0") != 0)
        leaf7_1_eax_hidden &= ~BIT(4);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTRAP, &sa, NULL) != 0) {
        perror("hide-avx512: sigaction");
        abort();
    }
}
