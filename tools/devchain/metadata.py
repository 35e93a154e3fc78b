#!/usr/bin/env python3
"""Synthetic runtime metadata V14 for the BelizeChain dev chain (a DEVELOPMENT STAND-IN).

No BelizeChain metadata blob exists outside a running node (docs/chain.md, reference §14), so
this module writes one from the reference's facts (shared/reference/belizechain.md): the pallet
indices of §3, and for StorageProof, Economy, Bns, Mesh and Quantum the call indices, argument
types, events, errors and storage items the reference gives. Upstream pallets (System, Timestamp,
Balances, TransactionPayment, Sudo, Contracts) carry the polkadot-sdk layouts of the calls,
events and errors a relay meets; whatever the reference leaves open is left out rather than
guessed (listed under "Left out" below), so a decoder driven by this metadata either reads an
item right or says it does not know it.

The bytes are `RuntimeMetadataPrefixed`: b"meta" (0x6d657461), the version byte 14, then
RuntimeMetadataV14 {types: PortableRegistry, pallets, extrinsic, ty}. They are encoded by hand
here (a small SCALE writer) and checked by a second implementation: `--check` decodes them with
PyPI scalecodec's `MetadataVersioned`, loads the portable registry into a
`RuntimeConfigurationObject` and decodes the reference's signed extrinsic (§12) and a
System.Events vector through it.

    build_metadata(spec_version=107, overrides=None, transaction_version=1) -> bytes

`overrides` builds a deliberately different runtime (a JSON-friendly dict):
    {"pallet_index": {"Bns": 40}}                       move a pallet
    {"call_index": {"Bns.activate_hosting": 20}}        move a call within its pallet
    {"remove_calls": ["StorageProof.submit_storage_proof"]}
`call_table(overrides)` returns {(pallet index, call index): "Pallet.call"} for the same runtime,
`describe(overrides)` also its pallet indices and error names (what devchain.py executes by), and
`runtime_version_bytes(spec, tx)` the SCALE RuntimeVersion (System's `Version` constant, `Core_version`).

Left out (not stated by the reference): Quantum.transfer_nft (5; the type of `to`),
Mesh.issue_emergency_alert (6; the AlertSeverity/EmergencyType variants) and
Mesh.update_mesh_config (11; the names of its three bools); every Mesh and Quantum event whose
fields the reference does not give (only Mesh.MeshTransactionReceived is in); Quantum's errors;
Economy.RedemptionProcessed (2; its reference field's type); Contracts' deprecated *_old_weight
calls and its events and errors. Event field types the reference does not spell out are the
call arguments' types (accounts AccountId32, amounts u128).

CLI: metadata.py --hex [--spec-version N] [--overrides JSON]   prints 0x… of the prefixed metadata
     metadata.py --check                                        decodes it with scalecodec (see above)
"""

import argparse
import hashlib
import json
import sys

PALLET_INDEX = {"System": 0, "Timestamp": 1, "Balances": 4, "TransactionPayment": 5, "Sudo": 6, "Contracts": 13,
                "Economy": 20, "Quantum": 31, "Bns": 33, "Mesh": 34, "StorageProof": 38}
PALLET_CRATE = {"System": "frame_system", "Timestamp": "pallet_timestamp", "Balances": "pallet_balances",
                "TransactionPayment": "pallet_transaction_payment", "Sudo": "pallet_sudo", "Contracts": "pallet_contracts",
                "Economy": "pallet_belize_economy", "Quantum": "pallet_belize_quantum", "Bns": "pallet_belize_bns",
                "Mesh": "pallet_belize_mesh", "StorageProof": "pallet_storage_proof"}
SPEC_NAME = "belizechain"
IMPL_NAME = "pakit-devchain"
# Runtime APIs the reference lists (§2), as (name, version). The versions are those of the
# polkadot-sdk releases of the stable2512 era as far as this stand-in knows them (assumed, not
# read from BelizeChain); ComplianceApi is BelizeChain's own.
RUNTIME_APIS = [("Core", 5), ("Metadata", 2), ("BlockBuilder", 6), ("TaggedTransactionQueue", 3),
                ("OffchainWorkerApi", 2), ("BabeApi", 2), ("SessionKeys", 1), ("GrandpaApi", 3),
                ("AccountNonceApi", 1), ("TransactionPaymentApi", 4), ("ComplianceApi", 1), ("GenesisBuilder", 1),
                ("ContractsApi", 2)]
PRIMITIVES = ["bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "u256", "i8", "i16", "i32", "i64", "i128", "i256"]
HASHERS = ["Blake2_128", "Blake2_256", "Blake2_128Concat", "Twox128", "Twox256", "Twox64Concat", "Identity"]


def runtime_api_id(name):
    """A runtime API's id: the first 8 bytes of BLAKE2b-64 of the trait name."""
    return hashlib.blake2b(name.encode(), digest_size=8).digest()


def runtime_version_bytes(spec_version=107, transaction_version=1):
    """SCALE sp_version::RuntimeVersion (System's `Version` constant; what `Core_version` answers)."""
    return (text(SPEC_NAME) + text(IMPL_NAME) + (1).to_bytes(4, "little") + spec_version.to_bytes(4, "little")
            + (0).to_bytes(4, "little")
            + vec(RUNTIME_APIS, lambda api: runtime_api_id(api[0]) + api[1].to_bytes(4, "little"))
            + transaction_version.to_bytes(4, "little") + b"\x01")


# -- a small SCALE writer -----------------------------------------------------------------

def compact(value):
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    length = max(4, (value.bit_length() + 7) // 8)
    return bytes([((length - 4) << 2) | 3]) + value.to_bytes(length, "little")


def text(value):
    data = value.encode()
    return compact(len(data)) + data


def vec(items, encode):
    return compact(len(items)) + b"".join(encode(item) for item in items)


def option(value, encode):
    return b"\x00" if value is None else b"\x01" + encode(value)


def blob(data):
    return compact(len(data)) + data


# -- the portable registry ----------------------------------------------------------------

class Registry:
    """scale_info's PortableRegistry: types by id, each (path, params, def, docs).

    A def is ("primitive", name) | ("composite", fields) | ("variant", variants) |
    ("sequence", id) | ("array", length, id) | ("tuple", ids) | ("compact", id); a field is
    (name or None, id, type name or None); a variant is (name, index, fields)."""

    def __init__(self):
        self.types = []
        self.known = {}

    def add(self, definition, path=(), params=()):
        key = (tuple(path), tuple(params), repr(definition))
        if key not in self.known:
            self.known[key] = len(self.types)
            self.types.append((tuple(path), tuple(params), definition))
        return self.known[key]

    def reserve(self):
        self.types.append(None)
        return len(self.types) - 1

    def define(self, type_id, definition, path=(), params=()):
        self.types[type_id] = (tuple(path), tuple(params), definition)
        return type_id

    # shorthands
    def prim(self, name):
        return self.add(("primitive", name))

    def seq(self, item):
        return self.add(("sequence", item))

    def array(self, length, item):
        return self.add(("array", length, item))

    def tuple(self, *items):
        return self.add(("tuple", list(items)))

    def compact(self, item):
        return self.add(("compact", item))

    def option(self, item):
        return self.add(("variant", [("None", 0, []), ("Some", 1, [(None, item, None)])]), ["Option"], [("T", item)])

    def result(self, ok, error):
        return self.add(("variant", [("Ok", 0, [(None, ok, None)]), ("Err", 1, [(None, error, None)])]), ["Result"],
                        [("T", ok), ("E", error)])

    def struct(self, path, fields, params=()):
        return self.add(("composite", [(name, type_id, type_name) for name, type_id, type_name in fields]), path, params)

    def enum(self, path, names, params=()):
        """A fieldless enum with variants indexed 0, 1, …"""
        return self.add(("variant", [(name, index, []) for index, name in enumerate(names)]), path, params)

    def bounded_vec(self, item):
        return self.add(("composite", [(None, self.seq(item), "Vec<T>")]), ["bounded_collections", "bounded_vec", "BoundedVec"],
                        [("T", item), ("S", None)])

    def encode(self):
        def field(item):
            name, type_id, type_name = item
            return option(name, text) + compact(type_id) + option(type_name, text) + vec([], text)

        def variant(item):
            name, index, fields = item
            return text(name) + vec(fields, field) + bytes([index]) + vec([], text)

        def definition(item):
            kind = item[0]
            if kind == "composite":
                return b"\x00" + vec(item[1], field)
            if kind == "variant":
                return b"\x01" + vec(sorted(item[1], key=lambda v: v[1]), variant)
            if kind == "sequence":
                return b"\x02" + compact(item[1])
            if kind == "array":
                return b"\x03" + item[1].to_bytes(4, "little") + compact(item[2])
            if kind == "tuple":
                return b"\x04" + vec(item[1], compact)
            if kind == "primitive":
                return b"\x05" + bytes([PRIMITIVES.index(item[1])])
            if kind == "compact":
                return b"\x06" + compact(item[1])
            raise ValueError(kind)

        def portable(indexed):
            type_id, (path, params, item) = indexed
            return (compact(type_id) + vec(list(path), text)
                    + vec(list(params), lambda p: text(p[0]) + option(p[1], compact))
                    + definition(item) + vec([], text))

        assert all(t is not None for t in self.types), "a reserved type was never defined"
        return vec(list(enumerate(self.types)), portable)


# -- the runtime --------------------------------------------------------------------------

def build(spec_version=107, overrides=None, transaction_version=1):
    """The metadata's parts: (registry, pallets, extrinsic, runtime type id, call table)."""
    overrides = overrides or {}
    pallet_index = dict(PALLET_INDEX)
    pallet_index.update(overrides.get("pallet_index", {}))
    r = Registry()
    u8, u16, u32, u64, u128 = (r.prim(n) for n in ("u8", "u16", "u32", "u64", "u128"))
    i16, i32 = r.prim("i16"), r.prim("i32")
    boolean, string = r.prim("bool"), r.prim("str")
    unit = r.tuple()
    bytes32 = r.array(32, u8)
    bytes4 = r.array(4, u8)
    bytes_ = r.seq(u8)
    h256 = r.struct(["primitive_types", "H256"], [(None, bytes32, "[u8; 32]")])
    account = r.struct(["sp_core", "crypto", "AccountId32"], [(None, bytes32, "[u8; 32]")])
    compact_u32, compact_u64, compact_u128 = r.compact(u32), r.compact(u64), r.compact(u128)
    multi_address = r.add(("variant", [
        ("Id", 0, [(None, account, "AccountId")]), ("Index", 1, [(None, r.compact(unit), "AccountIndex")]),
        ("Raw", 2, [(None, bytes_, "Vec<u8>")]), ("Address32", 3, [(None, bytes32, "[u8; 32]")]),
        ("Address20", 4, [(None, r.array(20, u8), "[u8; 20]")])]),
        ["sp_runtime", "multiaddress", "MultiAddress"], [("AccountId", account), ("AccountIndex", unit)])
    weight = r.struct(["sp_weights", "weight_v2", "Weight"], [("ref_time", compact_u64, "u64"), ("proof_size", compact_u64, "u64")])
    runtime_call = r.reserve()
    runtime_event = r.reserve()
    runtime = r.struct(["belizechain_runtime", "Runtime"], [])

    def call_enum(crate, variants):
        return ("variant", variants), [crate, "pallet", "Call"], [("T", None)]

    # DispatchError (sp_runtime) and its parts, §10.7
    module_error = r.struct(["sp_runtime", "ModuleError"], [("index", u8, "u8"), ("error", bytes4, "[u8; MAX_MODULE_ERROR_ENCODED_SIZE]")])
    token_error = r.enum(["sp_runtime", "TokenError"], ["FundsUnavailable", "OnlyProvider", "BelowMinimum", "CannotCreate",
                                                         "UnknownAsset", "Frozen", "Unsupported", "CannotCreateHold",
                                                         "NotExpendable", "Blocked"])
    arithmetic_error = r.enum(["sp_arithmetic", "ArithmeticError"], ["Underflow", "Overflow", "DivisionByZero"])
    transactional_error = r.enum(["sp_runtime", "TransactionalError"], ["LimitReached", "NoLayer"])
    trie_error = r.enum(["sp_runtime", "proving_trie", "TrieError"], [
        "InvalidStateRoot", "IncompleteDatabase", "ValueAtIncompleteKey", "DecoderError", "InvalidHash", "DuplicateKey",
        "ExtraneousNode", "ExtraneousValue", "ExtraneousHashReference", "InvalidChildReference", "ValueMismatch",
        "IncompleteProof", "RootMismatch", "DecodeError"])
    dispatch_error = r.add(("variant", [
        ("Other", 0, []), ("CannotLookup", 1, []), ("BadOrigin", 2, []), ("Module", 3, [(None, module_error, "ModuleError")]),
        ("ConsumerRemaining", 4, []), ("NoProviders", 5, []), ("TooManyConsumers", 6, []),
        ("Token", 7, [(None, token_error, "TokenError")]), ("Arithmetic", 8, [(None, arithmetic_error, "ArithmeticError")]),
        ("Transactional", 9, [(None, transactional_error, "TransactionalError")]), ("Exhausted", 10, []),
        ("Corruption", 11, []), ("Unavailable", 12, []), ("RootNotAllowed", 13, []),
        ("Trie", 14, [(None, trie_error, "TrieError")])]), ["sp_runtime", "DispatchError"])
    dispatch_class = r.enum(["frame_support", "dispatch", "DispatchClass"], ["Normal", "Operational", "Mandatory"])
    pays = r.enum(["frame_support", "dispatch", "Pays"], ["Yes", "No"])
    dispatch_event_info = r.struct(["frame_system", "DispatchEventInfo"], [
        ("weight", weight, "Weight"), ("class", dispatch_class, "DispatchClass"), ("pays_fee", pays, "Pays")])

    pallets = {}  # name → dict(storage=[…], calls=[(name, index, fields)], events=[…], errors=[names], constants=[…])

    def field(name, type_id, type_name=None):
        return (name, type_id, type_name)

    # System (0)
    account_data = r.struct(["pallet_balances", "types", "AccountData"], [
        ("free", u128, "Balance"), ("reserved", u128, "Balance"), ("frozen", u128, "Balance"),
        ("flags", r.struct(["pallet_balances", "types", "ExtraFlags"], [(None, u128, "u128")]), "ExtraFlags")], [("Balance", u128)])
    account_info = r.struct(["frame_system", "AccountInfo"], [
        ("nonce", u32, "Nonce"), ("consumers", u32, "RefCount"), ("providers", u32, "RefCount"),
        ("sufficients", u32, "RefCount"), ("data", account_data, "AccountData")], [("Nonce", u32), ("AccountData", account_data)])
    phase = r.add(("variant", [("ApplyExtrinsic", 0, [(None, u32, "u32")]), ("Finalization", 1, []), ("Initialization", 2, [])]),
                  ["frame_system", "Phase"])
    event_record = r.struct(["frame_system", "EventRecord"], [
        ("phase", phase, "Phase"), ("event", runtime_event, "E"), ("topics", r.seq(h256), "Vec<T>")],
        [("E", runtime_event), ("T", h256)])
    api_entry = r.tuple(r.array(8, u8), u32)
    runtime_version = r.struct(["sp_version", "RuntimeVersion"], [
        ("spec_name", string, "Cow<'static, str>"), ("impl_name", string, "Cow<'static, str>"),
        ("authoring_version", u32, "u32"), ("spec_version", u32, "u32"), ("impl_version", u32, "u32"),
        ("apis", r.seq(api_entry), "ApisVec"), ("transaction_version", u32, "u32"), ("system_version", u8, "u8")])
    version_value = runtime_version_bytes(spec_version, transaction_version)
    pallets["System"] = dict(
        storage=[("Account", "Default", ("map", ["Blake2_128Concat"], account, account_info), bytes(80)),
                 ("Number", "Default", ("plain", u32), bytes(4)),
                 ("Events", "Default", ("plain", r.seq(event_record)), b"\x00")],
        calls=[("remark", 0, [field("remark", bytes_, "Vec<u8>")]),
               ("set_heap_pages", 1, [field("pages", u64, "u64")]),
               ("set_code", 2, [field("code", bytes_, "Vec<u8>")]),
               ("set_code_without_checks", 3, [field("code", bytes_, "Vec<u8>")]),
               ("set_storage", 4, [field("items", r.seq(r.tuple(bytes_, bytes_)), "Vec<KeyValue>")]),
               ("kill_storage", 5, [field("keys", r.seq(bytes_), "Vec<Key>")]),
               ("kill_prefix", 6, [field("prefix", bytes_, "Key"), field("subkeys", u32, "u32")]),
               ("remark_with_event", 7, [field("remark", bytes_, "Vec<u8>")])],
        events=[("ExtrinsicSuccess", 0, [field("dispatch_info", dispatch_event_info, "DispatchEventInfo")]),
                ("ExtrinsicFailed", 1, [field("dispatch_error", dispatch_error, "DispatchError"),
                                        field("dispatch_info", dispatch_event_info, "DispatchEventInfo")]),
                ("CodeUpdated", 2, []),
                ("NewAccount", 3, [field("account", account, "T::AccountId")]),
                ("KilledAccount", 4, [field("account", account, "T::AccountId")]),
                ("Remarked", 5, [field("sender", account, "T::AccountId"), field("hash", h256, "T::Hash")])],
        errors=["InvalidSpecName", "SpecVersionNeedsToIncrease", "FailedToExtractRuntimeVersion", "NonDefaultComposite",
                "NonZeroRefCount", "CallFiltered", "MultiBlockMigrationsOngoing", "NothingAuthorized", "Unauthorized"],
        constants=[("BlockHashCount", u32, (2400).to_bytes(4, "little")),
                   ("Version", runtime_version, version_value),
                   ("SS58Prefix", u16, (1981).to_bytes(2, "little"))])

    # Timestamp (1)
    pallets["Timestamp"] = dict(
        storage=[("Now", "Default", ("plain", u64), bytes(8)), ("DidUpdate", "Default", ("plain", boolean), b"\x00")],
        calls=[("set", 0, [field("now", compact_u64, "T::Moment")])],
        constants=[("MinimumPeriod", u64, (3000).to_bytes(8, "little"))])

    # Balances (4)
    balance_status = r.enum(["frame_support", "traits", "tokens", "misc", "BalanceStatus"], ["Free", "Reserved"])
    who_amount = lambda who="who": [field(who, account, "T::AccountId"), field("amount", u128, "T::Balance")]  # noqa: E731
    pallets["Balances"] = dict(
        calls=[("transfer_allow_death", 0, [field("dest", multi_address, "AccountIdLookupOf<T>"), field("value", compact_u128, "T::Balance")]),
               ("force_transfer", 2, [field("source", multi_address, "AccountIdLookupOf<T>"), field("dest", multi_address, "AccountIdLookupOf<T>"),
                                      field("value", compact_u128, "T::Balance")]),
               ("transfer_keep_alive", 3, [field("dest", multi_address, "AccountIdLookupOf<T>"), field("value", compact_u128, "T::Balance")]),
               ("transfer_all", 4, [field("dest", multi_address, "AccountIdLookupOf<T>"), field("keep_alive", boolean, "bool")]),
               ("force_unreserve", 5, [field("who", multi_address, "AccountIdLookupOf<T>"), field("amount", u128, "T::Balance")])],
        events=[("Endowed", 0, [field("account", account, "T::AccountId"), field("free_balance", u128, "T::Balance")]),
                ("DustLost", 1, [field("account", account, "T::AccountId"), field("amount", u128, "T::Balance")]),
                ("Transfer", 2, [field("from", account, "T::AccountId"), field("to", account, "T::AccountId"), field("amount", u128, "T::Balance")]),
                ("BalanceSet", 3, [field("who", account, "T::AccountId"), field("free", u128, "T::Balance")]),
                ("Reserved", 4, who_amount()), ("Unreserved", 5, who_amount()),
                ("ReserveRepatriated", 6, [field("from", account, "T::AccountId"), field("to", account, "T::AccountId"),
                                           field("amount", u128, "T::Balance"), field("destination_status", balance_status, "Status")]),
                ("Deposit", 7, who_amount()), ("Withdraw", 8, who_amount()), ("Slashed", 9, who_amount())],
        errors=["VestingBalance", "LiquidityRestrictions", "InsufficientBalance", "ExistentialDeposit", "Expendability",
                "ExistingVestingSchedule", "DeadAccount", "TooManyReserves", "TooManyHolds", "TooManyFreezes",
                "IssuanceDeactivated", "DeltaZero"],
        constants=[("ExistentialDeposit", u128, (1_000_000_000).to_bytes(16, "little"))])

    # TransactionPayment (5)
    pallets["TransactionPayment"] = dict(
        events=[("TransactionFeePaid", 0, [field("who", account, "T::AccountId"), field("actual_fee", u128, "BalanceOf<T>"),
                                           field("tip", u128, "BalanceOf<T>")])],
        constants=[("OperationalFeeMultiplier", u8, b"\x05")])

    # Sudo (6)
    dispatch_result = r.result(unit, dispatch_error)
    pallets["Sudo"] = dict(
        calls=[("sudo", 0, [field("call", runtime_call, "Box<<T as Config>::RuntimeCall>")]),
               ("sudo_unchecked_weight", 1, [field("call", runtime_call, "Box<<T as Config>::RuntimeCall>"), field("weight", weight, "Weight")]),
               ("set_key", 2, [field("new", multi_address, "AccountIdLookupOf<T>")]),
               ("sudo_as", 3, [field("who", multi_address, "AccountIdLookupOf<T>"), field("call", runtime_call, "Box<<T as Config>::RuntimeCall>")]),
               ("remove_key", 4, [])],
        events=[("Sudid", 0, [field("sudo_result", dispatch_result, "DispatchResult")]),
                ("KeyChanged", 1, [field("old", r.option(account), "Option<T::AccountId>"), field("new", account, "T::AccountId")]),
                ("KeyRemoved", 2, []),
                ("SudoAsDone", 3, [field("sudo_result", dispatch_result, "DispatchResult")])],
        errors=["RequireSudo"])

    # Contracts (13): the calls of reference §7, without the deprecated *_old_weight ones
    option_compact_u128 = r.option(compact_u128)
    determinism = r.enum(["pallet_contracts", "wasm", "Determinism"], ["Enforced", "Relaxed"])
    pallets["Contracts"] = dict(
        calls=[("upload_code", 3, [field("code", bytes_, "Vec<u8>"), field("storage_deposit_limit", option_compact_u128, "Option<<BalanceOf<T> as codec::HasCompact>::Type>"),
                                   field("determinism", determinism, "Determinism")]),
               ("remove_code", 4, [field("code_hash", h256, "CodeHash<T>")]),
               ("set_code", 5, [field("dest", multi_address, "AccountIdLookupOf<T>"), field("code_hash", h256, "CodeHash<T>")]),
               ("call", 6, [field("dest", multi_address, "AccountIdLookupOf<T>"), field("value", compact_u128, "BalanceOf<T>"),
                            field("gas_limit", weight, "Weight"),
                            field("storage_deposit_limit", option_compact_u128, "Option<<BalanceOf<T> as codec::HasCompact>::Type>"),
                            field("data", bytes_, "Vec<u8>")]),
               ("instantiate_with_code", 7, [field("value", compact_u128, "BalanceOf<T>"), field("gas_limit", weight, "Weight"),
                                             field("storage_deposit_limit", option_compact_u128, "Option<<BalanceOf<T> as codec::HasCompact>::Type>"),
                                             field("code", bytes_, "Vec<u8>"), field("data", bytes_, "Vec<u8>"), field("salt", bytes_, "Vec<u8>")]),
               ("instantiate", 8, [field("value", compact_u128, "BalanceOf<T>"), field("gas_limit", weight, "Weight"),
                                   field("storage_deposit_limit", option_compact_u128, "Option<<BalanceOf<T> as codec::HasCompact>::Type>"),
                                   field("code_hash", h256, "CodeHash<T>"), field("data", bytes_, "Vec<u8>"), field("salt", bytes_, "Vec<u8>")]),
               ("migrate", 9, [field("weight_limit", weight, "Weight")])])

    # Economy (20), reference §5
    bounded_bytes = r.bounded_vec(u8)
    pallets["Economy"] = dict(
        storage=[("BBZDBalances", "Default", ("map", ["Blake2_128Concat"], account, u128), bytes(16))],
        calls=[("mint_bbzd", 0, [field("recipient", account, "T::AccountId"), field("amount", u128, "u128"),
                                 field("deposit_reference", bounded_bytes, "BoundedVec<u8, ConstU32<64>>")]),
               ("redeem_bbzd", 1, [field("amount", u128, "u128"), field("bank_account", bounded_bytes, "BoundedVec<u8, ConstU32<64>>")]),
               ("process_redemption", 2, [field("redemption_id", u64, "u64")]),
               ("set_minter_authorization", 3, [field("account", account, "T::AccountId"), field("authorized", boolean, "bool")]),
               ("update_reserves", 4, [field("new_reserves", u128, "u128")]),
               ("process_tourism_payment", 5, [field("vendor", account, "T::AccountId"), field("amount", u128, "u128"), field("category_id", u8, "u8")]),
               ("burn_dalla", 6, [field("amount", u128, "BalanceOf<T>")]),
               ("governance_burn", 7, [field("amount", u128, "BalanceOf<T>")]),
               ("transfer_bbzd", 8, [field("to", account, "T::AccountId"), field("amount", u128, "u128")])],
        events=[("BbzdMinted", 0, [field("minter", account), field("recipient", account), field("amount", u128),
                                   field("deposit_reference", bounded_bytes), field("new_total_supply", u128)]),
                ("BbzdRedeemed", 1, [field("user", account), field("amount", u128), field("bank_account", bounded_bytes),
                                     field("redemption_id", u64), field("new_total_supply", u128)]),
                ("ReservesUpdated", 3, [field("old_reserves", u128), field("new_reserves", u128), field("total_supply", u128)]),
                ("MinterAuthorization", 4, [field("minter", account), field("authorized", boolean)]),
                ("TourismIncentivePaid", 5, [field("tourist", account), field("vendor", account), field("amount", u128), field("incentive", u128)]),
                ("TravelRuleTriggered", 6, [field("from", account), field("to", account), field("amount", u128)]),
                ("BbzdTransferred", 7, [field("from", account, "T::AccountId"), field("to", account, "T::AccountId"), field("amount", u128, "u128")]),
                ("AnnualInflationApplied", 8, [field("amount", u128), field("new_supply", u128)]),
                ("DallaBurned", 9, [field("who", account), field("amount", u128), field("new_supply", u128)]),
                ("GovernanceBurn", 10, [field("amount", u128), field("new_supply", u128)]),
                ("BbzdInvariantViolation", 11, [field("total_supply", u128), field("reserves", u128)])],
        errors=["InsufficientBalance", "UnauthorizedMinter", "InvalidRedemptionId", "RedemptionAlreadyProcessed",
                "InsufficientBbzdBalance", "InsufficientReserves", "TourismIncentiveError", "RemittanceCorridorNotFound",
                "InvalidTourismCategory", "MaxSupplyReached", "InsufficientSupplyToBurn", "RedemptionQueueFull",
                "RateLimitExceeded", "ExchangeRateUnavailable", "MerchantNotVerified", "KycVerificationRequired",
                "SanctionedEntity", "MintingHaltedUndercollateralized", "AmountMustBeNonZero", "RedemptionNotFound",
                "TravelRuleEnhancedKycRequired"])

    # Quantum (31), reference §9
    job_id = bounded_bytes
    pallets["Quantum"] = dict(
        calls=[("submit_quantum_job", 0, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("backend_index", u8, "u8"),
                                          field("circuit_hash", bytes32, "[u8; 32]"), field("num_qubits", u16, "u16"),
                                          field("circuit_depth", u32, "u32"), field("num_shots", u32, "u32")]),
               ("update_job_status", 1, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("new_status_index", u8, "u8")]),
               ("record_quantum_result", 2, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("result_data_hash", bytes32, "[u8; 32]"),
                                             field("verification_proof", bounded_bytes, "BoundedVec<u8, ConstU32<256>>"),
                                             field("accuracy_score", u8, "u8")]),
               ("verify_quantum_result", 3, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("verification_passed", boolean, "bool")]),
               ("mint_achievement_nft", 4, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("achievement_type_index", u8, "u8"),
                                            field("transferable", boolean, "bool"), field("_circuit_qubits", u16, "u16"), field("_accuracy", u8, "u8")]),
               ("list_nft", 6, [field("nft_id", u64, "u64"), field("price", u128, "BalanceOf<T>"), field("duration", u32, "BlockNumberFor<T>")]),
               ("buy_nft", 7, [field("nft_id", u64, "u64")]),
               ("delist_nft", 8, [field("nft_id", u64, "u64")]),
               ("request_verification", 9, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("required_verifications", u8, "u8")]),
               ("submit_verification", 10, [field("job_id", job_id, "BoundedVec<u8, ConstU32<64>>"), field("vote_index", u8, "u8"),
                                            field("confidence", u8, "u8"), field("result_hash", bytes32, "[u8; 32]")]),
               ("bridge_to_ethereum", 11, [field("nft_id", u64, "u64"), field("recipient", bounded_bytes, "BoundedVec<u8, ConstU32<64>>")]),
               ("bridge_to_parachain", 12, [field("nft_id", u64, "u64"), field("parachain_id", u32, "u32"),
                                            field("recipient", bounded_bytes, "BoundedVec<u8, ConstU32<64>>")]),
               ("cancel_bridge", 13, [field("nft_id", u64, "u64")])])

    # Bns (33), reference §6
    domain = bounded_bytes  # BoundedVec<u8, MaxDomainLength>: Compact(len) ‖ bytes
    domain_tier = r.enum(["pallet_belize_bns", "types", "DomainTier"], ["Standard", "Premium", "Government", "Verified"])
    hosting_tier = r.enum(["pallet_belize_bns", "types", "HostingTier"], ["Free", "Basic", "Pro", "Enterprise"])
    domain_record = r.struct(["pallet_belize_bns", "types", "DomainRecord"], [
        ("owner", account, "AccountId"), ("original_owner", account, "AccountId"), ("registered_at", u32, "BlockNumber"),
        ("purchase_price", u128, "Balance"), ("tier", domain_tier, "DomainTier"), ("locked_until", r.option(u32), "Option<BlockNumber>"),
        ("transfer_count", u32, "u32")])
    hosting_info = r.struct(["pallet_belize_bns", "types", "HostingInfo"], [
        ("subscriber", account, "AccountId"), ("tier", hosting_tier, "HostingTier"), ("content_hash", bytes32, "[u8; 32]"),
        ("activated_at", u32, "BlockNumber"), ("last_payment_at", u32, "BlockNumber"), ("expires_at", u32, "BlockNumber"),
        ("data_size", u64, "u64"), ("monthly_fee", u128, "Balance"), ("auto_renew", boolean, "bool")])
    content_version = r.struct(["pallet_belize_bns", "types", "ContentVersion"], [
        ("content_hash", bytes32, "[u8; 32]"), ("uploaded_at", u32, "BlockNumber"),
        ("description", bounded_bytes, "BoundedVec<u8, ConstU32<128>>"), ("size_bytes", u64, "u64")])
    option_account, option_hash = r.option(account), r.option(bytes32)
    vec_bytes = lambda name: field(name, bytes_, "Vec<u8>")  # noqa: E731
    pallets["Bns"] = dict(
        storage=[("DomainRegistry", "Optional", ("map", ["Blake2_128Concat"], domain, domain_record), b"\x00"),
                 ("AccountDomains", "Default", ("map", ["Blake2_128Concat"], account, r.bounded_vec(domain)), b"\x00"),
                 ("HostedWebsites", "Optional", ("map", ["Blake2_128Concat"], domain, hosting_info), b"\x00"),
                 ("TotalDomains", "Default", ("plain", u64), bytes(8)),
                 ("TotalHostingRevenue", "Default", ("plain", u128), bytes(16)),
                 ("ContentHistory", "Optional", ("map", ["Blake2_128Concat", "Blake2_128Concat"], r.tuple(domain, u32), content_version), b"\x00"),
                 ("CurrentContentVersion", "Default", ("map", ["Blake2_128Concat"], domain, u32), bytes(4))],
        calls=[("register_domain", 0, [vec_bytes("domain_name"), field("tier", u8, "u8")]),
               ("set_resolution", 1, [vec_bytes("domain_name"), field("wallet_address", option_account, "Option<T::AccountId>"),
                                      field("content_hash", option_hash, "Option<[u8; 32]>"), vec_bytes("metadata")]),
               ("transfer_domain", 2, [vec_bytes("domain_name"), field("new_owner", account, "T::AccountId")]),
               ("list_domain", 3, [vec_bytes("domain_name"), field("price", u128, "BalanceOf<T>"),
                                   field("min_offer", r.option(u128), "Option<BalanceOf<T>>"), field("duration_blocks", u32, "BlockNumberFor<T>")]),
               ("buy_domain", 4, [vec_bytes("domain_name"), field("offer_price", u128, "BalanceOf<T>")]),
               ("unlist_domain", 5, [vec_bytes("domain_name")]),
               ("activate_hosting", 6, [vec_bytes("domain_name"), field("tier", u8, "u8"), field("content_hash", bytes32, "[u8; 32]"),
                                        field("auto_renew", boolean, "bool")]),
               ("renew_hosting", 7, [vec_bytes("domain_name"), field("months", u32, "u32")]),
               ("deactivate_hosting", 8, [vec_bytes("domain_name")]),
               ("update_hosting_content", 9, [vec_bytes("domain_name"), field("new_content_hash", bytes32, "[u8; 32]"),
                                              vec_bytes("description"), field("size_bytes", u64, "u64")]),
               ("register_external_domain", 10, [vec_bytes("external_domain"), vec_bytes("linked_bns_domain"), field("tier", u8, "u8")]),
               ("verify_external_domain", 11, [vec_bytes("external_domain")]),
               ("create_subdomain", 12, [vec_bytes("parent_domain"), vec_bytes("subdomain"), field("delegate_to", option_account, "Option<T::AccountId>")]),
               ("rollback_content", 13, [vec_bytes("domain_name"), field("target_version", u32, "u32")]),
               ("update_ssl_certificate", 14, [vec_bytes("domain_name"), field("cert_hash", bytes32, "[u8; 32]"), vec_bytes("serial_number"),
                                               vec_bytes("issuer"), field("expires_at", u32, "BlockNumberFor<T>")])],
        events=[("DomainRegistered", 0, [field("domain", domain), field("owner", account), field("price", u128), field("tier", u8)]),
                ("ResolutionUpdated", 1, [field("domain", domain), field("owner", account)]),
                ("DomainTransferred", 2, [field("domain", domain), field("from", account), field("to", account)]),
                ("DomainListed", 3, [field("domain", domain), field("seller", account), field("price", u128)]),
                ("DomainSold", 4, [field("domain", domain), field("seller", account), field("buyer", account), field("price", u128),
                                   field("marketplace_fee", u128)]),
                ("HostingActivated", 5, [field("domain", domain), field("owner", account), field("tier", u8), field("content_hash", bytes32)]),
                ("HostingRenewed", 6, [field("domain", domain), field("owner", account), field("blocks_extended", u32)]),
                ("HostingFeeCollected", 7, [field("payer", account), field("amount", u128)]),
                ("ExternalDomainRegistered", 8, [field("domain", domain), field("owner", account), field("tier", u8)]),
                ("ExternalDomainVerified", 9, [field("domain", domain), field("owner", account)]),
                ("ExternalDomainVerificationRequested", 10, [field("domain", domain), field("owner", account)]),
                ("SubdomainCreated", 11, [field("subdomain", domain), field("parent", domain), field("owner", account), field("delegated", boolean)]),
                ("ContentUpdated", 12, [field("domain", domain), field("version", u32), field("content_hash", bytes32)]),
                ("ContentRolledBack", 13, [field("domain", domain), field("version", u32), field("content_hash", bytes32)]),
                ("SSLCertificateUpdated", 14, [field("domain", domain), field("cert_hash", bytes32), field("expires_at", u32)])],
        errors=["DomainAlreadyExists", "DomainNotFound", "NotDomainOwner", "DomainTooShort", "DomainTooLong",
                "InvalidDomainCharacters", "InsufficientBalance", "MaxDomainsReached", "KycRequired", "VerifiedKycRequired",
                "AccountSanctioned", "NotListedForSale", "CannotBuyOwnDomain", "BidTooLow", "HostingAlreadyActive",
                "HostingNotActive", "HostingExpired", "InvalidTier", "DomainLocked", "VerificationFailed",
                "ExternalDomainNotVerified", "ArithmeticOverflow", "InvalidMetadata", "ZeroPriceNotAllowed",
                "SellerOwnerMismatch", "MaxContentVersionsReached"])

    # Mesh (34), reference §8
    mesh = lambda name, names: r.enum(["pallet_belize_mesh", "types", name], names)  # noqa: E731
    role = mesh("MeshNodeRole", ["Client", "Router", "RouterClient", "Gateway", "ValidatorRelay", "EmergencyBeacon"])
    hardware = mesh("MeshHardware", ["HeltecV3", "TBeam", "TBeamSupreme", "RAKWisBlock", "HeltecTracker", "StationG2", "Custom", "Unknown"])
    region = mesh("LoRaRegion", ["US915", "EU868", "CN433", "AU915", "IN865", "JP920", "KR920", "AS923"])
    district = mesh("BelizeDistrict", ["Belize", "Cayo", "OrangeWalk", "Corozal", "StannCreek", "Toledo"])
    terrain = mesh("TerrainType", ["Coastal", "Urban", "Suburban", "RuralFlat", "Jungle", "Mountain", "Island", "RiverValley"])
    tx_type = mesh("MeshTxType", ["TransferDalla", "TransferBbzd", "GovernanceVote", "IdentityPing", "NodeStatus"])
    relay_type = mesh("RelayType", ["Transaction", "BlockHeader", "EmergencyAlert", "Heartbeat", "Confirmation"])
    destination = r.add(("variant", [("Node", 0, [(None, bytes4, "[u8; 4]")]), ("Broadcast", 1, []), ("NearestGateway", 2, [])]),
                        ["pallet_belize_mesh", "types", "RelayDestination"])
    node_id = lambda name="node_id": field(name, bytes4, "[u8; 4]")  # noqa: E731
    pallets["Mesh"] = dict(
        calls=[("register_node", 0, [node_id(), field("role", role, "MeshNodeRole"), field("hardware", hardware, "MeshHardware"),
                                     field("region", region, "LoRaRegion"), field("latitude", i32, "i32"), field("longitude", i32, "i32"),
                                     field("altitude", i16, "i16"), field("district", district, "BelizeDistrict"),
                                     field("_terrain", terrain, "TerrainType")]),
               ("deregister_node", 1, [node_id()]),
               ("update_node_location", 2, [node_id(), field("latitude", i32, "i32"), field("longitude", i32, "i32"), field("altitude", i16, "i16")]),
               ("node_heartbeat", 3, [node_id()]),
               ("submit_mesh_transaction", 4, [field("tx_hash", h256, "H256"), field("tx_type", tx_type, "MeshTxType"),
                                               node_id("sender_compact"), node_id("recipient_compact"), field("amount", u64, "u64"),
                                               field("nonce", u32, "u32"), field("signature_hash", h256, "H256"), node_id("gateway_node_id"),
                                               field("relay_path", r.seq(bytes4), "Vec<[u8; 4]>"), field("hop_count", u8, "u8"),
                                               field("rssi", i16, "i16"), field("snr", i16, "i16")]),
               ("submit_relay_proof", 5, [node_id(), field("relay_type", relay_type, "RelayType"), field("content_hash", h256, "H256"),
                                          node_id("source_node"), field("destination", destination, "RelayDestination"),
                                          field("rssi", i16, "i16"), field("snr", i16, "i16")]),
               ("resolve_emergency_alert", 7, [field("alert_id", u32, "u32")]),
               ("confirm_emergency_alert", 8, [field("alert_id", u32, "u32"), node_id("confirmer_node_id")]),
               ("relay_block_header", 9, [node_id("relayer_node_id"), field("block_number", u32, "u32"), field("block_hash", h256, "H256"),
                                          field("parent_hash", h256, "H256"), field("state_root", h256, "H256"),
                                          field("extrinsics_root", h256, "H256"), node_id("author_compact"),
                                          field("extrinsic_count", u16, "u16"), field("timestamp", u32, "u32")]),
               ("claim_relay_rewards", 10, []),
               ("fund_relay_rewards", 12, [field("amount", compact_u128, "BalanceOf<T>")]),
               ("confirm_relay_proof", 13, [node_id("relayer_node_id"), field("proof_index", u32, "u32")]),
               ("add_emergency_authority", 14, [field("account", account, "T::AccountId")]),
               ("remove_emergency_authority", 15, [field("account", account, "T::AccountId")])],
        events=[("MeshTransactionReceived", 4, [field("tx_hash", h256), field("sender_compact", bytes4), field("recipient_compact", bytes4),
                                                field("amount", u64), field("gateway_node", bytes4), field("hop_count", u8)])],
        errors=["NodeAlreadyRegistered", "NodeNotFound", "NotNodeOwner", "TooManyNodes", "MaxMeshNodesReached",
                "InsufficientKycLevel", "InsufficientKycForGateway", "DuplicateMeshTransaction", "MaxPendingTransactionsExceeded",
                "InvalidMeshSignature", "ExcessiveHopCount", "AlertNotFound", "AlertAlreadyResolved", "MaxActiveAlertsExceeded",
                "NotEmergencyAuthority", "TooManyEmergencyAuthorities", "AlreadyEmergencyAuthority",
                "NotRegisteredEmergencyAuthority", "RelayProofLimitExceeded", "NoRelayRewards", "InvalidBlockHeader",
                "NodeInactive", "InvalidCoordinates", "ValidatorNotFound", "RelayMiningDisabled", "EmergencySystemDisabled",
                "InsufficientDeposit", "ProofAlreadyConfirmed", "CannotConfirmOwnProof", "ProofIndexOutOfRange",
                "AlertAlreadyConfirmed", "HeaderAlreadyExists", "MessageTooLong", "MeshTxRateLimitExceeded", "AlertIdOverflow"])

    # StorageProof (38), reference §4
    proof_type = r.enum(["pallet_storage_proof", "ProofType"], ["Merkle", "Groth16"])
    merkle_step = r.struct(["pallet_storage_proof", "MerkleStep"], [("node", bytes32, "[u8; 32]"), ("node_is_left", boolean, "bool")])
    merkle_proof = r.struct(["pallet_storage_proof", "MerkleProof"], [
        ("leaf", bytes32, "[u8; 32]"), ("siblings", r.bounded_vec(merkle_step), "BoundedVec<MerkleStep, ConstU32<64>>")])
    proof_record = r.struct(["pallet_storage_proof", "ProofRecord"], [
        ("submitter", account, "AccountId"), ("submitted_at", u32, "BlockNumber"), ("proof_type", proof_type, "ProofType")],
        [("AccountId", account), ("BlockNumber", u32)])
    pallets["StorageProof"] = dict(
        storage=[("StorageProofs", "Optional", ("map", ["Blake2_128Concat"], bytes32, proof_record), b"\x00")],
        calls=[("submit_storage_proof", 0, [field("content_id", bytes32, "ContentId"), field("proof", merkle_proof, "MerkleProof"),
                                            field("proof_type", proof_type, "ProofType")]),
               ("revoke_proof", 1, [field("content_id", bytes32, "ContentId")])],
        events=[("StorageProofAccepted", 0, [field("content_id", bytes32, "ContentId"), field("submitter", account, "T::AccountId")]),
                ("StorageProofRevoked", 1, [field("content_id", bytes32, "ContentId")])],
        errors=["EmptyMerkleProof", "MerklePathTooLong", "RootMismatch", "Groth16NotYetAccepted", "ContentAlreadyProven",
                "InsufficientDeposit", "ProofNotFound"])

    # overrides: moved and removed calls
    for qualified, index in overrides.get("call_index", {}).items():
        pallet, _, name = qualified.partition(".")
        calls = pallets[pallet]["calls"]
        position = next(i for i, call in enumerate(calls) if call[0] == name)
        if any(call[1] == index for call in calls if call[0] != name):
            raise ValueError(f"{pallet} already has a call at index {index}")
        calls[position] = (name, int(index), calls[position][2])
    for qualified in overrides.get("remove_calls", []):
        pallet, _, name = qualified.partition(".")
        pallets[pallet]["calls"] = [call for call in pallets[pallet]["calls"] if call[0] != name]

    # per-pallet Call/Event/Error enums, then the outer RuntimeCall and RuntimeEvent
    outer_calls, outer_events, table = [], [], {}
    for name, pallet in pallets.items():
        crate = PALLET_CRATE[name]
        index = pallet_index[name]
        pallet["index"] = index
        if pallet.get("calls") is not None:
            pallet["call_type"] = r.add(("variant", pallet["calls"]), [crate, "pallet", "Call"], [("T", None)])
            outer_calls.append((name, index, [(None, pallet["call_type"], f"self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<{name}, Runtime>")]))
            for call_name, call_index, _ in pallet["calls"]:
                table[(index, call_index)] = f"{name}.{call_name}"
        if pallet.get("events") is not None:
            pallet["event_type"] = r.add(("variant", pallet["events"]), [crate, "pallet", "Event"], [("T", None)])
            outer_events.append((name, index, [(None, pallet["event_type"], f"{crate}::Event<Runtime>")]))
        if pallet.get("errors") is not None:
            pallet["error_type"] = r.enum([crate, "pallet", "Error"], pallet["errors"], [("T", None)])
    if len({index for _, index, _ in outer_calls}) != len(outer_calls):
        raise ValueError("two pallets share an index")
    r.define(runtime_call, ("variant", outer_calls), ["belizechain_runtime", "RuntimeCall"])
    r.define(runtime_event, ("variant", outer_events), ["belizechain_runtime", "RuntimeEvent"])

    # the extrinsic: UncheckedExtrinsic<Address, Call, Signature, Extra> and the 8 signed extensions of §10.1
    ed25519 = r.struct(["sp_core", "ed25519", "Signature"], [(None, r.array(64, u8), "[u8; 64]")])
    sr25519 = r.struct(["sp_core", "sr25519", "Signature"], [(None, r.array(64, u8), "[u8; 64]")])
    ecdsa = r.struct(["sp_core", "ecdsa", "Signature"], [(None, r.array(65, u8), "[u8; 65]")])
    multi_signature = r.add(("variant", [("Ed25519", 0, [(None, ed25519, "ed25519::Signature")]),
                                         ("Sr25519", 1, [(None, sr25519, "sr25519::Signature")]),
                                         ("Ecdsa", 2, [(None, ecdsa, "ecdsa::Signature")])]), ["sp_runtime", "MultiSignature"])
    era = r.add(("variant", [("Immortal", 0, [])] + [(f"Mortal{i}", i, [(None, u8, None)]) for i in range(1, 256)]),
                ["sp_runtime", "generic", "era", "Era"])
    ext = lambda module, name, fields: r.struct(["frame_system", "extensions", module, name], fields, [("T", None)])  # noqa: E731
    extensions = [
        ("CheckNonZeroSender", ext("check_non_zero_sender", "CheckNonZeroSender", []), unit),
        ("CheckSpecVersion", ext("check_spec_version", "CheckSpecVersion", []), u32),
        ("CheckTxVersion", ext("check_tx_version", "CheckTxVersion", []), u32),
        ("CheckGenesis", ext("check_genesis", "CheckGenesis", []), h256),
        ("CheckMortality", ext("check_mortality", "CheckMortality", [(None, era, "Era")]), h256),
        ("CheckNonce", ext("check_nonce", "CheckNonce", [(None, compact_u32, "T::Nonce")]), unit),
        ("CheckWeight", ext("check_weight", "CheckWeight", []), unit),
        ("ChargeTransactionPayment", r.struct(["pallet_transaction_payment", "ChargeTransactionPayment"],
                                              [(None, compact_u128, "BalanceOf<T>")], [("T", None)]), unit),
    ]
    extra = r.tuple(*[ty for _, ty, _ in extensions])
    extrinsic_type = r.struct(["sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"], [(None, bytes_, None)],
                              [("Address", multi_address), ("Call", runtime_call), ("Signature", multi_signature), ("Extra", extra)])
    return r, pallets, (extrinsic_type, 4, extensions), runtime, table


def encode_pallet(name, pallet):
    def entry(item):
        entry_name, modifier, kind, default = item
        out = text(entry_name) + (b"\x00" if modifier == "Optional" else b"\x01")
        if kind[0] == "plain":
            out += b"\x00" + compact(kind[1])
        else:
            out += b"\x01" + vec(kind[1], lambda h: bytes([HASHERS.index(h)])) + compact(kind[2]) + compact(kind[3])
        return out + blob(default) + vec([], text)

    storage = pallet.get("storage")
    out = text(name)
    out += option(storage, lambda entries: text(name) + vec(entries, entry))
    out += option(pallet.get("call_type"), compact)
    out += option(pallet.get("event_type"), compact)
    out += vec(pallet.get("constants", []), lambda c: text(c[0]) + compact(c[1]) + blob(c[2]) + vec([], text))
    out += option(pallet.get("error_type"), compact)
    return out + bytes([pallet["index"]])


def build_metadata(spec_version=107, overrides=None, transaction_version=1):
    """RuntimeMetadataPrefixed: b"meta" ‖ 14 ‖ RuntimeMetadataV14, as bytes."""
    registry, pallets, (extrinsic_type, version, extensions), runtime, _ = build(spec_version, overrides, transaction_version)
    body = registry.encode()
    body += vec(sorted(pallets.items(), key=lambda item: item[1]["index"]), lambda item: encode_pallet(*item))
    body += compact(extrinsic_type) + bytes([version])
    body += vec(extensions, lambda e: text(e[0]) + compact(e[1]) + compact(e[2]))
    body += compact(runtime)
    return b"meta" + bytes([14]) + body


def call_table(overrides=None):
    """{(pallet index, call index): "Pallet.call_name"} of the runtime build_metadata describes."""
    return build(overrides=overrides)[4]


def describe(overrides=None):
    """The indices a runtime built with these overrides uses: {"pallets": {name: index},
    "calls": {(pallet index, call index): "Pallet.call"}, "errors": {pallet name: [error names]}}."""
    _, pallets, _, _, table = build(overrides=overrides)
    return {"pallets": {name: pallet["index"] for name, pallet in pallets.items()}, "calls": table,
            "errors": {name: list(pallet.get("errors", [])) for name, pallet in pallets.items()}}


# -- the check with scalecodec ---------------------------------------------------------------

def scalecodec_runtime(metadata_bytes):
    """A scalecodec RuntimeConfigurationObject driven by this metadata's portable registry, and the
    decoded MetadataVersioned."""
    from scalecodec.base import RuntimeConfigurationObject, ScaleBytes  # noqa: PLC0415 - only the check needs it
    from scalecodec.type_registry import load_type_registry_preset  # noqa: PLC0415

    config = RuntimeConfigurationObject()
    config.update_type_registry(load_type_registry_preset("core"))
    metadata = config.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_bytes))
    metadata.decode()
    config.add_portable_registry(metadata)
    return config, metadata


# The reference's signed StorageProof.submit_storage_proof (§12).
REFERENCE_EXTRINSIC = (
    "b5038400d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737007911f8715dae6e476ecd86e685bdefa28955239de5ee7b"
    "d5bb6b4517c37212f4d72b09d81217e83f3f3e5d19facf38a7654146781fac025814292e0589f3a4084502000026000fd0dac5cb132ef1f23496c67af6"
    "f57c5389f8d5f46971bb7790c031ae471575cea088b8e8e43246887d223295c8c3be763770bbccd84d9aec6402186c3f79b908c0e97d8a64ff73af8eb8"
    "60dbf8e2d0fb32fa005566985ded835deb3bcce4fa48003e20d9e339cf9ffaad15d0e0fc05172bc6947f1bdde91bf3d1d4eb7b316e34320000")


def check():
    """Decodes the metadata, the reference extrinsic and a System.Events vector with scalecodec."""
    from scalecodec.base import ScaleBytes  # noqa: PLC0415

    raw = build_metadata()
    config, metadata = scalecodec_runtime(raw)
    assert metadata.value[0] == "0x6d657461" and "V14" in metadata.value[1], "not a V14 metadata"
    names = {p["name"]: p["index"] for p in metadata.value[1]["V14"]["pallets"]}
    assert names == PALLET_INDEX, names
    extrinsic = config.create_scale_object("Extrinsic", data=ScaleBytes(bytes.fromhex(REFERENCE_EXTRINSIC)), metadata=metadata)
    value = extrinsic.decode()
    call = value["call"]
    assert (call["call_module"], call["call_function"]) == ("StorageProof", "submit_storage_proof"), call
    args = {arg["name"]: arg["value"] for arg in call["call_args"]}
    assert args["content_id"] == "0x0fd0dac5cb132ef1f23496c67af6f57c5389f8d5f46971bb7790c031ae471575", args
    assert len(args["proof"]["siblings"]) == 2 and args["proof_type"] == "Merkle", args
    assert value["nonce"] == 0 and value["tip"] == 0, value
    account = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"
    # System.Events: ExtrinsicSuccess at ApplyExtrinsic(0), then StorageProofAccepted and an ExtrinsicFailed
    # with Module{38, [4,0,0,0]} at ApplyExtrinsic(1).
    info = compact(10) + compact(20) + b"\x00\x00"
    records = [b"\x00" + (0).to_bytes(4, "little") + b"\x00\x00" + info + b"\x00",
               b"\x00" + (1).to_bytes(4, "little") + b"\x26\x00" + bytes(32) + bytes.fromhex(account) + b"\x00",
               b"\x00" + (1).to_bytes(4, "little") + b"\x00\x01" + b"\x03\x26\x04\x00\x00\x00" + info + b"\x00"]
    storage = next(e for p in metadata.value[1]["V14"]["pallets"] if p["name"] == "System" for e in p["storage"]["entries"]
                   if e["name"] == "Events")
    events = config.create_scale_object(f"scale_info::{storage['type']['Plain']}", data=ScaleBytes(compact(3) + b"".join(records)),
                                        metadata=metadata)
    decoded = events.decode()
    assert decoded[0]["phase"] == "ApplyExtrinsic" and decoded[0]["extrinsic_idx"] == 0, decoded[0]
    assert decoded[0]["event"]["event_id"] == "ExtrinsicSuccess" and decoded[0]["topics"] == [], decoded[0]
    assert decoded[0]["attributes"]["dispatch_info"] == {"weight": {"ref_time": 10, "proof_size": 20}, "class": "Normal",
                                                         "pays_fee": "Yes"}, decoded[0]
    assert decoded[1]["event"]["module_id"] == "StorageProof" and decoded[1]["event"]["event_id"] == "StorageProofAccepted", decoded[1]
    failed = decoded[2]["event"]["attributes"]["dispatch_error"]
    assert failed == {"Module": {"index": 38, "error": "0x04000000"}}, failed
    error = metadata.get_module_error(38, 4)
    assert error["name"] == "ContentAlreadyProven", error
    return {"metadataBytes": len(raw), "pallets": names, "extrinsic": f"{call['call_module']}.{call['call_function']}",
            "events": [f"{e['event']['module_id']}.{e['event']['event_id']}" for e in decoded]}


def main():
    parser = argparse.ArgumentParser(description="Synthetic BelizeChain runtime metadata V14 (dev chain stand-in)")
    parser.add_argument("--hex", action="store_true", help="print 0x… of the prefixed metadata")
    parser.add_argument("--check", action="store_true", help="decode it (and sample extrinsic/events) with scalecodec")
    parser.add_argument("--spec-version", type=int, default=107)
    parser.add_argument("--overrides", help="JSON, see the module docstring")
    args = parser.parse_args()
    if not args.hex and not args.check:
        parser.error("give --hex or --check")
    if args.check:
        print(json.dumps(check()))
    if args.hex:
        overrides = json.loads(args.overrides) if args.overrides else None
        print("0x" + build_metadata(args.spec_version, overrides).hex())


if __name__ == "__main__":
    sys.exit(main())
