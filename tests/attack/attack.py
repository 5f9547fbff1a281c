#!/usr/bin/env python3
"""Traffic generators for tests/attack/run.sh. Every loop is bounded in count AND time.

  attack.py discover-flood IFACE COUNT SECONDS   spoofed-MAC DISCOVERs as raw Ethernet broadcasts
                                                 (template built with scapy, MAC rewritten per frame)
  attack.py garbage HOST PORT CORPUS_DIR COUNT SECONDS
                                                 replay the fuzz corpus, then COUNT random datagrams
  attack.py cid-flood HOST PORT COUNT SECONDS    COUNT DISCOVERs with distinct option 61 over UDP
Prints one summary line: `sent=N seconds=S`.
"""
import os
import random
import socket
import struct
import sys
import time


def discover_flood(iface, count, seconds):
    from scapy.all import BOOTP, DHCP, IP, UDP, Ether, raw  # Debian's python3-scapy

    tmpl = bytearray(raw(
        Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=b"\x02\x00\x00\x00\x00\x01" + b"\x00" * 10, xid=1)
        / DHCP(options=[("message-type", "discover"), "end"])
    ))
    # Offsets: Ethernet src 6..12; BOOTP starts at 14+20+8 = 42; xid at +4, chaddr at +28.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    deadline = time.monotonic() + seconds
    sent = 0
    rnd = random.Random(7)
    while sent < count and time.monotonic() < deadline:
        mac = bytes([0x02]) + rnd.randbytes(5)
        tmpl[6:12] = mac
        tmpl[42 + 28:42 + 34] = mac
        tmpl[42 + 4:42 + 8] = rnd.randbytes(4)
        # UDP checksum 0 (optional in IPv4) since the payload changed.
        tmpl[14 + 20 + 6:14 + 20 + 8] = b"\x00\x00"
        try:
            s.send(bytes(tmpl))
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        if sent % 500 == 0:
            time.sleep(0.01)  # ~50k/s at most: a flood, not a kernel stress test
    return sent


def garbage(host, port, corpus, count, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.monotonic() + seconds
    sent = 0
    files = sorted(os.listdir(corpus)) if os.path.isdir(corpus) else []
    for name in files:
        with open(os.path.join(corpus, name), "rb") as f:
            data = f.read()[:1400]
        for _ in range(20):
            s.sendto(data, (host, port))
            sent += 1
    rnd = random.Random(11)
    # A real BOOTREQUEST header to mutate, so some garbage gets past the first checks.
    base = bytearray(300)
    base[0:4] = b"\x01\x01\x06\x00"
    base[236:240] = b"\x63\x82\x53\x63"
    for i in range(count):
        if time.monotonic() > deadline:
            break
        if i % 2:
            data = rnd.randbytes(rnd.randrange(0, 1400))
        else:
            data = bytearray(base)
            for _ in range(rnd.randrange(1, 40)):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
            data = bytes(data) + rnd.randbytes(rnd.randrange(0, 200))
        s.sendto(data, (host, port))
        sent += 1
        if sent % 200 == 0:
            time.sleep(0.005)
    return sent


def cid_flood(host, port, count, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    head = bytearray(236)
    head[0:4] = b"\x01\x01\x06\x00"
    head[28:34] = b"\x02\x00\x00\x00\x00\x01"
    tail = b"\x63\x82\x53\x63" + b"\x35\x01\x01"
    deadline = time.monotonic() + seconds
    sent = 0
    while sent < count and time.monotonic() < deadline:
        head[4:8] = struct.pack("!I", sent)
        pkt = bytes(head) + tail + b"\x3d\x05\xff" + struct.pack("!I", sent) + b"\xff"
        s.sendto(pkt, (host, port))
        sent += 1
        if sent % 100 == 0:
            time.sleep(0.004)  # pace (≈25k/s at most) so the server sees most of them
    return sent


def main(argv):
    start = time.monotonic()
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "discover-flood":
        n = discover_flood(argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "garbage":
        n = garbage(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]))
    elif cmd == "cid-flood":
        n = cid_flood(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"sent={n} seconds={time.monotonic() - start:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
