#!/usr/bin/env python3
"""Check a node's IPFS trustless-gateway answers with independent tools.

Usage: car_verify.py --ca CA_PEM [--path PATH] [--query QUERY] BASE_URL CID

Fetches, over HTTPS from BASE_URL, the CAR of the DAG under CID
(GET /ipfs/CID with Accept: application/vnd.ipld.car) and the raw root block
(GET /ipfs/CID?format=raw with Accept: application/vnd.ipld.raw), then:
- decodes the CAR with PyPI `ipld_car` (Storacha's CARv1 reader, on PyPI
  `dag-cbor` and `multiformats`),
- checks that its header names CID as the root,
- hashes every block with PyPI `multiformats` and compares the multihash with
  the block's CID, and that the raw block hashes to CID.
With --path and --query, the CAR is that of /ipfs/CID/PATH?QUERY (a path, a
dag-scope, an entity-bytes range). Prints one JSON object: the content types,
roots, block count, the blocks' CIDs (CIDv1, base32, in CAR order), how many
blocks verified, and whether the raw block verified. Exit 1 with a message on
stderr when a fetch or decode fails.
"""

import argparse
import json
import ssl
import sys
import urllib.request

import ipld_car
from multiformats import CID, multihash


def fetch(url, accept, context):
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, context=context, timeout=60) as response:
        return response.headers.get("Content-Type", ""), response.read()


def verifies(cid, block):
    return multihash.digest(block, cid.hashfun.name) == bytes(cid.digest)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca", required=True)
    parser.add_argument("--path", default="")
    parser.add_argument("--query", default="")
    parser.add_argument("base_url")
    parser.add_argument("cid")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca)
    base = args.base_url.rstrip("/")
    try:
        path = f"/{args.path}" if args.path else ""
        query = f"?{args.query}" if args.query else ""
        car_type, car = fetch(f"{base}/ipfs/{args.cid}{path}{query}", "application/vnd.ipld.car", context)
        raw_type, raw = fetch(f"{base}/ipfs/{args.cid}?format=raw", "application/vnd.ipld.raw", context)
        roots, blocks = ipld_car.decode(car)
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        print(f"car_verify.py: {error}", file=sys.stderr)
        sys.exit(1)
    wanted = CID.decode(args.cid)
    print(json.dumps({
        "carContentType": car_type,
        "rawContentType": raw_type,
        "roots": [str(root) for root in roots],
        "rootMatches": [root.set(version=1, base="base32") for root in roots] == [wanted.set(version=1, base="base32")],
        "blocks": len(blocks),
        "cids": [str(cid.set(version=1, base="base32")) for cid, _ in blocks],
        "verified": sum(1 for cid, block in blocks if verifies(cid, bytes(block))),
        "rawVerified": verifies(wanted, raw),
        "rootInCAR": any(cid.digest == wanted.digest for cid, _ in blocks),
    }))


if __name__ == "__main__":
    main()
