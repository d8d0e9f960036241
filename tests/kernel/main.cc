// kernel_tests entry point: on the host, *GuestOnly* tests (they register as the
// audit daemon, lock or flush the configuration) are filtered out, because the
// host's audit state is shared with other users. vm-tests/run runs them in guests.
#include <gtest/gtest.h>

#include <cstdio>

#include "kernel_env.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (!bpfaudit::test::in_vm_guest()) {
    GTEST_FLAG_SET(filter, bpfaudit::test::exclude_guest_only(GTEST_FLAG_GET(filter)));
  }
  return RUN_ALL_TESTS();
}
