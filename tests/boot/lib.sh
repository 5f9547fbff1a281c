# shellcheck shell=bash
# Helpers of the network-boot suite (tests/boot/run.sh), on top of tests/lib/netns.sh (source
# that first): bridges and TAP devices in our namespaces, QEMU VMs (SeaBIOS + iPXE ROM, OVMF)
# started and killed by PID, the proof HTTP server, bounded waits on log files.

# br_add NS BR: bridge BR in NS, no STP, no forwarding delay, up.
br_add() {
  ip -n "$1" link add "$2" type bridge forward_delay 0 stp_state 0
  ip -n "$1" link set "$2" up
}
# br_plug BR-NS BR NS IFNAME PORT ADDR/LEN: veth IFNAME (with ADDR/LEN) in NS, its peer PORT on
# bridge BR in BR-NS; both up.
br_plug() {
  ip -n "$1" link add "$5" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$5" master "$2" up
  ip -n "$3" addr add "$6" dev "$4"
  ip -n "$3" link set "$4" up
}
# tap_add NS BR TAP: TAP device TAP in NS (for a QEMU VM in NS), a port of bridge BR, up.
tap_add() {
  ip -n "$1" tuntap add dev "$3" mode tap
  ip -n "$1" link set "$3" master "$2" up
}
# br_forwarding NS BR: every port of BR that is up forwards (a TAP without its VM stays down,
# which is fine: it forwards once QEMU opens it, with forward_delay 0).
br_forwarding() {
  ! bridge -n "$1" link show master "$2" | grep 'state UP' | grep -v 'state forwarding' | grep -q .
}

# ---------------------------------------------------------------- waits on files
# log_has FILE EXTENDED-REGEX: FILE exists and a line matches.
log_has() { [[ -f $1 ]] && grep -Eq -- "$2" "$1"; }
# wait_log SECONDS FILE EXTENDED-REGEX [PID]: poll FILE until a line matches, at most SECONDS;
# with PID, give up early when that process has ended. 0 when found.
wait_log() {
  local secs=$1 file=$2 re=$3 pid=${4:-}
  local end=$((SECONDS + secs))
  until log_has "$file" "$re"; do
    ((SECONDS < end)) || return 1
    if [[ -n $pid ]] && ! alive "$pid"; then
      log_has "$file" "$re"
      return
    fi
    sleep 0.5
  done
}
# alive PID: the process runs (a reaped or zombie child does not count).
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
# tcp_open NS ADDR:PORT: something listens on TCP ADDR:PORT (or the wildcard) in NS.
tcp_open() { [[ -n $(x "$1" ss -Htln "sport = :${2##*:}" 2>/dev/null) ]]; }

# ---------------------------------------------------------------- proof HTTP server
# proof_start NS ADDRESS PORT LOG [ROOT]: tests/boot/proof_server.py in NS (PID in PIDS and
# PROOF_PID); returns once it listens (at most 10 s), else dies.
proof_start() {
  local ns=$1 addr=$2 port=$3 log=$4 root=${5:-}
  x "$ns" "$PY" "$HERE/proof_server.py" "$addr" "$port" "$log" ${root:+"$root"} \
    >>"$log.stderr" 2>&1 &
  PROOF_PID=$!
  PIDS+=("$PROOF_PID")
  wait_log 10 "$log" '^listening ' "$PROOF_PID" ||
    die "proof server on $addr:$port did not start within 10 s (see $log.stderr)"
}

# ---------------------------------------------------------------- QEMU VMs
# vm_start NS NAME FIRMWARE TAP MAC: a TCG VM in NS on TAP (script=no), no disk, serial console
# to $WORK/NAME.serial, firmware debug port to $WORK/NAME.debug, QEMU's own output to
# $WORK/NAME.qemu. FIRMWARE: `bios-ipxe` (SeaBIOS, e1000 with the iPXE ROM, boot from network)
# or `uefi` (OVMF with a copy of its variable store, virtio-net with no option ROM: OVMF's own
# PXE). The PID is in VM_PID and PIDS; the caller bounds its life (vm_stop).
vm_start() {
  local ns=$1 name=$2 fw=$3 tap=$4 mac=$5
  local args=(-accel tcg -nodefaults -display none -m 256 -no-reboot
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
    -serial "file:$WORK/$name.serial" -monitor "unix:$WORK/$name.mon,server=on,wait=off"
    -chardev "file,id=dbg,path=$WORK/$name.debug" -device "isa-debugcon,iobase=0x402,chardev=dbg")
  case $fw in
    bios-ipxe)
      # The iPXE ROM writes to the screen only: a VGA (never shown) for vm_screendump.
      args+=(-machine pc -boot n -device VGA
        -device "e1000,netdev=n0,mac=$mac,romfile=$IPXE_ROM_DIR/pxe-e1000.rom")
      ;;
    uefi)
      cp "$OVMF_VARS" "$WORK/$name.vars.fd"
      args+=(-machine q35
        -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
        -drive "if=pflash,format=raw,unit=1,file=$WORK/$name.vars.fd"
        -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1")
      ;;
    *) die "vm_start: unknown firmware '$fw'" ;;
  esac
  x "$ns" "$QEMU" "${args[@]}" >"$WORK/$name.qemu" 2>&1 &
  VM_PID=$!
  PIDS+=("$VM_PID")
}
# vm_screendump NAME: the VM's screen into $WORK/NAME.ppm, through its monitor socket (for a
# failure report; bounded).
vm_screendump() {
  timeout 10 "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(("screendump %s\n" % sys.argv[2]).encode())
time.sleep(1)
' "$WORK/$1.mon" "$WORK/$1.ppm" >/dev/null 2>&1 || true
}
# vm_report NAME: the last lines of the VM's serial console (escape sequences removed), indented.
vm_report() {
  local f=$WORK/$1.serial
  [[ -s $f ]] || return 0
  echo "  $1 serial console, last lines:"
  sed -e $'s/\x1b\\[[0-9;]*[A-Za-z]//g' -e $'s/\r//g' "$f" | grep -v '^ *$' | tail -n 12 | sed 's/^/  | /'
}
# vm_stop PID: kill a VM this script started (SIGTERM, then SIGKILL after 10 s) and reap it.
vm_stop() { stop "$1"; }
