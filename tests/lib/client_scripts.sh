# shellcheck shell=bash
# Hook scripts for the real DHCP clients of the namespace suites (tests/e2e/run.sh,
# tests/e2e/relay.sh, tests/attack/starvation.sh). Each suite chooses what one event records:
#
#   write_dhclient_script PATH EVENTS RECORD   dhclient / dhcpcd (variables reason, new_*)
#   write_udhcpc_script PATH EVENTS RECORD     busybox udhcpc (event in $1, variables ip, ...)
#
# RECORD is shell text expanded when the hook runs, e.g. '${reason}|${new_ip_address}' (pass it
# in single quotes); one line is appended to EVENTS per event. The hook also configures the
# address on bound/renew and flushes it on release, expiry and failure.

write_dhclient_script() { # PATH EVENTS RECORD
  cat >"$1" <<EOF
#!/bin/sh
echo "$3" >>"$2"
case "\$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
  RELEASE|EXPIRE|STOP|FAIL) ip addr flush dev "\$interface" ;;
esac
exit 0
EOF
  chmod +x "$1"
}

write_udhcpc_script() { # PATH EVENTS RECORD
  cat >"$1" <<EOF
#!/bin/sh
echo "$3" >>"$2"
case "\$1" in
  bound|renew) ip addr replace "\$ip/\$subnet" dev "\$interface" ;;
  deconfig) ip addr flush dev "\$interface" ;;
esac
exit 0
EOF
  chmod +x "$1"
}
