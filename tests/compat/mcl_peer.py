#!/usr/bin/env python3
"""Native BN254 (alt_bn128) primitive timings from herumi/mcl via PyPI `mclbn256` 1.3.5.

Usage: mcl_peer.py [--repeat N] [--msm-sizes 4096,65536] [--g2-msm-sizes 4096]

The mclbn256 wheel initialises mcl for the *other* BN254 curve (MCL_BN254, "Fp254BNb");
this script re-initialises it through the wheel's ctypes handle with
mclBn_init(4 /*MCL_BN_SNARK1*/, 44 /*MCLBN_COMPILED_TIME_VAR*/) and then checks it is on
alt_bn128: field modulus p and group order r, G1 generator (1, 2) accepted (and (1, 3)
refused), the EIP-197 G2 generator accepted (on the twist, order r), and pairing
bilinearity e(aP, bQ) = e(abP, Q) != 1. Only then is "curve": "alt_bn128" printed.
Everything below goes straight through mcl's C API (the wheel's Python classes are not used).

Prints one JSON line. Figures are medians over --repeat runs (default 5; the per-call
ctypes figures use 40 fixed rounds);
*_ns / *_ms are wall clock (time.perf_counter), *_cpu_ns / *_cpu_ms process CPU time
(time.process_time; mcl's mulVec is single-threaded, so CPU < wall means the process was
descheduled on a loaded machine):
  fr_mul_ns         Fr mul, C-side dependent chain: mclBn_FrEvaluatePolynomial (Horner,
                    one Fr mul + one Fr add per step; no ctypes in the loop)
  fp_mul_ns         Fp mul INCLUDING the ctypes call: mcl has no batch Fp op, so this is
                    the per-call time of mclBnFp_mul(z, z, x) from Python (median of 40
                    rounds of 5000 calls); ctypes_call_ns: same for mclBnFp_add, the cheap
                    3-pointer baseline
  fp_mul_net_ns     min-over-rounds(mclBnFp_mul) - min(mclBnFp_add): native mul minus
                    native add (~3 ns), i.e. the ctypes overhead subtracted (an estimate);
                    fr_mul_net_ns the same for Fr, to cross-check against fr_mul_ns
  pairing_ms, miller_loop_ms, final_exp_ms   one pairing / Miller loop / final exp
  miller_final_4_ms mclBn_millerLoopVec over 4 pairs + one mclBn_finalExp
  g1_msm_ms, g2_msm_ms  {"size": ms} mclBnG1_mulVec / mclBnG2_mulVec, random normalized
                    points and random Fr scalars (generation excluded from timing; the
                    points are P0 + i*T for random P0, T, checked against a naive sum)
Exit 0 on success, 2 when mclbn256 is missing, a usage error, or the alt_bn128 check fails
(reason on stderr).
"""

import argparse
import ctypes
import json
import statistics
import sys
import time

PROG = "mcl_peer.py"
P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
MCL_BN_SNARK1 = 4
COMPILED_TIME_VAR = 44  # MCLBN_FR_UNIT_SIZE * 10 + MCLBN_FP_UNIT_SIZE, both 4
G2_GEN = (10857046999023057135944570762232829481370756359578518086990519993285655852781,
          11559732032986387107991004021392285783925812861821192530917403151452391805634,
          8495653923123431417604973247489272438418190587263600148770280649306958101930,
          4082367875863433681332203403145435568316851327593401208105741076214120093531)
Fr = ctypes.c_uint64 * 4
Fp = ctypes.c_uint64 * 4
G1 = ctypes.c_uint64 * 12
G2 = ctypes.c_uint64 * 24
GT = ctypes.c_uint64 * 48


class Failure(Exception):
    pass


def load():
    try:
        import mclbn256.mclbn256 as m
    except ImportError as e:
        raise Failure(f"PyPI package mclbn256 is not installed (tests/compat/install.sh): {e}")
    lib = m.loaded_libraries["libmclbn256"]
    if lib.mclBn_init(MCL_BN_SNARK1, COMPILED_TIME_VAR) != 0:
        raise Failure("mclBn_init(MCL_BN_SNARK1) failed")
    for name in ("mclBnFr_mul", "mclBnFr_add", "mclBnFp_mul", "mclBnFp_add", "mclBn_pairing",
                 "mclBn_millerLoop", "mclBn_millerLoopVec", "mclBn_finalExp", "mclBnG1_mulVec",
                 "mclBnG2_mulVec", "mclBnG1_add", "mclBnG2_add", "mclBnG1_normalize",
                 "mclBnG2_normalize", "mclBnG1_mul", "mclBnG2_mul", "mclBnFr_setByCSPRNG"):
        getattr(lib, name).restype = None
    return lib


def order(fn):
    buf = ctypes.create_string_buffer(1024)
    n = fn(buf, len(buf))
    return int(buf.raw[:n]) if n else None


def check_curve(lib):
    """Raise Failure unless mcl is now on alt_bn128 (EIP-196/197's BN254)."""
    p, r = order(lib.mclBn_getFieldOrder), order(lib.mclBn_getCurveOrder)
    if p != P or r != R:
        raise Failure(f"not alt_bn128: field order {p}, curve order {r}")
    g1, base, g2 = G1(), G1(), G2()
    s = b"1 1 2"
    if (lib.mclBnG1_setStr(g1, s, len(s), 10) != 0 or not lib.mclBnG1_isValid(g1)
            or not lib.mclBnG1_isValidOrder(g1)):
        raise Failure("not alt_bn128: G1 point (1, 2) is rejected")
    s = b"1 1 3"  # off y^2 = x^3 + 3: must be refused, so the acceptance above means something
    if lib.mclBnG1_setStr(base, s, len(s), 10) == 0 and lib.mclBnG1_isValid(base):
        raise Failure("mcl accepts the off-curve point (1, 3): cannot check the curve")
    s = ("1 " + " ".join(map(str, G2_GEN))).encode()
    if (lib.mclBnG2_setStr(g2, s, len(s), 10) != 0 or not lib.mclBnG2_isValid(g2)
            or not lib.mclBnG2_isValidOrder(g2)):
        raise Failure("not alt_bn128: the EIP-197 G2 generator is rejected")
    a, b, ab = Fr(), Fr(), Fr()
    lib.mclBnFr_setByCSPRNG(a)
    lib.mclBnFr_setByCSPRNG(b)
    lib.mclBnFr_mul(ab, a, b)
    ap, bq, abp, e1, e2 = G1(), G2(), G1(), GT(), GT()
    lib.mclBnG1_mul(ap, g1, a)
    lib.mclBnG2_mul(bq, g2, b)
    lib.mclBnG1_mul(abp, g1, ab)
    lib.mclBn_pairing(e1, ap, bq)
    lib.mclBn_pairing(e2, abp, g2)
    if not lib.mclBnGT_isEqual(e1, e2) or lib.mclBnGT_isOne(e1):
        raise Failure("not alt_bn128: pairing bilinearity check failed")
    return g1, g2


def timed(fn, repeat, div=1.0):
    """Median (wall, cpu) of fn() over repeat runs, each divided by div."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append((time.process_time() - c) / div)
        walls.append((time.perf_counter() - w) / div)
    return statistics.median(walls), statistics.median(cpus)


def rand_fr(lib, n):
    v = (Fr * n)()
    rnd = lib.mclBnFr_setByCSPRNG
    for i in range(n):
        rnd(v[i])
    return v


def rand_points(lib, grp, typ, gen, n):
    """n random-looking normalized points: P0 = sG, P_i = P_(i-1) + tG (untimed)."""
    mul, add, norm = (getattr(lib, f"mclBn{grp}_{f}") for f in ("mul", "add", "normalize"))
    s, step, v = rand_fr(lib, 2), typ(), (typ * n)()
    mul(v[0], gen, s[0])
    mul(step, gen, s[1])
    for i in range(1, n):
        add(v[i], v[i - 1], step)
    for i in range(n):
        norm(v[i], v[i])
    return v


def check_msm(lib, grp, typ, pts, scalars, n=8):
    """mulVec on n points equals the naive sum of scalar multiplications."""
    mul, add = getattr(lib, f"mclBn{grp}_mul"), getattr(lib, f"mclBn{grp}_add")
    acc, t, z = typ(), typ(), typ()
    for i in range(n):
        mul(t, pts[i], scalars[i])
        add(acc, acc, t)
    getattr(lib, f"mclBn{grp}_mulVec")(z, pts, scalars, n)
    if not getattr(lib, f"mclBn{grp}_isEqual")(acc, z):
        raise Failure(f"mclBn{grp}_mulVec disagrees with the naive sum")


def measure(lib, g1, g2, args):
    rep, out = args.repeat, {}
    # Field multiplication.
    horner_n, horner_calls = 1 << 16, 16
    coef, x, y = rand_fr(lib, horner_n), rand_fr(lib, 1)[0], Fr()
    ev = lib.mclBn_FrEvaluatePolynomial

    def horner():
        for _ in range(horner_calls):
            ev(y, coef, horner_n, x)
    w, c = timed(horner, rep, (horner_n - 1) * horner_calls / 1e9)
    out.update(fr_mul_ns=round(w, 2), fr_mul_cpu_ns=round(c, 2))
    # Per-call ctypes timings: 40 interleaved rounds of 5000 dependent calls z = f(z, x).
    # The median is the ctypes-inclusive cost; min(mul) - min(add) over the rounds cancels
    # the call overhead (the min is what survives the load on a shared machine).
    fx, fz = Fp(), Fp()
    lib.mclBnFp_setByCSPRNG(fx)
    lib.mclBnFp_setByCSPRNG(fz)
    funcs = {"fp_add": lib.mclBnFp_add, "fp_mul": lib.mclBnFp_mul,
             "fr_add": lib.mclBnFr_add, "fr_mul": lib.mclBnFr_mul}
    runs, k = {name: [] for name in funcs}, 5000
    for _ in range(40):
        for name, f in funcs.items():
            def loop(f=f):
                for _ in range(k):
                    f(fz, fz, fx)
            runs[name].append(timed(loop, 1, k / 1e9))
    med = {n: [statistics.median(x[i] for x in v) for i in (0, 1)] for n, v in runs.items()}
    low = {n: [min(x[i] for x in v) for i in (0, 1)] for n, v in runs.items()}
    out.update(fp_mul_ns=round(med["fp_mul"][0], 1), fp_mul_cpu_ns=round(med["fp_mul"][1], 1),
               ctypes_call_ns=round(med["fp_add"][0], 1),
               fp_mul_net_ns=round(low["fp_mul"][0] - low["fp_add"][0], 2),
               fp_mul_net_cpu_ns=round(low["fp_mul"][1] - low["fp_add"][1], 2),
               fr_mul_net_ns=round(low["fr_mul"][0] - low["fr_add"][0], 2))
    # Pairings.
    p1s = rand_points(lib, "G1", G1, g1, 4)
    q2s = rand_points(lib, "G2", G2, g2, 4)
    e, f = GT(), GT()
    lib.mclBn_millerLoop(f, p1s[0], q2s[0])
    for key, n, fn in (
            ("pairing", 40, lambda: lib.mclBn_pairing(e, p1s[0], q2s[0])),
            ("miller_loop", 40, lambda: lib.mclBn_millerLoop(e, p1s[0], q2s[0])),
            ("final_exp", 40, lambda: lib.mclBn_finalExp(e, f)),
            ("miller_final_4", 20, lambda: (lib.mclBn_millerLoopVec(e, p1s, q2s, 4),
                                            lib.mclBn_finalExp(e, e)))):
        def loop(fn=fn, n=n):
            for _ in range(n):
                fn()
        w, c = timed(loop, rep, n / 1e3)
        out[key + "_ms"], out[key + "_cpu_ms"] = round(w, 4), round(c, 4)
    # MSMs.
    for grp, typ, gen, sizes in (("G1", G1, g1, args.msm_sizes), ("G2", G2, g2, args.g2_msm_sizes)):
        key = grp.lower() + "_msm"
        out[key + "_ms"], out[key + "_cpu_ms"] = {}, {}
        if not sizes:
            continue
        pts, sc, z = rand_points(lib, grp, typ, gen, max(sizes)), rand_fr(lib, max(sizes)), typ()
        check_msm(lib, grp, typ, pts, sc)
        mulvec = getattr(lib, f"mclBn{grp}_mulVec")
        for n in sizes:
            w, c = timed(lambda: mulvec(z, pts, sc, n), rep, 1e-3)
            out[key + "_ms"][str(n)], out[key + "_cpu_ms"][str(n)] = round(w, 3), round(c, 3)
    return out


def sizes(text):
    v = [int(s) for s in text.split(",") if s.strip()]
    if any(n < 8 for n in v):
        raise ValueError("MSM sizes must be >= 8")
    return v


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Native mcl timings on alt_bn128.")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--msm-sizes", type=sizes, default=[4096, 65536])
    ap.add_argument("--g2-msm-sizes", type=sizes, default=[4096])
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.repeat < 1:
        print(f"{PROG}: --repeat must be >= 1", file=sys.stderr)
        return 2
    try:
        lib = load()
        g1, g2 = check_curve(lib)
        result = {"curve": "alt_bn128", "mcl_version": hex(lib.mclBn_getVersion()),
                  "repeat": args.repeat}
        result.update(measure(lib, g1, g2, args))
    except Failure as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    result["notes"] = (
        "fr_mul_ns: C-side dependent Horner chain (mclBn_FrEvaluatePolynomial), one Fr mul + "
        "one Fr add per step. fp_mul_ns INCLUDES the ctypes call (mcl has no batch Fp op); "
        "fp_mul_net_ns = min(mul) - min(add) per call, i.e. native mul minus native add, an "
        "estimate with the call overhead removed. Single-threaded mcl (mulVec, not mulVecMT); "
        "wall > CPU means the process was descheduled.")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
