#include "prefilter_control.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace bpfaudit::rules {

namespace {

constexpr char kCatalogMagic[8] = {'B', 'P', 'F', 'A', 'P', 'F', '1', '\n'};

int list_of(const kernel::RuleBytes& b) {
  if (b.size() < sizeof(audit_rule_data)) return -1;
  const auto* r = reinterpret_cast<const audit_rule_data*>(b.data());
  return static_cast<int>(r->flags & ~AUDIT_FILTER_PREPEND);
}

void make_parent(const std::string& path) {
  // A minimal system (the vm-tests guests) may have no /var/lib at all.
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
}

bool write_atomically(const std::string& path, const std::string& data) {
  make_parent(path);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) return false;
  }
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

// The audit pid's executable name, or empty.
std::string exe_name(std::uint32_t pid) {
  char buf[4096];
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string exe(buf, static_cast<std::size_t>(n));
  // A binary replaced while running (an upgrade) reads "PATH (deleted)".
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.size() > kDeleted.size() && exe.ends_with(kDeleted))
    exe.resize(exe.size() - kDeleted.size());
  auto slash = exe.rfind('/');
  return slash == std::string::npos ? exe : exe.substr(slash + 1);
}

}  // namespace

kernel::RuleBytes normalized(const kernel::RuleBytes& rule) {
  kernel::RuleBytes b = rule;
  if (b.size() >= sizeof(audit_rule_data))
    reinterpret_cast<audit_rule_data*>(b.data())->flags &= ~AUDIT_FILTER_PREPEND;
  return b;
}

namespace {

// The exit list in kernel-alone order: the catalog's order, its kernel-side
// entries checked against what the kernel holds. The kernel is the truth for
// those: rules someone removed with another tool leave, rules someone added
// join at the end (the kernel appended them too).
std::vector<CatalogEntry> synced(std::vector<CatalogEntry> catalog,
                                 const std::vector<kernel::RuleBytes>& kernel_exit) {
  std::vector<CatalogEntry> out;
  std::vector<bool> used(kernel_exit.size());
  for (auto& e : catalog) {
    if (e.engine) {
      out.push_back(std::move(e));
      continue;
    }
    for (std::size_t i = 0; i < kernel_exit.size(); ++i)
      if (!used[i] && kernel_exit[i] == e.bytes) {
        used[i] = true;
        out.push_back(std::move(e));
        break;
      }
  }
  for (std::size_t i = 0; i < kernel_exit.size(); ++i)
    if (!used[i]) out.push_back({kernel_exit[i], false, {}});
  return out;
}

// A kernel listing split into its exit rules (normalized) and the others.
void split_listing(const std::vector<kernel::RuleBytes>& listed,
                   std::vector<kernel::RuleBytes>& kernel_exit, std::vector<Rule>& other) {
  for (const auto& b : listed) {
    if (list_of(b) == AUDIT_FILTER_EXIT)
      kernel_exit.push_back(normalized(b));
    else
      other.emplace_back(b);
  }
}

}  // namespace

PrefilterControl::PrefilterControl(kernel::AuditControl& kernel, PrefilterPaths paths)
    : kernel_(kernel), paths_(std::move(paths)) {}

bool PrefilterControl::chosen() const {
  std::ifstream in(paths_.choice);
  std::string word;
  return in >> word && word == "on";
}

bool PrefilterControl::active() const { return chosen() && ebpf::PrefilterEngine::pinned(); }

std::optional<ebpf::EngineState> PrefilterControl::engine_state() const {
  auto e = ebpf::PrefilterEngine::open_pinned();
  if (!e) return std::nullopt;
  return e->state();
}

std::uint32_t PrefilterControl::reader_tgid() const {
  auto e = ebpf::PrefilterEngine::open_pinned();
  if (!e) return 0;
  std::uint32_t tgid = e->daemon_tgid();
  if (tgid && ::kill(static_cast<pid_t>(tgid), 0) != 0 && errno == ESRCH) return 0;
  return tgid;
}

bool PrefilterControl::locked() {
  auto st = kernel_.get_status();
  return st.ok() && st->status.enabled == 2;
}

base::Result<void> PrefilterControl::ensure_engine() {
  if (engine_) return {};
  auto loaded = ebpf::PrefilterEngine::load_or_open();
  if (!loaded) return loaded.error();
  engine_ = std::move(*loaded);
  return {};
}

bool PrefilterControl::load_catalog() {
  catalog_.clear();
  std::ifstream in(paths_.catalog, std::ios::binary);
  if (!in) return false;
  char magic[sizeof kCatalogMagic];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kCatalogMagic, sizeof magic) != 0)
    return false;
  for (;;) {
    std::uint8_t engine = 0;
    std::uint32_t len = 0;
    if (!in.read(reinterpret_cast<char*>(&engine), 1)) break;
    if (!in.read(reinterpret_cast<char*>(&len), sizeof len) || len > (1u << 20)) return false;
    CatalogEntry e;
    e.engine = engine != 0;
    e.bytes.resize(len);
    if (!in.read(reinterpret_cast<char*>(e.bytes.data()), len)) return false;
    catalog_.push_back(std::move(e));
  }
  return true;
}

bool PrefilterControl::save_catalog() {
  std::string data(kCatalogMagic, sizeof kCatalogMagic);
  for (const auto& e : catalog_) {
    data.push_back(e.engine ? 1 : 0);
    std::uint32_t len = static_cast<std::uint32_t>(e.bytes.size());
    data.append(reinterpret_cast<const char*>(&len), sizeof len);
    data.append(reinterpret_cast<const char*>(e.bytes.data()), e.bytes.size());
  }
  return write_atomically(paths_.catalog, data);
}

base::Result<void> PrefilterControl::reconcile(bool engine_changed) {
  auto listed = kernel_.list_rules();
  if (!listed.ok())
    return base::Error{listed.code(), std::string("cannot list the kernel's rules: ") +
                                          std::strerror(-listed.code())};
  std::vector<kernel::RuleBytes> kernel_exit;
  std::vector<Rule> other_lists;
  split_listing(*listed, kernel_exit, other_lists);
  catalog_ = synced(std::move(catalog_), kernel_exit);

  std::vector<Rule> exit_rules;
  for (const auto& e : catalog_) exit_rules.emplace_back(e.bytes);
  PlacementPlan plan = place_rules(exit_rules, other_lists, host_records_block());

  // 1. Rules leaving the engine go into the kernel first (appended, in
  //    catalog order: no kernel rule shares a syscall with them).
  std::vector<std::size_t> added;
  for (std::size_t i = 0; i < catalog_.size(); ++i) {
    if (!catalog_[i].engine || plan.placement[i].engine) continue;
    if (int rc = kernel_.add_rule(catalog_[i].bytes); rc < 0) {
      for (std::size_t j : added) kernel_.delete_rule(catalog_[j].bytes);
      return base::Error{rc, std::string("cannot move a rule back into the kernel: ") +
                                 std::strerror(-rc)};
    }
    added.push_back(i);
  }
  // 2. The engine's new generation, when its rule set changed: loading a
  //    rules file rewrites the tables only for rules that reach the engine.
  bool moved = !added.empty();
  for (std::size_t i = 0; i < catalog_.size(); ++i)
    moved = moved || (!catalog_[i].engine && plan.placement[i].engine);
  if (moved || engine_changed) {
    base::Result<void> installed = ensure_engine();
    if (installed) installed = engine_->install(plan.engine_rules);
    if (!installed) {
      for (std::size_t j : added) kernel_.delete_rule(catalog_[j].bytes);
      return installed;
    }
  }
  // 3. Rules now on the engine leave the kernel.
  for (std::size_t i = 0; i < catalog_.size(); ++i) {
    if (catalog_[i].engine || !plan.placement[i].engine) continue;
    kernel_.delete_rule(catalog_[i].bytes);
  }
  for (std::size_t i = 0; i < catalog_.size(); ++i) {
    catalog_[i].engine = plan.placement[i].engine;
    catalog_[i].reason = plan.placement[i].reason;
  }
  if (!save_catalog())
    return base::Error{-errno, "cannot write " + paths_.catalog + ": " + std::strerror(errno)};
  return {};
}

base::Result<void> PrefilterControl::switch_on() {
  if (locked())
    return base::Error{-EPERM, "The audit system is in immutable mode, no rule changes allowed"};
  auto st = kernel_.get_status();
  if (!st.ok())
    return base::Error{st.code(),
                       std::string("cannot read the audit status: ") + std::strerror(-st.code())};
  // Engine records reach a log only through bpfaudit's collector: another
  // audit daemon would never see them.
  if (std::uint32_t pid = st->status.pid; pid != 0) {
    std::string exe = exe_name(pid);
    if (exe != "bpfaudit") {
      return base::Error{
          -EBUSY, "the audit pid is held by " +
                      (exe.empty() ? std::string("another process") : exe) + " (pid " +
                      std::to_string(pid) +
                      "), which cannot log the engine's records; stop it and run `bpfaudit "
                      "daemon`, then turn the prefilter on"};
    }
  }
  if (auto e = ensure_engine(); !e) return e;
  if (!write_atomically(paths_.choice, "on\n"))
    return base::Error{-errno, "cannot write " + paths_.choice + ": " + std::strerror(errno)};
  load_catalog();
  if (auto r = reconcile(true); !r) return r;
  engine_->set_enabled(st->status.enabled != 0);
  return {};
}

base::Result<void> PrefilterControl::switch_off() {
  if (locked())
    return base::Error{-EPERM, "The audit system is in immutable mode, no rule changes allowed"};
  if (ebpf::PrefilterEngine::pinned()) {
    load_catalog();
    // Every engine rule back into the kernel first (appended: none of them
    // shares a syscall with a kernel rule), then the engine goes.
    std::vector<std::size_t> added;
    for (std::size_t i = 0; i < catalog_.size(); ++i) {
      if (!catalog_[i].engine) continue;
      int rc = kernel_.add_rule(catalog_[i].bytes);
      if (rc < 0 && rc != -EEXIST) {
        for (std::size_t j : added) kernel_.delete_rule(catalog_[j].bytes);
        return base::Error{rc, std::string("cannot move a rule back into the kernel: ") +
                                   std::strerror(-rc)};
      }
      added.push_back(i);
    }
    engine_.reset();
    if (auto u = ebpf::PrefilterEngine::unpin(); !u) return u;
  }
  ::unlink(paths_.catalog.c_str());
  // The catalog's directory is ours; it goes when empty.
  auto slash = paths_.catalog.rfind('/');
  if (slash != std::string::npos && slash > 0) ::rmdir(paths_.catalog.substr(0, slash).c_str());
  catalog_.clear();
  // Off is the state of a host that never turned the prefilter on: no
  // choice file, and its directory goes when empty.
  if (::unlink(paths_.choice.c_str()) != 0 && errno != ENOENT)
    return base::Error{-errno, "cannot remove " + paths_.choice + ": " + std::strerror(errno)};
  auto choice_slash = paths_.choice.rfind('/');
  if (choice_slash != std::string::npos && choice_slash > 0)
    ::rmdir(paths_.choice.substr(0, choice_slash).c_str());
  return {};
}

int PrefilterControl::set_status(const audit_status& s) {
  int rc = kernel_.set_status(s);
  if (rc >= 0 && (s.mask & AUDIT_STATUS_ENABLED) && active()) {
    if (ensure_engine()) engine_->set_enabled(s.enabled != 0);
  }
  return rc;
}

int PrefilterControl::add_rule(const kernel::RuleBytes& rule) {
  if (!chosen() || list_of(rule) != AUDIT_FILTER_EXIT) return kernel_.add_rule(rule);
  if (locked()) return -EPERM;
  load_catalog();
  kernel::RuleBytes norm = normalized(rule);
  for (const auto& e : catalog_)
    if (e.engine && e.bytes == norm) return -EEXIST;
  // Into the kernel first: it validates the rule exactly as without the
  // engine, with the kernel's own errors.
  if (int rc = kernel_.add_rule(rule); rc < 0) return rc;
  bool prepend =
      rule.size() >= sizeof(audit_rule_data) &&
      (reinterpret_cast<const audit_rule_data*>(rule.data())->flags & AUDIT_FILTER_PREPEND);
  if (prepend)
    catalog_.insert(catalog_.begin(), {norm, false, {}});
  else
    catalog_.push_back({norm, false, {}});
  if (auto r = reconcile(false); !r)
    std::fprintf(stderr, "prefilter: %s; the rule stays in the kernel\n", r.error().text().c_str());
  return 0;
}

int PrefilterControl::delete_rule(const kernel::RuleBytes& rule) {
  if (!chosen() || list_of(rule) != AUDIT_FILTER_EXIT) return kernel_.delete_rule(rule);
  if (locked()) return -EPERM;
  load_catalog();
  kernel::RuleBytes norm = normalized(rule);
  for (std::size_t i = 0; i < catalog_.size(); ++i) {
    if (!catalog_[i].engine || catalog_[i].bytes != norm) continue;
    catalog_.erase(catalog_.begin() + static_cast<std::ptrdiff_t>(i));
    if (auto r = reconcile(true); !r) {
      std::fprintf(stderr, "prefilter: %s\n", r.error().text().c_str());
      return -EIO;
    }
    return 0;
  }
  int rc = kernel_.delete_rule(rule);
  if (rc < 0) return rc;
  if (auto r = reconcile(false); !r)
    std::fprintf(stderr, "prefilter: %s\n", r.error().text().c_str());
  return 0;
}

base::Result<std::vector<kernel::RuleBytes>> PrefilterControl::list_rules() {
  auto listed = kernel_.list_rules();
  if (!listed.ok() || !active()) return listed;
  load_catalog();
  // The kernel lists rule lists in filter order; the exit list's place in it
  // is taken by the catalog's order, which holds the kernel's exit rules too.
  std::vector<kernel::RuleBytes> kernel_exit;
  std::vector<Rule> other;
  split_listing(*listed, kernel_exit, other);
  std::vector<kernel::RuleBytes> out;
  bool exit_done = false;
  auto put_exit = [&] {
    if (exit_done) return;
    exit_done = true;
    for (auto& e : synced(catalog_, kernel_exit)) out.push_back(std::move(e.bytes));
  };
  for (auto& b : *listed) {
    int list = list_of(b);
    if (list == AUDIT_FILTER_EXIT) {
      put_exit();
      continue;
    }
    if (list > AUDIT_FILTER_EXIT) put_exit();
    out.push_back(std::move(b));
  }
  put_exit();
  return out;
}

base::Result<std::vector<CatalogEntry>> PrefilterControl::placement() {
  if (!active()) {
    auto listed = kernel_.list_rules();
    if (!listed.ok()) return listed.error();
    std::vector<CatalogEntry> out;
    for (auto& b : *listed)
      if (list_of(b) == AUDIT_FILTER_EXIT) out.push_back({b, false, "the prefilter is off"});
    return out;
  }
  load_catalog();
  auto listed = kernel_.list_rules();
  if (!listed.ok()) return listed.error();
  std::vector<kernel::RuleBytes> kernel_exit;
  std::vector<Rule> exit_rules, other;
  split_listing(*listed, kernel_exit, other);
  std::vector<CatalogEntry> out = synced(catalog_, kernel_exit);
  for (const auto& e : out) exit_rules.emplace_back(e.bytes);
  PlacementPlan plan = place_rules(exit_rules, other, host_records_block());
  for (std::size_t i = 0; i < out.size(); ++i) out[i].reason = plan.placement[i].reason;
  return out;
}

}  // namespace bpfaudit::rules
