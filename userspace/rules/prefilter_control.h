// The kernel's audit control with the prefilter engine beside it: the one
// AuditControl auditctl talks to. While the prefilter is on, every exit rule
// first goes into the kernel (which validates it and gives stock's errors),
// then moves to the engine when place_rules() puts it there; -l lists the
// rules in the order the kernel alone would hold them; -d, -D and -e act on
// both engines; -e 2 locks both.
//
// The exit list's order lives in a catalog under /run (gone at reboot, as
// kernel rules are); the on/off choice persists under /var/lib, and a rule
// loaded after a reboot with the choice on loads the engine again.
//
// Moving rules never leaves a window in which neither engine audits a rule:
// a rule is added on its new side before it leaves its old one. In between
// (one netlink round trip and one map update) a matching syscall can be
// recorded by both; that overlap is bounded and never a gap.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control.h"
#include "placement.h"
#include "prefilter_engine.h"
#include "rule.h"

namespace bpfaudit::rules {

struct PrefilterPaths {
  std::string choice = "/var/lib/bpfaudit/prefilter";       // "on"; absent: off
  std::string catalog = "/run/bpfaudit/prefilter.catalog";  // exit-list order
};

// One exit rule and where it lives.
struct CatalogEntry {
  kernel::RuleBytes bytes;  // as the kernel lists it (no prepend flag)
  bool engine = false;
  std::string reason;  // why it stays in the kernel (not stored)
};

class PrefilterControl : public kernel::AuditControl {
 public:
  PrefilterControl(kernel::AuditControl& kernel, PrefilterPaths paths = {});

  // The persisted choice.
  bool chosen() const;
  // On: engine pinned and chosen.
  bool active() const;
  // --prefilter on / off; on failure nothing changed.
  base::Result<void> switch_on();
  base::Result<void> switch_off();

  // Every rule of the exit list in kernel-alone order, with its placement
  // (the kernel's own listing when the prefilter is off).
  base::Result<std::vector<CatalogEntry>> placement();
  // The engine's state, when loaded.
  std::optional<ebpf::EngineState> engine_state() const;
  // The tgid the running collector registered with the engine, 0: none.
  std::uint32_t reader_tgid() const;

  base::Result<kernel::Status> get_status() override { return kernel_.get_status(); }
  base::Result<audit_features> get_features() override { return kernel_.get_features(); }
  int set_status(const audit_status& s) override;
  int set_feature(const audit_features& f) override { return kernel_.set_feature(f); }
  int add_rule(const kernel::RuleBytes& rule) override;
  int delete_rule(const kernel::RuleBytes& rule) override;
  base::Result<std::vector<kernel::RuleBytes>> list_rules() override;
  int trim_subtrees() override { return kernel_.trim_subtrees(); }
  int make_equivalent(const std::string& mount_point, const std::string& subtree) override {
    return kernel_.make_equivalent(mount_point, subtree);
  }
  int user_message(const std::string& text) override { return kernel_.user_message(text); }

 private:
  bool locked();
  // Brings the catalog in line with the kernel's list, places every rule and
  // moves what changed side; rewrites the engine's tables when a rule moved
  // or `engine_changed` (an engine rule was removed).
  base::Result<void> reconcile(bool engine_changed);
  bool load_catalog();
  bool save_catalog();
  base::Result<void> ensure_engine();

  kernel::AuditControl& kernel_;
  PrefilterPaths paths_;
  std::optional<ebpf::PrefilterEngine> engine_;
  std::vector<CatalogEntry> catalog_;
};

// Rule bytes as compared and stored: the prepend flag cleared (the kernel
// clears it once the rule is in place).
kernel::RuleBytes normalized(const kernel::RuleBytes& rule);

}  // namespace bpfaudit::rules
