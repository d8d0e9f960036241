// Kernel audit control over netlink: status, features, rules, user messages.
//
// AuditControl is the seam between the auditctl engine and the kernel so that the
// engine (parsing, validation, printing, the -e 2 lock path) is unit-tested against a
// fake. NetlinkControl talks to the real kernel.
#pragma once

#include <linux/audit.h>

#include <cstdint>
#include <string>
#include <vector>

#include "audit_socket.h"

namespace bpfaudit::kernel {

// One rule as the kernel holds it: struct audit_rule_data followed by buflen bytes.
using RuleBytes = std::vector<uint8_t>;

class AuditControl {
 public:
  virtual ~AuditControl() = default;
  virtual base::Result<Status> get_status() = 0;
  virtual base::Result<audit_features> get_features() = 0;
  // AUDIT_SET with s.mask selecting what changes. Returns the kernel's ack value:
  // 0, a positive value (the old counter for the reset masks), or -errno.
  virtual int set_status(const audit_status& s) = 0;
  virtual int set_feature(const audit_features& f) = 0;
  virtual int add_rule(const RuleBytes& rule) = 0;
  virtual int delete_rule(const RuleBytes& rule) = 0;
  virtual base::Result<std::vector<RuleBytes>> list_rules() = 0;
  virtual int trim_subtrees() = 0;
  virtual int make_equivalent(const std::string& mount_point, const std::string& subtree) = 0;
  // An AUDIT_USER record with "text" as the message (stock's -m).
  virtual int user_message(const std::string& text) = 0;
};

class NetlinkControl : public AuditControl {
 public:
  // Opens the socket lazily so that commands needing no kernel never touch it.
  NetlinkControl() = default;
  base::Result<Status> get_status() override;
  base::Result<audit_features> get_features() override;
  int set_status(const audit_status& s) override;
  int set_feature(const audit_features& f) override;
  int add_rule(const RuleBytes& rule) override;
  int delete_rule(const RuleBytes& rule) override;
  base::Result<std::vector<RuleBytes>> list_rules() override;
  int trim_subtrees() override;
  int make_equivalent(const std::string& mount_point, const std::string& subtree) override;
  int user_message(const std::string& text) override;

 private:
  int ensure_open();
  AuditSocket sock_;
};

}  // namespace bpfaudit::kernel
