#!/usr/bin/env python3
"""Writes the seed corpus: a DHCP DISCOVER, a REQUEST, a relayed REQUEST with option 82, a
packet with option overload and RFC 3396 split options, and a plain BOOTP request."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
COOKIE = bytes([99, 130, 83, 99])
MAC = bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])


def header(op=1, xid=0x3903F326, flags=0, giaddr=b"\0" * 4, ciaddr=b"\0" * 4, hops=0, sname=b"", file=b""):
    h = struct.pack("!BBBBIHH", op, 1, 6, hops, xid, 0, flags)
    h += ciaddr + b"\0" * 4 + b"\0" * 4 + giaddr
    h += MAC + b"\0" * 10
    h += sname.ljust(64, b"\0") + file.ljust(128, b"\0")
    assert len(h) == 236
    return h


def opt(code, value):
    return bytes([code, len(value)]) + value


prl = opt(55, bytes([1, 3, 6, 15, 28, 42, 51, 54, 58, 59, 119, 121]))
client_id = opt(61, b"\x01" + MAC)
seeds = {
    "discover": header(flags=0x8000) + COOKIE + opt(53, b"\x01") + client_id + prl
    + opt(57, b"\x05\xdc") + opt(12, b"client") + b"\xff",
    "request": header() + COOKIE + opt(53, b"\x03") + client_id + opt(50, bytes([198, 18, 0, 10]))
    + opt(54, bytes([198, 18, 0, 1])) + prl + b"\xff",
    "relayed": header(giaddr=bytes([198, 19, 0, 1]), hops=1) + COOKIE + opt(53, b"\x01") + prl
    + opt(82, opt(1, b"eth0/1") + opt(2, b"relay-1") + opt(5, bytes([198, 19, 0, 0]))) + b"\xff",
    "overload": header(op=2, sname=opt(15, b"example.test") + b"\xff", file=opt(43, b"\x01" * 40) + b"\xff")
    + COOKIE + opt(53, b"\x02") + opt(52, b"\x03") + opt(43, b"\x02" * 255) + opt(43, b"\x03" * 10) + b"\xff",
    "bootp": header(file=b"pxelinux.0") + b"\0" * 64,
}
os.makedirs(os.path.join(HERE, "corpus", "parse"), exist_ok=True)
os.makedirs(os.path.join(HERE, "corpus", "encode"), exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(HERE, "corpus", "parse", name), "wb") as f:
        f.write(data)
    # encode target: max_len 576-28, pad, empty PRL, then the datagram.
    with open(os.path.join(HERE, "corpus", "encode", name), "wb") as f:
        f.write(struct.pack("!HBB", 548, 1, 0) + data)
