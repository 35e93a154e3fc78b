#!/usr/bin/env python3
"""Run PyPI `groth16py` 0.2.0 (arkworks Groth16 over BN254) on Pakit's files.

Usage: groth16py_run.py [--r1cs circuit.r1cs --wtns witness.wtns [--repeat N] [--out-dir DIR]]
                        [--verify-vk verification_key.json --verify-proof-hex HEX_OR_FILE
                         --public public.json]

With --r1cs/--wtns: groth16py.setup(r1cs) (single-party, fresh OS randomness each run),
then groth16py.prove_wtns(pk, wtns) N times (default 1), and groth16py's own
Verifier(vk).verify(proof, publics) on every proof. The public inputs are read from
the witness: wires 1 .. nPubOut + nPubIn (outputs, then inputs), as groth16py expects.
--out-dir writes groth16py's verification_key.json (vk.to_json(), snarkjs format),
proof.hex (the last 256-byte EIP-197 proof), proof.json (the same proof in snarkjs
layout) and public.json, e.g. for Pakit's verifier or groth16_verify.py.

With --verify-*: verifies a 256-byte EIP-197 proof (512 hex digits, optional 0x, or a
file holding them or the raw 256 bytes) against a snarkjs verification key through
groth16py.VerifyingKey.from_snarkjs_file + Verifier.verify; public.json is an array of
decimal strings. groth16py rejects points off the curve / subgroup and inputs >= r by
raising; that counts as invalid ("foreign_valid": false, "foreign_reason": ...).

Prints one JSON line, e.g.
  {"constraints": 2, "wires": 4, "n_public": 1, "setup_ms": 5.1, "setup_cpu_ms": 5.0,
   "prove_ms_median": 1.2, "prove_cpu_ms_median": 1.2, "prove_ms": [1.2], "prove_cpu_ms": [1.2],
   "verify_ms": 1.4,
   "valid": true, "public": ["27"], "foreign_valid": true, "foreign_verify_ms": 1.5}
*_ms are wall clock (time.perf_counter), *_cpu_ms process CPU time (user+sys, all threads:
time.process_time); the wall and CPU medians are taken separately;
verify_ms is the median Verifier.verify call (Verifier built once). Exit 0 when every
verification passed, 1 when one failed (the JSON line is still printed), 2 on usage,
file-format or groth16py errors; failures also give the reason on stderr.
groth16py is GPL-3.0: it is only installed at test time (tests/compat/install.sh).
"""

import argparse
import json
import os
import re
import statistics
import struct
import sys
import time

PROG = "groth16py_run.py"
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617


class Failure(Exception):
    pass


def sections(path, magic, version):
    """iden3 binary container -> {section type: body bytes} (first of each type)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Failure(f"cannot read {path}: {e}")
    if data[:4] != magic or len(data) < 12:
        raise Failure(f"{path}: not a {magic.decode()} file")
    ver, n = struct.unpack_from("<II", data, 4)
    if ver != version:
        raise Failure(f"{path}: version {ver}, expected {version}")
    out, pos = {}, 12
    for _ in range(n):
        if pos + 12 > len(data):
            raise Failure(f"{path}: truncated section table")
        typ, size = struct.unpack_from("<IQ", data, pos)
        if pos + 12 + size > len(data):
            raise Failure(f"{path}: section {typ} runs past the end of the file")
        out.setdefault(typ, data[pos + 12:pos + 12 + size])
        pos += 12 + size
    return out


def field_header(body, path):
    n8, = struct.unpack_from("<I", body, 0)
    if n8 != 32 or int.from_bytes(body[4:36], "little") != R:
        raise Failure(f"{path}: field is not BN254's Fr with 32-byte elements")
    return 36


def read_r1cs(path):
    hdr = sections(path, b"r1cs", 1).get(1)
    if hdr is None or len(hdr) < 64:
        raise Failure(f"{path}: no header section")
    o = field_header(hdr, path)
    n_wires, n_pub_out, n_pub_in, n_prv_in, _n_labels, n_constraints = \
        struct.unpack_from("<IIIIQI", hdr, o)
    return {"wires": n_wires, "n_pub_out": n_pub_out, "n_pub_in": n_pub_in,
            "n_prv_in": n_prv_in, "constraints": n_constraints}


def read_wtns(path):
    s = sections(path, b"wtns", 2)
    if 1 not in s or 2 not in s:
        raise Failure(f"{path}: needs sections 1 and 2")
    o = field_header(s[1], path)
    n, = struct.unpack_from("<I", s[1], o)
    if len(s[2]) != 32 * n:
        raise Failure(f"{path}: {n} values declared, section 2 holds {len(s[2])} bytes")
    return [int.from_bytes(s[2][i:i + 32], "little") for i in range(0, 32 * n, 32)]


def proof_bytes(arg):
    if os.path.isfile(arg):
        with open(arg, "rb") as f:
            data = f.read()
        if len(data) == 256:
            return data
        arg = data.decode("ascii", "replace")
    text = re.sub(r"\s+", "", arg)
    text = text[2:] if text[:2].lower() == "0x" else text
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text):
        raise Failure("--verify-proof-hex: neither an existing file nor hex digits")
    data = bytes.fromhex(text)
    if len(data) != 256:
        raise Failure(f"--verify-proof-hex: proof must be 256 bytes, got {len(data)}")
    return data


def read_public(path):
    try:
        with open(path, encoding="utf-8") as f:
            vals = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f"cannot read {path}: {e}")
    if not isinstance(vals, list) or not all(isinstance(v, str) and re.fullmatch(r"[0-9]+", v)
                                             for v in vals):
        raise Failure(f"{path}: expected an array of decimal strings")
    return [int(v) for v in vals]


def snarkjs_proof(proof):
    """256-byte EIP-197 proof (Fq2 imaginary part first) -> snarkjs proof.json object."""
    w = [str(int.from_bytes(proof[i:i + 32], "big")) for i in range(0, 256, 32)]

    def g1(x, y):
        return [x, y, "1"] if (x, y) != ("0", "0") else ["0", "1", "0"]
    b_inf = w[2:6] == ["0"] * 4
    return {"pi_a": g1(w[0], w[1]),
            "pi_b": [["0", "0"], ["1", "0"], ["0", "0"]] if b_inf else
                    [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
            "pi_c": g1(w[6], w[7]), "protocol": "groth16", "curve": "bn128"}


def ms(seconds):
    return round(seconds * 1000, 3)


def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def run_own(g, args, result):
    info = read_r1cs(args.r1cs)
    witness = read_wtns(args.wtns)
    if len(witness) != info["wires"]:
        raise Failure(f"witness has {len(witness)} values, the R1CS has {info['wires']} wires")
    n_pub = info["n_pub_out"] + info["n_pub_in"]
    public = witness[1:1 + n_pub]
    result.update(constraints=info["constraints"], wires=info["wires"], n_public=n_pub)
    (pk, vk), wall, cpu = timed(g.setup, args.r1cs)
    result.update(setup_ms=ms(wall), setup_cpu_ms=ms(cpu))
    if vk.n_public != n_pub:
        raise Failure(f"groth16py's key has {vk.n_public} public inputs, expected {n_pub}")
    proofs, walls, cpus = [], [], []
    for _ in range(args.repeat):
        proof, wall, cpu = timed(g.prove_wtns, pk, args.wtns)
        proofs.append(proof), walls.append(wall), cpus.append(cpu)
    verifier = g.Verifier(vk)
    oks, vtimes = [], []
    for proof in proofs:
        ok, wall, _ = timed(verifier.verify, proof, public)
        oks.append(ok), vtimes.append(wall)
    result.update(prove_ms_median=ms(statistics.median(walls)),
                  prove_cpu_ms_median=ms(statistics.median(cpus)),
                  prove_ms=[ms(t) for t in walls], prove_cpu_ms=[ms(t) for t in cpus],
                  verify_ms=ms(statistics.median(vtimes)),
                  valid=all(oks), public=[str(v) for v in public])
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        files = {"verification_key.json": vk.to_json(), "proof.hex": proofs[-1].hex() + "\n",
                 "proof.json": json.dumps(snarkjs_proof(proofs[-1]), indent=1),
                 "public.json": json.dumps(result["public"])}
        for name, text in files.items():
            with open(os.path.join(args.out_dir, name), "w", encoding="utf-8") as f:
                f.write(text)
    if not all(oks):
        return "groth16py's own proof does not verify (does the witness satisfy the R1CS?)"
    return None


def run_foreign(g, args, result):
    proof = proof_bytes(args.verify_proof_hex)
    public = read_public(args.public)
    try:
        vk = g.VerifyingKey.from_snarkjs_file(args.verify_vk)
    except Exception as e:  # EncodingError etc.: groth16py refuses the key
        raise Failure(f"groth16py cannot load {args.verify_vk}: {type(e).__name__}: {e}")
    verifier = g.Verifier(vk)
    w = time.perf_counter()
    try:
        ok, reason = verifier.verify(proof, public), None
    except Exception as e:  # off-curve point, input >= r, wrong count ...
        ok, reason = False, f"{type(e).__name__}: {e}"
    result["foreign_verify_ms"] = ms(time.perf_counter() - w)
    result["foreign_valid"] = bool(ok)
    if not ok:
        result["foreign_reason"] = reason or "pairing check failed"
        return "groth16py rejects the given proof: " + result["foreign_reason"]
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Drive groth16py on .r1cs/.wtns files.")
    ap.add_argument("--r1cs")
    ap.add_argument("--wtns")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out-dir")
    ap.add_argument("--verify-vk")
    ap.add_argument("--verify-proof-hex")
    ap.add_argument("--public")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    own = (args.r1cs, args.wtns)
    foreign = (args.verify_vk, args.verify_proof_hex, args.public)
    problem = None
    if any(own) and not all(own):
        problem = "--r1cs and --wtns go together"
    elif any(foreign) and not all(foreign):
        problem = "--verify-vk, --verify-proof-hex and --public go together"
    elif not any(own) and not any(foreign):
        problem = "nothing to do: give --r1cs/--wtns and/or --verify-*"
    elif args.repeat < 1:
        problem = "--repeat must be >= 1"
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    result, failures = {}, []
    try:
        try:
            import groth16py as g
        except ImportError:
            raise Failure("PyPI package groth16py is not installed (tests/compat/install.sh)")
        if all(own):
            failures.append(run_own(g, args, result))
        if all(foreign):
            failures.append(run_foreign(g, args, result))
    except Failure as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # groth16py's SetupError, WitnessError, ...
        print(f"{PROG}: groth16py failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    failures = [f for f in failures if f]
    for f in failures:
        print(f"{PROG}: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
