#!/usr/bin/env python3
"""Self-check of the Groth16 compat tools, with no Swift involved.

Usage: groth16_selfcheck.py [--dir DIR] [-v]

Writes two tiny circuits as iden3 .r1cs (version 1) with matching .wtns (version 2)
into a temporary directory (or DIR, kept), then:
  1. groth16py_run.py: groth16py setup + prove_wtns + its own verify; exports its
     verification_key.json, 256-byte proof (hex) and snarkjs proof.json;
  2. groth16_verify.py (py_ecc) must accept that proof, as hex and as proof.json,
     and groth16py_run.py --verify-* must accept it as a "foreign" proof;
  3. both verifiers must reject: every one of the 256 bytes flipped (xor 0xff, and
     xor 0x01), a changed / reordered public input, public input = r and = s + r,
     a wrong input count, -A, a B on the twist but outside the order-r subgroup, and
     a key with gamma == delta; groth16_verify.py exits 2 on malformed input.
Circuit "out": x*x = y, y*x = z; z public output (nPubOut 1, nPubIn 0).
Circuit "mixed": also (x + 2k + 7)*(k - 1) = t, k public input (nPubOut 1, nPubIn 1),
exercising the constant wire, coefficients and r - 1 as -1.
Also: groth16py_run.py exits 1 on an unsatisfied witness, 2 on a short one.
Exits 0 when every check passed, 1 otherwise (failures on stderr), 2 when py-ecc or
groth16py is missing; prints timings. Takes about 15 s.
Needs py-ecc and groth16py (tests/compat/install.sh). Witnesses are fixed; only
groth16py's setup and proving randomness vary between runs.
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import groth16_verify as gv  # noqa: E402  (py_ecc verifier, used in-process for the sweeps)

R, P = gv.R, gv.P
PY = sys.executable


# ---- iden3 binary writers (zk.md §5.3) ----

def fe(v):
    return (v % R).to_bytes(32, "little")


def section(typ, body):
    return struct.pack("<IQ", typ, len(body)) + body


def write_r1cs(path, n_wires, n_pub_out, n_pub_in, n_prv_in, constraints):
    """constraints: [(A, B, C)], each a {wire: coefficient} linear combination."""
    header = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack(
        "<IIIIQI", n_wires, n_pub_out, n_pub_in, n_prv_in, n_wires, len(constraints))
    body = b"".join(struct.pack("<I", len(lc)) + b"".join(
        struct.pack("<I", w) + fe(c) for w, c in sorted(lc.items()))
        for abc in constraints for lc in abc)
    labels = b"".join(struct.pack("<Q", i) for i in range(n_wires))
    with open(path, "wb") as f:
        f.write(b"r1cs" + struct.pack("<II", 1, 3) + section(1, header) + section(2, body)
                + section(3, labels))


def write_wtns(path, values):
    head = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack("<I", len(values))
    with open(path, "wb") as f:
        f.write(b"wtns" + struct.pack("<II", 2, 2) + section(1, head)
                + section(2, b"".join(fe(v) for v in values)))


def circuits():
    x = 0x1d5ac1f1e0b4c5f2a7d8e9f00112233445566778899aabbccddeeff00112233 % R
    y, z = x * x % R, x * x * x % R
    k = 0x0badc0ffee0ddf00d % R
    t = (x + 2 * k + 7) * (k - 1) % R
    square_cube = [({3: 1}, {3: 1}, {4: 1}), ({4: 1}, {3: 1}, {1: 1})]
    return {
        # wires: 0 one, 1 z (out), 2 x, 3 y
        "out": (dict(n_wires=4, n_pub_out=1, n_pub_in=0, n_prv_in=1,
                     constraints=[({2: 1}, {2: 1}, {3: 1}), ({3: 1}, {2: 1}, {1: 1})]),
                [1, z, x, y], [z]),
        # wires: 0 one, 1 z (out), 2 k (in), 3 x, 4 y, 5 t
        "mixed": (dict(n_wires=6, n_pub_out=1, n_pub_in=1, n_prv_in=1,
                       constraints=square_cube + [({3: 1, 2: 2, 0: 7}, {2: 1, 0: R - 1}, {5: 1})]),
                  [1, z, k, x, y, t], [z, k]),
    }


# ---- helpers ----

class Checks:
    def __init__(self, verbose):
        self.verbose, self.n, self.failed = verbose, 0, []

    def check(self, ok, what):
        self.n += 1
        if not ok:
            self.failed.append(what)
            print(f"FAIL: {what}", file=sys.stderr)
        elif self.verbose:
            print(f"ok: {what}")


def run(args):
    t = time.perf_counter()
    p = subprocess.run([PY] + args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return p, time.perf_counter() - t


def verify_cli(vk, public, proof_hex=None, proof_json=None):
    a = [os.path.join(HERE, "groth16_verify.py"), "--vk", vk, "--public", public]
    a += ["--proof-hex", proof_hex] if proof_hex is not None else ["--proof", proof_json]
    p, secs = run(a)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        out = {}
    return p.returncode, out, secs


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


def fq2_sqrt(a):
    """Square root in Fq2 (p = 3 mod 4), or None."""
    FQ2 = gv.FQ2
    a1 = a ** ((P - 3) // 4)
    alpha, x0 = a1 * a1 * a, a1 * a
    if alpha == FQ2([P - 1, 0]):
        x = FQ2([0, 1]) * x0
    else:
        x = (FQ2.one() + alpha) ** ((P - 1) // 2) * x0
    return x if x * x == a else None


def twist_point_outside_subgroup():
    """First (x, y) on y^2 = x^3 + b2 with x = n + u, n = 1, 2, ...: as an int pair tuple."""
    for n in range(1, 1000):
        x = gv.FQ2([n, 1])
        y = fq2_sqrt(x ** 3 + gv.b2)
        if y is not None:
            pt = (x, y, gv.FQ2.one())
            assert gv.is_on_curve(pt, gv.b2)
            if not gv.is_inf(gv.multiply(pt, R)):
                return tuple(tuple(int(c) for c in v.coeffs) for v in (x, y))
    raise AssertionError("no point found")


def eip197(proof):
    """parsed proof (groth16_verify ints) -> 256 bytes."""
    (bx0, bx1), (by0, by1) = proof["B"]
    words = [*proof["A"], bx1, bx0, by1, by0, *proof["C"]]
    return b"".join(w.to_bytes(32, "big") for w in words)


# ---- the checks ----

def check_circuit(c, name, spec, witness, public, d, timings):
    import groth16py
    r1cs, wtns, out = (os.path.join(d, f"{name}.{e}") for e in ("r1cs", "wtns", "out"))
    write_r1cs(r1cs, **spec)
    write_wtns(wtns, witness)

    p, secs = run([os.path.join(HERE, "groth16py_run.py"), "--r1cs", r1cs, "--wtns", wtns,
                   "--repeat", "3", "--out-dir", out])
    c.check(p.returncode == 0, f"{name}: groth16py_run.py exits 0 ({p.stderr.strip()})")
    res = json.loads(p.stdout or "{}")
    c.check(res.get("valid") is True and res.get("public") == [str(v) for v in public]
            and res.get("constraints") == len(spec["constraints"]),
            f"{name}: groth16py proves and verifies, publics = wires 1..nPubOut+nPubIn: {res}")
    timings[f"{name}: groth16py_run.py (process)"] = secs
    for k in ("setup_ms", "prove_ms_median", "verify_ms"):
        timings[f"{name}: groth16py {k}"] = res.get(k, float("nan")) / 1000
    vk_path, hex_path = os.path.join(out, "verification_key.json"), os.path.join(out, "proof.hex")
    pub_path = os.path.join(out, "public.json")
    with open(hex_path) as f:
        proof_hex = f.read().strip()
    with open(vk_path) as f:
        vk_obj = json.load(f)

    # accepted: hex, file, proof.json; and as a foreign proof by groth16py
    rc, o, secs = verify_cli(vk_path, pub_path, proof_hex=proof_hex)
    c.check(rc == 0 and o.get("valid") is True, f"{name}: py_ecc accepts groth16py's proof ({o})")
    timings[f"{name}: groth16_verify.py valid proof (process)"] = secs
    rc, o, _ = verify_cli(vk_path, pub_path, proof_hex=hex_path)
    c.check(rc == 0, f"{name}: py_ecc accepts the proof given as a file ({o})")
    rc, o, _ = verify_cli(vk_path, pub_path, proof_json=os.path.join(out, "proof.json"))
    c.check(rc == 0, f"{name}: py_ecc accepts the snarkjs proof.json ({o})")
    p, _ = run([os.path.join(HERE, "groth16py_run.py"), "--verify-vk", vk_path,
                "--verify-proof-hex", proof_hex, "--public", pub_path])
    c.check(p.returncode == 0 and json.loads(p.stdout or "{}").get("foreign_valid") is True,
            f"{name}: groth16py_run.py --verify-* accepts it ({p.stdout.strip()} {p.stderr.strip()})")

    vk = gv.parse_vk(vk_obj)
    proof = gv.parse_proof_eip197(bytes.fromhex(proof_hex))
    gverifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(json.dumps(vk_obj)))

    def g16(blob, pub):
        try:
            return gverifier.verify(blob, pub)
        except Exception:  # groth16py raises on off-curve points and inputs >= r
            return False

    # (a) every byte flipped, in-process through both verifiers
    t, reasons, bad = time.perf_counter(), {}, []
    blob = bytes.fromhex(proof_hex)
    for mask in (0xFF, 0x01):
        for i in range(256):
            mutated = bytearray(blob)
            mutated[i] ^= mask
            try:
                ok, why = gv.verify(vk, gv.parse_proof_eip197(bytes(mutated)), public)
            except Exception as e:  # a crash is a failure
                ok, why = True, f"crash {type(e).__name__}: {e}"
            if ok or g16(bytes(mutated), public):
                bad.append((i, mask, why))
            reasons[why] = reasons.get(why, 0) + 1
    c.check(not bad, f"{name}: 512 single-byte flips all rejected by both verifiers {bad[:5]}")
    timings[f"{name}: 512 flips in-process (total)"] = time.perf_counter() - t
    if c.verbose:
        print(f"   flip reasons: {reasons}")
    for i in (0, 63, 64, 127, 160, 255):  # the CLI: exit 1 with a JSON line, no crash
        mutated = bytearray(blob)
        mutated[i] ^= 0xFF
        rc, o, _ = verify_cli(vk_path, pub_path, proof_hex=mutated.hex())
        c.check(rc == 1 and o.get("valid") is False, f"{name}: CLI rejects byte {i} flipped ({rc} {o})")

    # (b) public input changed / reordered, (c) = r and aliased s + r, wrong count
    cases = [("public[0] + 1", [public[0] + 1] + public[1:], "pairing check failed"),
             ("public = r", [R] + public[1:], ">= r"),
             ("public[0] + r (alias)", [public[0] + R] + public[1:], ">= r"),
             ("one input too many", public + [1], "public inputs"),
             ("one input too few", public[:-1], "public inputs")]
    if len(public) > 1:
        cases.append(("publics reordered", public[::-1], "pairing check failed"))
    for what, pub, reason in cases:
        path = write_json(os.path.join(d, f"{name}-pub.json"), [str(v) for v in pub])
        rc, o, secs = verify_cli(vk_path, path, proof_hex=proof_hex)
        c.check(rc == 1 and reason in o.get("reason", "") and not g16(blob, pub),
                f"{name}: {what} rejected by both ({rc} {o})")
        if reason == "pairing check failed":
            timings[f"{name}: groth16_verify.py failing pairing (process)"] = secs

    # on-curve but wrong: -A; B outside the subgroup; key with gamma == delta
    t = time.perf_counter()
    ok, why = gv.verify(vk, proof, public)
    timings[f"{name}: groth16_verify.verify in-process, valid"] = time.perf_counter() - t
    c.check(ok, f"{name}: in-process verify accepts ({why})")
    neg_a = dict(proof, A=(proof["A"][0], P - proof["A"][1]))
    ok, why = gv.verify(vk, neg_a, public)
    c.check(not ok and why == "pairing check failed" and not g16(eip197(neg_a), public),
            f"{name}: -A rejected by both ({why})")
    off = dict(proof, B=twist_point_outside_subgroup())
    rc, o, _ = verify_cli(vk_path, pub_path, proof_hex=eip197(off).hex())
    c.check(rc == 1 and "subgroup" in o.get("reason", "") and not g16(eip197(off), public),
            f"{name}: B outside the G2 subgroup rejected by both ({o})")
    bad_vk = write_json(os.path.join(d, f"{name}-vk-gd.json"), dict(vk_obj, vk_delta_2=vk_obj["vk_gamma_2"]))
    rc, o, _ = verify_cli(bad_vk, pub_path, proof_hex=proof_hex)
    c.check(rc == 1 and "gamma == delta" in o.get("reason", ""), f"{name}: gamma == delta refused ({o})")

    # groth16py_run.py: unsatisfied witness -> exit 1 (valid false); wrong length -> exit 2
    for what, values, want in [("unsatisfied witness", witness[:-1] + [witness[-1] + 1], 1),
                               ("witness one value short", witness[:-1], 2)]:
        bad_wtns = os.path.join(d, f"{name}-bad.wtns")
        write_wtns(bad_wtns, values)
        p, _ = run([os.path.join(HERE, "groth16py_run.py"), "--r1cs", r1cs, "--wtns", bad_wtns])
        c.check(p.returncode == want and (want == 2 or '"valid": false' in p.stdout),
                f"{name}: groth16py_run.py {what} exits {want} ({p.returncode} {p.stderr.strip()})")

    # malformed input: exit 2
    for what, args in [("255-byte proof", dict(proof_hex=proof_hex[:-2])),
                       ("not hex", dict(proof_hex="zz" * 256))]:
        rc, o, _ = verify_cli(vk_path, pub_path, **args)
        c.check(rc == 2, f"{name}: {what} is a format error ({rc} {o})")
    path = write_json(os.path.join(d, f"{name}-pub-bad.json"), ["0x1b"] + [str(v) for v in public[1:]])
    rc, o, _ = verify_cli(vk_path, path, proof_hex=proof_hex)
    c.check(rc == 2, f"{name}: non-decimal public input is a format error ({rc} {o})")


def main():
    ap = argparse.ArgumentParser(prog="groth16_selfcheck.py")
    ap.add_argument("--dir", help="work here and keep the files (default: a temp dir)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    try:
        import groth16py  # noqa: F401
    except ImportError:
        groth16py = None
    if gv.FQ is None or groth16py is None:
        print("groth16_selfcheck.py: needs PyPI py-ecc and groth16py (tests/compat/install.sh)",
              file=sys.stderr)
        return 2
    c, timings = Checks(args.verbose), {}
    with tempfile.TemporaryDirectory(prefix="groth16-selfcheck-") as tmp:
        d = args.dir or tmp
        os.makedirs(d, exist_ok=True)
        for name, (spec, witness, public) in circuits().items():
            check_circuit(c, name, spec, witness, public, d, timings)
    for k, v in timings.items():
        print(f"  {k}: {v * 1000:.1f} ms")
    if c.failed:
        print(f"groth16_selfcheck.py: {len(c.failed)} of {c.n} checks FAILED", file=sys.stderr)
        return 1
    print(f"groth16_selfcheck.py: all {c.n} checks ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
