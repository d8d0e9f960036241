// Read-only audit event capture through the AUDIT_NLGRP_READLOG multicast
// group: sees what the kernel logs without taking the audit daemon pid, so it
// coexists with auditd or another collector.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bpfaudit::capture {

// RAII netlink socket joined to the read-log group.
class ReadlogSocket {
 public:
  ReadlogSocket() = default;
  ReadlogSocket(const ReadlogSocket&) = delete;
  ReadlogSocket& operator=(const ReadlogSocket&) = delete;
  ~ReadlogSocket();

  // Returns an empty string on success, otherwise what went wrong.
  std::string open(int rcvbuf_bytes = 64 << 20);

  // Receives one record and formats it as a log line without newline
  // (`type=NAME msg=audit(...): ...`). Waits up to timeout_ms; returns false
  // on timeout. `overruns` counts ENOBUFS (kernel dropped multicast data).
  bool receive(std::string& line, int timeout_ms);
  std::uint64_t overruns() const { return overruns_; }

 private:
  int fd_ = -1;
  std::uint64_t overruns_ = 0;
};

// Formats a netlink audit message as auditd writes it to the log.
std::string format_log_line(int type, std::string_view payload);

}  // namespace bpfaudit::capture
