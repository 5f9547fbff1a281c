#!/usr/bin/python3
"""Scripted DHCP exchanges for the end-to-end harness (run inside a client namespace).

Subcommands print one JSON object on stdout and exit 0 when the exchange completed (the harness
judges the result), non-zero when it could not be carried out.

  decline IFACE            DISCOVER/REQUEST/ACK, then DECLINE the address; then DISCOVER again
                           from the same and from another MAC, both asking for the declined
                           address, and report what was offered.
  inform IFACE ADDR        INFORM from ADDR (already configured on IFACE) to 255.255.255.255:67
                           over a UDP socket and report the reply's type, yiaddr and options.

Needs python3-scapy (Debian's /usr/bin/python3).
"""

import json
import random
import socket
import sys

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, get_if_hwaddr, srp1  # noqa: E402

conf.verb = 0
conf.checkIPaddr = False  # replies come from the server, not from 255.255.255.255

TIMEOUT = 5


def mac_bytes(mac):
    return bytes(int(b, 16) for b in mac.split(":"))


def opts(pkt):
    """The DHCP options of a reply as a dict (name -> value)."""
    out = {}
    for o in pkt[DHCP].options:
        if isinstance(o, tuple) and len(o) >= 2:
            out[o[0]] = o[1] if len(o) == 2 else list(o[1:])
    return out


def exchange(iface, mac, msg_type, extra=(), ciaddr="0.0.0.0", want_reply=True):
    xid = random.getrandbits(32)
    pkt = (
        Ether(src=mac, dst="ff:ff:ff:ff:ff:ff")
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=mac_bytes(mac) + b"\0" * 10, xid=xid, flags=0x8000, ciaddr=ciaddr)
        / DHCP(options=[("message-type", msg_type), *extra, "end"])
    )
    if not want_reply:
        from scapy.all import sendp

        sendp(pkt, iface=iface)
        return None
    ans = srp1(
        pkt,
        iface=iface,
        timeout=TIMEOUT,
        filter=f"udp and dst port 68 and udp[8+4:4] = {xid}",
    )
    return ans


def describe(ans):
    if ans is None:
        return None
    o = opts(ans)
    mt = o.get("message-type")
    return {
        "type": {2: "OFFER", 5: "ACK", 6: "NAK"}.get(mt, str(mt)),
        "yiaddr": ans[BOOTP].yiaddr,
        "server_id": o.get("server_id"),
        "lease_time": o.get("lease_time"),
        "router": o.get("router"),
        "name_server": o.get("name_server"),
        "subnet_mask": o.get("subnet_mask"),
    }


def decline(iface):
    mac = get_if_hwaddr(iface)
    other = "02:00:00:00:%02x:%02x" % (random.randrange(256), random.randrange(256))
    offer = exchange(iface, mac, "discover")
    if offer is None:
        return {"error": "no OFFER"}
    addr = offer[BOOTP].yiaddr
    sid = opts(offer).get("server_id")
    ack = exchange(iface, mac, "request", [("requested_addr", addr), ("server_id", sid)])
    if ack is None or opts(ack).get("message-type") != 5:
        return {"error": "no ACK", "offer": describe(offer), "reply": describe(ack)}
    exchange(
        iface,
        mac,
        "decline",
        [("requested_addr", addr), ("server_id", sid)],
        want_reply=False,
    )
    import time

    time.sleep(1)
    again_same = exchange(iface, mac, "discover", [("requested_addr", addr)])
    again_other = exchange(iface, other, "discover", [("requested_addr", addr)])
    return {
        "declined": addr,
        "ack": describe(ack),
        "same_mac_offer": describe(again_same),
        "other_mac_offer": describe(again_other),
    }


def inform(iface, addr):
    mac = get_if_hwaddr(iface)
    xid = random.getrandbits(32)
    pkt = BOOTP(chaddr=mac_bytes(mac) + b"\0" * 10, xid=xid, ciaddr=addr) / DHCP(
        options=[("message-type", "inform"), ("param_req_list", [1, 3, 6, 15, 51]), "end"]
    )
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind((addr, 68))
    s.settimeout(TIMEOUT)
    s.sendto(bytes(pkt), ("255.255.255.255", 67))
    try:
        while True:
            data, src = s.recvfrom(4096)
            ans = BOOTP(data)
            if ans.xid == xid:
                d = describe(ans)
                d["from"] = src[0]
                return d
    except socket.timeout:
        return {"error": "no reply to INFORM"}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "decline":
        res = decline(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "inform":
        res = inform(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(res))
    return 1 if "error" in res else 0


if __name__ == "__main__":
    sys.exit(main())
