#!/usr/bin/env python3
"""A serial line for the LoRa tests: a pseudo-terminal whose far end is joined to a simulated
device's TCP port. Prints {"path": "/dev/pts/N"} once ready, then copies bytes both ways until
either side closes or stdin does (the test ends it by closing stdin or killing it)."""
import json
import os
import pty
import select
import socket
import sys
import tty

host, port = sys.argv[1], int(sys.argv[2])
master, slave = pty.openpty()
# Raw from the start, so nothing is echoed before the client configures the port itself.
tty.setraw(slave)
path = os.ttyname(slave)
connection = socket.create_connection((host, port))
print(json.dumps({"path": path}), flush=True)

sources = [master, connection.fileno(), sys.stdin.fileno()]
while True:
    readable, _, _ = select.select(sources, [], [])
    if sys.stdin.fileno() in readable and not os.read(sys.stdin.fileno(), 4096):
        break
    if master in readable:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if data:
            connection.sendall(data)
    if connection.fileno() in readable:
        data = connection.recv(4096)
        if not data:
            break
        os.write(master, data)
