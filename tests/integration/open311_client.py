#!/usr/bin/env python3
"""An Open311 GeoReport v2 client written from the specification alone
(wiki.open311.org/GeoReport_v2), with the standard library only: it knows
nothing of fengqiao's code. test_open311.sh drives it.

    open311_client.py BASE services FMT
    open311_client.py BASE definition FMT CODE
    open311_client.py BASE post FMT [--idempotency-key K] field=value ...
    open311_client.py BASE list FMT field=value ...
    open311_client.py BASE get FMT ID field=value ...
    open311_client.py BASE raw METHOD PATH [BODY [CONTENT-TYPE]]
    open311_client.py BASE serve

BASE is the endpoint, e.g. http://127.0.0.1:8080/open311/v2/. FMT is json or
xml. Prints one JSON line: {"status": HTTP status, "type": content type,
"data": the answer decoded (a list of objects, the errors included, or an
object for a service definition), "raw": the body as text}.

serve: one command after another from standard input, each its number of
arguments and then the arguments (the words after BASE above), every one
ended by a NUL byte; one answer line each (flushed), or {"client_error":
...} for a command it does not know. One process for a whole test instead
of a Python start per request."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def decode_xml(text):
    root = ET.fromstring(text)
    if root.tag == "service_definition":
        out = {"service_code": root.findtext("service_code"), "attributes": []}
        attrs = root.find("attributes")
        for a in attrs if attrs is not None else []:
            out["attributes"].append({c.tag: c.text or "" for c in a})
        return out
    # <services><service/>…, <service_requests><request/>…, <errors><error/>…
    return [{c.tag: (c.text or "") for c in item} for item in root]


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def answer(status, ctype, raw):
    text = raw.decode("utf-8")
    data = None
    try:
        if ctype.startswith("application/json"):
            data = json.loads(text)
        elif ctype.startswith("text/xml") or ctype.startswith("application/xml"):
            data = decode_xml(text)
    except (ValueError, ET.ParseError) as e:
        data = {"undecodable": str(e)}
    print(json.dumps({"status": status, "type": ctype, "data": data, "raw": text},
                     ensure_ascii=False))


def fields(args):
    out = []
    for a in args:
        k, _, v = a.partition("=")
        out.append((k, v))
    return out


def request(argv):
    base, cmd = argv[1], argv[2]
    if not base.endswith("/"):
        base += "/"
    if cmd == "services":
        answer(*call("GET", base + "services." + argv[3]))
    elif cmd == "definition":
        answer(*call("GET", base + "services/" + urllib.parse.quote(argv[4]) + "." + argv[3]))
    elif cmd == "post":
        fmt, rest, headers = argv[3], argv[4:], {
            "Content-Type": "application/x-www-form-urlencoded"}
        if rest and rest[0] == "--idempotency-key":
            headers["Idempotency-Key"] = rest[1]
            rest = rest[2:]
        body = urllib.parse.urlencode(fields(rest)).encode()
        answer(*call("POST", base + "requests." + fmt, body, headers))
    elif cmd == "list":
        query = urllib.parse.urlencode(fields(argv[4:]))
        answer(*call("GET", base + "requests." + argv[3] + ("?" + query if query else "")))
    elif cmd == "get":
        query = urllib.parse.urlencode(fields(argv[5:]))
        answer(*call("GET", base + "requests/" + argv[4] + "." + argv[3] +
                     ("?" + query if query else "")))
    elif cmd == "raw":
        method, path = argv[3], argv[4]
        body = argv[5].encode() if len(argv) > 5 else None
        headers = {"Content-Type": argv[6]} if len(argv) > 6 else {}
        answer(*call(method, base + path, body, headers))
    else:
        raise ValueError("unknown command " + cmd)


def token(stream):
    """The next NUL-ended argument of serve's input; None at its end."""
    buf = bytearray()
    while True:
        c = stream.read(1)
        if not c:
            return None
        if c == b"\0":
            return buf.decode("utf-8")
        buf += c


def serve(base):
    stream = sys.stdin.buffer
    while True:
        n = token(stream)
        if n is None:
            return
        args = [token(stream) for _ in range(int(n))]
        try:
            request([sys.argv[0], base] + args)
        except (ValueError, IndexError) as e:
            print(json.dumps({"client_error": str(e)}))
        sys.stdout.flush()


def main(argv):
    if len(argv) == 3 and argv[2] == "serve":
        serve(argv[1])
        return
    try:
        request(argv)
    except ValueError as e:
        sys.exit(str(e))


if __name__ == "__main__":
    main(sys.argv)
