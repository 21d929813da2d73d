#!/usr/bin/env python3
"""upward_receiver: the city's collaboration platform as the tests see it
(docs/upward.md) — an HTTPS server that takes the reports upward.

Each POST is checked: the X-Fengqiao-Signature header must be
"sha256=" + HMAC-SHA-256(key, body) with the key in --key-file (read at every
request, so a test can change it), the body JSON, its delivery_id the
X-Fengqiao-Delivery header. Every request is one line of --log (JSON:
delivery_id, incident, signature_ok, status answered). The answer is 200,
unless the file --mode holds "refuse" (503), or the signature is wrong (401).
The port it listens on (127.0.0.1, --port or one the kernel chooses) is
written to --port-file once it listens.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0, help="default: one the kernel chooses")
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with open(args.key_file) as f:
                key = bytes.fromhex(f.read().strip())
            want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
            sig_ok = hmac.compare_digest(want, self.headers.get("X-Fengqiao-Signature", ""))
            delivery = self.headers.get("X-Fengqiao-Delivery", "")
            incident = None
            try:
                doc = json.loads(body)
                incident = doc["incident"]["id"]
                if doc["delivery_id"] != delivery:
                    sig_ok = False
            except (ValueError, KeyError, TypeError):
                sig_ok = False
            mode = "accept"
            if os.path.exists(args.mode):
                with open(args.mode) as f:
                    mode = f.read().strip() or "accept"
            status = 401 if not sig_ok else (503 if mode == "refuse" else 200)
            with open(args.log, "a") as f:
                f.write(json.dumps({"delivery_id": delivery, "incident": incident,
                                    "signature_ok": sig_ok, "status": status,
                                    "body": body.decode("utf-8", "replace")},
                                   ensure_ascii=False) + "\n")
            reply = b'{"ok":true}' if status == 200 else b'{"ok":false}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
