"""Schemathesis hooks for docs/openapi.json (loaded by run.sh through SCHEMATHESIS_HOOKS).

Only what the schema cannot say by itself is here; no check is switched off.
"""

import base64
import hashlib

import schemathesis
from hypothesis import strategies as st

# POST /v1/car takes `application/vnd.ipld.car`, which Schemathesis has no serializer for (it
# reports "Serialization not possible" and skips the operation). A CAR is opaque bytes on the
# wire, so send the generated body exactly like `application/octet-stream`.
schemathesis.serializer.alias("application/vnd.ipld.car", "application/octet-stream")


# Strings declared with `"format": "cid"` get real CIDs instead of arbitrary text, so positive
# tests get past the CID parser (most of these CIDs are not stored: 404, which is a valid
# answer); `"format": "cid-sha256"` gets only sha2-256 CIDs, the ones PUT /v1/blocks/{cid} can
# store. docs/openapi.json marks its CID strings with these formats (a `pattern` is not enough:
# the coverage phase sends strings such as `Qm` that match a prefix pattern and are no CID).
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _BASE58[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def _sha256_cid(content: bytes, codec: int, version: int) -> str:
    multihash = b"\x12\x20" + hashlib.sha256(content).digest()  # sha2-256, 32 bytes
    if version == 0:  # CIDv0: the bare multihash in base58btc (`Qm…`), dag-pb implied
        return _base58btc(multihash)
    cid = bytes([0x01, codec]) + multihash  # CIDv1: version, codec, multihash
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")  # multibase base32


# sha2-256 CIDs of small contents: raw (0x55) or dag-pb (0x70), v0 or v1.
_SHA256_CIDS = st.builds(_sha256_cid, st.binary(max_size=16), st.sampled_from([0x55, 0x70]), st.sampled_from([0, 1]))
schemathesis.openapi.format("cid-sha256", _SHA256_CIDS)
schemathesis.openapi.format(
    "cid",
    # Also the identity CID of the empty block (served inline) and the empty dag-pb directory.
    st.sampled_from(["bafkqaaa", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"]) | _SHA256_CIDS,
)


# Strings declared with `"format": "ss58"` get real BelizeChain addresses (SS58, prefix 1981,
# the two prefix bytes 0x6f 0x47, checksum BLAKE2b-512 of "SS58PRE" ‖ prefix ‖ key) or 32-byte hex
# account ids: the checksum is what a schema cannot describe.
def _ss58(key: bytes) -> str:
    prefix = bytes([0x6F, 0x47])
    checksum = hashlib.blake2b(b"SS58PRE" + prefix + key, digest_size=64).digest()[:2]
    return _base58btc(prefix + key + checksum)


schemathesis.openapi.format(
    "ss58",
    st.builds(_ss58, st.binary(min_size=32, max_size=32)) | st.binary(min_size=32, max_size=32).map(lambda key: key.hex()),
)
