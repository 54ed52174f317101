#!/usr/bin/env python3
"""A minimal receiver for Fordra's webhooks, to try the integration: it checks each request's
signature (Fordra-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">), refuses a
forged or old one, and prints the event.

    FORDRA_WEBHOOK_SECRET=whsec_… python3 examples/webhook_receiver.py 9000
"""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ.get("FORDRA_WEBHOOK_SECRET", "").encode()
TOLERANCE = 300  # seconds


def genuine(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > TOLERANCE:
        return False
    expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not genuine(self.headers.get("Fordra-Signature", ""), body):
            self.send_response(401)
            self.end_headers()
            print("refused: bad or old signature", file=sys.stderr)
            return
        event = json.loads(body)
        print(f"{event['id']:>8} {event['type']:<18} {json.dumps(event['data'], ensure_ascii=False)}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if not SECRET:
        sys.exit("set FORDRA_WEBHOOK_SECRET to the subscription's secret")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
