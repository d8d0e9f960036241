// Audit text for decoded trace events, in the kernel's own record formats.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "loss.h"
#include "record.h"
#include "trace_events.h"

namespace bpfaudit::ebpf {

inline constexpr std::size_t kProctitleMax = 128;  // the kernel's MAX_PROCTITLE_AUDIT_LEN

// The end of a SYSCALL line from ppid= to key=, which depends only on the
// thread's identity and the key: formatted once per identity, not per
// syscall. Holds the tails of the last few identities, by
// SyscallEvent::identity; one cache serves one key.
class SyscallTailCache {
 public:
  std::string_view tail(const SyscallEvent& ev, const std::optional<std::string>& key);
  // The PROCTITLE body ("proctitle=..." and '\n') of `title`, as trimmed and
  // encoded for the record: a task's title is fixed, so it is encoded once
  // per change of title, not per event (hex encoding it on every event cost
  // the reader enough to fall behind dd: bench-trace-stages, format stage).
  // An event from a decoder (identity not 0) with the identity of the last
  // call has its title (SyscallEvent::identity): not compared again.
  std::string_view proctitle(std::string_view title, std::uint64_t identity = 0);
  // The stamp's text, its second and millisecond formatted once for all the
  // events that share them.
  const record::StampText& stamp(const record::Stamp& s) {
    stamp_.assign(s);
    return stamp_;
  }

 private:
  struct Entry {
    std::uint64_t identity = 0;
    std::string text;
  };
  std::array<Entry, 16> entries_;
  std::string title_, title_body_;
  bool have_title_ = false;
  std::uint64_t title_identity_ = 0;
  record::StampText stamp_;
};

// Appends SYSCALL, then EXECVE, CWD, PATH..., PROCTITLE and EOE lines, each
// ending in '\n', in the order the kernel's audit_log_exit writes them.
// key: nullopt writes key=(null). `tails`, when given, supplies the
// identity part of the SYSCALL line. `eoe` false leaves EOE out (a log file).
void append_event_records(std::string& out, const SyscallEvent& ev, const record::Stamp& stamp,
                          const std::optional<std::string>& key, SyscallTailCache* tails = nullptr,
                          bool eoe = true);

// A DAEMON_ERR record stating that events were lost (the loss ledger's
// body), so the gap is visible in the log.
void append_loss_record(std::string& out, const record::Stamp& stamp, const record::LossEntry& e);

// Kernel dev_t rendering ("%02x:%02x" of major:minor) and mode ("%#o").
void append_dev(std::string& out, std::uint32_t dev);
void append_mode(std::string& out, std::uint32_t mode);
std::string format_dev(std::uint32_t dev);
std::string format_mode(std::uint32_t mode);

}  // namespace bpfaudit::ebpf
