#!/usr/bin/env python3
"""Independent Groth16 verifier for BN254 (alt_bn128), written from the math on
PyPI `py-ecc` (py_ecc.optimized_bn128); it shares no code with Pakit or groth16py.

Usage: groth16_verify.py --vk verification_key.json
                         (--proof proof.json | --proof-hex HEX_OR_FILE)
                         --public public.json

  --vk         snarkjs verification_key.json (protocol "groth16", curve "bn128",
               vk_alpha_1, vk_beta_2, vk_gamma_2, vk_delta_2, IC, nPublic)
  --proof      snarkjs proof.json (pi_a [x,y,"1"], pi_b [[x_c0,x_c1],[y_c0,y_c1],["1","0"]], pi_c)
  --proof-hex  256-byte EIP-197 proof: 512 hex digits (optional 0x), or a file holding
               either those hex digits or the 256 raw bytes. Eight big-endian 32-byte
               words A.x A.y B.x.c1 B.x.c0 B.y.c1 B.y.c0 C.x C.y (imaginary part first);
               (0, 0) is the point at infinity
  --public     public.json: array of decimal strings (outputs first, then inputs)

Prints one JSON line {"valid": true|false, "reason": "..."} and exits 0 when the proof
is valid, 1 when it is invalid (bad point, input >= r, wrong input count, key with
gamma == delta, failed pairing check) and 2 on usage or format errors (unreadable file,
bad JSON, non-decimal numbers, wrong proof length); those also print the reason on stderr.

Checks: public inputs < r and exactly nPublic (= len(IC) - 1) of them; coordinates < p;
A, C, alpha, IC on G1 (cofactor 1); B, beta, gamma, delta on the twist y^2 = x^3 + 3/(9+u)
and in the order-r subgroup (r*Q = O); gamma != delta (no phase-2 contribution means
forgeable proofs). Accepts iff
    ML(B, -A) * ML(beta, alpha) * ML(gamma, vk_x) * ML(delta, C)
final-exponentiates to 1, with vk_x = IC[0] + sum s_i * IC[i+1] (one final
exponentiation for the four Miller loops). Takes about 0.5-1 s.
"""

import argparse
import json
import os
import re
import sys

PROG = "groth16_verify.py"

try:
    from py_ecc.optimized_bn128 import (FQ, FQ2, FQ12, Z1, Z2, add, b, b2, curve_order,
                                        field_modulus, final_exponentiate, is_inf,
                                        is_on_curve, multiply, neg, pairing)
except ImportError:  # reported as a usage error by main()
    FQ = None

P = 21888242871839275222246405745257275088696311157297823662689037894645226208583  # base field
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # group order
assert FQ is None or (field_modulus, curve_order) == (P, R)


class FormatError(Exception):
    """Input is not readable as the documented format: exit 2."""


# ---- parsing: format only, every value becomes an int; (0, 0) means infinity ----

def dec(v, what):
    if isinstance(v, str) and re.fullmatch(r"[0-9]+", v):
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return v
    raise FormatError(f"{what}: expected a decimal string, got {v!r}")


def _list(v, n, what):
    if not isinstance(v, list) or len(v) != n:
        raise FormatError(f"{what}: expected a list of {n}")
    return v


def g1_json(v, what):
    x, y, z = _list(v, 3, what)
    z = dec(z, what + ".z")
    if z not in (0, 1):
        raise FormatError(f"{what}: z must be \"1\" (affine) or \"0\" (infinity)")
    return (dec(x, what + ".x"), dec(y, what + ".y")) if z else (0, 0)


def g2_json(v, what):
    x, y, z = (_list(c, 2, what) for c in _list(v, 3, what))
    z = (dec(z[0], what + ".z"), dec(z[1], what + ".z"))
    if z not in ((0, 0), (1, 0)):
        raise FormatError(f"{what}: z must be [\"1\",\"0\"] (affine) or [\"0\",\"0\"] (infinity)")
    if z == (0, 0):
        return ((0, 0), (0, 0))
    return ((dec(x[0], what + ".x.c0"), dec(x[1], what + ".x.c1")),
            (dec(y[0], what + ".y.c0"), dec(y[1], what + ".y.c1")))


def parse_vk(obj):
    if not isinstance(obj, dict):
        raise FormatError("vk: not a JSON object")
    if obj.get("protocol", "groth16") != "groth16" or obj.get("curve", "bn128") != "bn128":
        raise FormatError("vk: protocol must be groth16 and curve bn128")
    try:
        vk = {"alpha": g1_json(obj["vk_alpha_1"], "vk_alpha_1"),
              "beta": g2_json(obj["vk_beta_2"], "vk_beta_2"),
              "gamma": g2_json(obj["vk_gamma_2"], "vk_gamma_2"),
              "delta": g2_json(obj["vk_delta_2"], "vk_delta_2"),
              "IC": [g1_json(p, f"IC[{i}]") for i, p in enumerate(obj["IC"])]}
    except (KeyError, TypeError) as e:
        raise FormatError(f"vk: missing or malformed field {e}")
    if not vk["IC"] or ("nPublic" in obj and dec(obj["nPublic"], "nPublic") != len(vk["IC"]) - 1):
        raise FormatError("vk: nPublic must equal len(IC) - 1")
    return vk


def parse_proof_json(obj):
    if not isinstance(obj, dict) or not all(k in obj for k in ("pi_a", "pi_b", "pi_c")):
        raise FormatError("proof: needs pi_a, pi_b, pi_c")
    return {"A": g1_json(obj["pi_a"], "pi_a"), "B": g2_json(obj["pi_b"], "pi_b"),
            "C": g1_json(obj["pi_c"], "pi_c")}


def parse_proof_eip197(data):
    if len(data) != 256:
        raise FormatError(f"EIP-197 proof must be 256 bytes, got {len(data)}")
    w = [int.from_bytes(data[i:i + 32], "big") for i in range(0, 256, 32)]
    return {"A": (w[0], w[1]), "B": ((w[3], w[2]), (w[5], w[4])), "C": (w[6], w[7])}


def proof_bytes(arg):
    """HEX_OR_FILE -> 256 bytes (or whatever length it has; parse_proof_eip197 checks)."""
    if os.path.isfile(arg):
        with open(arg, "rb") as f:
            data = f.read()
        if len(data) == 256:
            return data
        arg = data.decode("ascii", "replace")
    text = re.sub(r"\s+", "", arg)
    text = text[2:] if text[:2].lower() == "0x" else text
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text):
        raise FormatError("--proof-hex: neither an existing file nor hex digits")
    return bytes.fromhex(text)


def parse_public(obj):
    if not isinstance(obj, list):
        raise FormatError("public: expected a JSON array")
    return [dec(v, f"public[{i}]") for i, v in enumerate(obj)]


# ---- verification: every semantic failure gives (False, reason) ----

class Invalid(Exception):
    pass


def _g1(p, what):
    if p == (0, 0):
        return Z1
    if not (p[0] < P and p[1] < P):
        raise Invalid(f"{what}: coordinate >= p")
    pt = (FQ(p[0]), FQ(p[1]), FQ.one())
    if not is_on_curve(pt, b):
        raise Invalid(f"{what}: not on G1")
    return pt


def _g2(p, what):
    if p == ((0, 0), (0, 0)):
        return Z2
    if not all(c < P for c in p[0] + p[1]):
        raise Invalid(f"{what}: coordinate >= p")
    pt = (FQ2(list(p[0])), FQ2(list(p[1])), FQ2.one())
    if not is_on_curve(pt, b2):
        raise Invalid(f"{what}: not on the twist curve")
    if not is_inf(multiply(pt, curve_order)):
        raise Invalid(f"{what}: not in the G2 subgroup")
    return pt


def verify(vk, proof, public):
    """vk, proof, public as returned by parse_*; returns (valid, reason)."""
    try:
        if vk["gamma"] == vk["delta"]:
            raise Invalid("vk: gamma == delta (no phase-2 contribution; proofs can be forged)")
        if len(public) != len(vk["IC"]) - 1:
            raise Invalid(f"expected {len(vk['IC']) - 1} public inputs, got {len(public)}")
        for i, s in enumerate(public):
            if s >= R:
                raise Invalid(f"public[{i}] >= r")
        A, C = _g1(proof["A"], "proof A"), _g1(proof["C"], "proof C")
        B = _g2(proof["B"], "proof B")
        alpha = _g1(vk["alpha"], "vk_alpha_1")
        beta, gamma, delta = (_g2(vk[k], f"vk_{k}_2") for k in ("beta", "gamma", "delta"))
        vk_x = _g1(vk["IC"][0], "IC[0]")
        for i, s in enumerate(public):
            vk_x = add(vk_x, multiply(_g1(vk["IC"][i + 1], f"IC[{i + 1}]"), s))
    except Invalid as e:
        return False, str(e)
    f = FQ12.one()
    for q, p in ((B, neg(A)), (beta, alpha), (gamma, vk_x), (delta, C)):
        f = f * pairing(q, p, final_exponentiate=False)  # G2 first; 1 if either is O
    if final_exponentiate(f) == FQ12.one():
        return True, "pairing check passed"
    return False, "pairing check failed"


def _load_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise FormatError(f"{what}: cannot read {path}: {e}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Independent BN254 Groth16 verifier (py_ecc).")
    ap.add_argument("--vk", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--proof")
    src.add_argument("--proof-hex")
    ap.add_argument("--public", required=True)
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        if FQ is None:
            raise FormatError("PyPI package py-ecc is not installed (tests/compat/install.sh)")
        vk = parse_vk(_load_json(args.vk, "--vk"))
        if args.proof:
            proof = parse_proof_json(_load_json(args.proof, "--proof"))
        else:
            try:
                proof = parse_proof_eip197(proof_bytes(args.proof_hex))
            except OSError as e:
                raise FormatError(f"--proof-hex: {e}")
        public = parse_public(_load_json(args.public, "--public"))
    except FormatError as e:
        print(json.dumps({"valid": False, "reason": f"format error: {e}"}))
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    valid, reason = verify(vk, proof, public)
    print(json.dumps({"valid": valid, "reason": reason}))
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
