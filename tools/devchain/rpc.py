#!/usr/bin/env python3
"""A small JSON-RPC over WebSocket client for the dev chain (and any Substrate node).

Usage:
  rpc.py URL METHOD [PARAMS_JSON]   one call; prints {"result": …} or {"error": …}
  rpc.py URL --watch EXTRINSIC_HEX  author_submitAndWatchExtrinsic; prints the reply, then
                                    one line per status until finalized, invalid, dropped,
                                    usurped or 30 s without one
"""

import asyncio
import json
import sys

import websockets

TERMINAL = ("finalized", "invalid", "dropped", "usurped", "finalityTimeout")


async def main():
    url, method = sys.argv[1], sys.argv[2]
    async with websockets.connect(url, max_size=16 << 20) as websocket:
        if method == "--watch":
            await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "author_submitAndWatchExtrinsic", "params": [sys.argv[3]]}))
            reply = json.loads(await websocket.recv())
            print(json.dumps({key: reply[key] for key in ("result", "error") if key in reply}), flush=True)
            if "error" in reply:
                return
            while True:
                try:
                    message = json.loads(await asyncio.wait_for(websocket.recv(), timeout=30))
                except asyncio.TimeoutError:
                    print(json.dumps({"status": "timeout"}))
                    return
                if message.get("method") != "author_extrinsicUpdate":
                    continue
                status = message["params"]["result"]
                print(json.dumps({"status": status}), flush=True)
                name = status if isinstance(status, str) else next(iter(status))
                if name in TERMINAL:
                    return
        params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else []
        await websocket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        while True:
            reply = json.loads(await websocket.recv())
            if reply.get("id") == 1:
                print(json.dumps({key: reply[key] for key in ("result", "error") if key in reply}))
                return


if __name__ == "__main__":
    if len(sys.argv) < 3 or (sys.argv[2] == "--watch" and len(sys.argv) < 4):
        sys.exit(__doc__)
    try:
        asyncio.run(main())
    except (OSError, websockets.WebSocketException, json.JSONDecodeError) as error:
        sys.exit(f"rpc.py: {error}")
