#!/usr/bin/env python3
"""Decode a signed BelizeChain extrinsic with independent tools.

Usage: scale_decode.py CASES.jsonl
  each line {"extrinsic", "genesis", "birth" (hex), "spec", "tx" (integers),
             "args": [[name, scalecodec type], ...] (the call's arguments in order)}

Reads the extrinsic with PyPI `scalecodec` (the SCALE codec of py-substrate-interface):
the Compact length, the v4 signed layout (MultiAddress, MultiSignature, Era,
Compact nonce and tip) and the call: pallet and call index, then the arguments
as the case names their types, from a registry of the runtime's own types
(written from the runtime's sources; scalecodec's "legacy" preset for the rest).
Rebuilds the signing payload (call, extra, spec and transaction versions,
genesis and birth hashes; BLAKE2-256 of it when longer than 256 bytes) and
checks the ed25519 signature with PyPI `PyNaCl` (libsodium). Prints one JSON
object per line of input; exit 1 with a message on stderr when decoding fails.
"""

import hashlib
import json
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from scalecodec.base import RuntimeConfiguration, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

RUNTIME_TYPES = {
    "types": {
        "MerkleStep": {"type": "struct", "type_mapping": [["node", "[u8; 32]"], ["node_is_left", "bool"]]},
        "MerkleProof": {"type": "struct", "type_mapping": [["leaf", "[u8; 32]"], ["siblings", "Vec<MerkleStep>"]]},
        "ProofType": {"type": "enum", "value_list": ["Merkle", "Groth16"]},
        "ContractsWeight": {"type": "struct", "type_mapping": [["ref_time", "Compact<u64>"], ["proof_size", "Compact<u64>"]]},
        "MeshNodeRole": {"type": "enum", "value_list": ["Client", "Router", "RouterClient", "Gateway", "ValidatorRelay", "EmergencyBeacon"]},
        "MeshHardware": {"type": "enum", "value_list": ["HeltecV3", "TBeam", "TBeamSupreme", "RAKWisBlock", "HeltecTracker", "StationG2", "Custom", "Unknown"]},
        "LoRaRegion": {"type": "enum", "value_list": ["US915", "EU868", "CN433", "AU915", "IN865", "JP920", "KR920", "AS923"]},
        "BelizeDistrict": {"type": "enum", "value_list": ["Belize", "Cayo", "OrangeWalk", "Corozal", "StannCreek", "Toledo"]},
        "TerrainType": {"type": "enum", "value_list": ["Coastal", "Urban", "Suburban", "RuralFlat", "Jungle", "Mountain", "Island", "RiverValley"]},
        "MeshTxType": {"type": "enum", "value_list": ["TransferDalla", "TransferBbzd", "GovernanceVote", "IdentityPing", "NodeStatus"]},
    }
}


def main():
    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("legacy"))
    config.update_type_registry(RUNTIME_TYPES)
    with open(sys.argv[1], encoding="utf-8") as cases:
        lines = cases.readlines()
    for line in lines:
        if line.strip():
            case = json.loads(line)
            print(json.dumps(decode(config, case["extrinsic"], case["genesis"], case["birth"], case["spec"], case["tx"],
                                    case["args"]), default=str))


def decode(config, extrinsic_hex, genesis_hex, birth_hex, spec, tx, args):
    raw = bytes.fromhex(extrinsic_hex)
    data = ScaleBytes(raw)

    def read(type_string):
        obj = config.create_scale_object(type_string, data=data)
        return obj.decode(check_remaining=False)

    try:
        length = read("Compact<u32>")
        body_start = data.offset
        version = read("u8")
        address = read("MultiAddress")
        signature = read("MultiSignature")
        extra_start = data.offset
        era = read("Era")
        nonce = read("Compact<u32>")
        tip = read("Compact<u128>")
        call_start = data.offset
        pallet = read("u8")
        call_index = read("u8")
        arguments = {name: read(type_string) for name, type_string in args}
        if data.offset != len(raw):
            raise ValueError(f"{len(raw) - data.offset} bytes left after the call")
        if length != len(raw) - body_start:
            raise ValueError(f"length prefix {length} does not match the body's {len(raw) - body_start} bytes")
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        print(f"scale_decode.py: {error}", file=sys.stderr)
        sys.exit(1)

    call = raw[call_start:]
    extra = raw[extra_start:call_start]
    payload = call + extra + int(spec).to_bytes(4, "little") + int(tx).to_bytes(4, "little") \
        + bytes.fromhex(genesis_hex) + bytes.fromhex(birth_hex)
    if len(payload) > 256:
        payload = hashlib.blake2b(payload, digest_size=32).digest()
    account = address["Id"] if isinstance(address, dict) else address
    signature_hex = signature.get("Ed25519") if isinstance(signature, dict) else None
    try:
        VerifyKey(bytes.fromhex(account.removeprefix("0x"))).verify(payload, bytes.fromhex(signature_hex.removeprefix("0x")))
        valid = True
    except (BadSignatureError, AttributeError, ValueError):
        valid = False
    return {
        "version": version,
        "account": account,
        "signatureKind": list(signature)[0] if isinstance(signature, dict) else str(signature),
        "era": era,
        "nonce": nonce,
        "tip": tip,
        "pallet": pallet,
        "call": call_index,
        "arguments": arguments,
        "txHash": "0x" + hashlib.blake2b(raw, digest_size=32).hexdigest(),
        "signatureValid": valid,
    }


if __name__ == "__main__":
    main()
