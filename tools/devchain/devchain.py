#!/usr/bin/env python3
"""BelizeChain dev chain: a DEVELOPMENT STAND-IN for a BelizeChain node, not a node.

No Substrate node can run on Pakit's build machines, so this program plays one for the
chain relay and its tests. It speaks the node's legacy JSON-RPC over WebSocket with the
same method names, parameter shapes, notifications and error codes, and validates and
executes extrinsics the way runtime spec 107 does for the calls it knows. It is written on
independent libraries on purpose: PyPI `scalecodec` (SCALE), `PyNaCl` (ed25519), `xxhash`
and `hashlib` (BLAKE2b), so every extrinsic Pakit's Swift codec signs is checked by a
second implementation whenever the two meet.

Built (first slice):
- blocks every --block-ms, finalized --finality-lag blocks behind the best block;
- chain_getBlockHash, chain_getHeader, chain_getBlock, chain_getFinalizedHead,
  chain_subscribeNewHeads / chain_subscribeFinalizedHeads (and unsubscribe),
  state_getRuntimeVersion, state_subscribeRuntimeVersion, state_getStorage,
  system_chain, system_properties, system_accountNextIndex, author_submitExtrinsic,
  author_submitAndWatchExtrinsic, author_unwatchExtrinsic;
- validation: format (1001), signature over the rebuilt payload, mortality and birth hash
  (1010 bad signature / ancient birth block; an expired era signs another birth hash, so it
  fails as a bad signature, as on the runtime), nonce (1010 outdated; a higher nonce waits in
  the future queue), fee affordability (1010), already imported (1013), same sender and
  nonce in the pool (1014);
- execution of StorageProof.submit_storage_proof (Merkle check, first submitter wins,
  1 DALLA deposit reserved) and Balances.transfer_keep_alive / transfer_allow_death, with
  System, TransactionPayment, Balances and StorageProof events in System.Events;
- storage under the runtime's real keys: System.Account, System.Number, System.Events,
  StorageProof.StorageProofs.

Fault injection, through methods no node has: dev_reorg [keep] (drops every block above
number `keep`, the finalized head by default; their transactions return to the pool and their
watchers see `retracted`), dev_stallFinality [bool], dev_dropNextSubmissions [count]
(author_submitExtrinsic answers, then loses them), dev_killSockets (closes every other
connection).

Not built yet: state_getMetadata, runtime upgrades, Bns/Economy/Contracts/Mesh/Quantum calls,
and a real state trie (stateRoot and extrinsicsRoot are BLAKE2-256 digests, labelled as such).
Fees follow the runtime's IdentityFee shape (weight in picoseconds plus length) with an
assumed base extrinsic weight: the amounts are not the runtime's to the Planck.

Usage: devchain.py [--port 0] [--url-file F] [--block-ms 500] [--finality-lag 2]
                   [--endow ACCOUNT_HEX=PLANCK ...]
"""

import argparse
import asyncio
import copy
import hashlib
import json
import os
import signal
import sys
import traceback

import websockets
import xxhash
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from scalecodec.base import RuntimeConfiguration, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

SPEC_VERSION = 107
TRANSACTION_VERSION = 1
BLOCK_HASH_COUNT = 2400
DALLA = 10**12
EXISTENTIAL_DEPOSIT = 1_000_000_000
STORAGE_DEPOSIT = DALLA
# Assumed base weight of any extrinsic (picoseconds); the runtime's own value is not in the
# reference. StorageProof's weight is the pallet's: 45.6 µs + 0.623 µs per sibling.
BASE_EXTRINSIC_WEIGHT = 125_000_000

RUNTIME_TYPES = {
    "types": {
        "MerkleStep": {"type": "struct", "type_mapping": [["node", "[u8; 32]"], ["node_is_left", "bool"]]},
        "MerkleProof": {"type": "struct", "type_mapping": [["leaf", "[u8; 32]"], ["siblings", "Vec<MerkleStep>"]]},
        "ProofType": {"type": "enum", "value_list": ["Merkle", "Groth16"]},
    }
}

# (pallet, call) → (name, argument types): the calls this stand-in executes.
CALLS = {
    (38, 0): ("StorageProof.submit_storage_proof", [("content_id", "[u8; 32]"), ("proof", "MerkleProof"), ("proof_type", "ProofType")]),
    (4, 0): ("Balances.transfer_allow_death", [("dest", "MultiAddress"), ("value", "Compact<u128>")]),
    (4, 3): ("Balances.transfer_keep_alive", [("dest", "MultiAddress"), ("value", "Compact<u128>")]),
}


def blake2_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def twox128(data):
    return xxhash.xxh64(data, seed=0).intdigest().to_bytes(8, "little") + xxhash.xxh64(data, seed=1).intdigest().to_bytes(8, "little")


def storage_key(pallet, item, *blake2_128_concat_keys):
    key = twox128(pallet.encode()) + twox128(item.encode())
    for part in blake2_128_concat_keys:
        key += hashlib.blake2b(part, digest_size=16).digest() + part
    return key


def compact(value):
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    length = max(4, (value.bit_length() + 7) // 8)
    return bytes([((length - 4) << 2) | 3]) + value.to_bytes(length, "little")


def hex0x(data):
    return "0x" + data.hex()


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def invalid(data):
    """author error 1010: the runtime judged the transaction invalid."""
    return RpcError(1010, "Invalid Transaction", data)


class Era:
    """sp_runtime::generic::Era, from scalecodec's decoded value: "00" or (period, phase)."""

    def __init__(self, value):
        if value == "00":
            self.period = None
            return
        self.period, self.phase = value
        if self.period < 4 or self.phase >= self.period:
            raise ValueError("invalid era")

    def birth(self, current):
        if self.period is None:
            return 0
        return (max(current, self.phase) - self.phase) // self.period * self.period + self.phase

    def death(self, current):
        return (1 << 64) if self.period is None else self.birth(current) + self.period


class Chain:
    def __init__(self, block_ms, finality_lag, endowed):
        self.block_ms = block_ms
        self.finality_lag = finality_lag
        self.config = RuntimeConfiguration()
        self.config.update_type_registry(load_type_registry_preset("legacy"))
        self.config.update_type_registry(RUNTIME_TYPES)
        self.storage = {}
        self.accounts = {}  # account bytes → [nonce, free, reserved]
        self.proofs = {}  # content id → (submitter, block, proof type index)
        for account, amount in endowed:
            self.accounts[account] = [0, amount, 0]
            self.write_account(account)
        self.blocks = []  # (hash, header dict, extrinsic bytes list)
        self.by_hash = {}
        self.pool = {}  # tx hash → entry
        self.watchers = {}  # tx hash → list of (websocket, subscription id)
        self.head_subscribers = {"new": {}, "finalized": {}, "runtime": {}}
        self.next_subscription = 1
        self.finalized = 0
        self.pending_finality = {}  # block number → hashes of transactions it included
        self.included = {}  # block number → the pool entries it included (re-queued on a re-org)
        self.snapshots = {}  # block number → state after it (restored on a re-org)
        self.fork = 0  # bumped by each re-org, so the new branch's blocks have new hashes
        self.finality_stalled = False
        self.drop_next = 0
        self.connections = set()
        self.after_reply = {}  # websocket → notifications to send once the current reply is out
        self.produce_block([])  # genesis

    # -- storage ----------------------------------------------------------------------

    def write_account(self, account):
        nonce, free, reserved = self.accounts[account]
        value = nonce.to_bytes(4, "little") + (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
        value += free.to_bytes(16, "little") + reserved.to_bytes(16, "little") + (0).to_bytes(16, "little") + (0).to_bytes(16, "little")
        self.storage[storage_key("System", "Account", account)] = value

    @property
    def genesis_hash(self):
        return self.blocks[0][0]

    @property
    def best(self):
        return len(self.blocks) - 1

    # -- blocks -----------------------------------------------------------------------

    def produce_block(self, extrinsics_with_events):
        number = len(self.blocks)
        parent = self.blocks[-1][0] if self.blocks else bytes(32)
        records = b""
        count = 0
        for index, (_, events) in enumerate(extrinsics_with_events):
            for pallet, variant, fields in events:
                records += b"\x00" + index.to_bytes(4, "little") + bytes([pallet, variant]) + fields + b"\x00"
                count += 1
        self.storage[storage_key("System", "Events")] = compact(count) + records
        self.storage[storage_key("System", "Number")] = number.to_bytes(4, "little")
        extrinsics = [tx for tx, _ in extrinsics_with_events]
        state_root = blake2_256(b"".join(k + v for k, v in sorted(self.storage.items())))
        extrinsics_root = blake2_256(b"".join(extrinsics))
        # After a re-org the digest carries the fork's number (DigestItem::Other), so a block
        # with the same contents on the new branch has another hash.
        logs = [b"\x00" + compact(4) + self.fork.to_bytes(4, "little")] if self.fork else []
        header_bytes = parent + compact(number) + state_root + extrinsics_root + compact(len(logs)) + b"".join(logs)
        block_hash = blake2_256(header_bytes)
        header = {"parentHash": hex0x(parent), "number": hex(number), "stateRoot": hex0x(state_root),
                  "extrinsicsRoot": hex0x(extrinsics_root), "digest": {"logs": [hex0x(log) for log in logs]}}
        self.blocks.append((block_hash, header, extrinsics))
        self.by_hash[block_hash] = number
        self.snapshots[number] = copy.deepcopy((self.storage, self.accounts, self.proofs))
        return block_hash, header

    def block_hash_param(self, params, index=0):
        if len(params) > index and params[index] is not None:
            wanted = bytes.fromhex(params[index].removeprefix("0x"))
            if wanted not in self.by_hash:
                return None
            return wanted
        return self.blocks[-1][0]

    # -- validation -------------------------------------------------------------------

    def read(self, data, type_string):
        return self.config.create_scale_object(type_string, data=data).decode(check_remaining=False)

    def decode(self, raw):
        """A signed v4 extrinsic's parts, or RpcError 1001."""
        try:
            data = ScaleBytes(raw)
            length = self.read(data, "Compact<u32>")
            if length != len(raw) - data.offset:
                raise ValueError("length prefix does not match")
            if self.read(data, "u8") != 0x84:
                raise ValueError("only signed v4 transactions are submitted")
            address = self.read(data, "MultiAddress")
            signature = self.read(data, "MultiSignature")
            extra_start = data.offset
            era = Era(self.read(data, "Era"))
            nonce = self.read(data, "Compact<u32>")
            tip = self.read(data, "Compact<u128>")
            call_start = data.offset
            pallet, call = self.read(data, "u8"), self.read(data, "u8")
            if (pallet, call) not in CALLS:
                raise ValueError(f"call {pallet}/{call} is not one this dev chain executes")
            arguments = {name: self.read(data, type_string) for name, type_string in CALLS[(pallet, call)][1]}
            if data.offset != len(raw):
                raise ValueError("bytes left after the call")
            if not isinstance(address, str) or not isinstance(signature, dict) or "Ed25519" not in signature:
                raise ValueError("only MultiAddress::Id senders with ed25519 signatures are accepted here")
        except RpcError:
            raise
        except Exception as error:  # noqa: BLE001 - any decoding failure is a format error
            raise RpcError(1001, "Extrinsic has invalid format", str(error)) from error
        return {
            "sender": bytes.fromhex(address.removeprefix("0x")), "signature": bytes.fromhex(signature["Ed25519"].removeprefix("0x")),
            "era": era, "nonce": nonce, "tip": tip, "call": raw[call_start:], "extra": raw[extra_start:call_start],
            "pallet": pallet, "call_index": call, "arguments": arguments, "length": len(raw),
        }

    def weight(self, tx):
        if (tx["pallet"], tx["call_index"]) == (38, 0):
            siblings = len(tx["arguments"]["proof"]["siblings"])
            return BASE_EXTRINSIC_WEIGHT + 45_600_000 + 623_000 * max(1, siblings)
        return BASE_EXTRINSIC_WEIGHT + 50_000_000

    def validate(self, raw):
        """Checks as the runtime's validate_transaction does; returns the entry for the pool."""
        tx = self.decode(raw)
        current = self.best + 1
        birth = tx["era"].birth(current)
        if birth >= len(self.blocks) or current - birth > BLOCK_HASH_COUNT and tx["era"].period is not None:
            raise invalid("Transaction has an ancient birth block")
        birth_hash = self.blocks[birth][0] if tx["era"].period is not None else self.genesis_hash
        payload = tx["call"] + tx["extra"] + SPEC_VERSION.to_bytes(4, "little") + TRANSACTION_VERSION.to_bytes(4, "little")
        payload += self.genesis_hash + birth_hash
        if len(payload) > 256:
            payload = blake2_256(payload)
        try:
            VerifyKey(tx["sender"]).verify(payload, tx["signature"])
        except (BadSignatureError, ValueError):
            raise invalid("Transaction has a bad signature") from None
        account = self.accounts.get(tx["sender"], [0, 0, 0])
        if tx["nonce"] < account[0]:
            raise invalid("Transaction is outdated")
        tx["fee"] = self.weight(tx) + tx["length"] + tx["tip"]
        if account[1] < tx["fee"]:
            raise invalid("Inability to pay some fees (e.g. account balance too low)")
        tx["hash"] = blake2_256(raw)
        tx["raw"] = raw
        if tx["hash"] in self.pool:
            raise RpcError(1013, "Transaction Already Imported")
        if any(other["sender"] == tx["sender"] and other["nonce"] == tx["nonce"] for other in self.pool.values()):
            raise RpcError(1014, "Priority is too low: (0 vs 0)", "The transaction has too low priority to replace another transaction already in the pool.")
        return tx

    # -- execution --------------------------------------------------------------------

    def execute(self, tx, block_number):
        """Applies one transaction; returns its events (fee and nonce are always charged)."""
        sender = tx["sender"]
        account = self.accounts.setdefault(sender, [0, 0, 0])
        account[0] += 1
        account[1] -= tx["fee"]
        events = [(5, 0, sender + tx["fee"].to_bytes(16, "little") + tx["tip"].to_bytes(16, "little"))]
        error = None
        args = tx["arguments"]
        if (tx["pallet"], tx["call_index"]) == (38, 0):
            error = self.submit_storage_proof(sender, args, block_number, events)
        else:
            error = self.transfer(sender, args, keep_alive=tx["call_index"] == 3, events=events)
        weight = compact(self.weight(tx)) + compact(3_550)
        info = weight + b"\x00" + b"\x00"  # class Normal, pays Yes
        if error is None:
            events.append((0, 0, info))
        else:
            events.append((0, 1, error + info))
        self.write_account(sender)
        return events

    def submit_storage_proof(self, sender, args, block_number, events):
        module = lambda index: b"\x03" + bytes([38, index, 0, 0, 0])  # noqa: E731 - DispatchError::Module
        content_id = bytes.fromhex(args["content_id"].removeprefix("0x"))
        proof = args["proof"]
        if args["proof_type"] == "Groth16":
            return module(3)
        if not proof["siblings"]:
            return module(0)
        if len(proof["siblings"]) > 64:
            return module(1)
        current = bytes.fromhex(proof["leaf"].removeprefix("0x"))
        for step in proof["siblings"]:
            node = bytes.fromhex(step["node"].removeprefix("0x"))
            current = blake2_256(node + current) if step["node_is_left"] else blake2_256(current + node)
        if current != content_id:
            return module(2)
        if content_id in self.proofs:
            return module(4)
        account = self.accounts[sender]
        if account[1] < STORAGE_DEPOSIT:
            return module(5)
        account[1] -= STORAGE_DEPOSIT
        account[2] += STORAGE_DEPOSIT
        self.proofs[content_id] = (sender, block_number, 0)
        self.storage[storage_key("StorageProof", "StorageProofs", content_id)] = sender + block_number.to_bytes(4, "little") + b"\x00"
        events.append((38, 0, content_id + sender))
        return None

    def transfer(self, sender, args, keep_alive, events):
        dest = bytes.fromhex(args["dest"].removeprefix("0x"))
        value = args["value"]
        account = self.accounts[sender]
        remaining = account[1] - value
        if remaining < 0 or (keep_alive and remaining < EXISTENTIAL_DEPOSIT):
            return b"\x07\x00"  # DispatchError::Token(FundsUnavailable)
        receiver = self.accounts.setdefault(dest, [0, 0, 0])
        if receiver[1] + value < EXISTENTIAL_DEPOSIT:
            return b"\x07\x02"  # DispatchError::Token(BelowMinimum)
        account[1] = remaining
        receiver[1] += value
        self.write_account(dest)
        events.append((4, 2, sender + dest + value.to_bytes(16, "little")))  # Balances.Transfer
        return None

    # -- the block loop ---------------------------------------------------------------

    async def run_blocks(self):
        while True:
            await asyncio.sleep(self.block_ms / 1000)
            try:
                await self.author_block()
            except Exception:  # noqa: BLE001 - a stand-in must keep producing blocks; say why one failed
                traceback.print_exc(file=sys.stderr)

    async def author_block(self):
        number = len(self.blocks)
        included = []
        stale = []
        for tx in sorted(self.pool.values(), key=lambda entry: (entry["sender"], entry["nonce"])):
            account = self.accounts.get(tx["sender"], [0, 0, 0])
            if tx["nonce"] < account[0]:
                stale.append(tx)  # its nonce was used meanwhile
                continue
            if tx["nonce"] != account[0]:
                continue  # future: waits for the gap to be filled
            if account[1] < tx["fee"]:
                continue
            events = self.execute(tx, number)
            included.append((tx, events))
        for tx, _ in included:
            del self.pool[tx["hash"]]
        for tx in stale:
            del self.pool[tx["hash"]]
            await self.notify_watchers(tx["hash"], "invalid", final=True)
        block_hash, header = self.produce_block([(tx["raw"], events) for tx, events in included])
        self.included[number] = [tx for tx, _ in included]
        for tx, _ in included:
            await self.notify_watchers(tx["hash"], {"inBlock": hex0x(block_hash)}, final=False)
            self.pending_finality.setdefault(number, []).append(tx["hash"])
        await self.notify_heads("new", header)
        if self.finality_stalled:
            return
        new_finalized = max(0, self.best - self.finality_lag)
        while self.finalized < new_finalized:
            self.finalized += 1
            self.snapshots.pop(self.finalized - 1, None)  # nothing re-orgs below the finalized head
            finalized_hash, finalized_header, _ = self.blocks[self.finalized]
            for tx_hash in self.pending_finality.pop(self.finalized, []):
                await self.notify_watchers(tx_hash, {"finalized": hex0x(finalized_hash)}, final=True)
            await self.notify_heads("finalized", finalized_header)

    # -- fault injection (dev_* methods; no node has them) --------------------------------

    async def reorg(self, keep):
        """Drops every block above number `keep` (never a finalized one): their transactions
        go back to the pool, their watchers see `retracted`, and the next blocks form a new
        branch on top of block `keep`."""
        if keep < self.finalized or keep >= self.best:
            raise RpcError(-32602, "Invalid params", f"a re-org keeps blocks up to a number in {self.finalized}…{self.best - 1} (the finalized head at least)")
        for number in range(self.best, keep, -1):
            block_hash = self.blocks[number][0]
            for tx in self.included.pop(number, []):
                self.pool[tx["hash"]] = tx
                await self.notify_watchers(tx["hash"], {"retracted": hex0x(block_hash)}, final=False)
            self.pending_finality.pop(number, None)
            self.snapshots.pop(number, None)
            del self.by_hash[block_hash]
            self.blocks.pop()
        storage, accounts, proofs = copy.deepcopy(self.snapshots[self.best])
        self.storage, self.accounts, self.proofs = storage, accounts, proofs
        self.fork += 1
        return self.best

    async def notify_watchers(self, tx_hash, status, final):
        for websocket, subscription in list(self.watchers.get(tx_hash, [])):
            await send(websocket, {"jsonrpc": "2.0", "method": "author_extrinsicUpdate", "params": {"subscription": subscription, "result": status}})
        if final:
            self.watchers.pop(tx_hash, None)

    async def notify_heads(self, kind, header):
        method = {"new": "chain_newHead", "finalized": "chain_finalizedHead"}[kind]
        for subscription, websocket in list(self.head_subscribers[kind].items()):
            await send(websocket, {"jsonrpc": "2.0", "method": method, "params": {"subscription": subscription, "result": header}})

    def subscription_id(self):
        self.next_subscription += 1
        return f"dev{self.next_subscription}"

    # -- JSON-RPC ---------------------------------------------------------------------

    def runtime_version(self):
        return {"specName": "belizechain", "implName": "pakit-devchain", "authoringVersion": 1, "specVersion": SPEC_VERSION,
                "implVersion": 0, "apis": [], "transactionVersion": TRANSACTION_VERSION, "systemVersion": 1}

    async def call(self, websocket, method, params):
        if method in ("chain_getBlockHash", "chain_getHead"):
            if params and params[0] is not None:
                number = int(params[0], 16) if isinstance(params[0], str) else int(params[0])
                return hex0x(self.blocks[number][0]) if 0 <= number < len(self.blocks) else None
            return hex0x(self.blocks[-1][0])
        if method == "chain_getHeader":
            block_hash = self.block_hash_param(params)
            return None if block_hash is None else self.blocks[self.by_hash[block_hash]][1]
        if method == "chain_getBlock":
            block_hash = self.block_hash_param(params)
            if block_hash is None:
                return None
            _, header, extrinsics = self.blocks[self.by_hash[block_hash]]
            return {"block": {"header": header, "extrinsics": [hex0x(x) for x in extrinsics]}, "justifications": None}
        if method in ("chain_getFinalizedHead", "chain_getFinalisedHead"):
            return hex0x(self.blocks[self.finalized][0])
        if method in ("state_getRuntimeVersion", "chain_getRuntimeVersion"):
            return self.runtime_version()
        if method in ("state_getStorage", "state_getStorageAt"):
            key = bytes.fromhex(params[0].removeprefix("0x"))
            value = self.storage.get(key)
            return None if value is None else hex0x(value)
        if method == "system_chain":
            return "BelizeChain Dev (Pakit stand-in)"
        if method == "system_properties":
            return {"tokenSymbol": "DALLA", "tokenDecimals": 12, "ss58Format": 1981}
        if method in ("system_accountNextIndex", "account_nextIndex"):
            account = self.account_param(params[0])
            nonce = self.accounts.get(account, [0, 0, 0])[0]
            ready = sorted(tx["nonce"] for tx in self.pool.values() if tx["sender"] == account)
            for pending in ready:
                if pending == nonce:
                    nonce += 1
            return nonce
        if method == "author_submitExtrinsic":
            tx = self.validate(bytes.fromhex(params[0].removeprefix("0x")))
            if self.drop_next > 0:
                self.drop_next -= 1  # accepted, then lost: as a node that drops it silently
                return hex0x(tx["hash"])
            self.pool[tx["hash"]] = tx
            return hex0x(tx["hash"])
        if method == "dev_reorg":
            return await self.reorg(int(params[0]) if params else self.finalized)
        if method == "dev_stallFinality":
            self.finality_stalled = bool(params[0]) if params else True
            return self.finality_stalled
        if method == "dev_dropNextSubmissions":
            self.drop_next = max(0, int(params[0]) if params else 1)
            return self.drop_next
        if method == "dev_killSockets":
            for connection in list(self.connections - {websocket}):
                await connection.close(code=1012, reason="dev chain: sockets killed")
            return True
        if method == "author_submitAndWatchExtrinsic":
            tx = self.validate(bytes.fromhex(params[0].removeprefix("0x")))
            self.pool[tx["hash"]] = tx
            subscription = self.subscription_id()
            self.watchers.setdefault(tx["hash"], []).append((websocket, subscription))
            ready = tx["nonce"] == self.accounts.get(tx["sender"], [0, 0, 0])[0]
            self.after_reply.setdefault(websocket, []).append(
                {"jsonrpc": "2.0", "method": "author_extrinsicUpdate",
                 "params": {"subscription": subscription, "result": "ready" if ready else "future"}})
            return subscription
        if method == "author_unwatchExtrinsic":
            for tx_hash, watchers in self.watchers.items():
                self.watchers[tx_hash] = [w for w in watchers if w[1] != params[0]]
            return True
        if method in ("chain_subscribeNewHeads", "chain_subscribeFinalizedHeads", "state_subscribeRuntimeVersion"):
            kind = {"chain_subscribeNewHeads": "new", "chain_subscribeFinalizedHeads": "finalized", "state_subscribeRuntimeVersion": "runtime"}[method]
            subscription = self.subscription_id()
            self.head_subscribers[kind][subscription] = websocket
            if kind == "runtime":
                self.after_reply.setdefault(websocket, []).append(
                    {"jsonrpc": "2.0", "method": "state_runtimeVersion",
                     "params": {"subscription": subscription, "result": self.runtime_version()}})
            return subscription
        if method in ("chain_unsubscribeNewHeads", "chain_unsubscribeFinalizedHeads", "state_unsubscribeRuntimeVersion"):
            return any(kind.pop(params[0], None) is not None for kind in self.head_subscribers.values())
        raise RpcError(-32601, "Method not found", f"{method} is not served by the Pakit dev chain")

    def account_param(self, text):
        if text.startswith("0x"):
            return bytes.fromhex(text[2:])
        from scalecodec.utils.ss58 import ss58_decode  # noqa: PLC0415 - only this method needs it
        return bytes.fromhex(ss58_decode(text, valid_ss58_format=1981))


async def send(websocket, message):
    try:
        await websocket.send(json.dumps(message))
    except websockets.ConnectionClosed:
        pass


async def serve(chain, websocket):
    chain.connections.add(websocket)
    try:
        await serve_requests(chain, websocket)
    except websockets.ConnectionClosed:
        pass
    finally:
        chain.connections.discard(websocket)


async def serve_requests(chain, websocket):
    async for text in websocket:
        try:
            request = json.loads(text)
            identifier = request.get("id")
            method, params = request["method"], request.get("params", [])
        except (ValueError, KeyError, AttributeError):
            await send(websocket, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            continue
        try:
            result = await chain.call(websocket, method, params)
            await send(websocket, {"jsonrpc": "2.0", "id": identifier, "result": result})
            for notification in chain.after_reply.pop(websocket, []):
                await send(websocket, notification)
        except RpcError as error:
            body = {"code": error.code, "message": error.message}
            if error.data is not None:
                body["data"] = error.data
            await send(websocket, {"jsonrpc": "2.0", "id": identifier, "error": body})
        except (IndexError, ValueError, TypeError) as error:
            await send(websocket, {"jsonrpc": "2.0", "id": identifier, "error": {"code": -32602, "message": "Invalid params", "data": str(error)}})
    for kind in chain.head_subscribers.values():
        for subscription in [s for s, w in kind.items() if w is websocket]:
            del kind[subscription]
    for tx_hash in list(chain.watchers):
        chain.watchers[tx_hash] = [w for w in chain.watchers[tx_hash] if w[0] is not websocket]
    chain.after_reply.pop(websocket, None)


async def main():
    parser = argparse.ArgumentParser(description="BelizeChain dev chain (a development stand-in, not a node)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--url-file")
    parser.add_argument("--block-ms", type=int, default=500)
    parser.add_argument("--finality-lag", type=int, default=2)
    parser.add_argument("--endow", action="append", default=[], help="ACCOUNT_HEX=PLANCK")
    args = parser.parse_args()
    if args.block_ms < 10 or args.finality_lag < 0:
        parser.error("--block-ms must be at least 10 and --finality-lag at least 0")
    endowed = []
    for item in args.endow:
        account, _, amount = item.partition("=")
        try:
            key, planck = bytes.fromhex(account.removeprefix("0x")), int(amount)
        except ValueError:
            parser.error(f"--endow takes ACCOUNT_HEX=PLANCK, not {item!r}")
        if len(key) != 32 or planck < 0:
            parser.error(f"--endow takes a 32-byte account and a non-negative amount, not {item!r}")
        endowed.append((key, planck))
    chain = Chain(args.block_ms, args.finality_lag, endowed)
    async with websockets.serve(lambda ws: serve(chain, ws), args.host, args.port, max_size=16 << 20) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://{args.host}:{port}"
        if args.url_file:
            with open(args.url_file + ".tmp", "w", encoding="utf-8") as handle:
                handle.write(url + "\n")
            os.replace(args.url_file + ".tmp", args.url_file)
        print(url, flush=True)
        await chain.run_blocks()


if __name__ == "__main__":
    # A parent may start us with signals blocked (Foundation's Process passes on the
    # spawning thread's mask): SIGTERM and SIGINT must reach us, and end the chain cleanly.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
