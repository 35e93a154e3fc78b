#!/usr/bin/env python3
"""BelizeChain dev chain: a DEVELOPMENT STAND-IN for a BelizeChain node, not a node.

No Substrate node can run on Pakit's build machines, so this program plays one for the
chain relay and its tests. It speaks the node's legacy JSON-RPC over WebSocket with the
same method names, parameter shapes, notifications and error codes, and validates and
executes extrinsics the way runtime spec 107 does for the calls it knows. It is written on
independent libraries on purpose: PyPI `scalecodec` (SCALE), `PyNaCl` (ed25519), `xxhash`
and `hashlib` (BLAKE2b), so every extrinsic Pakit's Swift codec signs is checked by a
second implementation whenever the two meet.

Built:
- blocks every --block-ms, finalized --finality-lag blocks behind the best block; every block
  after genesis starts with a v5 bare Timestamp.set inherent (wall-clock milliseconds);
- chain_getBlockHash, chain_getHeader, chain_getBlock, chain_getFinalizedHead,
  chain_subscribeNewHeads / chain_subscribeFinalizedHeads (and unsubscribe),
  state_getRuntimeVersion [hash?], state_subscribeRuntimeVersion, state_getStorage [key,
  hash?] (as an archive node: the state after any block of the current chain, null for a key
  absent there, 4003 UnknownBlock for a hash it does not know or a re-org dropped; kept as
  per-key histories of changes, not as copies of the state), state_getMetadata [hash?] (the
  synthetic metadata V14 of metadata.py), state_call [method, args, hash?] for Core_version,
  Metadata_metadata, Metadata_metadata_versions, Metadata_metadata_at_version (14 → Some, else
  None) and AccountNonceApi_account_nonce (the nonce in that block's state);
  system_chain, system_properties, system_accountNextIndex, author_submitExtrinsic,
  author_submitAndWatchExtrinsic, author_unwatchExtrinsic;
- validation: format (1001), signature over the rebuilt payload, mortality and birth hash
  (1010 bad signature / ancient birth block; an expired era signs another birth hash, so it
  fails as a bad signature, as on the runtime), nonce (1010 outdated; a higher nonce waits in
  the future queue), fee affordability (1010), already imported (1013), same sender and
  nonce in the pool (1014), a full pool (1016, with --pool-limit);
- execution, at the call indices the current runtime's metadata gives, of
  StorageProof.submit_storage_proof (Merkle check, first submitter wins, 1 DALLA reserved),
  Balances.transfer_keep_alive / transfer_allow_death, System.remark, Bns.register_domain,
  Bns.activate_hosting, Bns.update_hosting_content (name rules, prices and hosting fees paid
  to the BNS treasury, KYC from --kyc) and Economy.transfer_bbzd (KYC ≥ 1 on both parties,
  2 for the sender from 100 DALLA-equivalent); a failing call still pays its fee and uses its
  nonce, and ends in ExtrinsicFailed with DispatchError::Module{index, error: [variant,0,0,0]};
- System.Events exactly as metadata.py types them: per signed extrinsic Balances.Withdraw,
  the call's events, TransactionPayment.TransactionFeePaid, System.ExtrinsicSuccess/Failed;
  the inherent's ExtrinsicSuccess (class Mandatory) at ApplyExtrinsic(0);
- storage under the runtime's real keys: System.Account, System.Number, System.Events,
  Timestamp.Now, StorageProof.StorageProofs, Bns.DomainRegistry, Bns.AccountDomains,
  Bns.HostedWebsites, Bns.ContentHistory, Bns.CurrentContentVersion, Bns.TotalDomains,
  Bns.TotalHostingRevenue, Economy.BBZDBalances.

Fault injection, through methods no node has: dev_reorg [keep] (drops every block above
number `keep`, the finalized head by default; their transactions return to the pool and their
watchers see `retracted`), dev_stallFinality [bool], dev_dropNextSubmissions [count]
(author_submitExtrinsic and author_submitAndWatchExtrinsic answer, the latter even with
`ready`, then the pool loses them), dev_killSockets (closes every other
connection), dev_upgradeRuntime [specVersion?, transactionVersion?, metadataOverrides?] (the
best block's state gets a new runtime, later blocks run it; state_runtimeVersion subscribers
are told; the pool is revalidated, so transactions signed for the old version are dropped and
their watchers see `invalid`; the overrides, as in metadata.py, move or remove calls), and
dev_setKyc [account, level?]. --genesis-seed TEXT starts another chain (another genesis hash).

Not built: the other calls (Contracts, Mesh, Quantum, the rest of Bns and Economy), Sudo,
metadata V15/V16, a real state trie (stateRoot and extrinsicsRoot are BLAKE2-256 digests,
labelled as such), state pruning (every block of the current chain keeps its state), and
undoing a runtime upgrade by dev_reorg. Fees follow the runtime's IdentityFee shape (weight in
picoseconds plus length) with an assumed base extrinsic weight: the amounts are not the
runtime's to the Planck. Where the reference gives a pallet's rules and errors but not the
order of its checks (Bns, Economy), the order here is this stand-in's.

Usage: devchain.py [--port 0] [--url-file F] [--block-ms 500] [--finality-lag 2]
                   [--endow ACCOUNT_HEX=PLANCK ...] [--endow-bbzd ACCOUNT_HEX=AMOUNT ...]
                   [--kyc ACCOUNT_HEX[=LEVEL] ...] [--genesis-seed TEXT] [--pool-limit N]
"""

import argparse
import asyncio
import bisect
import copy
import hashlib
import json
import os
import signal
import sys
import time
import traceback

import websockets
import xxhash
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from scalecodec.base import RuntimeConfiguration, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

import metadata as runtime_metadata  # tools/devchain/metadata.py: the synthetic metadata V14

SPEC_VERSION = 107
TRANSACTION_VERSION = 1
BLOCK_HASH_COUNT = 2400
DALLA = 10**12
EXISTENTIAL_DEPOSIT = 1_000_000_000
STORAGE_DEPOSIT = DALLA
# Bns (reference §6): prices in DALLA by DomainTier, the length multiplier, hosting fees by
# HostingTier, one month of hosting in blocks, and the BNS treasury (PalletId py/bznss).
BNS_DOMAIN_PRICE = [100, 500, 50, 1000]
BNS_HOSTING_FEE = [0, 10, 50, 200]
BNS_MONTH_BLOCKS = 432_000
BNS_MAX_DOMAINS = 100
BNS_TREASURY = (b"modl" + b"py/bznss").ljust(32, b"\x00")
BNS_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-.")
TRAVEL_RULE_THRESHOLD = 100 * DALLA  # Economy: a sender needs KYC 2 at or above it
# Assumed weight of the timestamp inherent (its ExtrinsicSuccess); not the runtime's figure.
TIMESTAMP_SET_WEIGHT = (9_000_000, 1_493)
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

# The calls this stand-in executes, by name → argument types ("bytes" is Vec<u8>, read here).
# Their indices come from the runtime's metadata (metadata.describe), so a runtime built with
# moved calls (dev_upgradeRuntime's overrides) executes them at their new indices only.
CALLS = {
    "StorageProof.submit_storage_proof": [("content_id", "[u8; 32]"), ("proof", "MerkleProof"), ("proof_type", "ProofType")],
    "Balances.transfer_allow_death": [("dest", "MultiAddress"), ("value", "Compact<u128>")],
    "Balances.transfer_keep_alive": [("dest", "MultiAddress"), ("value", "Compact<u128>")],
    "System.remark": [("remark", "bytes")],
    "Bns.register_domain": [("domain_name", "bytes"), ("tier", "u8")],
    "Bns.activate_hosting": [("domain_name", "bytes"), ("tier", "u8"), ("content_hash", "[u8; 32]"), ("auto_renew", "bool")],
    "Bns.update_hosting_content": [("domain_name", "bytes"), ("new_content_hash", "[u8; 32]"), ("description", "bytes"),
                                   ("size_bytes", "u64")],
    "Economy.transfer_bbzd": [("to", "[u8; 32]"), ("amount", "u128")],
}
# The pallets' working state beside `storage` that a re-org rolls back: deep-copied after a
# block only when it differs from the last copy (storage itself is rolled back from its histories).
STATE = ("accounts", "proofs", "domains", "hosting", "content_versions", "bbzd", "totals")


class Storage(dict):
    """The best state's storage (key → value bytes), noting the keys written since the last
    block so that produce_block can add them to the per-key histories."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dirty = set(self)

    def __setitem__(self, key, value):
        self.dirty.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.dirty.add(key)
        super().__delitem__(key)

    def pop(self, key, *default):
        self.dirty.add(key)
        return super().pop(key, *default)

    def popitem(self):
        key, value = super().popitem()
        self.dirty.add(key)
        return key, value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self):
        self.dirty.update(self)
        super().clear()

    def take_dirty(self):
        dirty, self.dirty = self.dirty, set()
        return dirty


def blake2_256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def twox128(data):
    return xxhash.xxh64(data, seed=0).intdigest().to_bytes(8, "little") + xxhash.xxh64(data, seed=1).intdigest().to_bytes(8, "little")


def storage_key(pallet, item, *blake2_128_concat_keys):
    key = twox128(pallet.encode()) + twox128(item.encode())
    for part in blake2_128_concat_keys:
        key += hashlib.blake2b(part, digest_size=16).digest() + part
    return key


def scale_bytes(data):
    """Vec<u8> / BoundedVec<u8, _>: Compact(len) ‖ bytes (also the Bns map keys' encoding)."""
    return compact(len(data)) + data


class Runtime:
    """One runtime version: spec and transaction versions, metadata bytes and the indices they give."""

    def __init__(self, spec_version, transaction_version, overrides=None):
        self.spec_version, self.transaction_version, self.overrides = spec_version, transaction_version, overrides
        self.metadata = runtime_metadata.build_metadata(spec_version, overrides, transaction_version)
        tables = runtime_metadata.describe(overrides)
        self.pallets, self.calls, self.errors = tables["pallets"], tables["calls"], tables["errors"]
        self.index_of = {name: key for key, name in self.calls.items()}

    def module_error(self, pallet, error):
        """DispatchError::Module{index, error: [variant, 0, 0, 0]}."""
        return b"\x03" + bytes([self.pallets[pallet], self.errors[pallet].index(error), 0, 0, 0])

    def version(self):
        return {"specName": runtime_metadata.SPEC_NAME, "implName": runtime_metadata.IMPL_NAME, "authoringVersion": 1,
                "specVersion": self.spec_version, "implVersion": 0,
                "apis": [[hex0x(runtime_metadata.runtime_api_id(name)), version] for name, version in runtime_metadata.RUNTIME_APIS],
                "transactionVersion": self.transaction_version, "systemVersion": 1}


compact = runtime_metadata.compact  # one SCALE Compact writer for both files


def hex0x(data):
    return "0x" + data.hex()


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def unknown_block():
    """The node's answer for a block hash it does not know (or whose state it discarded)."""
    return RpcError(4003, "Client error: UnknownBlock: State already discarded for the given block, or it is unknown",
                    "the dev chain knows no block with this hash")


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
    def __init__(self, block_ms, finality_lag, endowed, kyc=(), endowed_bbzd=(), genesis_seed=None, pool_limit=None):
        self.block_ms = block_ms
        self.finality_lag = finality_lag
        self.pool_limit = pool_limit
        self.config = RuntimeConfiguration()
        self.config.update_type_registry(load_type_registry_preset("legacy"))
        self.config.update_type_registry(RUNTIME_TYPES)
        self.runtime = Runtime(SPEC_VERSION, TRANSACTION_VERSION)
        self.block_runtime = {}  # block hash → the Runtime in its state
        self.storage = Storage()  # the best state (plus the block being built)
        # key → ([block numbers, ascending], [value bytes, or None where it was deleted]): every
        # change of the key, as of the block that made it; state at block n = the last entry ≤ n.
        self.history = {}
        self.accounts = {}  # account bytes → [nonce, free, reserved]
        self.proofs = {}  # content id → (submitter, block, proof type index)
        self.domains = {}  # Bns domain bytes → (owner, registered_at, price, tier)
        self.hosting = {}  # Bns domain bytes → HostingInfo fields as a dict
        self.content_versions = {}  # Bns domain bytes → CurrentContentVersion
        self.bbzd = {}  # account → Economy.BBZDBalances
        self.totals = {"domains": 0, "hosting_revenue": 0}
        self.kyc = dict(kyc)  # account → KYC level (Identity and Oracle alike; not rolled back by re-orgs)
        for account, amount in endowed:
            self.accounts[account] = [0, amount, 0]
            self.write_account(account)
        for account, amount in endowed_bbzd:
            self.bbzd[account] = amount
            self.storage[storage_key("Economy", "BBZDBalances", account)] = amount.to_bytes(16, "little")
        if genesis_seed is not None:
            # Another genesis state, so another genesis hash: "a chain with another genesis".
            self.storage[b":devchain:genesis_seed"] = genesis_seed.encode()
        self.blocks = []  # (hash, header dict, extrinsic bytes list)
        self.by_hash = {}
        self.pool = {}  # tx hash → entry
        self.watchers = {}  # tx hash → list of (websocket, subscription id)
        self.head_subscribers = {"new": {}, "finalized": {}, "runtime": {}}
        self.next_subscription = 1
        self.finalized = 0
        self.pending_finality = {}  # block number → hashes of transactions it included
        self.included = {}  # block number → the pool entries it included (re-queued on a re-org)
        # block number → STATE after it, kept only where STATE changed and only from the last
        # such block at or below the finalized head (a re-org to `keep` restores the last ≤ keep).
        self.snapshots = {}
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

    def event(self, pallet, variant, fields):
        """One RuntimeEvent: (pallet index, variant index, SCALE fields) in the current runtime."""
        return (self.runtime.pallets[pallet], variant, fields)

    def timestamp_inherent(self, number):
        """The block's v5 bare `Timestamp.set` (Compact<u64> milliseconds) and its event:
        ExtrinsicSuccess, class Mandatory, at ApplyExtrinsic(0), as a real node emits it."""
        previous = int.from_bytes(self.storage.get(storage_key("Timestamp", "Now"), bytes(8)), "little")
        now = max(previous + 1, int(time.time() * 1000))
        self.storage[storage_key("Timestamp", "Now")] = now.to_bytes(8, "little")
        pallet, call = self.runtime.index_of["Timestamp.set"]
        body = b"\x05" + bytes([pallet, call]) + compact(now)
        info = compact(TIMESTAMP_SET_WEIGHT[0]) + compact(TIMESTAMP_SET_WEIGHT[1]) + b"\x02\x00"  # Mandatory, pays Yes
        return compact(len(body)) + body, [self.event("System", 0, info)]

    def produce_block(self, extrinsics_with_events):
        number = len(self.blocks)
        parent = self.blocks[-1][0] if self.blocks else bytes(32)
        if number > 0:
            extrinsics_with_events = [self.timestamp_inherent(number)] + list(extrinsics_with_events)
        # System.Events: Vec<EventRecord{phase: ApplyExtrinsic(u32), event, topics: Vec<H256> (none)}>
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
        self.block_runtime[block_hash] = self.runtime
        self.record_writes(number)
        state = {name: getattr(self, name) for name in STATE}
        if not self.snapshots or self.snapshots[next(reversed(self.snapshots))] != state:
            self.snapshots[number] = copy.deepcopy(state)
        return block_hash, header

    def record_writes(self, number):
        """Adds the keys written since the last block to their histories, as of block `number`."""
        for key in self.storage.take_dirty():
            value = self.storage.get(key)
            numbers, values = self.history.setdefault(key, ([], []))
            if (values[-1] if values else None) == value:
                continue  # written back unchanged: no new entry
            numbers.append(number)
            values.append(value)

    def storage_at(self, key, number=None):
        """A key's value in the state after block `number` (the best state for None)."""
        if number is None:
            return self.storage.get(key)
        numbers, values = self.history.get(key, ((), ()))
        index = bisect.bisect_right(numbers, number) - 1
        return values[index] if index >= 0 else None

    def state_number(self, params, index):
        """The number of the block a `[…, hash?]` parameter names, None without a hash (the best
        state); an unknown hash (or one a re-org dropped) is the node's UnknownBlock error."""
        if len(params) <= index or params[index] is None:
            return None
        block_hash = self.block_hash_param(params, index)
        if block_hash is None:
            raise unknown_block()
        return self.by_hash[block_hash]

    def block_hash_param(self, params, index=0):
        if len(params) > index and params[index] is not None:
            wanted = bytes.fromhex(params[index].removeprefix("0x"))
            if wanted not in self.by_hash:
                return None
            return wanted
        return self.blocks[-1][0]

    # -- validation -------------------------------------------------------------------

    def read(self, data, type_string):
        if type_string == "bytes":  # Vec<u8> as raw bytes (scalecodec's Bytes would turn UTF-8 into text)
            length = self.read(data, "Compact<u32>")
            if data.offset + length > len(data.data):
                raise ValueError("a Vec<u8> runs past the end")
            return bytes(data.get_next_bytes(length))
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
            name = self.runtime.calls.get((pallet, call))
            if name not in CALLS:
                known = f" ({name})" if name else ""
                raise ValueError(f"call {pallet}/{call}{known} is not one this dev chain executes (spec {self.runtime.spec_version})")
            arguments = {arg: self.read(data, type_string) for arg, type_string in CALLS[name]}
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
            "pallet": pallet, "call_index": call, "name": name, "arguments": arguments, "length": len(raw),
        }

    def weight(self, tx):
        if tx["name"] == "StorageProof.submit_storage_proof":
            siblings = len(tx["arguments"]["proof"]["siblings"])
            return BASE_EXTRINSIC_WEIGHT + 45_600_000 + 623_000 * max(1, siblings)
        return BASE_EXTRINSIC_WEIGHT + 50_000_000

    def validate(self, raw, pool_checks=True):
        """Checks as the runtime's validate_transaction does; returns the entry for the pool.
        Without pool_checks: only the runtime's checks (the pool's revalidation after an upgrade)."""
        tx = self.decode(raw)
        current = self.best + 1
        birth = tx["era"].birth(current)
        if birth >= len(self.blocks) or current - birth > BLOCK_HASH_COUNT and tx["era"].period is not None:
            raise invalid("Transaction has an ancient birth block")
        birth_hash = self.blocks[birth][0] if tx["era"].period is not None else self.genesis_hash
        payload = tx["call"] + tx["extra"] + self.runtime.spec_version.to_bytes(4, "little")
        payload += self.runtime.transaction_version.to_bytes(4, "little")
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
        if not pool_checks:
            return tx
        if tx["hash"] in self.pool:
            raise RpcError(1013, "Transaction Already Imported")
        if any(other["sender"] == tx["sender"] and other["nonce"] == tx["nonce"] for other in self.pool.values()):
            raise RpcError(1014, "Priority is too low: (0 vs 0)", "The transaction has too low priority to replace another transaction already in the pool.")
        if self.pool_limit is not None and len(self.pool) >= self.pool_limit:
            # author/error.rs: PoolError::ImmediatelyDropped (the pool is full)
            raise RpcError(1016, "Immediately Dropped", "The transaction couldn't enter the pool because of the limit")
        return tx

    # -- execution --------------------------------------------------------------------
    #
    # Event order per signed extrinsic, as the runtime emits it: Balances.Withdraw (the fee,
    # taken before dispatch), the call's own events (dropped when it fails: a failing call is
    # rolled back), TransactionPayment.TransactionFeePaid, then System.ExtrinsicSuccess or
    # ExtrinsicFailed. Each executor checks everything before it changes anything and returns
    # a DispatchError's bytes, or None.

    def execute(self, tx, block_number):
        """Applies one transaction; returns its events (fee and nonce are always charged)."""
        sender = tx["sender"]
        account = self.accounts.setdefault(sender, [0, 0, 0])
        account[0] += 1
        account[1] -= tx["fee"]
        events = [self.event("Balances", 8, sender + tx["fee"].to_bytes(16, "little"))]  # Withdraw
        call_events = []
        executor = {
            "StorageProof.submit_storage_proof": self.submit_storage_proof,
            "Balances.transfer_allow_death": lambda *a: self.transfer(*a, keep_alive=False),
            "Balances.transfer_keep_alive": lambda *a: self.transfer(*a, keep_alive=True),
            "System.remark": lambda *_: None,  # no effect; only the extrinsic's own events
            "Bns.register_domain": self.register_domain,
            "Bns.activate_hosting": self.activate_hosting,
            "Bns.update_hosting_content": self.update_hosting_content,
            "Economy.transfer_bbzd": self.transfer_bbzd,
        }[tx["name"]]
        error = executor(sender, tx["arguments"], block_number, call_events)
        if error is None:
            events += call_events
        events.append(self.event("TransactionPayment", 0, sender + tx["fee"].to_bytes(16, "little") + tx["tip"].to_bytes(16, "little")))
        weight = compact(self.weight(tx)) + compact(3_550)
        info = weight + b"\x00" + b"\x00"  # class Normal, pays Yes
        if error is None:
            events.append(self.event("System", 0, info))
        else:
            events.append(self.event("System", 1, error + info))
        self.write_account(sender)
        return events

    def submit_storage_proof(self, sender, args, block_number, events):
        module = lambda name: self.runtime.module_error("StorageProof", name)  # noqa: E731
        content_id = bytes.fromhex(args["content_id"].removeprefix("0x"))
        proof = args["proof"]
        if args["proof_type"] == "Groth16":
            return module("Groth16NotYetAccepted")
        if not proof["siblings"]:
            return module("EmptyMerkleProof")
        if len(proof["siblings"]) > 64:
            return module("MerklePathTooLong")
        current = bytes.fromhex(proof["leaf"].removeprefix("0x"))
        for step in proof["siblings"]:
            node = bytes.fromhex(step["node"].removeprefix("0x"))
            current = blake2_256(node + current) if step["node_is_left"] else blake2_256(current + node)
        if current != content_id:
            return module("RootMismatch")
        if content_id in self.proofs:
            return module("ContentAlreadyProven")
        account = self.accounts[sender]
        if account[1] < STORAGE_DEPOSIT:
            return module("InsufficientDeposit")
        account[1] -= STORAGE_DEPOSIT
        account[2] += STORAGE_DEPOSIT
        events.append(self.event("Balances", 4, sender + STORAGE_DEPOSIT.to_bytes(16, "little")))  # Reserved
        self.proofs[content_id] = (sender, block_number, 0)
        self.storage[storage_key("StorageProof", "StorageProofs", content_id)] = sender + block_number.to_bytes(4, "little") + b"\x00"
        events.append(self.event("StorageProof", 0, content_id + sender))
        return None

    def transfer(self, sender, args, block_number, events, keep_alive):
        del block_number
        return self.move_dalla(sender, bytes.fromhex(args["dest"].removeprefix("0x")), args["value"], keep_alive, events)

    def move_dalla(self, source, dest, value, keep_alive, events):
        """A DALLA transfer (pallet_balances): System.NewAccount and Balances.Endowed for a new
        receiver, then Balances.Transfer. Returns a DispatchError's bytes or None."""
        account = self.accounts[source]
        remaining = account[1] - value
        if remaining < 0 or (keep_alive and remaining < EXISTENTIAL_DEPOSIT):
            return b"\x07\x00"  # DispatchError::Token(FundsUnavailable)
        receiver = self.accounts.get(dest, [0, 0, 0])
        if receiver[1] + value < EXISTENTIAL_DEPOSIT:
            return b"\x07\x02"  # DispatchError::Token(BelowMinimum)
        if dest not in self.accounts:
            self.accounts[dest] = receiver
            events.append(self.event("System", 3, dest))  # NewAccount
            events.append(self.event("Balances", 0, dest + value.to_bytes(16, "little")))  # Endowed
        account[1] = remaining
        receiver[1] += value
        self.write_account(dest)
        self.write_account(source)
        events.append(self.event("Balances", 2, source + dest + value.to_bytes(16, "little")))  # Transfer
        return None

    # Bns (reference §6). The reference gives the rules and error names, not the order of the
    # checks: the order below is this stand-in's.

    def bns_domain_error(self, name):
        if len(name) < 3:
            return "DomainTooShort"
        if len(name) > 64:
            return "DomainTooLong"
        if not set(name) <= BNS_NAME_BYTES:
            return "InvalidDomainCharacters"
        return None

    def write_hosting(self, domain):
        info = self.hosting[domain]
        self.storage[storage_key("Bns", "HostedWebsites", scale_bytes(domain))] = (
            info["subscriber"] + bytes([info["tier"]]) + info["content_hash"] + info["activated_at"].to_bytes(4, "little")
            + info["last_payment_at"].to_bytes(4, "little") + info["expires_at"].to_bytes(4, "little")
            + info["data_size"].to_bytes(8, "little") + info["monthly_fee"].to_bytes(16, "little") + bytes([info["auto_renew"]]))

    def register_domain(self, sender, args, block_number, events):
        """Bns.register_domain(domain_name: Vec<u8>, tier: u8): Identity KYC L1 (L3 for Verified),
        price = tier base × length multiplier in DALLA, paid to the BNS treasury."""
        module = lambda name: self.runtime.module_error("Bns", name)  # noqa: E731
        name, tier = args["domain_name"], args["tier"]
        if tier > 3:
            return module("InvalidTier")
        if (problem := self.bns_domain_error(name)) is not None:
            return module(problem)
        if name in self.domains:
            return module("DomainAlreadyExists")
        if self.kyc.get(sender, 0) < 1:
            return module("KycRequired")
        if tier == 3 and self.kyc.get(sender, 0) < 3:
            return module("VerifiedKycRequired")
        owned = [domain for domain, record in self.domains.items() if record["owner"] == sender]
        if len(owned) >= BNS_MAX_DOMAINS:
            return module("MaxDomainsReached")
        multiplier = 10 if len(name) <= 2 else 5 if len(name) == 3 else 2 if len(name) == 4 else 1
        price = BNS_DOMAIN_PRICE[tier] * multiplier * DALLA
        if self.accounts[sender][1] - price < EXISTENTIAL_DEPOSIT:
            return module("InsufficientBalance")
        error = self.move_dalla(sender, BNS_TREASURY, price, True, events)
        if error is not None:
            return error
        self.domains[name] = {"owner": sender, "registered_at": block_number, "price": price, "tier": tier}
        # DomainRecord{owner, original_owner, registered_at, purchase_price, tier, locked_until: None, transfer_count: 0}
        self.storage[storage_key("Bns", "DomainRegistry", scale_bytes(name))] = (
            sender + sender + block_number.to_bytes(4, "little") + price.to_bytes(16, "little") + bytes([tier]) + b"\x00"
            + (0).to_bytes(4, "little"))
        owned.append(name)
        self.storage[storage_key("Bns", "AccountDomains", sender)] = compact(len(owned)) + b"".join(scale_bytes(d) for d in owned)
        self.totals["domains"] += 1
        self.storage[storage_key("Bns", "TotalDomains")] = self.totals["domains"].to_bytes(8, "little")
        events.append(self.event("Bns", 0, scale_bytes(name) + sender + price.to_bytes(16, "little") + bytes([tier])))
        return None

    def activate_hosting(self, sender, args, block_number, events):
        """Bns.activate_hosting(domain_name, tier: u8, content_hash: [u8; 32], auto_renew: bool):
        the owner pays the first month (Free 0 / Basic 10 / Pro 50 / Enterprise 200 DALLA) and
        HostedWebsites(domain) records the subscription for 432,000 blocks."""
        module = lambda name: self.runtime.module_error("Bns", name)  # noqa: E731
        name, tier = args["domain_name"], args["tier"]
        if tier > 3:
            return module("InvalidTier")
        record = self.domains.get(name)
        if record is None:
            return module("DomainNotFound")
        if record["owner"] != sender:
            return module("NotDomainOwner")
        existing = self.hosting.get(name)
        if existing is not None and existing["expires_at"] > block_number:
            return module("HostingAlreadyActive")
        fee = BNS_HOSTING_FEE[tier] * DALLA
        if fee and self.accounts[sender][1] - fee < EXISTENTIAL_DEPOSIT:
            return module("InsufficientBalance")
        if fee:
            error = self.move_dalla(sender, BNS_TREASURY, fee, True, events)
            if error is not None:
                return error
            events.append(self.event("Bns", 7, sender + fee.to_bytes(16, "little")))  # HostingFeeCollected
            self.totals["hosting_revenue"] += fee
            self.storage[storage_key("Bns", "TotalHostingRevenue")] = self.totals["hosting_revenue"].to_bytes(16, "little")
        content_hash = bytes.fromhex(args["content_hash"].removeprefix("0x"))
        self.hosting[name] = {"subscriber": sender, "tier": tier, "content_hash": content_hash, "activated_at": block_number,
                              "last_payment_at": block_number, "expires_at": block_number + BNS_MONTH_BLOCKS, "data_size": 0,
                              "monthly_fee": fee, "auto_renew": bool(args["auto_renew"])}
        self.write_hosting(name)
        events.append(self.event("Bns", 5, scale_bytes(name) + sender + bytes([tier]) + content_hash))  # HostingActivated
        return None

    def update_hosting_content(self, sender, args, block_number, events):
        """Bns.update_hosting_content(domain_name, new_content_hash, description ≤ 128, size_bytes: u64):
        the subscriber records a new content version (at most 50)."""
        module = lambda name: self.runtime.module_error("Bns", name)  # noqa: E731
        name, description = args["domain_name"], args["description"]
        info = self.hosting.get(name)
        if info is None:
            return module("HostingNotActive")
        if info["subscriber"] != sender:
            return module("NotDomainOwner")
        if info["expires_at"] <= block_number:
            return module("HostingExpired")
        if len(description) > 128:
            return module("DomainTooLong")  # the pallet's own quirk for an over-long description
        version = self.content_versions.get(name, 0) + 1
        if version > 50:
            return module("MaxContentVersionsReached")
        content_hash = bytes.fromhex(args["new_content_hash"].removeprefix("0x"))
        info["content_hash"] = content_hash
        info["data_size"] = args["size_bytes"]
        self.write_hosting(name)
        self.content_versions[name] = version
        key = scale_bytes(name)
        history = storage_key("Bns", "ContentHistory", key, version.to_bytes(4, "little"))
        self.storage[history] = content_hash + block_number.to_bytes(4, "little") + scale_bytes(description) + args["size_bytes"].to_bytes(8, "little")
        self.storage[storage_key("Bns", "CurrentContentVersion", key)] = version.to_bytes(4, "little")
        events.append(self.event("Bns", 12, key + version.to_bytes(4, "little") + content_hash))  # ContentUpdated
        return None

    def transfer_bbzd(self, sender, args, block_number, events):
        """Economy.transfer_bbzd(to: AccountId32, amount: u128): both parties Oracle-KYC ≥ 1, the
        sender ≥ 2 from 100 DALLA-equivalent (bBZD counted 1:1 here), from BBZDBalances."""
        del block_number
        module = lambda name: self.runtime.module_error("Economy", name)  # noqa: E731
        to, amount = bytes.fromhex(args["to"].removeprefix("0x")), args["amount"]
        if amount == 0:
            return module("AmountMustBeNonZero")
        if self.kyc.get(sender, 0) < 1 or self.kyc.get(to, 0) < 1:
            return module("KycVerificationRequired")
        if amount >= TRAVEL_RULE_THRESHOLD and self.kyc.get(sender, 0) < 2:
            return module("TravelRuleEnhancedKycRequired")
        if self.bbzd.get(sender, 0) < amount:
            return module("InsufficientBbzdBalance")
        self.bbzd[sender] = self.bbzd.get(sender, 0) - amount
        self.bbzd[to] = self.bbzd.get(to, 0) + amount
        for account in (sender, to):
            self.storage[storage_key("Economy", "BBZDBalances", account)] = self.bbzd[account].to_bytes(16, "little")
        events.append(self.event("Economy", 7, sender + to + amount.to_bytes(16, "little")))  # BbzdTransferred
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
            finalized_hash, finalized_header, _ = self.blocks[self.finalized]
            for tx_hash in self.pending_finality.pop(self.finalized, []):
                await self.notify_watchers(tx_hash, {"finalized": hex0x(finalized_hash)}, final=True)
            await self.notify_heads("finalized", finalized_header)
        # Nothing re-orgs below the finalized head: keep the last snapshot at or below it.
        numbers = list(self.snapshots)
        for number in numbers[:bisect.bisect_right(numbers, self.finalized) - 1]:
            del self.snapshots[number]

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
            self.block_runtime.pop(block_hash, None)
            self.blocks.pop()
        for name, value in copy.deepcopy(self.snapshots[next(reversed(self.snapshots))]).items():
            setattr(self, name, value)
        # Storage: the histories lose every change above `keep`; the best state is theirs at `keep`.
        storage = Storage()
        for key in list(self.history):
            numbers, values = self.history[key]
            cut = bisect.bisect_right(numbers, keep)
            del numbers[cut:], values[cut:]
            if not numbers:
                del self.history[key]
            elif values[-1] is not None:
                storage[key] = values[-1]
        storage.take_dirty()
        self.storage = storage
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
        return self.runtime.version()

    def runtime_at(self, params, index=0):
        """The Runtime in the state of the block a `[…, hash?]` parameter names (the best by default)."""
        block_hash = self.block_hash_param(params, index)
        if block_hash is None:
            raise unknown_block()
        return self.block_runtime.get(block_hash, self.runtime)

    def state_call(self, params):
        """state_call [method, args hex, hash?]: the runtime APIs a relay calls."""
        method, args = params[0], bytes.fromhex(params[1].removeprefix("0x")) if len(params) > 1 and params[1] else b""
        runtime = self.runtime_at(params, 2)
        if method == "Core_version":
            return hex0x(runtime_metadata.runtime_version_bytes(runtime.spec_version, runtime.transaction_version))
        if method == "Metadata_metadata":
            return hex0x(scale_bytes(runtime.metadata))  # OpaqueMetadata = Vec<u8>
        if method == "Metadata_metadata_versions":
            return hex0x(compact(1) + (14).to_bytes(4, "little"))  # this stand-in has V14 only
        if method == "Metadata_metadata_at_version":
            if len(args) != 4:
                raise RpcError(4003, "Client error: Execution failed: Failed to decode the argument (u32)", method)
            version = int.from_bytes(args, "little")
            return hex0x(b"\x01" + scale_bytes(runtime.metadata)) if version == 14 else "0x00"  # Option<OpaqueMetadata>
        if method == "AccountNonceApi_account_nonce":
            if len(args) != 32:
                raise RpcError(4003, "Client error: Execution failed: Failed to decode the argument (AccountId32)", method)
            account = self.storage_at(storage_key("System", "Account", args), self.state_number(params, 2))
            return hex0x(account[:4] if account else bytes(4))  # AccountInfo starts with the u32 nonce
        raise RpcError(4003, f"Client error: Execution failed: Other: Exported method {method} is not found",
                       f"{method} is not served by the Pakit dev chain")

    async def upgrade_runtime(self, params):
        """dev_upgradeRuntime [specVersion?, transactionVersion?, metadataOverrides?]: the best
        block's state gets a new runtime (as if it had enacted a set_code); later blocks run it.
        Subscribers of state_runtimeVersion are told; the pool is revalidated, so a transaction
        signed for the old spec or transaction version (or calling a moved call) is dropped and
        its watchers see "invalid"."""
        spec = int(params[0]) if len(params) > 0 and params[0] is not None else self.runtime.spec_version + 1
        tx_version = int(params[1]) if len(params) > 1 and params[1] is not None else self.runtime.transaction_version
        overrides = params[2] if len(params) > 2 and params[2] is not None else self.runtime.overrides
        if spec <= self.runtime.spec_version:
            raise RpcError(-32602, "Invalid params", f"the spec version must increase (now {self.runtime.spec_version}), as set_code requires")
        try:
            runtime = Runtime(spec, tx_version, overrides)
        except (ValueError, KeyError, StopIteration, TypeError) as error:
            raise RpcError(-32602, "Invalid params", f"metadataOverrides: {error!r}") from None
        self.runtime = runtime
        self.block_runtime[self.blocks[-1][0]] = runtime
        for subscription, websocket in list(self.head_subscribers["runtime"].items()):
            await send(websocket, {"jsonrpc": "2.0", "method": "state_runtimeVersion",
                                   "params": {"subscription": subscription, "result": runtime.version()}})
        for tx in list(self.pool.values()):
            try:
                self.validate(tx["raw"], pool_checks=False)
            except RpcError:
                del self.pool[tx["hash"]]
                await self.notify_watchers(tx["hash"], "invalid", final=True)
        return runtime.version()

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
            return self.runtime_at(params).version()
        if method == "state_getMetadata":
            return hex0x(self.runtime_at(params).metadata)
        if method in ("state_call", "state_callAt"):
            return self.state_call(params)
        if method in ("state_getStorage", "state_getStorageAt"):
            key = bytes.fromhex(params[0].removeprefix("0x"))
            value = self.storage_at(key, self.state_number(params, 1))
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
        if method == "author_pendingExtrinsics":
            return [hex0x(tx["raw"]) for tx in self.pool.values()]
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
        if method == "dev_upgradeRuntime":
            return await self.upgrade_runtime(params)
        if method == "dev_setKyc":
            account, level = self.account_param(params[0]), int(params[1]) if len(params) > 1 else 1
            self.kyc[account] = level
            return level
        if method == "dev_killSockets":
            for connection in list(self.connections - {websocket}):
                await connection.close(code=1012, reason="dev chain: sockets killed")
            return True
        if method == "author_submitAndWatchExtrinsic":
            tx = self.validate(bytes.fromhex(params[0].removeprefix("0x")))
            subscription = self.subscription_id()
            if self.drop_next > 0:
                # Accepted, said ready, then lost without another word: the worst a pool does.
                self.drop_next -= 1
                self.after_reply.setdefault(websocket, []).append(
                    {"jsonrpc": "2.0", "method": "author_extrinsicUpdate", "params": {"subscription": subscription, "result": "ready"}})
                return subscription
            self.pool[tx["hash"]] = tx
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
    parser.add_argument("--endow-bbzd", action="append", default=[], help="ACCOUNT_HEX=AMOUNT (Economy.BBZDBalances)")
    parser.add_argument("--kyc", action="append", default=[], help="ACCOUNT_HEX[=LEVEL] (KYC level, 1 by default)")
    parser.add_argument("--genesis-seed", help="TEXT: another genesis state, so another genesis hash")
    parser.add_argument("--pool-limit", type=int, help="N: the pool holds at most N transactions (then 1016)")
    args = parser.parse_args()
    if args.block_ms < 10 or args.finality_lag < 0:
        parser.error("--block-ms must be at least 10 and --finality-lag at least 0")
    if args.pool_limit is not None and args.pool_limit < 1:
        parser.error("--pool-limit must be at least 1")

    def pairs(option, items, default=None):
        result = []
        for item in items:
            account, separator, amount = item.partition("=")
            try:
                key = bytes.fromhex(account.removeprefix("0x"))
                value = int(amount) if separator or default is None else default
            except ValueError:
                parser.error(f"{option} takes ACCOUNT_HEX=AMOUNT, not {item!r}")
            if len(key) != 32 or value < 0:
                parser.error(f"{option} takes a 32-byte account and a non-negative amount, not {item!r}")
            result.append((key, value))
        return result

    endowed = pairs("--endow", args.endow)
    chain = Chain(args.block_ms, args.finality_lag, endowed, kyc=pairs("--kyc", args.kyc, default=1),
                  endowed_bbzd=pairs("--endow-bbzd", args.endow_bbzd), genesis_seed=args.genesis_seed,
                  pool_limit=args.pool_limit)
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
