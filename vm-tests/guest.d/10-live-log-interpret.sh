#!/bin/sh
# tests/kernel/live_log.sh on the guest kernel with the interpretation
# differential only: the guest kernel's records (SYSCALL, PATH, CWD, EXECVE,
# SOCKADDR, PROCTITLE, USER, CONFIG_CHANGE) read by stock `ausearch -i`/csv/text
# and by our interpret_driver, byte for byte. The ausearch option matrix that
# live_kernel_log_compat adds costs ~200 s per guest under TCG and tests
# userspace, not the kernel (vm-tests/skip/all).
# vm-needs: $BPFAUDIT_SRC_DIR/tests/kernel/live_log.sh
# vm-needs: $BPFAUDIT_SRC_DIR/tests/compat/interpret_compat.sh
# vm-needs: $BPFAUDIT_SRC_DIR/tests/compat/lib.sh
exec "$BPFAUDIT_SRC_DIR/tests/kernel/live_log.sh" "$BPFAUDIT_BIN_DIR" \
  "$BPFAUDIT_SRC_DIR/tests/compat/interpret_compat.sh" "$BPFAUDIT_BIN_DIR/interpret_driver"
