// The loss ledger: one body per kind of loss, the same whoever writes it
// (the daemon, autrace), and stock-readable as a DAEMON_ERR record.
#include "loss.h"

#include <gtest/gtest.h>
#include <libaudit.h>

#include <string>

#include "record.h"
#include "trace_format.h"

namespace {

using bpfaudit::record::loss_body;
using bpfaudit::record::LossEntry;

TEST(LossLedger, OneBodyPerKind) {
  EXPECT_EQ(loss_body(LossEntry::kernel_lost(3, 10)), "op=kernel-lost lost=3 total=10 res=failed");
  EXPECT_EQ(loss_body(LossEntry::netlink_overrun(7)), "op=netlink-overrun count=7 res=failed");
  EXPECT_EQ(loss_body(LossEntry::ring_drop("prefilter/ring-full", 2)),
            "op=ring-drop source=\"prefilter/ring-full\" count=2 res=failed");
  EXPECT_EQ(loss_body(LossEntry::ring_drop("autrace/malformed-event", 5, 1234)),
            "op=ring-drop source=\"autrace/malformed-event\" count=5 pid=1234 res=failed");
  // The source is an untrusted string, hex-encoded as the kernel would.
  EXPECT_EQ(loss_body(LossEntry::ring_drop("a b", 1)),
            "op=ring-drop source=612062 count=1 res=failed");
  // A plugin's queue: the plugins.d file's name, encoded the same way.
  EXPECT_EQ(loss_body(LossEntry::plugin_drop("slow.conf", 4)),
            "op=plugin-drop plugin=\"slow.conf\" count=4 res=failed");
  // Records the daemon's own log could not take.
  EXPECT_EQ(loss_body(LossEntry::log_drop(12)), "op=log-drop count=12 res=failed");
}

TEST(LossLedger, AutraceRecordReadsBackAsDaemonErr) {
  std::string out;
  bpfaudit::ebpf::append_loss_record(out, {1700000000, 5, 9, "bpfaudit"},
                                      LossEntry::ring_drop("autrace/ringbuf-full-syscall", 3, 42));
  EXPECT_EQ(out,
            "node=bpfaudit type=DAEMON_ERR msg=audit(1700000000.005:9): op=ring-drop "
            "source=\"autrace/ringbuf-full-syscall\" count=3 pid=42 res=failed\n");
  auto h = bpfaudit::record::parse_header(out);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, AUDIT_DAEMON_ERR);
  auto fields = bpfaudit::record::split_fields(out.substr(0, out.size() - 1));
  std::string seen;
  for (const auto& f : fields) seen += std::string(f.name) + "=" + std::string(f.value) + ";";
  EXPECT_NE(seen.find("op=ring-drop;source=\"autrace/ringbuf-full-syscall\";count=3;pid=42;"
                      "res=failed;"),
            std::string::npos)
      << seen;
}

}  // namespace
