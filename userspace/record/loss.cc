#include "loss.h"

#include "record.h"

namespace bpfaudit::record {

std::string loss_body(const LossEntry& e) {
  std::string out;
  switch (e.kind) {
    case LossEntry::Kind::kKernelLost:
      out = "op=kernel-lost lost=" + std::to_string(e.count) + " total=" + std::to_string(e.total);
      break;
    case LossEntry::Kind::kNetlinkOverrun:
      out = "op=netlink-overrun count=" + std::to_string(e.count);
      break;
    case LossEntry::Kind::kRingDrop:
      out =
          "op=ring-drop source=" + encode_untrusted(e.source) + " count=" + std::to_string(e.count);
      if (e.pid) out += " pid=" + std::to_string(*e.pid);
      break;
    case LossEntry::Kind::kPluginDrop:
      out = "op=plugin-drop plugin=" + encode_untrusted(e.source) +
            " count=" + std::to_string(e.count);
      break;
    case LossEntry::Kind::kLogDrop:
      out = "op=log-drop count=" + std::to_string(e.count);
      break;
  }
  return out + " res=failed";
}

}  // namespace bpfaudit::record
