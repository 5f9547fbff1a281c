#!/usr/bin/env python3
"""Writes seed inputs for fuzz_targets/engine_sequence.rs: DORA, renew, release, decline,
INIT-REBOOT and a relayed exchange, as `[dt][len u16 BE][datagram]` records."""
import os, struct

def pkt(mt, mac, xid, ciaddr=b"\0\0\0\0", giaddr=b"\0\0\0\0", hops=0, opts=b""):
    h = bytes([1, 1, 6, hops]) + struct.pack("!IHH", xid, 0, 0) + ciaddr + b"\0" * 8 + giaddr
    h += mac + b"\0" * 10 + b"\0" * 192
    return h + b"\x63\x82\x53\x63" + bytes([53, 1, mt]) + opts + b"\xff"

def rec(dt, d):
    return bytes([dt]) + struct.pack("!H", len(d)) + d

sid = bytes([54, 4, 198, 18, 0, 1])
def req(ip): return bytes([50, 4]) + bytes(ip)
m = [bytes([0x52, 0x54, 0, 0, 0, i]) for i in range(12)]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "engine_sequence")
seeds = {
  "dora": [rec(0, pkt(1, m[2], 1)), rec(1, pkt(3, m[2], 1, opts=sid + req([198,18,0,10])))],
  "renew_release": [rec(0, pkt(1, m[3], 2)), rec(1, pkt(3, m[3], 2, opts=sid + req([198,18,0,10]))),
                    rec(30, pkt(3, m[3], 3, ciaddr=bytes([198,18,0,10]))),
                    rec(5, pkt(7, m[3], 4, ciaddr=bytes([198,18,0,10]), opts=sid))],
  "decline_expire": [rec(0, pkt(1, m[4], 5)), rec(1, pkt(3, m[4], 5, opts=sid + req([198,18,0,10]))),
                     rec(1, pkt(4, m[4], 6, opts=sid + req([198,18,0,10]))), rec(255, pkt(1, m[4], 7))],
  "exhaust": [rec(0, pkt(1, m[i], 10 + i)) for i in range(1, 12)]
             + [rec(0, pkt(3, m[i], 10 + i, opts=sid + req([198,18,0,9 + i]))) for i in range(1, 12)],
  "init_reboot": [rec(0, pkt(3, m[5], 20, opts=req([198,18,0,11]))), rec(0, pkt(3, m[5], 21, opts=req([198,18,9,11])))],
  "relayed": [rec(0, pkt(1, m[6], 30, giaddr=bytes([198,18,1,1]), hops=1,
                         opts=bytes([82, 8, 1, 6]) + b"port-7"))],
}
for name, recs in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(b"".join(recs))
