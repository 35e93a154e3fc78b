#!/usr/bin/env python3
"""Print Kubo-compatible CIDs computed by PyPI `aleph-cid` (no IPFS node).

Usage: aleph_cid.py [--v1-raw-leaves] [--lenient] PATH [PATH ...]

Prints one JSON object {"<path as given>": "<cid>", ...} on stdout.
  default           Kubo v0.22 defaults: CIDv0, 256 KiB chunks, 174 links, dag-pb leaves
                    (files: CidHasher.for_ipfs(); directories: hash_folder(cid_version=0),
                    which equals `ipfs add -r --hidden`).
  --v1-raw-leaves   Kubo `--cid-version=1`: CIDv1, 256 KiB chunks, 174 links, raw leaves
                    (files: CidHasher.for_ipfs_v1_raw_leaves(); directories:
                    hash_folder(cid_version=1)).
aleph-cid drops empty directories, cannot hash an empty directory and does not
store symlinks as Kubo does, so such directories are refused unless --lenient
is given (then its own CID is printed: empty subdirectories and symlinks are
left out). On any failure: exit 1 with a one-line message on stderr.
"""

import argparse
import json
import os
import stat
import sys

PROG = "aleph_cid.py"
READ_SIZE = 1 << 20


class Failure(Exception):
    pass


def import_aleph_cid():
    """Import the PyPI package, not this script (which has the same name)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    import aleph_cid

    return aleph_cid


def file_cid(aleph_cid, path, v1_raw_leaves):
    hasher = (aleph_cid.CidHasher.for_ipfs_v1_raw_leaves() if v1_raw_leaves
              else aleph_cid.CidHasher.for_ipfs())
    with open(path, "rb") as f:
        while chunk := f.read(READ_SIZE):
            hasher.update(chunk)
    return hasher.finalize()


def kubo_divergence(top):
    """Return why aleph-cid's CID of directory `top` would differ from Kubo's, or None."""
    if not os.listdir(top):
        return "empty directory"
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                return f"symlink {path}"
            if stat.S_ISDIR(mode) and not os.listdir(path):
                return f"empty directory {path}"
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                return f"special file {path}"
    return None


def main():
    parser = argparse.ArgumentParser(prog=PROG, description="Kubo-compatible CIDs via aleph-cid")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file or directory")
    parser.add_argument("--v1-raw-leaves", action="store_true",
                        help="CIDv1 with raw leaves (Kubo --cid-version=1) instead of CIDv0")
    parser.add_argument("--lenient", action="store_true",
                        help="hash directories even where aleph-cid diverges from Kubo")
    args = parser.parse_args()

    try:
        aleph_cid = import_aleph_cid()
        cids = {}
        for path in args.paths:
            if os.path.isdir(path):
                why = kubo_divergence(path)
                if why and not args.lenient:
                    raise Failure(f"{path}: aleph-cid cannot match Kubo here ({why}); use --lenient")
                cids[path] = aleph_cid.hash_folder(
                    path, cid_version=1 if args.v1_raw_leaves else 0, follow_symlinks=False)
            elif os.path.isfile(path):
                cids[path] = file_cid(aleph_cid, path, args.v1_raw_leaves)
            else:
                raise Failure(f"not a regular file or directory: {path}")
    except Exception as exc:  # any failure -> one line, exit 1
        message = " ".join((str(exc) or type(exc).__name__).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
    print(json.dumps(cids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
