#!/usr/bin/env bash
# Relay smoke test in network namespaces (needs root): a real DHCP client (busybox udhcpc) gets a
# lease through `leasehold relay` from a minimal fake server written in Python.
#
#   client ns  c0 ──veth── r0 198.18.110.1/24  relay ns  r1 198.18.111.254/24 ──veth── s0 198.18.111.1/24  server ns
#
# Usage: LEASEHOLD_BIN=target/debug/leasehold crates/relay/tests/netns_smoke.sh
# Everything it creates is named lhrelay-<pid>-* / lr<pid>* and removed on exit; every wait is bounded.
set -euo pipefail

BIN=${LEASEHOLD_BIN:-target/debug/leasehold}
P=lhrelay-$$
L=lr$$  # temporary veth names must fit in 15 bytes
NS_C=$P-c NS_R=$P-r NS_S=$P-s
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "$NS_C" "$NS_R" "$NS_S"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; echo "--- relay log"; cat "$WORK/relay.log" || true; echo "--- server log"; cat "$WORK/server.log" || true; exit 1; }

for ns in "$NS_C" "$NS_R" "$NS_S"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add "${L}c0" type veth peer name "${L}r0"
ip link add "${L}r1" type veth peer name "${L}s0"
ip link set "${L}c0" netns "$NS_C" name c0
ip link set "${L}r0" netns "$NS_R" name r0
ip link set "${L}r1" netns "$NS_R" name r1
ip link set "${L}s0" netns "$NS_S" name s0
ip -n "$NS_C" link set c0 address 02:00:00:00:11:01 up
ip -n "$NS_R" addr add 198.18.110.1/24 dev r0 && ip -n "$NS_R" link set r0 up
ip -n "$NS_R" addr add 198.18.111.254/24 dev r1 && ip -n "$NS_R" link set r1 up
ip -n "$NS_S" addr add 198.18.111.1/24 dev s0 && ip -n "$NS_S" link set s0 up
ip -n "$NS_S" route add 198.18.110.0/24 via 198.18.111.254

# A fake server: OFFER/ACK 198.18.110.50, option 82 echoed, replies to giaddr:67.
cat > "$WORK/server.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 67))
s.settimeout(20)
def opts(buf):
    out, i = {}, 240
    while i < len(buf) and buf[i] != 255:
        if buf[i] == 0: i += 1; continue
        out[buf[i]] = buf[i + 2:i + 2 + buf[i + 1]]; i += 2 + buf[i + 1]
    return out
while True:
    buf, src = s.recvfrom(4096)
    if buf[0] != 1: continue
    o = opts(buf)
    kind = o.get(53, b"\x00")[0]
    giaddr = socket.inet_ntoa(buf[24:28])
    sub, ra, i = {}, o.get(82, b""), 0
    while i + 1 < len(ra): sub[ra[i]] = ra[i + 2:i + 2 + ra[i + 1]]; i += 2 + ra[i + 1]
    print(f"type={kind} hops={buf[3]} giaddr={giaddr} from={src[0]} circuit={sub.get(1, b'').decode()} remote={sub.get(2, b'').decode()}", flush=True)
    reply_type = {1: 2, 3: 5}.get(kind)
    if reply_type is None: continue
    r = bytearray(buf[:236]); r[0] = 2; r[3] = 0
    r[16:20] = socket.inet_aton("198.18.110.50")
    r += bytes([99, 130, 83, 99, 53, 1, reply_type, 54, 4]) + socket.inet_aton("198.18.111.1")
    r += bytes([51, 4]) + struct.pack("!I", 3600) + bytes([1, 4, 255, 255, 255, 0, 3, 4]) + socket.inet_aton("198.18.110.1")
    if ra: r += bytes([82, len(ra)]) + ra
    r += b"\xff"
    s.sendto(bytes(r), (giaddr, 67))
PY
ip netns exec "$NS_S" timeout 30 python3 "$WORK/server.py" > "$WORK/server.log" 2>&1 &
PIDS+=($!)

ip netns exec "$NS_R" timeout 30 "$BIN" relay --listen r0 --server 198.18.111.1 --remote-id lh-smoke \
    > "$WORK/relay.log" 2>&1 &
PIDS+=($!)
sleep 1

printf '#!/bin/sh\n[ "$1" = bound ] && echo "bound $ip"\nexit 0\n' > "$WORK/udhcpc.sh"
chmod +x "$WORK/udhcpc.sh"
# Without -B replies are unicast to yiaddr at chaddr (ARP entry); with -B they are broadcast.
for flag in "" -B; do
    out=$(ip netns exec "$NS_C" timeout 20 udhcpc -f -q -n $flag -i c0 -t 5 -T 2 -s "$WORK/udhcpc.sh" 2>&1) \
        || fail "udhcpc $flag got no lease: $out"
    echo "$out" | grep -q "bound 198.18.110.50" || fail "unexpected client output ($flag): $out"
done
grep -q "type=1 hops=1 giaddr=198.18.110.1 from=198.18.111.254 circuit=r0 remote=lh-smoke" "$WORK/server.log" \
    || fail "server did not see a relayed DISCOVER with option 82"
grep -q "type=3 hops=1 giaddr=198.18.110.1" "$WORK/server.log" || fail "server did not see a relayed REQUEST"
if [ -n "${SHOW_LOGS:-}" ]; then cat "$WORK/relay.log" "$WORK/server.log"; fi
echo "PASS: udhcpc leased 198.18.110.50 through the relay"
