// Turning what arrives (kernel netlink messages, the daemon's own records,
// records from eBPF sources) into log lines exactly as stock auditd writes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auditd_conf.h"
#include "record.h"

typedef struct opaque auparse_state_t;

namespace bpfaudit::collector {

// Appends stock's ENRICHED part (0x1d, then upper-case NAME=value for uid/gid,
// syscall, arch and sockaddr fields as libauparse interprets them) to a raw line.
class Enricher {
 public:
  explicit Enricher(std::uint64_t eoe_timeout) : eoe_timeout_(eoe_timeout) {}
  ~Enricher();
  Enricher(const Enricher&) = delete;
  Enricher& operator=(const Enricher&) = delete;

  void enrich(std::string& line, int type);

 private:
  auparse_state_t* au_ = nullptr;
  std::uint64_t eoe_timeout_;
};

// The event identity of records the daemon writes itself (DAEMON_*, loss
// ledger). Stock starts its serials at a random number below 10000 and counts up.
class DaemonSerial {
 public:
  DaemonSerial();
  explicit DaemonSerial(std::uint32_t first) : next_(first) {}
  // Now, and the next serial; no node (record::format_log_line puts node= in front).
  record::Stamp next();

 private:
  std::uint32_t next_;
};

// `audit(SEC.MSEC:SERIAL): BODY`, the payload of a daemon record.
std::string daemon_payload(const record::Stamp& s, std::string_view body);

// Bodies of the daemon's own records, field for field as stock writes them.
std::string start_body(record::LogFormat fmt, std::string_view kernel_release, std::uint32_t auid,
                       int pid, std::uint32_t uid, std::uint32_t ses);
// op=terminate / rotate-logs / resume-logging / reconfigure state=changed, with
// the signal sender (stock's audit_format_signal_info without an SELinux context).
std::string signal_body(std::string_view op, std::uint32_t sender_auid, std::uint32_t sender_uid,
                        std::string_view sender_ses, int sender_pid, std::string_view res);

}  // namespace bpfaudit::collector
