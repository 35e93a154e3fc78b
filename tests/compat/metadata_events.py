#!/usr/bin/env python3
"""Encode a System.Events value with an independent SCALE codec.

Usage: metadata_events.py

Builds the dev chain's synthetic runtime metadata V14 (tools/devchain/metadata.py), loads its
portable registry into PyPI `scalecodec` 1.2.12, and has scalecodec ENCODE a System.Events value
(the type read from the System pallet's Events storage entry) holding: ExtrinsicSuccess at
ApplyExtrinsic(0); TransactionPayment.TransactionFeePaid with a fee above 2^64 and a topic;
StorageProof.StorageProofAccepted; ExtrinsicFailed with DispatchError::Module (StorageProof,
error 4) at ApplyExtrinsic(1); ExtrinsicFailed with Token(FundsUnavailable) at ApplyExtrinsic(2);
a Balances event at Finalization; a Sudo event carrying Result<(), DispatchError> at
Initialization. scalecodec then decodes the bytes again, and that reading is what the test
expects.

Prints one JSON object:
  metadata  0x… of the prefixed metadata
  events    0x… of the encoded System.Events value
  records   per record: phase, extrinsic (index or null), palletIndex, pallet, eventIndex, event,
            attributes (canonical JSON text of scalecodec's reading: sorted keys, no spaces;
            accounts and hashes as 0x… hex, numbers exact), topics (0x… hex)
  outcomes  {extrinsic index: "success" | "Pallet.Error" (a Module error, named by scalecodec's
            own lookup in the metadata) | "Variant.Detail" | "Variant"}
Exit 1 with a message on stderr when anything fails.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "devchain"))

import metadata as devchain_metadata  # noqa: E402 - found through the path above

ACCOUNT = "0x" + "11" * 32
OTHER = "0x" + "22" * 32
CONTENT = "0x" + bytes(range(32)).hex()
TOPIC = "0x" + "ab" * 32
INFO = {"weight": {"ref_time": 123_456_789, "proof_size": 3_550}, "class": "Normal", "pays_fee": "Yes"}

RECORDS = [
    {"phase": {"ApplyExtrinsic": 0}, "event": {"System": {"ExtrinsicSuccess": {"dispatch_info": INFO}}}, "topics": []},
    {"phase": {"ApplyExtrinsic": 0},
     "event": {"TransactionPayment": {"TransactionFeePaid": {"who": ACCOUNT, "actual_fee": 2**100 + 7, "tip": 0}}},
     "topics": [TOPIC]},
    {"phase": {"ApplyExtrinsic": 1},
     "event": {"StorageProof": {"StorageProofAccepted": {"content_id": CONTENT, "submitter": OTHER}}}, "topics": []},
    {"phase": {"ApplyExtrinsic": 1},
     "event": {"System": {"ExtrinsicFailed": {"dispatch_error": {"Module": {"index": 38, "error": "0x04000000"}},
                                              "dispatch_info": dict(INFO, pays_fee="No")}}},
     "topics": []},
    {"phase": {"ApplyExtrinsic": 2},
     "event": {"System": {"ExtrinsicFailed": {"dispatch_error": {"Token": "FundsUnavailable"}, "dispatch_info": INFO}}},
     "topics": []},
    {"phase": "Finalization", "event": {"Balances": {"Deposit": {"who": ACCOUNT, "amount": 1_000_000_000_000}}},
     "topics": [TOPIC, "0x" + "cd" * 32]},
    {"phase": "Initialization", "event": {"Sudo": {"Sudid": {"sudo_result": {"Err": "BadOrigin"}}}}, "topics": []},
]


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def main():
    from scalecodec.base import ScaleBytes  # noqa: PLC0415 - after the path set-up

    raw = devchain_metadata.build_metadata()
    config, metadata = devchain_metadata.scalecodec_runtime(raw)
    system = next(p for p in metadata.value[1]["V14"]["pallets"] if p["name"] == "System")
    events_type = next(e for e in system["storage"]["entries"] if e["name"] == "Events")["type"]["Plain"]
    encoded = config.create_scale_object(f"scale_info::{events_type}", metadata=metadata).encode(RECORDS)
    decoded = config.create_scale_object(f"scale_info::{events_type}", data=ScaleBytes(encoded.to_hex()),
                                         metadata=metadata).decode()

    records, outcomes = [], {}
    for record in decoded:
        event = record["event"]
        pallet_index, event_index = bytes.fromhex(event["event_index"])
        records.append({"phase": record["phase"], "extrinsic": record["extrinsic_idx"], "palletIndex": pallet_index,
                        "pallet": event["module_id"], "eventIndex": event_index, "event": event["event_id"],
                        "attributes": canonical(event["attributes"]), "topics": record["topics"]})
        if event["module_id"] != "System" or record["extrinsic_idx"] is None:
            continue
        if event["event_id"] == "ExtrinsicSuccess":
            outcomes[str(record["extrinsic_idx"])] = "success"
        elif event["event_id"] == "ExtrinsicFailed":
            error = event["attributes"]["dispatch_error"]
            if isinstance(error, str):
                outcomes[str(record["extrinsic_idx"])] = error
            elif "Module" in error:
                module = error["Module"]
                found = metadata.get_module_error(module["index"], bytes.fromhex(module["error"][2:])[0])
                pallet = next(p["name"] for p in metadata.value[1]["V14"]["pallets"] if p["index"] == module["index"])
                outcomes[str(record["extrinsic_idx"])] = f"{pallet}.{found['name']}"
            else:
                (kind, detail), = error.items()
                outcomes[str(record["extrinsic_idx"])] = f"{kind}.{detail}" if isinstance(detail, str) else kind

    print(json.dumps({"metadata": "0x" + raw.hex(), "events": encoded.to_hex(), "records": records, "outcomes": outcomes}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        print(f"metadata_events.py: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
