#!/usr/bin/env python3
"""Check the dev chain (tools/devchain, a development stand-in) against its own metadata.

Usage: devchain_check.py
Starts devchain.py, signs extrinsics with PyNaCl (payload built here: call ‖ era ‖ nonce ‖ tip
‖ spec ‖ tx version ‖ genesis ‖ birth, BLAKE2-256 when longer than 256 bytes), and decodes
what the chain serves with PyPI scalecodec driven by the metadata from `state_getMetadata`
(RuntimeConfigurationObject + add_portable_registry): every block extrinsic (the v5 bare
timestamp inherent included) and every System.Events record, which must name the expected
pallet, variant and fields. Then the faults: dev_upgradeRuntime with a moved call (the pool is
revalidated, the watcher sees "invalid", the old index is refused, the new metadata decodes
the new index), state_getStorage and state_call at an old block hash (that block's state;
4003 for an unknown hash), --genesis-seed (another genesis hash) and --pool-limit (1016). Prints one JSON
summary; exit 1 with a message on stderr when a check fails.
"""

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import websockets
from nacl.signing import SigningKey
from scalecodec.base import ScaleBytes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "devchain"))
import metadata as runtime_metadata  # noqa: E402 - tools/devchain/metadata.py

EVENTS_KEY = "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
ACCOUNT_PREFIX = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"  # System.Account


def compact(value):
    return runtime_metadata.compact(value)


def blake2_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def vec_u8(data):
    return compact(len(data)) + data


class DevChain:
    def __init__(self, *options, block_ms=1000):
        self.url_file = tempfile.mktemp(prefix="devchain-check-", suffix=".url")
        self.process = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "devchain", "devchain.py"), "--port", "0",
                                         "--url-file", self.url_file, "--block-ms", str(block_ms), "--finality-lag", "2", *options],
                                        stdout=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not os.path.exists(self.url_file):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("the dev chain did not start")
            time.sleep(0.05)
        with open(self.url_file, encoding="utf-8") as handle:
            self.url = handle.read().strip()
        os.remove(self.url_file)

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def call(self, method, *params):
        async def one():
            async with websockets.connect(self.url, max_size=1 << 24) as websocket:
                await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}))
                while True:
                    reply = json.loads(await websocket.recv())
                    if reply.get("id") == 1:
                        return reply
        return asyncio.run(one())

    def result(self, method, *params):
        reply = self.call(method, *params)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    def sign(self, key, call, nonce, spec=None):
        version = self.result("state_getRuntimeVersion")
        genesis = bytes.fromhex(self.result("chain_getBlockHash", 0)[2:])
        extra = b"\x00" + compact(nonce) + compact(0)  # immortal era, tip 0
        payload = call + extra + (spec or version["specVersion"]).to_bytes(4, "little")
        payload += version["transactionVersion"].to_bytes(4, "little") + genesis + genesis
        if len(payload) > 256:
            payload = blake2_256(payload)
        body = b"\x84\x00" + bytes(key.verify_key) + b"\x00" + key.sign(payload).signature + extra + call
        return "0x" + (compact(len(body)) + body).hex()

    def nonce(self, account):
        return int.from_bytes(bytes.fromhex(self.result("state_call", "AccountNonceApi_account_nonce", "0x" + account.hex())[2:]), "little")

    def decoder(self):
        return runtime_metadata.scalecodec_runtime(bytes.fromhex(self.result("state_getMetadata")[2:]))

    def events(self, raw, config, metadata):
        entry = next(e for p in metadata.value[1]["V14"]["pallets"] if p["name"] == "System"
                     for e in p["storage"]["entries"] if e["name"] == "Events")
        records = config.create_scale_object(f"scale_info::{entry['type']['Plain']}", data=ScaleBytes(raw), metadata=metadata).decode()
        return [(r["extrinsic_idx"], f"{r['module_id']}.{r['event_id']}", r["attributes"], r["topics"]) for r in records]


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def run_calls(chain, key, calls):
    """Submits the calls with consecutive nonces, waits until the block holding them is best,
    and returns (the block's decoded extrinsics, its decoded events) before the next block."""
    account = bytes(key.verify_key)
    first = chain.nonce(account)
    signed = [chain.sign(key, call, first + offset) for offset, call in enumerate(calls)]

    async def submit():  # back to back on one connection, so they land in one block
        async with websockets.connect(chain.url, max_size=1 << 24) as websocket:
            for number, extrinsic in enumerate(signed):
                await websocket.send(json.dumps({"jsonrpc": "2.0", "id": number, "method": "author_submitExtrinsic", "params": [extrinsic]}))
            replies = [json.loads(await websocket.recv()) for _ in signed]
            expect(all("result" in reply for reply in replies), replies)
    asyncio.run(submit())
    while chain.nonce(account) < first + len(calls):
        time.sleep(0.02)
    raw_events = bytes.fromhex(chain.result("state_getStorage", EVENTS_KEY)[2:])  # read both before the next block
    block = chain.result("chain_getBlock")["block"]
    config, metadata = chain.decoder()
    events = chain.events(raw_events, config, metadata)
    extrinsics = [config.create_scale_object("Extrinsic", data=ScaleBytes(bytes.fromhex(x[2:])), metadata=metadata).decode()
                  for x in block["extrinsics"]]
    return extrinsics, events, metadata


def main():
    alice, bob = SigningKey(b"\x11" * 32), SigningKey(b"\x22" * 32)
    a, b = bytes(alice.verify_key), bytes(bob.verify_key)
    summary = {}
    chain = DevChain("--endow", f"{a.hex()}={10**16}", "--kyc", a.hex(), "--kyc", f"{b.hex()}=2", "--endow-bbzd", f"{a.hex()}=500")
    try:
        leaf, s1, s2 = blake2_256(b"block-data"), blake2_256(b"sibling-1"), blake2_256(b"sibling-2")
        content = blake2_256(blake2_256(leaf + s1) + s2)
        proof = b"\x26\x00" + content + leaf + compact(2) + s1 + b"\x00" + s2 + b"\x00" + b"\x00"
        calls = [b"\x00\x00" + vec_u8(b"hello"),
                 proof,
                 proof,  # second time: ContentAlreadyProven
                 b"\x21\x00" + vec_u8(b"pakit.bz") + b"\x00",
                 b"\x21\x06" + vec_u8(b"pakit.bz") + b"\x01" + content + b"\x01",
                 b"\x21\x09" + vec_u8(b"pakit.bz") + b"\x44" * 32 + vec_u8(b"v2") + (1234).to_bytes(8, "little"),
                 b"\x14\x08" + b + (200).to_bytes(16, "little"),
                 b"\x14\x08" + bytes(32) + (1).to_bytes(16, "little"),  # the receiver has no KYC
                 b"\x04\x03\x00" + b + compact(10**13)]
        extrinsics, events, metadata = run_calls(chain, alice, calls)
        names = [f"{x['call']['call_module']}.{x['call']['call_function']}" for x in extrinsics]
        expect(names[0] == "Timestamp.set" and extrinsics[0].get("signature") is None, f"no timestamp inherent first: {names}")
        expect(names[1:] == ["System.remark", "StorageProof.submit_storage_proof", "StorageProof.submit_storage_proof",
                             "Bns.register_domain", "Bns.activate_hosting", "Bns.update_hosting_content",
                             "Economy.transfer_bbzd", "Economy.transfer_bbzd", "Balances.transfer_keep_alive"], names)
        by_index = {}
        for index, name, attributes, topics in events:
            expect(topics == [], f"topics: {topics}")
            by_index.setdefault(index, []).append(name)
        expect(by_index[0] == ["System.ExtrinsicSuccess"], by_index[0])
        wrap = lambda *middle: ["Balances.Withdraw", *middle[:-1], "TransactionPayment.TransactionFeePaid", middle[-1]]  # noqa: E731
        failed = wrap("System.ExtrinsicFailed")
        wanted = {1: wrap("System.ExtrinsicSuccess"),
                  2: wrap("Balances.Reserved", "StorageProof.StorageProofAccepted", "System.ExtrinsicSuccess"),
                  3: failed,
                  4: wrap("System.NewAccount", "Balances.Endowed", "Balances.Transfer", "Bns.DomainRegistered", "System.ExtrinsicSuccess"),
                  5: wrap("Balances.Transfer", "Bns.HostingFeeCollected", "Bns.HostingActivated", "System.ExtrinsicSuccess"),
                  6: wrap("Bns.ContentUpdated", "System.ExtrinsicSuccess"),
                  7: wrap("Economy.BbzdTransferred", "System.ExtrinsicSuccess"),
                  8: failed,
                  9: wrap("System.NewAccount", "Balances.Endowed", "Balances.Transfer", "System.ExtrinsicSuccess")}
        for index, names_wanted in wanted.items():
            expect(by_index.get(index) == names_wanted, f"extrinsic {index}: {by_index.get(index)} instead of {names_wanted}")
        errors = {}
        for index, name, attributes, _ in events:
            if name == "System.ExtrinsicFailed":
                module = attributes["dispatch_error"]["Module"]
                errors[index] = str(metadata.get_module_error(module["index"], int(module["error"][2:4], 16))["name"])
        expect(errors == {3: "ContentAlreadyProven", 8: "KycVerificationRequired"}, errors)
        updated = next(attributes for index, name, attributes, _ in events if name == "Bns.ContentUpdated")
        expect(updated == {"domain": "pakit.bz", "version": 1, "content_hash": "0x" + "44" * 32}, updated)
        summary["events"] = len(events)
        summary["errors"] = errors

        # dev_upgradeRuntime: a watched future transaction becomes invalid; System.remark moves to 0/9
        future = chain.sign(alice, b"\x00\x00" + vec_u8(b"later"), chain.nonce(a) + 5)

        async def upgrade():
            async with websockets.connect(chain.url) as websocket:
                await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "state_subscribeRuntimeVersion", "params": []}))
                await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "author_submitAndWatchExtrinsic", "params": [future]}))
                await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "dev_upgradeRuntime",
                                                 "params": [108, None, {"call_index": {"System.remark": 9}}]}))
                seen = []
                while not any(m.get("id") == 3 for m in seen):
                    seen.append(json.loads(await asyncio.wait_for(websocket.recv(), 5)))
                return seen
        seen = asyncio.run(upgrade())
        statuses = [m["params"]["result"] for m in seen if m.get("method") == "author_extrinsicUpdate"]
        versions = [m["params"]["result"]["specVersion"] for m in seen if m.get("method") == "state_runtimeVersion"]
        expect(statuses == ["future", "invalid"], statuses)
        expect(versions == [107, 108], versions)
        moved = chain.call("author_submitExtrinsic", chain.sign(alice, b"\x00\x00" + vec_u8(b"x"), chain.nonce(a)))
        expect(moved.get("error", {}).get("code") == 1001, moved)
        old_spec = chain.call("author_submitExtrinsic", chain.sign(alice, b"\x00\x09" + vec_u8(b"x"), chain.nonce(a), spec=107))
        expect(old_spec.get("error", {}).get("data") == "Transaction has a bad signature", old_spec)
        extrinsics, events, metadata = run_calls(chain, alice, [b"\x00\x09" + vec_u8(b"x")])
        expect(extrinsics[1]["call"]["call_function"] == "remark", extrinsics[1]["call"])
        summary["upgrade"] = {"statuses": statuses, "versions": versions}

        # state_getStorage / state_call [.., hash]: the state after that block, as an archive node
        genesis = chain.result("chain_getBlockHash", 0)
        account_key = ACCOUNT_PREFIX + hashlib.blake2b(a, digest_size=16).hexdigest() + a.hex()
        at_genesis = chain.result("state_getStorage", account_key, genesis)
        nonce_call = chain.result("state_call", "AccountNonceApi_account_nonce", "0x" + a.hex(), genesis)
        expect(at_genesis[2:10] == "00000000" and nonce_call == "0x00000000" and chain.nonce(a) == len(calls) + 1,
               f"nonce at genesis: {at_genesis[:10]}, {nonce_call}; best: {chain.nonce(a)}")
        expect(chain.result("state_getStorage", EVENTS_KEY, genesis) == "0x00", "System.Events at genesis")
        expect(chain.result("state_getStorage", ACCOUNT_PREFIX + hashlib.blake2b(b, digest_size=16).hexdigest() + b.hex(), genesis) is None,
               "an account absent at genesis")
        unknown = chain.call("state_getStorage", account_key, "0x" + "ab" * 32)
        expect(unknown.get("error", {}).get("code") == 4003, unknown)
        summary["history"] = "genesis state, unknown hash"
    finally:
        chain.stop()

    other = DevChain("--endow", f"{a.hex()}={10**16}", "--genesis-seed", "another", "--pool-limit", "1", block_ms=60_000)
    plain = DevChain(block_ms=60_000)
    try:
        expect(other.result("chain_getBlockHash", 0) != plain.result("chain_getBlockHash", 0), "--genesis-seed kept the genesis hash")
        other.result("author_submitExtrinsic", other.sign(alice, b"\x00\x00" + vec_u8(b"1"), 0))
        full = other.call("author_submitExtrinsic", other.sign(alice, b"\x00\x00" + vec_u8(b"2"), 1))
        expect(full.get("error") == {"code": 1016, "message": "Immediately Dropped",
                                     "data": "The transaction couldn't enter the pool because of the limit"}, full)
        summary["faults"] = "genesis seed, pool limit"
    finally:
        other.stop()
        plain.stop()
    print(json.dumps(summary))


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, RuntimeError) as error:
        print(f"devchain_check.py: {error}", file=sys.stderr)
        sys.exit(1)
