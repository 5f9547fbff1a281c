#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine: real DHCP clients, relays and
# peers for the end-to-end tests, tshark to check every packet, PostgreSQL for the lease-store
# cluster tests, and cargo-fuzz. Idempotent: does nothing when everything is present. Needs root
# (apt-get).
set -euo pipefail

packages=(
  isc-dhcp-client   # dhclient
  dhcpcd-base       # dhcpcd
  udhcpc            # busybox udhcpc
  nmap              # broadcast-dhcp-discover script
  tshark            # decodes every packet Leasehold sends
  dnsmasq-base      # third-party relay and rogue server in tests
  isc-dhcp-relay    # dhcrelay
  kea-dhcp4-server  # peer for interop and benchmarks
  kea-admin         # perfdhcp
  isc-dhcp-server   # dhcpd: the source of the switch-over test (tests/migrate/run.sh) and
                    # `dhcpd -t`/`-T` checks of imported and exported files
  dhcpstarv         # starvation attack tool
  python3-scapy     # hand-made packets (DECLINE, INFORM, floods)
  chromium chromium-driver  # headless dashboard test (tests/dashboard/run.sh)
  postgresql        # initdb, pg_ctl, psql, pg_basebackup: throw-away clusters (tests/lib/pg.sh);
                    # the package's own cluster is not started (policy-rc.d below)
  curl              # /metrics of servers in namespaces (tests/cluster/run.sh); a TFTP client too
  tftp-hpa atftp    # TFTP clients against the built-in TFTP server (crates/bootfiles tests)
  qemu-system-x86 ipxe-qemu ovmf ipxe  # the network-boot VMs (tests/boot/run.sh): TCG, SeaBIOS
                    # with iPXE ROMs, OVMF for UEFI, and ipxe.efi/undionly.kpxe to serve
  man-db adduser init-system-helpers binutils systemd  # the Debian package test (tests/package/run.sh):
                    # `man leasehold`, the system user, objcopy, systemd-analyze verify
  bind9 bind9-dnsutils knot knot-dnsutils  # dynamic DNS end-to-end (tests/ddns/run.sh): named,
                    # tsig-keygen, dig, nsupdate, knotd, kdig, knsupdate; the suite starts its own
                    # servers in namespaces, the packages' services are not started (policy-rc.d)
  iproute2 procps bridge-utils
)
commands=(dhclient dhcpcd udhcpc nmap tshark dnsmasq dhcrelay kea-dhcp4 perfdhcp dhcpstarv ip chromium curl
  tftp atftp qemu-system-x86_64 dhcpd man adduser objcopy systemd-analyze named dig nsupdate knotd kdig knsupdate)

missing=0
for c in "${commands[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing=1
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || missing=1  # Debian's python3-scapy
# Firmware and boot files of the network-boot VMs are files, not commands.
for f in /usr/lib/ipxe/qemu/pxe-e1000.rom /usr/share/OVMF/OVMF_CODE_4M.fd /usr/lib/ipxe/ipxe.efi; do
  [ -e "$f" ] || missing=1
done
# The PostgreSQL server programs live off PATH, in /usr/lib/postgresql/<version>/bin.
for c in initdb pg_ctl pg_basebackup psql; do
  compgen -G "/usr/lib/postgresql/*/bin/$c" >/dev/null || missing=1
done

if [ "$missing" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: test tools are missing and installing them needs root: run sudo $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # No package may start a service (DHCP, DNS, ...) on this machine while installing.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

# schemathesis fuzzes the control API against its OpenAPI document (tests/api/schemathesis.sh).
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet 'schemathesis==4.32.5'
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# The Debian package (packaging/build-deb.sh, tests/package/run.sh); pinned: later versions
# refuse the dev profile the test packages to stay fast.
if ! cargo deb --version 2>/dev/null | grep -q '3\.8\.0'; then
  cargo install cargo-deb --locked --version 3.8.0
fi
