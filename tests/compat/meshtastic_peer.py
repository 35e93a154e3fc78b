#!/usr/bin/env python3
"""The official Meshtastic Python client (PyPI `meshtastic` 2.7.11, GPL-3.0, installed as a
test tool only) as an independent peer of Pakit's radio simulator and LoRa bridge.

Usage: meshtastic_peer.py HOST PORT PEER_NODE_NUM SEND_HEX

1. Connects with `meshtastic.tcp_interface.TCPInterface` (the full handshake) and prints
   {"event": "connected", "myNodeNum", "nodes": [node numbers], "hopLimit", "preset", "region",
    "channels"}.
2. Waits (60 s) for one PRIVATE_APP packet from PEER_NODE_NUM on `meshtastic.receive.data.PRIVATE_APP`
   and prints {"event": "received", "from", "to", "payload": hex, "hopStart", "hopLimit"}.
3. Sends SEND_HEX to PEER_NODE_NUM on PRIVATE_APP with wantAck and waits for the ROUTING answer:
   {"event": "answer", "label": "unicast", "error": "NONE" | reason, "from"}.
4. Sends a 232-byte PRIVATE_APP broadcast (one byte over the firmware's limit) and prints the
   answer the same way (label "oversize").
5. Sends a 231-byte PRIVATE_APP broadcast with wantAck and prints its answer (label "maximum":
   an implicit ACK once a neighbour relays it).
Prints {"event": "done"} and exits 0; on a timeout prints {"event": "timeout", "step"} and exits 1.
"""

import json
import sys
import threading

from pubsub import pub
from meshtastic import portnums_pb2
from meshtastic.tcp_interface import TCPInterface

PRIVATE_APP = portnums_pb2.PortNum.PRIVATE_APP


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def main():
    host, port, peer, send_hex = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    received = threading.Event()
    got = {}

    # pypubsub keeps weak references: keep the listener a named, referenced function.
    def on_private(packet, interface):
        if packet.get("from") == peer and not received.is_set():
            got.update(packet)
            received.set()

    pub.subscribe(on_private, "meshtastic.receive.data.PRIVATE_APP")

    iface = TCPInterface(hostname=host, portNumber=port, timeout=60)
    try:
        lora = iface.localNode.localConfig.lora
        emit(
            event="connected",
            myNodeNum=iface.myInfo.my_node_num,
            nodes=sorted(int(n["num"]) for n in iface.nodes.values()),
            hopLimit=lora.hop_limit,
            preset=lora.modem_preset,
            region=lora.region,
            channels=len(iface.localNode.channels or []),
        )
        if not received.wait(60):
            emit(event="timeout", step="receive")
            return 1
        decoded = got["decoded"]
        emit(
            event="received",
            payload=bytes(decoded["payload"]).hex(),
            hopStart=got.get("hopStart", 0),
            hopLimit=got.get("hopLimit", 0),
            to=got.get("to"),
            **{"from": got.get("from")},
        )

        def send_and_wait(label, data, destination, want_ack=True):
            answered = threading.Event()
            answer = {}

            def on_answer(packet):
                answer.update(packet)
                answered.set()

            iface.sendData(
                data, destinationId=destination, portNum=PRIVATE_APP, wantAck=want_ack,
                onResponse=on_answer, onResponseAckPermitted=True,
            )
            if not answered.wait(120):
                emit(event="timeout", step=label)
                return False
            routing = answer.get("decoded", {}).get("routing", {})
            emit(event="answer", label=label, error=routing.get("errorReason", "NONE"), **{"from": answer.get("from")})
            return True

        if not send_and_wait("unicast", bytes.fromhex(send_hex), peer):
            return 1
        if not send_and_wait("oversize", bytes(232), "^all"):
            return 1
        if not send_and_wait("maximum", bytes(231), "^all"):
            return 1
        emit(event="done")
        return 0
    finally:
        iface.close()


if __name__ == "__main__":
    sys.exit(main())
