#!/bin/sh
# The kernel round trip of tests/kernel/auditctl_roundtrip.sh (stock loads / ours
# lists and deletes; ours loads / stock lists; ours -R) on the guest kernel, over
# two shared rules files. The whole shared set takes 459 s on the host and about
# 1.2 s per rule line under TCG, far beyond the tier's budget (vm-tests/skip/all).
# These two cover both arches, syscall lists, bit-test (&), range (>=, !=),
# negative exit codes, auid unset, raw a0= values and keys.
# vm-needs: $BPFAUDIT_SRC_DIR/tests/kernel/auditctl_roundtrip.sh
# vm-needs: $BPFAUDIT_SHARED_TESTDATA/rules/audit-userspace__30-ospp-v42-1-create-failed.rules
# vm-needs: $BPFAUDIT_SHARED_TESTDATA/rules/audit-userspace__42-injection.rules
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for f in 30-ospp-v42-1-create-failed 42-injection; do
  cp "$BPFAUDIT_SHARED_TESTDATA/rules/audit-userspace__$f.rules" "$dir/"
done
"$BPFAUDIT_SRC_DIR/tests/kernel/auditctl_roundtrip.sh" "$BPFAUDIT_BIN_DIR/auditctl" "$dir"
