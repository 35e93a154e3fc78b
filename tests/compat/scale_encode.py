#!/usr/bin/env python3
"""Encode values with an independent SCALE codec.

Usage: scale_encode.py CASES.jsonl
  each line {"type": scalecodec type string, "value": JSON value}

Encodes each value with PyPI `scalecodec` 1.2.12, from a registry of the
runtime's storage types (written from the runtime's sources) and scalecodec's
"legacy" preset, and prints the hex of each encoding on its own line. Exit 1
with a message on stderr when a value cannot be encoded.
"""

import json
import sys

from scalecodec.base import RuntimeConfiguration
from scalecodec.type_registry import load_type_registry_preset

RUNTIME_TYPES = {
    "types": {
        "PakitAccountData": {"type": "struct", "type_mapping": [
            ["free", "u128"], ["reserved", "u128"], ["frozen", "u128"], ["flags", "u128"]]},
        "PakitAccountInfo": {"type": "struct", "type_mapping": [
            ["nonce", "u32"], ["consumers", "u32"], ["providers", "u32"], ["sufficients", "u32"], ["data", "PakitAccountData"]]},
        "ProofType": {"type": "enum", "value_list": ["Merkle", "Groth16"]},
        "ProofRecord": {"type": "struct", "type_mapping": [
            ["submitter", "AccountId"], ["submitted_at", "u32"], ["proof_type", "ProofType"]]},
        "HostingTier": {"type": "enum", "value_list": ["Free", "Basic", "Pro", "Enterprise"]},
        "HostingInfo": {"type": "struct", "type_mapping": [
            ["subscriber", "AccountId"], ["tier", "HostingTier"], ["content_hash", "[u8; 32]"], ["activated_at", "u32"],
            ["last_payment_at", "u32"], ["expires_at", "u32"], ["data_size", "u64"], ["monthly_fee", "u128"],
            ["auto_renew", "bool"]]},
    }
}


def main():
    config = RuntimeConfiguration()
    config.update_type_registry(load_type_registry_preset("legacy"))
    config.update_type_registry(RUNTIME_TYPES)
    with open(sys.argv[1], encoding="utf-8") as cases:
        lines = [line for line in cases if line.strip()]
    try:
        for line in lines:
            case = json.loads(line)
            obj = config.create_scale_object(case["type"])
            print(obj.encode(case["value"]).to_hex()[2:])
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        print(f"scale_encode.py: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
