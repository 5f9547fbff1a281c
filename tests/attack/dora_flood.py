#!/usr/bin/env python3
"""DHCP client traffic for tests/attack/starvation.sh. Every loop is bounded in count AND time.

  dora_flood.py dora-flood IFACE RATE SECONDS
      a new random MAC per DISCOVER at RATE/s for SECONDS; every OFFER to one of those MACs is
      answered once with a SELECTING REQUEST (options 50 + 54); a MAC is never retried.
      Prints `sent=… seconds=… rate=…/s offers=… requests=… acks=… naks=… acked_addresses=…`.
  dora_flood.py discover-flood IFACE RATE SECONDS
      the same DISCOVERs, paced at RATE/s, never REQUESTing (offers only).
  dora_flood.py surge IFACE N SPREAD_SECONDS MAX_SECONDS
      N clients with distinct MACs, starting uniformly within SPREAD_SECONDS, each following
      RFC 2131: DISCOVER retransmitted after 4, 8, 16, 32, 64 s (±1 s), REQUEST on the first
      OFFER (retransmitted likewise; after 4 unanswered REQUESTs or a NAK, back to DISCOVER),
      BOUND on ACK, then at T1 a REBINDING-style broadcast REQUEST with ciaddr set (answering the
      server's ARP for the bound address). Ends when every client is bound and its renewal is
      settled (or falls after MAX_SECONDS), at MAX_SECONDS at the latest. Prints one line.
  dora_flood.py bootp IFACE MAC
      one BOOTREQUEST without option 53 or 61 (up to 3 tries, 2 s apart); prints `yiaddr=…`.
  dora_flood.py discover IFACE MAC [REQUESTED_IP]
      one DISCOVER (option 50 when given; up to 3 tries, 2 s apart); prints `yiaddr=…`.

Frames are built with scapy (Debian's python3-scapy; for the floods a scapy-built template is
patched per frame), sent and received on AF_PACKET sockets of IFACE; replies are read by one
packet socket with a classic BPF filter (IPv4 UDP to port 68, and ARP for `surge`). Only frames
to UDP port 67, ARP replies and nothing else leave this process.
"""
import collections
import ctypes
import heapq
import math
import random
import select
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
MAGIC = b"\x63\x82\x53\x63"
BCAST_MAC = b"\xff" * 6
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7
# Placeholders patched per frame (never sent as such), inside 198.18.0.0/15.
PH_REQ = bytes([198, 19, 255, 251])
PH_SID = bytes([198, 19, 255, 252])


def ip_str(b):
    return socket.inet_ntoa(bytes(b))


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def mac_bytes(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError(f"bad MAC {s!r}")
    return b


# ---------------------------------------------------------------- sockets
def _bpf(arp):
    """IPv4 UDP (unfragmented) to port 68, plus ARP when `arp`; everything else dropped."""
    ins = [
        (0x28, 0, 0, 12),            # 0  ldh [12]          ethertype
        (0x15, 0, 7, 0x0800),        # 1  jeq IPv4 ? 2 : 9
        (0x30, 0, 0, 23),            # 2  ldb [23]          protocol
        (0x15, 0, 7, 17),            # 3  jeq UDP ? 4 : 11
        (0x28, 0, 0, 20),            # 4  ldh [20]          fragment offset
        (0x45, 5, 0, 0x1FFF),        # 5  jset ? 11 : 6
        (0xB1, 0, 0, 14),            # 6  ldxb 4*([14]&0xf)
        (0x48, 0, 0, 16),            # 7  ldh [x+16]        UDP destination port
        (0x15, 1, 2, 68),            # 8  jeq 68 ? 10 : 11
        (0x15, 0, 1, 0x0806 if arp else 0x10000),  # 9  ARP ? 10 : 11
        (0x06, 0, 0, 0xFFFF),        # 10 accept
        (0x06, 0, 0, 0),             # 11 drop
    ]
    return b"".join(struct.pack("HBBI", *i) for i in ins), len(ins)


def rx_socket(iface, arp=False):
    """A packet socket on `iface` that sees only DHCP replies (and ARP when asked)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: receives nothing yet
    prog, n = _bpf(arp)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HL", n, ctypes.addressof(buf))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((iface, ETH_P_ALL))
    del buf  # the kernel keeps its own copy of the filter
    return s


def tx_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    return s


def send(s, frame):
    """Sends one frame; a full device queue is retried a few times (bounded), then dropped."""
    for _ in range(20):
        try:
            s.send(frame)
            return True
        except (BlockingIOError, OSError) as e:
            if isinstance(e, OSError) and e.errno not in (11, 105):  # EAGAIN, ENOBUFS
                raise
            time.sleep(0.001)
    return False


# ---------------------------------------------------------------- parsing
Reply = collections.namedtuple("Reply", "src_mac dst_mac xid yiaddr chaddr mtype server_id lease t1")


def parse_reply(f):
    """A BOOTREPLY in an Ethernet frame, or None."""
    if len(f) < 14 + 20 + 8 + 236 or f[12:14] != b"\x08\x00" or f[23] != 17:
        return None
    ihl = (f[14] & 0x0F) * 4
    u = 14 + ihl
    if (f[u + 2] << 8 | f[u + 3]) != 68:
        return None
    b = f[u + 8:]
    if len(b) < 236 or b[0] != 2:
        return None
    opts = {}
    if len(b) >= 240 and b[236:240] == MAGIC:
        i = 240
        while i < len(b):  # bounded by the frame length
            code = b[i]
            if code == 0:
                i += 1
                continue
            if code == 255 or i + 1 >= len(b):
                break
            ln = b[i + 1]
            opts.setdefault(code, bytes(b[i + 2:i + 2 + ln]))
            i += 2 + ln
    mt = opts.get(53)
    u32 = lambda v: struct.unpack("!I", v)[0] if v and len(v) == 4 else None  # noqa: E731
    return Reply(bytes(f[6:12]), bytes(f[0:6]), bytes(b[4:8]), bytes(b[16:20]), bytes(b[28:34]),
                 mt[0] if mt else None, opts.get(54), u32(opts.get(51)), u32(opts.get(58)))


def parse_arp_request(f):
    """(sender MAC, sender IP, target IP) of an ARP request, or None."""
    if len(f) < 42 or f[12:14] != b"\x08\x06" or f[20:22] != b"\x00\x01":
        return None
    return bytes(f[22:28]), bytes(f[28:32]), bytes(f[38:42])


# ---------------------------------------------------------------- frames (scapy)
def scapy_layers():
    from scapy.all import ARP, BOOTP, DHCP, IP, UDP, Ether, raw  # Debian's python3-scapy
    return ARP, BOOTP, DHCP, IP, UDP, Ether, raw


PARAMS = [1, 3, 6, 15, 51, 54, 58, 59]


def dhcp_frame(mac, xid, mtype, requested=None, server_id=None, ciaddr=b"\0\0\0\0",
               src_ip="0.0.0.0", bootp=False):
    """A broadcast DHCP (or, with `bootp`, a plain BOOTP) request from `mac` as bytes."""
    _, BOOTP, DHCP, IP, UDP, Ether, raw = scapy_layers()
    bp = BOOTP(op=1, htype=1, hlen=6, xid=struct.unpack("!I", xid)[0], chaddr=mac + b"\0" * 10,
               ciaddr=ip_str(ciaddr))
    if bootp:
        # RFC 951 64-byte vendor area with the RFC 1497 cookie: no option 53, no option 61.
        bp.options = MAGIC + b"\xff" + b"\0" * 59
        payload = bp
    else:
        opts = [("message-type", mtype)]
        if requested is not None:
            opts.append(("requested_addr", ip_str(requested)))
        if server_id is not None:
            opts.append(("server_id", ip_str(server_id)))
        opts += [("param_req_list", PARAMS), "end"]
        payload = bp / DHCP(options=opts)
    return raw(Ether(src=mac_str(mac), dst="ff:ff:ff:ff:ff:ff")
               / IP(src=src_ip, dst="255.255.255.255") / UDP(sport=68, dport=67) / payload)


def arp_reply(mac, ip, to_mac, to_ip):
    ARP, _, _, _, _, Ether, raw = scapy_layers()
    return raw(Ether(src=mac_str(mac), dst=mac_str(to_mac))
               / ARP(op=2, hwsrc=mac_str(mac), psrc=ip_str(ip), hwdst=mac_str(to_mac), pdst=ip_str(to_ip)))


class Template:
    """A scapy-built frame patched per use: MAC (Ethernet source and chaddr), xid, options 50/54.

    IP addresses and lengths never change, so the IP checksum stays valid; the UDP checksum is
    set to 0 (none, allowed in IPv4)."""

    BOOTP_AT = 14 + 20 + 8

    def __init__(self, mtype, with_ids):
        mac = b"\x02\0\0\0\0\x01"
        f = bytearray(dhcp_frame(mac, b"\0\0\0\1", mtype, PH_REQ if with_ids else None,
                                 PH_SID if with_ids else None))
        f[14 + 20 + 6:14 + 20 + 8] = b"\0\0"
        self.f = f
        self.req_at = f.find(b"\x32\x04" + PH_REQ) + 2 if with_ids else -1
        self.sid_at = f.find(b"\x36\x04" + PH_SID) + 2 if with_ids else -1
        assert not with_ids or (self.req_at > 2 and self.sid_at > 2)

    def build(self, mac, xid, requested=None, server_id=None):
        f, b = self.f, self.BOOTP_AT
        f[6:12] = mac
        f[b + 4:b + 8] = xid
        f[b + 28:b + 34] = mac
        if self.req_at > 0:
            f[self.req_at:self.req_at + 4] = requested
            f[self.sid_at:self.sid_at + 4] = server_id
        return bytes(f)


# ---------------------------------------------------------------- floods
class Bounded(collections.OrderedDict):
    """A dict that forgets its oldest entry past `cap` entries (fixed memory)."""

    def __init__(self, cap):
        super().__init__()
        self.cap = cap

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        if len(self) > self.cap:
            self.popitem(last=False)


def flood(iface, rate, seconds, do_request):
    rx = rx_socket(iface)
    rx.settimeout(0.2)
    tx = tx_socket(iface)
    tx_req = tx_socket(iface)
    disc = Template(DISCOVER, False)
    req = Template(REQUEST, True)
    cap = int(rate * seconds) + 16
    pending = Bounded(cap)      # mac -> xid of its DISCOVER (no OFFER seen yet)
    requested = Bounded(cap)    # mac -> xid of its REQUEST (no ACK/NAK seen yet)
    lock = threading.Lock()
    c = collections.Counter()
    acked = set()
    offered = set()
    lease_times = collections.Counter()
    stop = threading.Event()
    hard_end = time.monotonic() + seconds + 10

    def sniff():
        while not stop.is_set() and time.monotonic() < hard_end:
            try:
                f = rx.recv(2048)
            except socket.timeout:
                continue
            r = parse_reply(f)
            if r is None:
                continue
            with lock:
                if r.mtype == OFFER and pending.get(r.chaddr) == r.xid:
                    del pending[r.chaddr]
                    c["offers"] += 1
                    offered.add(r.yiaddr)
                    if do_request and r.server_id and len(r.server_id) == 4:
                        requested[r.chaddr] = r.xid
                        if send(tx_req, req.build(r.chaddr, r.xid, r.yiaddr, r.server_id)):
                            c["requests"] += 1
                elif r.mtype in (ACK, NAK) and requested.get(r.chaddr) == r.xid:
                    del requested[r.chaddr]
                    if r.mtype == ACK:
                        c["acks"] += 1
                        acked.add(r.yiaddr)
                        lease_times[r.lease] += 1
                    else:
                        c["naks"] += 1
                else:
                    c["other_replies"] += 1

    th = threading.Thread(target=sniff, daemon=True)
    th.start()
    rnd = random.Random()
    print(f"flooding {iface} at {rate:g}/s for {seconds:g} s", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    end = t0 + seconds
    sent = 0
    while sent < cap:
        now = time.monotonic()
        if now >= end:
            break
        due = t0 + sent / rate
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        mac = b"\x02" + rnd.randbytes(5)
        xid = rnd.randbytes(4)
        with lock:
            pending[mac] = xid
        if send(tx, disc.build(mac, xid)):
            sent += 1
    elapsed = time.monotonic() - t0
    time.sleep(3 if do_request else 1)  # late OFFERs/ACKs of the last DISCOVERs
    stop.set()
    th.join(1)
    with lock:
        line = (f"sent={sent} seconds={elapsed:.1f} rate={sent / max(elapsed, 1e-9):.0f}/s "
                f"offers={c['offers']} offered_addresses={len(offered)}")
        if do_request:
            lt = ",".join(f"{k}x{v}" for k, v in sorted(lease_times.items(), key=lambda kv: str(kv[0])))
            line += (f" requests={c['requests']} acks={c['acks']} naks={c['naks']} "
                     f"acked_addresses={len(acked)} lease_times={lt or '-'}")
        line += f" other_replies={c['other_replies']}"
    print(line, flush=True)
    return 0


# ---------------------------------------------------------------- surge
def surge(iface, n, spread, max_seconds):
    rx = rx_socket(iface, arp=True)
    rx.setblocking(False)
    tx = tx_socket(iface)
    rnd = random.Random()
    macs = set()
    while len(macs) < n:  # bounded: n distinct values out of 2^40
        macs.add(b"\x02" + rnd.randbytes(5))
    macs = sorted(macs)
    print(f"surge of {n} clients on {iface} within {spread:g} s", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    deadline = t0 + max_seconds
    INIT, SELECTING, REQUESTING, BOUND, REBINDING, DONE = range(6)

    class Cl:
        __slots__ = ("mac", "start", "state", "xid", "tries", "gen", "offer", "bound_at",
                     "ip", "t1", "sent")

    cls = []
    heap = []  # (when, seq, client index, generation)
    seq = 0

    def at(i, when):
        nonlocal seq
        cl = cls[i]
        cl.gen += 1
        seq += 1
        heapq.heappush(heap, (when, seq, i, cl.gen))

    for i, mac in enumerate(macs):
        cl = Cl()
        cl.mac, cl.start, cl.state, cl.xid, cl.tries, cl.gen = mac, t0 + rnd.uniform(0, spread), INIT, None, 0, 0
        cl.offer = cl.bound_at = cl.ip = cl.t1 = None
        cl.sent = []  # (seconds since the start, message) of its first 12 DHCP messages, for the report
        cls.append(cl)
        at(i, cl.start)
    by_xid = {}
    by_ip = {}
    c = collections.Counter()
    ttb = []
    lease_times = collections.Counter()
    renew_lease_times = collections.Counter()
    bound_count = 0
    bound_times = []  # seconds since the surge start of each first ACK
    all_bound_at = None
    renew_pending = 0

    def backoff(k):
        return min(4 * 2 ** k, 64) + rnd.uniform(-1, 1)

    def new_xid(i):
        cl = cls[i]
        if cl.xid is not None:
            by_xid.pop(cl.xid, None)
        x = rnd.randbytes(4)
        while x in by_xid:  # bounded in practice: n ≪ 2^32
            x = rnd.randbytes(4)
        cl.xid = x
        by_xid[x] = i

    def note(cl, now, what):
        if len(cl.sent) < 12:
            cl.sent.append(f"{what}@{now - t0:.1f}")

    def discover(i, now):
        cl = cls[i]
        new_xid(i)
        cl.state, cl.tries = SELECTING, 0
        note(cl, now, "D")
        send(tx, dhcp_frame(cl.mac, cl.xid, DISCOVER))
        c["discovers"] += 1
        at(i, now + backoff(0))

    def request(i, now):
        cl = cls[i]
        yi, sid = cl.offer
        note(cl, now, "R")
        send(tx, dhcp_frame(cl.mac, cl.xid, REQUEST, requested=yi, server_id=sid))
        c["requests"] += 1
        at(i, now + backoff(cl.tries))

    def rebind(i, now):
        cl = cls[i]
        send(tx, dhcp_frame(cl.mac, cl.xid, REQUEST, ciaddr=cl.ip, src_ip=ip_str(cl.ip)))
        c["renew_requests"] += 1
        at(i, now + backoff(cl.tries))

    def timer(i, now):
        nonlocal renew_pending
        cl = cls[i]
        if cl.state == INIT:
            discover(i, now)
        elif cl.state == SELECTING:
            cl.tries += 1
            note(cl, now, "D")
            send(tx, dhcp_frame(cl.mac, cl.xid, DISCOVER))
            c["discovers"] += 1
            c["discover_retransmits"] += 1
            at(i, now + backoff(cl.tries))
        elif cl.state == REQUESTING:
            cl.tries += 1
            if cl.tries >= 4:  # four REQUESTs unanswered: start over (RFC 2131 §4.4.1)
                c["request_giveups"] += 1
                discover(i, now)
            else:
                c["request_retransmits"] += 1
                request(i, now)
        elif cl.state == BOUND:  # T1
            new_xid(i)
            cl.state, cl.tries = REBINDING, 0
            rebind(i, now)
        elif cl.state == REBINDING:
            cl.tries += 1
            if cl.tries >= 4:
                c["renew_giveups"] += 1
                cl.state = DONE
                renew_pending -= 1
            else:
                rebind(i, now)

    def on_reply(r, now):
        nonlocal bound_count, all_bound_at, renew_pending
        i = by_xid.get(r.xid)
        if i is None or cls[i].mac != r.chaddr:
            c["other_replies"] += 1
            return
        cl = cls[i]
        if r.mtype == OFFER and cl.state == SELECTING:
            c["offers"] += 1
            if not r.server_id or len(r.server_id) != 4:
                return
            cl.offer = (r.yiaddr, r.server_id)
            cl.state, cl.tries = REQUESTING, 0
            request(i, now)
        elif r.mtype == ACK and cl.state == REQUESTING:
            c["acks"] += 1
            first = cl.bound_at is None
            cl.bound_at, cl.ip, cl.state = now, r.yiaddr, BOUND
            by_ip[r.yiaddr] = i
            lease_times[r.lease] += 1
            cl.t1 = r.t1 if r.t1 else (r.lease // 2 if r.lease else None)
            if first:
                bound_count += 1
                ttb.append(now - cl.start)
                bound_times.append(now - t0)
                if bound_count == n:
                    all_bound_at = now
            if cl.t1 is not None and now + cl.t1 < deadline:
                renew_pending += 1
                c["renew_due"] += 1
                at(i, now + cl.t1)
            else:
                cl.state = DONE
                cl.gen += 1  # cancels the REQUEST retransmission
        elif r.mtype == NAK and cl.state == REQUESTING:
            c["naks"] += 1
            discover(i, now)
        elif r.mtype == ACK and cl.state == REBINDING:
            c["renew_acked"] += 1
            renew_lease_times[r.lease] += 1
            cl.state = DONE
            cl.gen += 1
            renew_pending -= 1
        elif r.mtype == NAK and cl.state == REBINDING:
            c["renew_naks"] += 1
            by_ip.pop(cl.ip, None)
            renew_pending -= 1
            discover(i, now)  # lost its address: start over like a real client
        else:
            c["late_replies"] += 1

    def on_arp(sender_mac, sender_ip, target_ip):
        i = by_ip.get(target_ip)
        if i is not None and cls[i].ip == target_ip:
            send(tx, arp_reply(cls[i].mac, target_ip, sender_mac, sender_ip))
            c["arp_replies"] += 1

    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if bound_count == n and renew_pending == 0:
            break
        while heap and heap[0][0] <= now:
            _, _, i, gen = heapq.heappop(heap)
            if gen == cls[i].gen:
                timer(i, now)
        wait = min(0.2, max(0.0, (heap[0][0] if heap else now + 0.2) - now), max(0.0, deadline - now))
        ready, _, _ = select.select([rx], [], [], wait)
        if not ready:
            continue
        for _ in range(512):  # drain, bounded
            try:
                f, addr = rx.recvfrom(2048)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            now = time.monotonic()
            r = parse_reply(f)
            if r is not None:
                on_reply(r, now)
                continue
            a = parse_arp_request(f)
            if a is not None:
                on_arp(*a)

    elapsed = time.monotonic() - t0
    ttb.sort()

    def pct(p):
        if not ttb:
            return "-"
        return f"{ttb[min(len(ttb), max(1, math.ceil(p / 100 * len(ttb)))) - 1]:.2f}"  # nearest rank

    fmt = lambda cnt: ",".join(f"{k}x{v}" for k, v in sorted(cnt.items(), key=lambda kv: str(kv[0]))) or "-"  # noqa: E731
    print(f"clients={n} bound={bound_count} missing={n - bound_count} "
          f"all_bound_s={'%.1f' % (all_bound_at - t0) if all_bound_at else 'never'} "
          f"ttb_p50={pct(50)} ttb_p95={pct(95)} ttb_max={pct(100)} "
          f"discovers={c['discovers']} discover_retransmits={c['discover_retransmits']} "
          f"offers={c['offers']} requests={c['requests']} acks={c['acks']} naks={c['naks']} "
          f"request_giveups={c['request_giveups']} lease_times={fmt(lease_times)} "
          f"renew_due={c['renew_due']} renew_acked={c['renew_acked']} renew_naks={c['renew_naks']} "
          f"renew_giveups={c['renew_giveups']} renew_lease_times={fmt(renew_lease_times)} "
          f"arp_replies={c['arp_replies']} "
          f"bound_by={','.join(f'{m}s:{sum(1 for b in bound_times if b <= m)}' for m in (30, 60, 90, 120, 150))} "
          f"seconds={elapsed:.1f}", flush=True)
    missing = [cl for cl in cls if cl.bound_at is None]
    for cl in missing[:20]:  # what each unbound client sent (D = DISCOVER, R = REQUEST) and when
        print(f"unbound {mac_str(cl.mac)}: {' '.join(cl.sent)}", file=sys.stderr, flush=True)
    if len(missing) > 20:
        print(f"... and {len(missing) - 20} more unbound", file=sys.stderr, flush=True)
    return 0


# ---------------------------------------------------------------- one-shot requests
def one_shot(iface, mac, bootp, requested=None):
    rx = rx_socket(iface)
    rx.settimeout(0.2)
    tx = tx_socket(iface)
    xid = random.Random().randbytes(4)
    frame = dhcp_frame(mac, xid, DISCOVER, requested=requested, bootp=bootp)
    t0 = time.monotonic()
    for attempt in range(3):
        send(tx, frame)
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                f = rx.recv(2048)
            except socket.timeout:
                continue
            r = parse_reply(f)
            if r is None or r.xid != xid or r.chaddr != mac:
                continue
            if (bootp and r.mtype is None) or (not bootp and r.mtype == OFFER):
                sid = ip_str(r.server_id) if r.server_id and len(r.server_id) == 4 else "-"
                print(f"yiaddr={ip_str(r.yiaddr)} server={sid} lease={r.lease} tries={attempt + 1} "
                      f"ms={(time.monotonic() - t0) * 1000:.0f}", flush=True)
                return 0
    print(f"yiaddr=none tries=3 ms={(time.monotonic() - t0) * 1000:.0f}", flush=True)
    return 1


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    try:
        scapy_layers()  # import once, before any clock starts (it takes about a second)
        if cmd in ("dora-flood", "discover-flood") and len(argv) == 5:
            return flood(argv[2], float(argv[3]), float(argv[4]), cmd == "dora-flood")
        if cmd == "surge" and len(argv) == 6:
            return surge(argv[2], int(argv[3]), float(argv[4]), float(argv[5]))
        if cmd == "bootp" and len(argv) == 4:
            return one_shot(argv[2], mac_bytes(argv[3]), True)
        if cmd == "discover" and len(argv) in (4, 5):
            req = socket.inet_aton(argv[4]) if len(argv) == 5 else None
            return one_shot(argv[2], mac_bytes(argv[3]), False, req)
    except (ValueError, OSError) as e:
        print(f"dora_flood.py: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
