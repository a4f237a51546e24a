#!/usr/bin/env python3
"""Make a copy of ONNX Runtime (npm onnxruntime-node) that sees an AVX2-only CPU.

    ort-as-avx2.py SRC_ORT_DIR DST_ORT_DIR
    ort-as-avx2.py --libs DST_DIR LIB...
    ort-as-avx2.py --check HIDE_AVX512_SO [CC]

SRC_ORT_DIR is what `make ort` installs (build/ort, holding node_modules/).
DST_ORT_DIR gets a hard-linked copy of it in which the x86-64 shared
libraries are real copies with every CPUID and XGETBV instruction replaced
by a trap that bench/hide-avx512.so answers (see that file for why and what
it hides). Run node with LD_PRELOAD=build/bench/hide-avx512.so and
EFFAD_ORT_DIR=DST_ORT_DIR; `make bench` does all of it (through `make ort-avx2`).

--libs does the same to any shared libraries, copied into DST_DIR under their
own names: XNNPACK and the cpuinfo it reads the CPU through (`make
xnn-bench`), run with LD_LIBRARY_PATH=DST_DIR and the same LD_PRELOAD. A
library with no CPUID is copied as it is; none at all fails, as above.

The instructions are found by disassembling the executable segments with
objdump (binutils) and checked byte by byte before they are rewritten; the
file offset of each comes from the ELF program headers. The script prints
how many of each it replaced, and fails when it found none in any library
(that ORT would read the CPU some other way, see AVX-512, and the run would
be wrong).

--check proves the pair on this machine before a run trusts it: it builds
bench/hide-avx512-probe.c (CPUID and XGETBV inline, as ORT reads them),
patches a copy the same way and runs both, the copy under the shim. The
copy must report no AVX-512, AVX-VNNI or ZMM state and everything else as
the original does (AVX, FMA, AVX2, the YMM state), and with
EFFAD_HIDE_KEEP_AVXVNNI=1 the same but AVX-VNNI as the original; exit 1
otherwise.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

CPUID = bytes([0x0F, 0xA2])
XGETBV = bytes([0x0F, 0x01, 0xD0])
# int3, then a marker the handler reads: 0x90 = cpuid (skip 1), 0x91 0x91 = xgetbv (skip 2).
CPUID_TRAP = bytes([0xCC, 0x90])
XGETBV_TRAP = bytes([0xCC, 0x91, 0x91])


def load_segments(blob, path):
    """(vaddr, offset, filesz) of each executable PT_LOAD of an ELF64 little-endian file."""
    if blob[:4] != b'\x7fELF' or blob[4] != 2 or blob[5] != 1:
        sys.exit(f'{path}: not a 64-bit little-endian ELF file')
    phoff, = struct.unpack_from('<Q', blob, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', blob, 0x36)
    segs = []
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz = struct.unpack_from('<IIQQQQ', blob, phoff + i * phentsize)
        if p_type == 1 and p_flags & 1:
            segs.append((p_vaddr, p_offset, p_filesz))
    return segs


def to_offset(segs, vaddr, path):
    for v, o, n in segs:
        if v <= vaddr < v + n:
            return o + (vaddr - v)
    sys.exit(f'{path}: address {vaddr:#x} is in no executable segment')


def patch(path):
    with open(path, 'rb') as f:
        blob = bytearray(f.read())
    segs = load_segments(blob, path)
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', path], check=True,
                         capture_output=True, text=True).stdout
    counts = {'cpuid': 0, 'xgetbv': 0}
    for m in re.finditer(r'^\s*([0-9a-f]+):\s+(cpuid|xgetbv)\s*$', dis, re.M):
        vaddr, insn = int(m.group(1), 16), m.group(2)
        off = to_offset(segs, vaddr, path)
        want, trap = (CPUID, CPUID_TRAP) if insn == 'cpuid' else (XGETBV, XGETBV_TRAP)
        if blob[off:off + len(want)] != want:
            sys.exit(f'{path}: {insn} at {vaddr:#x} is not the bytes {want.hex()}')
        blob[off:off + len(want)] = trap
        counts[insn] += 1
    return blob, counts


HIDDEN = ('avx512f', 'avx512bw', 'avx512vl', 'avx512vnni', 'avxvnni', 'xcr0_zmm')


def probe(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f'check: FAILED: {" ".join(cmd)} exited with {r.returncode} (a trap nobody answered?)')
    return dict(kv.split('=') for kv in r.stdout.split())


def check(shim, cc):
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, 'probe')
        subprocess.run([cc, '-O1', '-o', exe, os.path.join(here, 'hide-avx512-probe.c')], check=True)
        blob, counts = patch(exe)
        if counts['cpuid'] < 3 or counts['xgetbv'] < 1:
            sys.exit(f'check: found {counts} in the probe, expected 3 cpuid and 1 xgetbv')
        masked = exe + '-masked'
        with open(masked, 'wb') as f:
            f.write(blob)
        os.chmod(masked, 0o755)
        real = probe([exe])
        env = dict(os.environ, LD_PRELOAD=os.path.abspath(shim))
        seen = probe([masked], dict(env, EFFAD_HIDE_KEEP_AVXVNNI='0'))
        kept = probe([masked], dict(env, EFFAD_HIDE_KEEP_AVXVNNI='1'))
    bad = [k for k in HIDDEN if seen[k] != '0']
    bad += [k for k in real if k not in HIDDEN and seen[k] != real[k]]
    # EFFAD_HIDE_KEEP_AVXVNNI=1: the same, but AVX-VNNI as the CPU has it
    bad += [f'{k} (keeping AVX-VNNI)' for k in real if kept[k] != (real[k] if k == 'avxvnni' else seen[k])]
    print(f"check: as built: {' '.join(f'{k}={v}' for k, v in real.items())}")
    print(f"check: under the shim: {' '.join(f'{k}={v}' for k, v in seen.items())}")
    print(f"check: under the shim keeping AVX-VNNI: {' '.join(f'{k}={v}' for k, v in kept.items())}")
    if bad:
        sys.exit(f'check: FAILED: {", ".join(bad)} wrong under the shim')
    print('check: OK' + ('' if real['avx512f'] == '1' else ' (this CPU has no AVX-512: nothing to hide)'))


def patch_files(pairs):
    """Patches each (src, dst) library into dst -- dst may be src itself (a
    hard link, broken before writing) -- and copies one without CPUID or
    XGETBV as it is; returns how many were patched."""
    patched = 0
    for src, dst in pairs:
        blob, counts = patch(src)
        name = os.path.basename(dst)
        if counts['cpuid'] + counts['xgetbv'] == 0:
            if src != dst:
                shutil.copyfile(src, dst)
            print(f'{name}: no cpuid or xgetbv, kept as is')
            continue
        if os.path.exists(dst):
            os.unlink(dst)
        with open(dst, 'wb') as f:
            f.write(blob)
        os.chmod(dst, 0o755)
        print(f"{name}: {counts['cpuid']} cpuid and {counts['xgetbv']} xgetbv now trap to hide-avx512.so")
        patched += 1
    return patched


def finish(tmp, dst, patched, where):
    """tmp becomes dst when anything was patched; else both go and the run fails."""
    if patched == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(f'{where}: found no cpuid to replace: it reads the CPU some other way')
    shutil.rmtree(dst, ignore_errors=True)
    os.rename(tmp, dst)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == '--libs':
        dst, libs = sys.argv[2], sys.argv[3:]
        tmp = dst + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        finish(tmp, dst, patch_files([(lib, os.path.join(tmp, os.path.basename(lib))) for lib in libs]), ' '.join(libs))
        return
    if len(sys.argv) in (3, 4) and sys.argv[1] == '--check':
        check(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else os.environ.get('CC', 'cc'))
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(src, 'node_modules', 'onnxruntime-node')):
        sys.exit(f'{src}: no node_modules/onnxruntime-node (run make ort)')
    tmp = dst + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, copy_function=os.link)
    libdir = os.path.join(tmp, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64')
    paths = [os.path.join(libdir, name) for name in sorted(os.listdir(libdir))]
    finish(tmp, dst, patch_files([(p, p) for p in paths]), libdir)


if __name__ == '__main__':
    main()
