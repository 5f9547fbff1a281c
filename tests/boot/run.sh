#!/usr/bin/env bash
# Network boot end to end with real VMs (QEMU, TCG) against Leasehold, all inside network
# namespaces this script creates (addresses only from 198.18.80.0/22) and removes on exit.
#
#   sudo tests/boot/run.sh                                  # target/debug/leasehold
#   sudo LEASEHOLD_BIN=target/release/leasehold tests/boot/run.sh
#   sudo KEEP=1 VM_TIMEOUT=150 tests/boot/run.sh            # keep logs; slower machine
#   sudo BOOT_SERVER=dnsmasq tests/boot/run.sh              # check the harness against dnsmasq
#   sudo CAPTURE=1 KEEP=1 tests/boot/run.sh                 # also record both links (tshark)
#
# Scenarios (one test case each):
#   bios-ipxe   SeaBIOS + iPXE ROM (e1000): iPXE sends option 175 and user class "iPXE", class
#               `ipxe` gives an http:// boot file served by Leasehold's [http_boot]; the script
#               fetches a proof URL from our HTTP server; Leasehold holds a lease for the MAC.
#   uefi-chain  OVMF's own PXE (virtio-net, no option ROM; arch 7, no option 175): class
#               `efi-x64` gives ipxe.efi over Leasehold's [tftp]; iPXE asks again and gets the
#               script as above; proof URL fetched; Leasehold logged the TFTP transfer.
#   proxy       dnsmasq assigns addresses (no boot options) on a second link, Leasehold answers
#               there as proxy DHCP only (`proxy = true`); the SeaBIOS + iPXE VM gets its address
#               from dnsmasq and the script URL from Leasehold; Leasehold records no lease. The
#               VM's class sets next_server as well as the URL.
#   proxy-no-next-server  the same with a class that gives only the URL (nothing sets siaddr):
#               iPXE accepts a ProxyDHCP offer or ACK only with siaddr and a boot file (iPXE
#               commit f0c6c4e, 2015, mimicking Intel's PXE ROM), so the proxy must fill siaddr
#               itself, as dnsmasq does.
#   proxy-uefi  OVMF's own PXE on the proxy link: ipxe.efi over the proxy's [tftp] (UEFI clients
#               are sent to port 4011 for their boot file), then iPXE and the script as above.
#
# Prints `PASS <scenario> ...` / `FAIL <scenario> — why` per scenario, then `N passed, M failed`;
# exits non-zero on any failure or missing prerequisite. Every wait is bounded (VM_TIMEOUT per VM).
#
# Topology:
#   lhb-srv: veth-s 198.18.80.1/24 (Leasehold A, proof server :9090) ──┐ br-a ── tap1 (VM 1)
#                                                                       │  (in lhb-vm)  └ tap2 (VM 2)
#   lhb-pxy: veth-p 198.18.81.1/24 (Leasehold B proxy, proof :9090) ───┐ br-b ── tap3 (VM 3)
#   lhb-dns: veth-d 198.18.81.2/24 (dnsmasq 198.18.81.100-150) ────────┘  (in lhb-vm)  ├ tap4 (VM 4)
#                                                                                            └ tap5 (VM 5)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEASEHOLD=${LEASEHOLD_BIN:-target/debug/leasehold}
[[ $LEASEHOLD == /* ]] || LEASEHOLD=$ROOT/$LEASEHOLD
BOOT_SERVER=${BOOT_SERVER:-leasehold}  # or dnsmasq: the same scenarios against a reference server
VM_TIMEOUT=${VM_TIMEOUT:-90}    # seconds one VM may take from power-on to the proof request
CAPTURE=${CAPTURE:-0}           # 1: record both links with tshark ($WORK/link-a.pcapng, link-b.pcapng)
KEEP=${KEEP:-0}                 # 1: keep the work directory (logs, serial consoles) after the run
PY=/usr/bin/python3             # Debian's python3 (the proof server needs only its standard library)
QEMU=qemu-system-x86_64
IPXE_ROM_DIR=/usr/lib/ipxe/qemu
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
IPXE_EFI=/usr/lib/ipxe/ipxe.efi

NETNS_NAME=boot
NETNS_SETTLE=0.5
NETNS_KEPT="logs and serial consoles"
NETNS_KEEP_ON_FAIL=1
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$HERE/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

netns_require_root ": sudo $0"
need ip iproute2
need bridge iproute2
need ss iproute2
need timeout coreutils
need "$QEMU" qemu-system-x86
need dnsmasq dnsmasq-base
[[ -x $PY ]] || die "missing prerequisite $PY (Debian package: python3)"
need_file() { [[ -r $1 ]] || die "missing prerequisite $1 (Debian package: $2)"; }
need_file "$IPXE_ROM_DIR/pxe-e1000.rom" ipxe-qemu
need_file /usr/share/seabios/bios-256k.bin seabios
need_file "$OVMF_CODE" ovmf
need_file "$OVMF_VARS" ovmf
need_file "$IPXE_EFI" ipxe
case $BOOT_SERVER in
  leasehold) [[ -x $LEASEHOLD ]] || die "no Leasehold binary at $LEASEHOLD: run 'cargo build -p leasehold' or set LEASEHOLD_BIN=" ;;
  dnsmasq) ;;
  *) die "BOOT_SERVER must be leasehold or dnsmasq, not '$BOOT_SERVER'" ;;
esac

# ---------------------------------------------------------------- names, state, cleanup
TAG=$$
NS_SRV=lhb-srv-$TAG
NS_PXY=lhb-pxy-$TAG
NS_DNS=lhb-dns-$TAG
NS_VM=lhb-vm-$TAG
SRV_A=198.18.80.1
SRV_B=198.18.81.1
DNSMASQ_ADDR=198.18.81.2
MAC1=52:54:00:80:00:01
MAC2=52:54:00:80:00:02
MAC3=52:54:00:81:00:03
MAC4=52:54:00:81:00:04
MAC5=52:54:00:81:00:05
WORK=$(mktemp -d "/tmp/lh-boot-$TAG.XXXX")
chmod 755 "$WORK"   # dnsmasq drops to nobody; Leasehold's TFTP/HTTP roots live here
netns_init

topology() {
  addns "$NS_SRV"
  addns "$NS_PXY"
  addns "$NS_DNS"
  addns "$NS_VM"
  br_add "$NS_VM" br-a
  br_add "$NS_VM" br-b
  br_plug "$NS_VM" br-a "$NS_SRV" veth-s p-srv "$SRV_A/24"
  br_plug "$NS_VM" br-b "$NS_PXY" veth-p p-pxy "$SRV_B/24"
  br_plug "$NS_VM" br-b "$NS_DNS" veth-d p-dns "$DNSMASQ_ADDR/24"
  tap_add "$NS_VM" br-a tap1
  tap_add "$NS_VM" br-a tap2
  tap_add "$NS_VM" br-b tap3
  tap_add "$NS_VM" br-b tap4
  tap_add "$NS_VM" br-b tap5
  local br
  for br in br-a br-b; do
    wait_for 10 br_forwarding "$NS_VM" "$br" ||
      die "topology: ports of $br did not reach forwarding state in 10 s"
  done
}

# capture: tshark on both bridges (CAPTURE=1); they carry only this suite's traffic.
capture() {
  need tshark tshark
  local br
  for br in br-a br-b; do
    x "$NS_VM" tshark -q -n -i "$br" -w "$WORK/link-${br#br-}.pcapng" >"$WORK/tshark-$br.log" 2>&1 &
    PIDS+=("$!")
    wait_for 20 grep -q "Capturing on" "$WORK/tshark-$br.log" || die "tshark did not start on $br within 20 s"
  done
}

# ---------------------------------------------------------------- boot files
# boot_root DIR SERVER: DIR holds ipxe.efi and boot.ipxe, an iPXE script that reports to the proof
# server of SERVER with the MAC address in the path.
boot_root() {
  mkdir -p "$1"
  cp "$IPXE_EFI" "$1/ipxe.efi"
  cat >"$1/boot.ipxe" <<EOF
#!ipxe
echo leasehold boot test: script from Leasehold's HTTP server on \${net0/mac} \${net0/ip}
imgfetch http://$2:9090/proof/\${net0/mac:hexhyp} || echo leasehold boot test: proof request failed
echo leasehold boot test: proof sent
sleep 300
EOF
  chmod -R a+rX "$1"
}

# ---------------------------------------------------------------- Leasehold
# Link A: a normal subnet; iPXE gets the script over HTTP, UEFI PXE gets ipxe.efi over TFTP.
write_config_a() {
  cat >"$WORK/a.toml" <<EOF
[server]
interfaces = ["veth-s"]
lease_time = 600

[[class]]
name = "ipxe"
user_class = "iPXE"
boot_file = "http://$SRV_A:8080/boot.ipxe"

[[class]]
name = "efi-x64"
arch = ["efi-x64"]
ipxe = false
boot_file = "ipxe.efi"
next_server = "$SRV_A"

[[subnet]]
subnet = "198.18.80.0/24"

[[subnet.pool]]
range = "198.18.80.100-198.18.80.199"

[tftp]
root = "$WORK/boot-a"

[http_boot]
listen = "$SRV_A:8080"
EOF
}
# Link B: proxy DHCP only; dnsmasq assigns the addresses. VM 3's class also sets next_server
# (as the agreed example does); VM 4 gets only the boot file URL, nothing for siaddr. UEFI PXE
# (VM 5) gets ipxe.efi over TFTP first, again with nothing set for siaddr.
write_config_b() {
  cat >"$WORK/b.toml" <<EOF
[server]
interfaces = ["veth-p"]

[[class]]
name = "ipxe-next-server"
user_class = "iPXE"
hw_address_prefix = "$MAC3"
boot_file = "http://$SRV_B:8080/boot.ipxe"
next_server = "$SRV_B"

[[class]]
name = "ipxe"
user_class = "iPXE"
boot_file = "http://$SRV_B:8080/boot.ipxe"

[[class]]
name = "efi-x64"
arch = ["efi-x64"]
ipxe = false
boot_file = "ipxe.efi"

[[subnet]]
subnet = "198.18.81.0/24"
proxy = true

[security]
allowed_servers = ["$DNSMASQ_ADDR"]   # dnsmasq's offers on this link are expected, not rogue

[tftp]
root = "$WORK/boot-b"

[http_boot]
listen = "$SRV_B:8080"
EOF
}

# start_server NS NAME: the boot server of link NAME (a or b) in NS, log $WORK/NAME.log; returns
# once it listens on UDP 67, TCP 8080 (HTTP boot) and UDP 69 (TFTP), at most 20 s each. On
# failure returns 1 with the reason in WHY. PID in SRV_PID.
start_server() {
  local ns=$1 name=$2
  WHY=""
  case $BOOT_SERVER in
    leasehold) start_leasehold "$ns" "$name" || return ;;
    dnsmasq) start_reference "$ns" "$name" ;;
  esac
  local what="$BOOT_SERVER $name" log="see $name.log"
  wait_for 20 port_open "$ns" 67 || { WHY="$what did not open UDP 67 in 20 s ($log)"; return 1; }
  wait_for 20 tcp_open "$ns" 8080 || { WHY="$what did not open HTTP boot TCP 8080 in 20 s ($log)"; return 1; }
  wait_for 20 port_open "$ns" 69 || { WHY="$what did not open TFTP UDP 69 in 20 s ($log)"; return 1; }
}
# start_leasehold NS NAME: `leasehold serve` of $WORK/NAME.toml in NS with the lease database
# $WORK/NAME.db, after `check-config` accepted it.
start_leasehold() {
  local ns=$1 name=$2 cfg=$WORK/$2.toml
  write_config_"$name"
  if ! timeout 20 "$LEASEHOLD" check-config "$cfg" >"$WORK/$name.check" 2>&1; then
    WHY="check-config rejected $name.toml: $(grep -v '^ *$' "$WORK/$name.check" | head -n 3 | tr '\n' ' ')"
    return 1
  fi
  x "$ns" env RUST_LOG="${RUST_LOG:-info}" "$LEASEHOLD" serve --config "$cfg" \
    --db "$WORK/$name.db" >"$WORK/$name.log" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
}
# start_reference NS NAME (BOOT_SERVER=dnsmasq, to check the harness itself): dnsmasq does what
# Leasehold's configuration above does (link a: addresses, TFTP, the same class choices; link b:
# proxy DHCP), the proof server serves the boot root on :8080 in place of [http_boot]. Leases in
# $WORK/NAME.leases.
start_reference() {
  local ns=$1 name=$2 srv=$SRV_A dev=veth-s args
  args=("--dhcp-userclass=set:ipxe,iPXE")
  if [[ $name == a ]]; then
    args+=("--dhcp-range=198.18.80.100,198.18.80.199,255.255.255.0"
      "--dhcp-match=set:efi64,option:client-arch,7"
      "--dhcp-boot=tag:ipxe,http://$SRV_A:8080/boot.ipxe"
      "--dhcp-boot=tag:efi64,tag:!ipxe,ipxe.efi,,$SRV_A"
      --enable-tftp --tftp-root="$WORK/boot-a")
  else
    srv=$SRV_B dev=veth-p
    args+=("--dhcp-range=198.18.81.0,proxy,255.255.255.0"
      "--pxe-service=tag:ipxe,x86PC,ipxe,http://$SRV_B:8080/boot.ipxe"
      "--pxe-service=tag:ipxe,X86-64_EFI,ipxe,http://$SRV_B:8080/boot.ipxe"
      "--pxe-service=tag:!ipxe,X86-64_EFI,ipxe,ipxe.efi"
      --enable-tftp --tftp-root="$WORK/boot-b")
  fi
  x "$ns" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$dev" \
    --bind-interfaces --log-dhcp --log-facility=- --pid-file="$WORK/$name.pid" \
    --dhcp-leasefile="$WORK/$name.leases" "${args[@]}" >"$WORK/$name.log" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  x "$ns" "$PY" "$HERE/proof_server.py" "$srv" 8080 "$WORK/$name.http.log" "$WORK/boot-$name" \
    >>"$WORK/$name.http.log.stderr" 2>&1 &
  PIDS+=("$!")
}

# leases NAME: the current leases of the boot server of link NAME, one `MAC ADDRESS` a line.
leases() {
  case $BOOT_SERVER in
    leasehold)
      "$LEASEHOLD" leases --db "$WORK/$1.db" list --format json 2>>"$WORK/leases.err" |
        "$PY" -c 'import json, sys
for r in json.load(sys.stdin):
    print((r.get("hwaddr") or "-").lower(), r["addr"])'
      ;;
    dnsmasq) awk '{ print tolower($2), $3 }' "$WORK/$1.leases" ;;
  esac
}
# lease_of NAME MAC: the address leased to MAC by the boot server of link NAME ("" when none);
# fails when its leases cannot be read.
lease_of() {
  local all
  all=$(leases "$1") || return
  awk -v m="$2" '$1 == m { print $2 }' <<<"$all" | tail -n 1
}

# ---------------------------------------------------------------- proof of boot
# proof_re MAC: the proof log line of the VM with MAC.
proof_re() { echo " GET /proof/${1//:/-} "; }
# gave_up NAME FIRMWARE: the VM's firmware says it has nothing left to boot (SeaBIOS on its debug
# port after iPXE's "Nothing to boot"; ipxe.efi or OVMF on the serial console), so waiting
# longer is useless.
gave_up() {
  case $2 in
    bios-ipxe) log_has "$WORK/$1.debug" 'No bootable device' ;;
    uefi) log_has "$WORK/$1.serial" 'Nothing to boot|No bootable option' ;;
  esac
}
# boot_vm NS NAME FIRMWARE TAP MAC PROOF-LOG: run one VM until its proof request arrives (at most
# VM_TIMEOUT s, or until QEMU exits or the firmware gives up); then stop it. 0 when the proof
# arrived; BOOT_SECONDS is how long it took, WHY the reason otherwise.
boot_vm() {
  local ns=$1 name=$2 fw=$3 tap=$4 mac=$5 log=$6 t0=$SECONDS re
  re=$(proof_re "$mac")
  WHY=""
  vm_start "$ns" "$name" "$fw" "$tap" "$mac"
  local pid=$VM_PID end=$((SECONDS + VM_TIMEOUT))
  until log_has "$log" "$re"; do
    if ! alive "$pid"; then
      log_has "$log" "$re" && break
      WHY="QEMU exited before the proof request ($(head -c 300 "$WORK/$name.qemu" | tr '\n' ' '))"
    elif gave_up "$name" "$fw"; then
      WHY="the firmware found nothing to boot after $((SECONDS - t0)) s"
    elif ((SECONDS >= end)); then
      WHY="no proof request within ${VM_TIMEOUT} s"
    else
      sleep 0.5
      continue
    fi
    [[ $fw == uefi ]] || vm_screendump "$name"
    break
  done
  BOOT_SECONDS=$((SECONDS - t0))
  vm_stop "$pid"
  [[ -z $WHY ]]
}
# tftp_sent_ipxe_efi LINK: the log of LINK's boot server shows a complete TFTP transfer of
# ipxe.efi.
tftp_sent_ipxe_efi() {
  case $BOOT_SERVER in
    leasehold) log_has "$WORK/$1.log" 'tftp transfer .*file=ipxe\.efi .*outcome="completed"' ;;
    dnsmasq) log_has "$WORK/$1.log" 'dnsmasq-tftp.*sent .*/ipxe\.efi to ' ;;
  esac
}

# ---------------------------------------------------------------- scenarios
A_UP=0
A_WHY=""
setup_link_a() {
  boot_root "$WORK/boot-a" "$SRV_A"
  proof_start "$NS_SRV" "$SRV_A" 9090 "$WORK/proof-a.log"
  if start_server "$NS_SRV" a; then A_UP=1; A_PID=$SRV_PID; else A_WHY=$WHY; fi
}

test_bios_ipxe() {
  local name=bios-ipxe why="" addr
  if ((A_UP == 0)); then fail "$name" "$A_WHY"; return; fi
  if ! boot_vm "$NS_VM" vm1 bios-ipxe tap1 "$MAC1" "$WORK/proof-a.log"; then
    fail "$name" "$WHY (see $WORK/vm1.ppm: its screen, a.log)"
    return
  fi
  addr=$(lease_of a "$MAC1") || why+="cannot read the leases of $BOOT_SERVER a (see leases.err); "
  if [[ -z $addr ]]; then
    why+="no lease for $MAC1 in $BOOT_SERVER's database; "
  elif ! grep -q "^${addr//./\\.} GET /proof/" "$WORK/proof-a.log"; then
    why+="the proof request did not come from the leased address $addr; "
  fi
  alive "$A_PID" || why+="$BOOT_SERVER a exited (see a.log); "
  if [[ -z $why ]]; then
    pass "$name" "proof after ${BOOT_SECONDS} s, lease $addr"
  else
    fail "$name" "${why%; }"
  fi
}

test_uefi_chain() {
  local name=uefi-chain why="" addr
  if ((A_UP == 0)); then fail "$name" "$A_WHY"; return; fi
  if ! boot_vm "$NS_VM" vm2 uefi tap2 "$MAC2" "$WORK/proof-a.log"; then
    local tftp=" (no complete TFTP transfer of ipxe.efi)"
    tftp_sent_ipxe_efi a && tftp=" (ipxe.efi was sent over TFTP)"
    fail "$name" "$WHY$tftp (see $WORK/vm2.serial, a.log)"
    vm_report vm2
    return
  fi
  tftp_sent_ipxe_efi a || why+="no complete TFTP transfer of ipxe.efi in $BOOT_SERVER's log; "
  addr=$(lease_of a "$MAC2") || why+="cannot read the leases of $BOOT_SERVER a (see leases.err); "
  [[ -n $addr ]] || why+="no lease for $MAC2 in $BOOT_SERVER's database; "
  alive "$A_PID" || why+="$BOOT_SERVER a exited (see a.log); "
  if [[ -z $why ]]; then
    pass "$name" "proof after ${BOOT_SECONDS} s, ipxe.efi over TFTP, lease $addr"
  else
    fail "$name" "${why%; }"
  fi
}

# Link B: dnsmasq (addresses only) and the boot server as proxy DHCP.
B_UP=0
B_WHY=""
setup_link_b() {
  boot_root "$WORK/boot-b" "$SRV_B"
  proof_start "$NS_PXY" "$SRV_B" 9090 "$WORK/proof-b.log"
  x "$NS_DNS" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=veth-d \
    --bind-interfaces --log-dhcp --log-facility=- --pid-file="$WORK/dnsmasq.pid" \
    --dhcp-leasefile="$WORK/dnsmasq.leases" \
    --dhcp-range=198.18.81.100,198.18.81.150,255.255.255.0 >"$WORK/dnsmasq.log" 2>&1 &
  PIDS+=("$!")
  if ! wait_for 20 port_open "$NS_DNS" 67; then
    B_WHY="dnsmasq did not open UDP 67 in 20 s (see $WORK/dnsmasq.log)"
    return
  fi
  if start_server "$NS_PXY" b; then B_UP=1; B_PID=$SRV_PID; else B_WHY=$WHY; fi
}

# test_proxy NAME VM FIRMWARE TAP MAC: a VM on link B boots with its address from dnsmasq and its
# boot files from the proxy (UEFI: ipxe.efi over TFTP first); the proxy records no lease.
test_proxy() {
  local name=$1 vm=$2 fw=$3 tap=$4 mac=$5 why="" addr n from
  if ((B_UP == 0)); then fail "$name" "$B_WHY"; return; fi
  if ! boot_vm "$NS_VM" "$vm" "$fw" "$tap" "$mac" "$WORK/proof-b.log"; then
    if [[ $fw == uefi ]]; then
      local tftp=" (no complete TFTP transfer of ipxe.efi)"
      tftp_sent_ipxe_efi b && tftp=" (ipxe.efi was sent over TFTP)"
      fail "$name" "$WHY$tftp (see $WORK/$vm.serial, b.log, dnsmasq.log)"
      vm_report "$vm"
    else
      fail "$name" "$WHY (see $WORK/$vm.ppm: its screen, b.log, dnsmasq.log)"
    fi
    return
  fi
  if [[ $fw == uefi ]]; then
    tftp_sent_ipxe_efi b || why+="no complete TFTP transfer of ipxe.efi in $BOOT_SERVER's log; "
  fi
  addr=$(awk -v m="$mac" 'tolower($2) == m { print $3 }' "$WORK/dnsmasq.leases" 2>/dev/null | tail -n 1)
  if [[ ! $addr =~ ^198\.18\.81\.([0-9]+)$ ]] || ((BASH_REMATCH[1] < 100 || BASH_REMATCH[1] > 150)); then
    why+="no dnsmasq lease in 198.18.81.100-150 for $mac (got '$addr'); "
  fi
  from=$(grep -E "$(proof_re "$mac")" "$WORK/proof-b.log" | head -n 1 | cut -d' ' -f1)
  [[ -z $addr || $from == "$addr" ]] || why+="proof request came from $from, not dnsmasq's $addr; "
  if n=$(leases b); then
    [[ -z $n ]] || why+="$BOOT_SERVER recorded lease(s) as a proxy: $(echo "$n" | tr '\n' ' '); "
  else
    why+="cannot read the leases of $BOOT_SERVER b (see leases.err); "
  fi
  alive "$B_PID" || why+="$BOOT_SERVER b exited (see b.log); "
  if [[ -z $why ]]; then
    pass "$name" "proof after ${BOOT_SECONDS} s, address $addr from dnsmasq, no $BOOT_SERVER lease"
  else
    fail "$name" "${why%; }"
  fi
}

# A panic in either server is a failure of its own (it may not have stopped the boot).
no_panic() {
  local f
  for f in "$WORK"/a.log "$WORK"/b.log; do
    [[ -f $f ]] || continue
    if grep -qE 'panicked at|thread .* panicked' "$f"; then fail leasehold no-panic "see $f"; fi
  done
}

# ---------------------------------------------------------------- main
echo "boot: server=$BOOT_SERVER leasehold=$LEASEHOLD work=$WORK namespaces=lhb-*-$TAG vm-timeout=${VM_TIMEOUT}s"
topology
if [[ $CAPTURE == 1 ]]; then capture; fi
setup_link_a
test_bios_ipxe
test_uefi_chain
setup_link_b
test_proxy proxy vm3 bios-ipxe tap3 "$MAC3"
test_proxy proxy-no-next-server vm4 bios-ipxe tap4 "$MAC4"
test_proxy proxy-uefi vm5 uefi tap5 "$MAC5"
no_panic
echo "boot: ${SECONDS} s"
netns_summary
