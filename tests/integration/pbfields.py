"""The top-level fields of a protobuf message, for tests that read a stored
payload (a routing event's RoutingOutcome) without generated code.

    fields(bytes) -> {field number: last value}: varints as int, length-
    delimited fields as str when they are UTF-8, else bytes; fixed64/32 as
    bytes. Repeated fields keep their last value.

    sizes(bytes) -> {field number: bytes it takes, tags included, summed
    over its occurrences}

    python3 pbfields.py NUMBER < hex   prints that field (0 when absent)
"""
import sys


def fields(b):
    return _walk(b)[0]


def sizes(b):
    return _walk(b)[1]


def _walk(b):
    out, size, i = {}, {}, 0

    def varint():
        nonlocal i
        n = shift = 0
        while True:
            c = b[i]
            i += 1
            n |= (c & 0x7F) << shift
            shift += 7
            if c < 0x80:
                return n

    while i < len(b):
        start = i
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            v = varint()
        elif wire == 2:
            n = varint()
            v = b[i:i + n]
            i += n
            try:
                v = v.decode()
            except UnicodeDecodeError:
                pass
        elif wire == 1:
            v = b[i:i + 8]
            i += 8
        elif wire == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wire)
        out[num] = v
        size[num] = size.get(num, 0) + i - start
    return out, size


if __name__ == "__main__":
    print(fields(bytes.fromhex(sys.stdin.read().strip())).get(int(sys.argv[1]), 0))
