// The loss ledger: one vocabulary for every place events can be lost, written
// as the body of a DAEMON_ERR record (README: "Loss ledger"), so that
// `ausearch -m DAEMON_ERR` finds every gap whoever wrote it:
//   op=kernel-lost     lost=DELTA total=COUNTER  the kernel's `lost` counter grew
//   op=netlink-overrun count=N                   ENOBUFS: the event socket dropped data
//   op=ring-drop       source=NAME count=N       an eBPF source lost events; NAME is
//                                                prefilter/REASON (the daemon) or
//                                                autrace/REASON (autrace, which adds
//                                                pid=ROOT, the traced command)
//   op=plugin-drop     plugin=NAME count=N       the daemon's queue to a plugin was full
//                                                (or suspended by overflow_action);
//                                                NAME is the plugins.d file's name
//   op=log-drop        count=N                   records the daemon could not write to
//                                                its log (suspended by a space or disk
//                                                action, disk full, write error)
// each followed by res=failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace bpfaudit::record {

struct LossEntry {
  enum class Kind { kKernelLost, kNetlinkOverrun, kRingDrop, kPluginDrop, kLogDrop };
  Kind kind = Kind::kRingDrop;
  std::uint64_t count = 0;
  std::uint64_t total = 0;           // kernel-lost: the counter's value
  std::string source;                // ring-drop: which source and why; plugin-drop: the plugin
  std::optional<std::uint32_t> pid;  // ring-drop: the process the source followed

  static LossEntry kernel_lost(std::uint64_t delta, std::uint64_t counter) {
    return {Kind::kKernelLost, delta, counter, {}, {}};
  }
  static LossEntry netlink_overrun(std::uint64_t count) {
    return {Kind::kNetlinkOverrun, count, 0, {}, {}};
  }
  static LossEntry ring_drop(std::string source, std::uint64_t count,
                             std::optional<std::uint32_t> pid = std::nullopt) {
    return {Kind::kRingDrop, count, 0, std::move(source), pid};
  }
  static LossEntry plugin_drop(std::string plugin, std::uint64_t count) {
    return {Kind::kPluginDrop, count, 0, std::move(plugin), {}};
  }
  static LossEntry log_drop(std::uint64_t count) { return {Kind::kLogDrop, count, 0, {}, {}}; }
};

// The record body, from op= to res=failed.
std::string loss_body(const LossEntry& e);

}  // namespace bpfaudit::record
