#!/bin/bash
# `cmake --install` into a DESTDIR under a temp dir (issue 17, "As a
# service"): the binaries, the systemd unit and the default configuration
# land where they should with the right modes; the unit's ExecStart and
# ExecStartPost programs exist in that tree; a second install keeps a
# configuration that is there; another --prefix moves the binaries and the
# unit's paths with it; `systemd-analyze verify` accepts the unit when that
# binary exists. Touches nothing outside its temp dir.
# usage: install_test.sh BUILD_DIR
set -u
BUILD=$1
T=$(mktemp -d /tmp/bpfaudit-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 passes=0
ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
mode() { stat -c %a "$1" 2>/dev/null; }

D=$T/root
DESTDIR=$D cmake --install "$BUILD" --prefix /usr/local > "$T/install.out" 2>&1
check "cmake --install succeeds" [ $? = 0 ]
for b in bpfaudit bpfaudit-engine bpfaudit-index; do
  check "sbin/$b installed 0755" [ "$(mode "$D/usr/local/sbin/$b")" = 755 ]
done
check "no stock-named links by default" [ ! -e "$D/usr/local/sbin/ausearch" ]
U=$D/usr/local/lib/systemd/system/bpfaudit.service
check "unit installed 0644" [ "$(mode "$U")" = 644 ]
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$U")
check "ExecStart names /usr/local/sbin/bpfaudit ($exec_start)" [ "$exec_start" = /usr/local/sbin/bpfaudit ]
check "ExecStart's program exists in the tree" [ -x "$D$exec_start" ]
post=$(sed -n 's/^ExecStartPost=-\([^ ]*\).*/\1/p' "$U")
check "ExecStartPost's program exists in the tree" [ -x "$D$post" ]
check "unit runs the daemon without fork, Type=notify" \
  grep -qx "ExecStart=/usr/local/sbin/bpfaudit daemon -n" "$U"
check "unit: Type=notify" grep -qx "Type=notify" "$U"
check "unit conflicts with auditd.service" grep -qx "Conflicts=shutdown.target auditd.service" "$U"
# The ordering and hardening lines are auditd.service's (Debian 12's, as
# read from /lib/systemd/system/auditd.service on this host).
for l in "DefaultDependencies=no" "After=local-fs.target systemd-tmpfiles-setup.service" \
         "Before=sysinit.target shutdown.target" "ConditionKernelCommandLine=!audit=0" \
         "ConditionKernelCommandLine=!audit=off" "RestartPreventExitStatus=2 4 6" \
         "MemoryDenyWriteExecute=true" "LockPersonality=true" "ProtectControlGroups=true" \
         "ProtectKernelModules=true" "RestrictRealtime=true" "WantedBy=multi-user.target"; do
  check "unit has $l" grep -qxF "$l" "$U"
  if [ -f /lib/systemd/system/auditd.service ]; then
    check "auditd.service has $l too" grep -qxF "$l" /lib/systemd/system/auditd.service
  fi
done
check "config dir 0750" [ "$(mode "$D/etc/audit")" = 750 ]
check "auditd.conf 0640" [ "$(mode "$D/etc/audit/auditd.conf")" = 640 ]
check "plugins.d 0750" [ "$(mode "$D/etc/audit/plugins.d")" = 750 ]
check "plugins.d/json.conf 0640, inactive" \
  bash -c "[ \"\$(stat -c %a '$D/etc/audit/plugins.d/json.conf')\" = 640 ] && grep -qx 'active = no' '$D/etc/audit/plugins.d/json.conf'"
check "log directory 0700" [ "$(mode "$D/var/log/audit")" = 700 ]
check "README and the rsyslog example in the doc dir" \
  test -f "$D/usr/local/share/doc/bpfaudit/README.md" -a -f "$D/usr/local/share/doc/bpfaudit/bpfaudit-json.conf"

# An existing configuration is kept.
echo "# the admin's" > "$D/etc/audit/auditd.conf"
echo "# the admin's" > "$D/etc/audit/plugins.d/json.conf"
DESTDIR=$D cmake --install "$BUILD" --prefix /usr/local > "$T/install2.out" 2>&1
check "second install succeeds" [ $? = 0 ]
check "auditd.conf kept" grep -qx "# the admin's" "$D/etc/audit/auditd.conf"
check "json.conf kept" grep -qx "# the admin's" "$D/etc/audit/plugins.d/json.conf"
check "the install says it kept them" grep -q "Keeping existing: $D/etc/audit/auditd.conf" "$T/install2.out"

# Another prefix: binaries and the unit's paths follow it.
D2=$T/root2
DESTDIR=$D2 cmake --install "$BUILD" --prefix /opt/bpfaudit > "$T/install3.out" 2>&1
U2=$D2/opt/bpfaudit/lib/systemd/system/bpfaudit.service
check "--prefix /opt/bpfaudit: ExecStart follows" \
  grep -qx "ExecStart=/opt/bpfaudit/sbin/bpfaudit daemon -n" "$U2"
check "--prefix /opt/bpfaudit: binary there" [ -x "$D2/opt/bpfaudit/sbin/bpfaudit" ]

if command -v systemd-analyze >/dev/null; then
  # verify checks that ExecStart's program exists on this host: point a
  # copy of the unit at the installed tree.
  sed "s|/usr/local/sbin/|$D/usr/local/sbin/|g" "$U" > "$T/bpfaudit.service"
  SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$T/bpfaudit.service" > "$T/verify.out" 2>&1
  rc=$?
  # Only what it says of this unit counts (it also reads the host's units).
  if [ $rc = 0 ] && ! grep -q "bpfaudit.service" "$T/verify.out"; then
    ok "systemd-analyze verify accepts the unit"
  else
    bad "systemd-analyze verify (rc $rc):"; cat "$T/verify.out"
  fi
else
  echo "SKIP (message only): systemd-analyze not installed, the unit is not verified"
fi

echo "passed $passes, failed $fails"
[ $fails = 0 ]
