"""A stand-in for AWS KMS on loopback, for the awskms seal tests (no AWS is
reachable here): the JSON API's Encrypt and Decrypt (TrentService.*), with
each request's Signature Version 4 checked exactly as AWS checks it, so a
client that signs wrongly, or with the wrong secret, is refused with AWS's
error types. Keys are AES-256-GCM keys held in memory, by KeyId."""
import base64
import hashlib
import hmac
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class FakeKms:
    def __init__(self, access_key, secret_key, key_ids=("alias/tresor",), region="us-east-1"):
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.keys = {k: AESGCM.generate_key(bit_length=256) for k in key_ids}
        self.calls = []  # (action, accepted)
        self.server = None
        self.port = None

    def start(self, port=0):
        kms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = kms.handle(self, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def check_signature(self, request, body):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "MissingAuthenticationTokenException", "no SigV4 Authorization header"
        parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        access_key, date, region, service, _ = parts["Credential"].split("/")
        if access_key != self.access_key:
            return "UnrecognizedClientException", "the security token included is invalid"
        if region != self.region or service != "kms":
            return "InvalidSignatureException", f"wrong scope {region}/{service}"
        signed = parts["SignedHeaders"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return "InvalidSignatureException", "host and x-amz-date must be signed"
        canonical_headers = "".join(
            f"{h}:{' '.join(request.headers.get(h, '').split())}\n" for h in signed)
        canonical = "\n".join(["POST", request.path.split("?")[0] or "/", "", canonical_headers,
                               parts["SignedHeaders"], hashlib.sha256(body).hexdigest()])
        amz_date = request.headers.get("X-Amz-Date", "")
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _sign(("AWS4" + self.secret_key).encode(), date)
        for part in (region, service, "aws4_request"):
            key = _sign(key, part)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts["Signature"]):
            return "InvalidSignatureException", "the request signature does not match"
        return None

    def handle(self, request, body):
        action = request.headers.get("X-Amz-Target", "").replace("TrentService.", "")
        refused = self.check_signature(request, body)
        self.calls.append((action, refused is None))
        if refused is not None:
            return 400, {"__type": refused[0], "message": refused[1]}
        args = json.loads(body)
        if action == "Encrypt":
            key_id = args.get("KeyId")
            if key_id not in self.keys:
                return 400, {"__type": "NotFoundException", "message": f"key {key_id} not found"}
            nonce = os.urandom(12)
            sealed = AESGCM(self.keys[key_id]).encrypt(nonce, base64.b64decode(args["Plaintext"]),
                                                        key_id.encode())
            blob = json.dumps({"k": key_id, "n": base64.b64encode(nonce).decode(),
                               "c": base64.b64encode(sealed).decode()}).encode()
            return 200, {"CiphertextBlob": base64.b64encode(blob).decode(), "KeyId": key_id}
        if action == "Decrypt":
            try:
                blob = json.loads(base64.b64decode(args["CiphertextBlob"]))
                plaintext = AESGCM(self.keys[blob["k"]]).decrypt(
                    base64.b64decode(blob["n"]), base64.b64decode(blob["c"]), blob["k"].encode())
            except Exception:
                return 400, {"__type": "InvalidCiphertextException", "message": "cannot decrypt"}
            return 200, {"Plaintext": base64.b64encode(plaintext).decode(), "KeyId": blob["k"]}
        return 400, {"__type": "UnknownOperationException", "message": action}
