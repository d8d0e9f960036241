// A kernel for auditctl without the kernel: keeps rules per filter list as
// the kernel does (-A at the front, EEXIST for duplicates, ENOENT for unknown
// deletes) and honours the -e 2 lock. Nothing here touches netlink.
#pragma once

#include <libaudit.h>
#include <linux/audit.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "control.h"
#include "ctl.h"
#include "fuzz_util.h"
#include "rule.h"

namespace bpfaudit::fuzz {

class FakeControl : public kernel::AuditControl {
 public:
  kernel::Status status;
  audit_features features{};
  std::vector<kernel::RuleBytes> rules;

  FakeControl() {
    status.status.enabled = 1;
    status.status.failure = 1;
    status.status.backlog_limit = 8192;
    status.status.backlog_wait_time = 60000;
    status.status.feature_bitmap = AUDIT_FEATURE_BITMAP_ALL;
    status.length = sizeof(audit_status);
    features.mask = AUDIT_FEATURE_TO_MASK(AUDIT_FEATURE_LOGINUID_IMMUTABLE);
  }
  base::Result<kernel::Status> get_status() override { return status; }
  base::Result<audit_features> get_features() override { return features; }
  int set_status(const audit_status& s) override {
    if (status.status.enabled == 2) return -EPERM;
    if (s.mask & AUDIT_STATUS_ENABLED) status.status.enabled = s.enabled;
    if (s.mask & AUDIT_STATUS_FAILURE) status.status.failure = s.failure;
    if (s.mask & AUDIT_STATUS_RATE_LIMIT) status.status.rate_limit = s.rate_limit;
    if (s.mask & AUDIT_STATUS_BACKLOG_LIMIT) status.status.backlog_limit = s.backlog_limit;
    if (s.mask & AUDIT_STATUS_BACKLOG_WAIT_TIME)
      status.status.backlog_wait_time = s.backlog_wait_time;
    if (s.mask & AUDIT_STATUS_LOST) {
      int lost = static_cast<int>(status.status.lost);
      status.status.lost = 0;
      return lost;
    }
    return 0;
  }
  int set_feature(const audit_features& f) override {
    features.features |= f.features;
    features.lock |= f.lock;
    return 0;
  }
  static std::uint32_t list_of(const kernel::RuleBytes& b) {
    return reinterpret_cast<const audit_rule_data*>(b.data())->flags & AUDIT_FILTER_MASK;
  }
  static kernel::RuleBytes normalized(kernel::RuleBytes b) {
    reinterpret_cast<audit_rule_data*>(b.data())->flags &= ~AUDIT_FILTER_PREPEND;
    return b;
  }
  int add_rule(const kernel::RuleBytes& b) override {
    if (status.status.enabled == 2) return -EPERM;
    if (b.size() < sizeof(audit_rule_data)) return -EINVAL;
    kernel::RuleBytes n = normalized(b);
    if (std::find(rules.begin(), rules.end(), n) != rules.end()) return -EEXIST;
    if (rules.size() >= 4096) return -ENOSPC;
    std::uint32_t list = list_of(n);
    bool prepend = reinterpret_cast<const audit_rule_data*>(b.data())->flags & AUDIT_FILTER_PREPEND;
    auto pos = prepend ? std::find_if(rules.begin(), rules.end(),
                                      [&](const kernel::RuleBytes& r) { return list_of(r) >= list; })
                       : std::find_if(rules.begin(), rules.end(),
                                      [&](const kernel::RuleBytes& r) { return list_of(r) > list; });
    rules.insert(pos, n);
    return 0;
  }
  int delete_rule(const kernel::RuleBytes& b) override {
    if (status.status.enabled == 2) return -EPERM;
    auto it = std::find(rules.begin(), rules.end(), normalized(b));
    if (it == rules.end()) return -ENOENT;
    rules.erase(it);
    return 0;
  }
  base::Result<std::vector<kernel::RuleBytes>> list_rules() override { return rules; }
  int trim_subtrees() override { return 0; }
  int make_equivalent(const std::string&, const std::string&) override { return 0; }
  int user_message(const std::string&) override { return 0; }
};

// The host as the unit tests fake it: x86_64, every feature, root only.
inline rules::Environment fake_env() {
  rules::Environment env;
  env.machine = MACH_86_64;
  env.features = [] { return static_cast<std::uint32_t>(AUDIT_FEATURE_BITMAP_ALL); };
  env.user_to_uid = [](const std::string& n) -> std::optional<std::uint32_t> {
    if (n == "root") return 0u;
    return std::nullopt;
  };
  env.group_to_gid = [](const std::string& n) -> std::optional<std::uint32_t> {
    if (n == "root") return 0u;
    return std::nullopt;
  };
  return env;
}

inline rules::CtlIo null_io() {
  rules::CtlIo io;
  io.out = null_stream();
  io.err = null_stream();
  io.syslog = [](int, const std::string&) {};
  io.kill = [](int, int) { return 0; };
  return io;
}

// One auditctl command line from `line`; "-R FILE" reads the scratch
// directory's rules file instead of FILE. Returns the exit code.
inline int run_ctl_line(rules::Ctl& ctl, std::string_view line, const std::string& rules_file) {
  std::vector<std::string> args{"auditctl"};
  for (auto& w : words(line)) args.push_back(std::move(w));
  if (args.size() > 64) args.resize(64);
  for (std::size_t i = 1; i + 1 < args.size(); ++i)
    if (args[i] == "-R") args[i + 1] = rules_file;
  return ctl.run(args);
}

}  // namespace bpfaudit::fuzz
