#!/usr/bin/env python3
"""A noisy line for the LoRa tests: listens on a free port, joins the first client to a
simulated device's TCP port, copies bytes both ways, and towards the client mixes in, between
the device's own frames, well-framed garbage: random bytes as protobufs, truncated and bit-flipped
copies of the device's real frames, and stray text. Prints {"port": N} once listening and
{"injected": K} each time a burst went out."""
import json
import os
import random
import select
import socket
import struct
import sys

host, port, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
client, _ = listener.accept()
device = socket.create_connection((host, port))
seen = []  # the device's real frames, as material for corrupted copies
buffer = b""
injected = 0


def frame(payload):
    return b"\x94\xc3" + struct.pack(">H", len(payload)) + payload


def garbage():
    kind = rng.randrange(4)
    if kind == 0 or not seen:
        return frame(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))))
    real = rng.choice(seen)
    if kind == 1:
        return frame(real[: rng.randrange(0, max(len(real), 1))])
    if kind == 2:
        flipped = bytearray(real)
        for _ in range(rng.randrange(1, 6)):
            if flipped:
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        return frame(bytes(flipped))
    return b"DEBUG | ??:??:?? noise " + bytes(rng.randrange(32, 127) for _ in range(20)) + b"\r\n"


while True:
    readable, _, _ = select.select([client, device], [], [])
    if client in readable:
        data = client.recv(4096)
        if not data:
            break
        device.sendall(data)
    if device in readable:
        data = device.recv(4096)
        if not data:
            break
        buffer += data
        # Pass the device's frames on whole, each followed by a burst of garbage.
        while True:
            start = buffer.find(b"\x94\xc3")
            if start < 0 or len(buffer) < start + 4:
                break
            length = struct.unpack(">H", buffer[start + 2 : start + 4])[0]
            if len(buffer) < start + 4 + length:
                break
            payload = buffer[start + 4 : start + 4 + length]
            client.sendall(buffer[: start + 4 + length])
            buffer = buffer[start + 4 + length :]
            seen.append(payload)
            seen = seen[-50:]
            burst = b"".join(garbage() for _ in range(rng.randrange(1, 4)))
            client.sendall(burst)
            injected += 1
            print(json.dumps({"injected": injected}), flush=True)
