#!/usr/bin/env bash
# SC2317: check and trap call functions indirectly; SC2012: ls only lists leftovers for a message;
# SC2016: bash -c '...' expands in the inner shell.
# shellcheck disable=SC2317,SC2012,SC2016
# The Debian package, installed and removed for real on this machine (issue 16, part 3):
#
#   1. builds the .deb with packaging/build-deb.sh --profile dev (the debug build the test suite
#      has already made is reused; cargo only rebuilds what changed) and checks its contents;
#   2. `dpkg -i`: the binary, `man leasehold` and `man leasehold-import-dhcpd`, one man page per
#      subcommand, bash/zsh/fish completions, the "leasehold" system user, /var/lib/leasehold
#      owned by it, /etc/leasehold/leasehold.toml a conffile (root:leasehold 0640) that
#      `check-config` accepts and that binds only loopback, the unit checked statically
#      (`systemd-analyze verify` and `security --offline`) and NOT enabled or started;
#   3. a second `dpkg -i` keeps an edited conffile;
#   4. `dpkg -r`: program files gone, conffile and lease database kept;
#   5. `dpkg -P`: configuration and lease database gone, the user kept (Debian practice, see
#      docs/packaging.md); the test then deletes the user if it created it.
#
#   tests/package/run.sh                    as root, on a Debian (12) machine
#   NO_BUILD=1 tests/package/run.sh         package target/debug/leasehold as it is (no cargo build)
#   DEB=path/to/leasehold.deb tests/package/run.sh    test a package built elsewhere
#
# The service is never started (no DHCP server runs). Refuses to run when a leasehold package,
# /usr/bin/leasehold, /etc/leasehold or /var/lib/leasehold already exists: it would otherwise
# purge someone's configuration and leases. Leaves the machine as it found it, also on failure
# (trap: dpkg -P, the user if it created it, its temporary files). Needs dpkg, man-db, adduser,
# systemd (for systemd-analyze; it need not be running) and cargo-deb; installs the Debian ones
# with apt-get when missing. Every command is bounded by `timeout`.
# Prints `PASS name` / `FAIL name — why`, `FIGURE name ...` (durations), then
# `N passed, M failed`; exits non-zero on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NO_BUILD=${NO_BUILD:-0}
DEB=${DEB:-}
PKG=leasehold
CONF=/etc/leasehold/leasehold.toml
STATE=/var/lib/leasehold
UNIT=/usr/lib/systemd/system/leasehold.service
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}   # seconds for cargo build + cargo-deb (incremental in CI)

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1 — $2"; failed=$((failed + 1)); }
# check NAME WHY COMMAND...: PASS when the command succeeds, FAIL with WHY otherwise.
check() {
  local name=$1 why=$2
  shift 2
  if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}
# abort WHY: a prerequisite is missing or the machine is not ours to change: one failure, stop.
abort() {
  fail "prerequisites" "$1"
  finish
}

[ "$(id -u)" = 0 ] || abort "needs root (dpkg -i/-r/-P): run it as root"
command -v dpkg >/dev/null 2>&1 || abort "not a Debian system (no dpkg)"

# ---- refuse to touch a leasehold that is not ours ------------------------------------------------
status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
case $status in
  ""|"un "*|"pn "*) ;;
  *) abort "a leasehold package is already on this machine (dpkg status '${status% }'), not by this test: remove it first" ;;
esac
for p in /usr/bin/leasehold /etc/leasehold "$STATE"; do
  [ -e "$p" ] || [ -L "$p" ] && abort "$p already exists (not from this test): the test would remove it"
done
user_existed=0
getent passwd leasehold >/dev/null && user_existed=1
group_existed=0
getent group leasehold >/dev/null && group_existed=1

# ---- tools ---------------------------------------------------------------------------------------
missing=()
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v adduser >/dev/null 2>&1 || missing+=(adduser)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v deb-systemd-helper >/dev/null 2>&1 || missing+=(init-system-helpers)
command -v gzip >/dev/null 2>&1 || missing+=(gzip)
if [ "${#missing[@]}" != 0 ]; then
  echo "installing ${missing[*]}"
  # No package may start a service while installing (policy-rc.d), as in install-test-deps.sh.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}"; }
  apt_status=$?
  [ "$policy_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$apt_status" = 0 ] || abort "apt-get install ${missing[*]} failed"
fi
if [ -z "$DEB" ] && ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb (cargo install cargo-deb --locked)"
  start=$SECONDS
  timeout 1200 cargo install cargo-deb --locked || abort "cargo install cargo-deb failed"
  echo "FIGURE cargo-deb install: $((SECONDS - start)) s"
fi

# ---- clean-up, also on failure -------------------------------------------------------------------
WORK=$(mktemp -d /tmp/lh-package.XXXXXX)
installed_by_us=0
cleanup() {
  if [ "$installed_by_us" = 1 ]; then
    status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
    case $status in
      ""|"un "*|"pn "*) ;;
      *) timeout 120 dpkg -P "$PKG" >/dev/null 2>&1 || echo "cleanup: dpkg -P $PKG failed" >&2 ;;
    esac
    rm -rf "$STATE"   # in case the purge did not get that far
    if [ "$user_existed" = 0 ] && getent passwd leasehold >/dev/null; then
      timeout 60 deluser --system --quiet leasehold >/dev/null 2>&1 || userdel leasehold 2>/dev/null ||
        echo "cleanup: could not delete the leasehold user" >&2
    fi
    if [ "$group_existed" = 0 ] && getent group leasehold >/dev/null; then
      timeout 60 delgroup --system --quiet leasehold >/dev/null 2>&1 || groupdel leasehold 2>/dev/null ||
        echo "cleanup: could not delete the leasehold group" >&2
    fi
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'fail interrupted "by a signal (cleaning up)"; finish' INT TERM

# ---- 1. build and inspect the .deb ---------------------------------------------------------------
if [ -z "$DEB" ]; then
  # Its own output directory: a release build (target/debian/) may be packaged at the same time.
  build_args=(--profile dev --fast --output "$WORK/deb")
  [ "$NO_BUILD" = 1 ] && build_args+=(--no-build)
  start=$SECONDS
  if timeout "$BUILD_TIMEOUT" "$ROOT/packaging/build-deb.sh" "${build_args[@]}" >"$WORK/build.log" 2>&1; then
    DEB=$(find "$WORK/deb" -name 'leasehold_*.deb' | head -n 1)
    echo "FIGURE build .deb (build-deb.sh ${build_args[*]:0:3}): $((SECONDS - start)) s, $(stat -c %s "$DEB") bytes"
    pass "build .deb"
  else
    tail -n 30 "$WORK/build.log"
    fail "build .deb" "packaging/build-deb.sh failed (log above)"
    finish
  fi
fi
[ -f "$DEB" ] || abort "no package at '$DEB'"

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/contents" 2>/dev/null
dpkg-deb -f "$DEB" Depends >"$WORK/depends"
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles >"$WORK/conffiles" 2>/dev/null
# The man pages the binary itself generates: the package must carry exactly these, gzipped.
bin_for_pages=$WORK/extract/usr/bin/leasehold
dpkg-deb -x "$DEB" "$WORK/extract"
timeout 60 "$bin_for_pages" generate man --out "$WORK/pages" 2>/dev/null
(cd "$WORK/pages" && ls -- *.1) | sed 's|^|/usr/share/man/man1/|; s|$|.gz|' | sort >"$WORK/pages.expected"
grep '^/usr/share/man/man1/.' "$WORK/contents" | sort >"$WORK/pages.shipped"
n_pages=$(wc -l <"$WORK/pages.expected")
check "deb: a gzipped man page for each of the $n_pages commands and subcommands" \
  "$(diff "$WORK/pages.expected" "$WORK/pages.shipped" | head -5 | tr '\n' ' ')" \
  cmp -s "$WORK/pages.expected" "$WORK/pages.shipped"
check "deb: conffiles is exactly $CONF" "conffiles: $(tr '\n' ' ' <"$WORK/conffiles")" \
  test "$(cat "$WORK/conffiles")" = "$CONF"
check "deb: depends on adduser" "Depends: $(cat "$WORK/depends")" grep -qw adduser "$WORK/depends"
version=$(dpkg-deb -f "$DEB" Version)
changelog_top=$(zcat "$WORK/extract/usr/share/doc/leasehold/changelog.Debian.gz" 2>/dev/null | head -n 1)
check "deb: changelog.Debian's latest entry is $version" "first line '$changelog_top' (packaging/changelog)" \
  test "${changelog_top#leasehold ("$version") }" != "$changelog_top"
check "deb: carries no /var/lib files (the database is made on the machine)" \
  "$(grep '^/var/' "$WORK/contents" | head -3 | tr '\n' ' ')" \
  bash -c "! grep -q '^/var/lib/.' '$WORK/contents'"

# The package's unit is contrib/leasehold.service with only the identity (static user), the
# documentation and ExecReload changed: any other drift between the two is a mistake.
unit_settings() { grep -v -e '^#' -e '^$' -e '^DynamicUser=' -e '^Documentation=' -e '^ExecReload=' "$1"; }
check "unit: the package's unit has the hardening of contrib/leasehold.service" \
  "$(diff <(unit_settings "$ROOT/contrib/leasehold.service") <(unit_settings "$ROOT/packaging/leasehold.service") | head -4 | tr '\n' ' ')" \
  cmp -s <(unit_settings "$ROOT/contrib/leasehold.service") <(unit_settings "$ROOT/packaging/leasehold.service")

# ---- 2. install ----------------------------------------------------------------------------------
# --path-include: some minimal images exclude /usr/share/man and /usr/share/doc in
# /etc/dpkg/dpkg.cfg.d/; the test checks what the package ships, so it includes them back.
dpkg_install() {
  timeout 300 dpkg -i --path-include='/usr/share/man/man1/leasehold*' \
    --path-include='/usr/share/doc/leasehold/*' "$DEB" >"$WORK/dpkg-i.log" 2>&1
}
installed_by_us=1
start=$SECONDS
if dpkg_install; then
  echo "FIGURE dpkg -i: $((SECONDS - start)) s"
  pass "dpkg -i"
else
  cat "$WORK/dpkg-i.log"
  fail "dpkg -i" "log above"
  finish
fi

got=$(timeout 10 leasehold --version 2>&1)
check "leasehold --version" "got '$got', want 'leasehold ${version%-*}'" \
  test "$got" = "leasehold ${version%-*}"
check "/usr/bin/leasehold is the package's" "dpkg -S: $(dpkg -S /usr/bin/leasehold 2>&1)" \
  bash -c "dpkg -S /usr/bin/leasehold | grep -q '^leasehold:'"

# man renders (man-db formats it; -P cat: no pager).
for page in leasehold leasehold-import-dhcpd; do
  if MANWIDTH=80 timeout 30 man -P cat "$page" >"$WORK/man.out" 2>"$WORK/man.err" &&
    grep -q '^NAME' "$WORK/man.out" && grep -q "$page" "$WORK/man.out"; then
    pass "man $page renders"
  else
    fail "man $page renders" "$(head -c 300 "$WORK/man.err") $(head -c 200 "$WORK/man.out")"
  fi
done
all_pages_ok() {
  local f n=0
  for f in /usr/share/man/man1/leasehold*.1.gz; do
    gzip -t "$f" || return 1
    n=$((n + 1))
  done
  [ "$n" = "$n_pages" ]
}
check "all $n_pages man pages installed, valid gzip" "$(ls /usr/share/man/man1/leasehold* 2>/dev/null | wc -l) found" all_pages_ok

check "bash completion installed and parses" "/usr/share/bash-completion/completions/leasehold" \
  bash -c 'f=/usr/share/bash-completion/completions/leasehold; bash -n "$f" && grep -q "complete .*leasehold" "$f"'
check "zsh completion installed" "/usr/share/zsh/vendor-completions/_leasehold" \
  bash -c 'head -n 1 /usr/share/zsh/vendor-completions/_leasehold | grep -q "^#compdef leasehold"'
check "fish completion installed" "/usr/share/fish/vendor_completions.d/leasehold.fish" \
  grep -q '^complete -c leasehold' /usr/share/fish/vendor_completions.d/leasehold.fish
check "docs under /usr/share/doc/leasehold" "missing one of README.md, packaging.md, configuration.md, security.md, copyright, examples/lan.toml" \
  bash -c 'cd /usr/share/doc/leasehold && test -s README.md -a -s packaging.md -a -s configuration.md -a -s security.md -a -s copyright -a -s examples/lan.toml'

# The system user and its state directory.
pw=$(getent passwd leasehold || true)
uid=$(cut -d: -f3 <<<"$pw")
check "user leasehold exists, system uid, no login shell" "passwd: '$pw'" \
  bash -c "[ -n '$pw' ] && [ '$uid' -lt 1000 ] && case '$(cut -d: -f7 <<<"$pw")' in */nologin|*/false) true ;; *) false ;; esac"
check "group leasehold exists" "no group" bash -c "getent group leasehold >/dev/null"
got=$(stat -c '%U:%G %a' "$STATE" 2>&1)
check "$STATE owned by leasehold, mode 750" "got '$got'" test "$got" = "leasehold:leasehold 750"
got=$(stat -c '%U:%G %a' "$CONF" 2>&1)
check "$CONF is root:leasehold 640" "got '$got'" test "$got" = "root:leasehold 640"
check "$CONF is a registered conffile" "dpkg-query: $(dpkg-query -W -f '${Conffiles}' "$PKG")" \
  bash -c "dpkg-query -W -f '\${Conffiles}' $PKG | grep -q '^ $CONF '"

# The example: valid, for root and for the service's user, and answering no network.
check "check-config accepts the example (as root)" "$(timeout 10 leasehold check-config "$CONF" 2>&1 | head -c 300)" \
  bash -c "timeout 10 leasehold check-config '$CONF' >/dev/null"
check "check-config accepts the example (as user leasehold, like ExecStartPre)" \
  "$(timeout 10 runuser -u leasehold -- leasehold check-config "$CONF" 2>&1 | head -c 300)" \
  bash -c "timeout 10 runuser -u leasehold -- leasehold check-config '$CONF' >/dev/null"
check "the example binds only 127.0.0.1, on a port other than 67" "$(grep -E '^(listen_address|server_port)' "$CONF" | tr '\n' ' ')" \
  bash -c "grep -qx 'listen_address = \"127.0.0.1\".*' '$CONF' && grep -Eq '^server_port = [0-9]+' '$CONF' && ! grep -Eq '^server_port = 67( |\$)' '$CONF'"
sed -n '/^# \[server\]/,$p' "$CONF" | sed 's/^#\( \|$\)//' >"$WORK/production.toml"
check "the example's commented production part is valid once uncommented" \
  "$(timeout 10 leasehold check-config "$WORK/production.toml" 2>&1 | head -c 300)" \
  bash -c "[ -s '$WORK/production.toml' ] && timeout 10 leasehold check-config '$WORK/production.toml' >/dev/null"

# The unit: statically (the machine may not run systemd; the service is never started here).
check "unit installed" "$UNIT missing" test -s "$UNIT"
check "systemd-analyze verify $UNIT" "$(timeout 60 systemd-analyze verify "$UNIT" 2>&1 | head -c 400)" \
  bash -c "timeout 60 systemd-analyze verify '$UNIT' >/dev/null 2>&1"
exposure=$(timeout 60 systemd-analyze security --offline=true "$UNIT" 2>/dev/null |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "FIGURE systemd-analyze security exposure of the unit: ${exposure:-unknown} (0 best, 10 worst)"
check "systemd-analyze security: exposure at most 3.0" "exposure '${exposure}'" \
  bash -c "timeout 60 systemd-analyze security --offline=true --threshold=30 '$UNIT' >/dev/null 2>&1"
check "unit not enabled by the install" "$(ls /etc/systemd/system/*.wants/leasehold.service 2>/dev/null)" \
  bash -c '! ls /etc/systemd/system/*.wants/leasehold.service >/dev/null 2>&1'
# Processes of the installed binary (a test elsewhere may run its own target/debug/leasehold).
package_processes() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/bin/leasehold ] && echo "${p#/proc/}"
  done
  return 0
}
check "service not started by the install" "/usr/bin/leasehold runs as PID $(package_processes | tr '\n' ' ')" \
  test -z "$(package_processes)"

# ---- 3. re-install keeps an edited conffile ------------------------------------------------------
echo "# edited by tests/package/run.sh" >>"$CONF"
# A lease database the remove must keep and the purge must delete (the service would make it).
runuser -u leasehold -- touch "$STATE/leases.db"
if dpkg_install; then
  check "re-install keeps an edited conffile" "the edit is gone" grep -q '^# edited by tests/package/run.sh' "$CONF"
  got=$(stat -c '%U:%G %a' "$CONF" 2>&1)
  check "re-install keeps the conffile root:leasehold 640" "got '$got'" test "$got" = "root:leasehold 640"
else
  cat "$WORK/dpkg-i.log"
  fail "re-install (dpkg -i over itself)" "log above"
fi

# ---- 4. remove -----------------------------------------------------------------------------------
if timeout 120 dpkg -r "$PKG" >"$WORK/dpkg-r.log" 2>&1; then
  pass "dpkg -r"
else
  cat "$WORK/dpkg-r.log"
  fail "dpkg -r" "log above"
fi
check "after dpkg -r: binary, unit, man pages, completions gone" \
  "left: $(ls -d /usr/bin/leasehold "$UNIT" /usr/share/man/man1/leasehold* /usr/share/bash-completion/completions/leasehold 2>/dev/null | head -3 | tr '\n' ' ')" \
  bash -c "! ls -d /usr/bin/leasehold '$UNIT' /usr/share/man/man1/leasehold* /usr/share/bash-completion/completions/leasehold /usr/share/zsh/vendor-completions/_leasehold /usr/share/fish/vendor_completions.d/leasehold.fish /usr/share/doc/leasehold >/dev/null 2>&1"
check "after dpkg -r: conffile kept (with the edit)" "$CONF" grep -q '^# edited by tests/package/run.sh' "$CONF"
check "after dpkg -r: lease database kept" "$STATE/leases.db" test -e "$STATE/leases.db"
status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
check "after dpkg -r: package state config-files" "status '$status'" test "${status% }" = rc

# ---- 5. purge ------------------------------------------------------------------------------------
if timeout 120 dpkg -P "$PKG" >"$WORK/dpkg-P.log" 2>&1; then
  pass "dpkg -P"
else
  cat "$WORK/dpkg-P.log"
  fail "dpkg -P" "log above"
fi
check "after dpkg -P: /etc/leasehold gone" "$(ls -A /etc/leasehold 2>&1 | head -3 | tr '\n' ' ')" test ! -e /etc/leasehold
check "after dpkg -P: $STATE (lease database) gone" "still there" test ! -e "$STATE"
check "after dpkg -P: no stat override left" "$(dpkg-statoverride --list "$CONF" 2>&1)" \
  bash -c "! dpkg-statoverride --list '$CONF' >/dev/null 2>&1"
check "after dpkg -P: no systemd mask or enablement left" \
  "$(ls -d /etc/systemd/system/leasehold.service /etc/systemd/system/*.wants/leasehold.service /var/lib/systemd/deb-systemd-helper-*/leasehold.service* 2>/dev/null | tr '\n' ' ')" \
  bash -c "! ls -d /etc/systemd/system/leasehold.service /etc/systemd/system/*.wants/leasehold.service /var/lib/systemd/deb-systemd-helper-enabled/leasehold.service* /var/lib/systemd/deb-systemd-helper-masked/leasehold.service >/dev/null 2>&1"
status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
check "after dpkg -P: package not installed" "status '$status'" bash -c "case '$status' in ''|'un '*|'pn '*) true ;; *) false ;; esac"
check "after dpkg -P: the leasehold user is kept (Debian practice, docs/packaging.md)" "user gone" \
  bash -c 'getent passwd leasehold >/dev/null'

finish
