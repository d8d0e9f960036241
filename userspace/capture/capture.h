// Log lines for `bpfaudit capture`, which reads kernel audit records through
// the AUDIT_NLGRP_READLOG multicast group (netlink::AuditSocket in event
// mode): it sees what the kernel logs without taking the audit daemon pid, so
// it coexists with auditd or another collector.
#pragma once

#include <string>
#include <string_view>

namespace bpfaudit::capture {

// Formats a netlink audit message as auditd writes it to the log.
std::string format_log_line(int type, std::string_view payload);

}  // namespace bpfaudit::capture
