#!/usr/bin/env python3
"""Minimal DHCP client for the dashboard test: N full DORAs against a Leasehold server on
127.0.0.1 (replies come back to our socket on loopback). Standard library only.
Usage: dora.py PORT COUNT [HOSTNAME-PREFIX]; prints one ACKed address per line."""
import socket
import struct
import sys


def packet(kind, mac, xid, extra=b""):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0,
                      b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                      mac + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63" + bytes([53, 1, kind]) + extra + b"\xff"
    return (hdr + opts).ljust(300, b"\0")


def options(data):
    out, i = {}, 240
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        ln = data[i + 1]
        out[code] = data[i + 2:i + 2 + ln]
        i += 2 + ln
    return out


def exchange(sock, port, pkt, xid):
    sock.sendto(pkt, ("127.0.0.1", port))
    while True:
        data, _ = sock.recvfrom(1500)
        if len(data) >= 240 and struct.unpack("!I", data[4:8])[0] == xid:
            return data


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    prefix = sys.argv[3] if len(sys.argv) > 3 else "host"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    for n in range(count):
        mac = bytes([0x52, 0x54, 0x00, 0xd0, 0x00, n + 1])
        name = f"{prefix}-{n + 1}".encode()
        hostopt = bytes([12, len(name)]) + name
        offer = exchange(sock, port, packet(1, mac, 0x1000 + n, hostopt), 0x1000 + n)
        yiaddr = offer[16:20]
        sid = options(offer).get(54, b"\x7f\0\0\x01")
        extra = bytes([50, 4]) + yiaddr + bytes([54, 4]) + sid + hostopt
        ack = exchange(sock, port, packet(3, mac, 0x2000 + n, extra), 0x2000 + n)
        if options(ack).get(53) != b"\x05":
            sys.exit(f"no ACK for client {n + 1}")
        print(socket.inet_ntoa(ack[16:20]))


if __name__ == "__main__":
    main()
