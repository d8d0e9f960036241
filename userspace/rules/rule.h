// The auditctl rule language: parsing -F/-C/-S/-w pieces into the kernel's
// struct audit_rule_data, and printing kernel rules the way `auditctl -l` does.
// Tables (field, syscall, errno, message type, file system names) come from libaudit.
#pragma once

#include <libaudit.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfaudit::rules {

// Error codes of the rule language; the numbers are stock's EAU_* values so that
// messages line up with audit_number_to_errmsg.
enum class RuleError : int {
  kNone = 0,
  kOpMissing = 1,
  kFieldUnknown = 2,
  kArchMisplaced = 3,
  kArchUnknown = 4,
  kElfUnknown = 5,
  kArchNoBit = 6,
  kExitOnly = 7,
  kMsgTypeUnknown = 8,
  kMsgTypeExcludeUser = 9,
  kStrTooLong = 11,
  kMsgTypeCredExclude = 12,
  kOpEqNotEq = 13,
  kPermRwxa = 14,
  kErrnoUnknown = 15,
  kFileTypeUnknown = 16,
  kExitEntryOnly = 17,
  kKeyDep = 19,
  kFieldValMissing = 20,
  kFieldValNum = 21,
  kFieldName = 22,
  kCompFieldName = 24,
  kCompVal = 25,
  kCompFieldUnknown = 26,
  kCompValUnknown = 27,
  kFieldTooMany = 28,
  kOpEq = 29,
  kFieldNoSupport = 30,
  kFieldNoFilter = 31,
  kFilterMissing = 32,
  kCompIncompat = 33,
  kFieldUnavail = 34,
  kFilterNoSupport = 35,
  kFsTypeUnknown = 36,
  kFieldValTooBig = 37,
  kPrintNothing = 38,
};

// The message stock prints for `code` about option text `opt` (already cut at the
// operator, as stock does), without trailing newline; empty when nothing is printed.
std::string rule_error_message(RuleError code, const std::string& opt);

// What the parser needs from the host: injected so unit tests need no kernel.
struct Environment {
  int machine = -1;                    // libaudit MACH_* of uname(), or -1 when unknown
  std::function<uint32_t()> features;  // kernel AUDIT_FEATURE_BITMAP_*
  std::function<std::optional<uint32_t>(const std::string&)> user_to_uid;
  std::function<std::optional<uint32_t>(const std::string&)> group_to_gid;

  static Environment host(std::function<uint32_t()> features);
};

// A rule being built: struct audit_rule_data plus its string buffer, in the exact
// byte layout the kernel takes.
class Rule {
 public:
  Rule();
  explicit Rule(std::vector<uint8_t> bytes);

  audit_rule_data& data() { return *reinterpret_cast<audit_rule_data*>(bytes_.data()); }
  const audit_rule_data& data() const {
    return *reinterpret_cast<const audit_rule_data*>(bytes_.data());
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  uint32_t field_count() const { return data().field_count; }

  bool add_field(uint32_t field, uint32_t op, uint32_t value);
  bool add_string(uint32_t field, uint32_t op, const std::string& value);
  void set_all_syscalls();
  bool set_syscall(int nr);
  // Replaces the rule with an empty watch on path (AUDIT_WATCH or AUDIT_DIR), rwxa.
  void make_watch(uint32_t type, const std::string& path);
  // Sets or replaces the perm field; false when the rule has no field before it.
  bool set_perm(uint32_t perms);
  void reset() { *this = Rule(); }

  // The strings of the string-valued fields, in field order.
  std::vector<std::string> strings() const;

 private:
  std::vector<uint8_t> bytes_;
};

// True when the field's value lives in the rule's string buffer.
bool is_string_field(uint32_t field);

// State carried between the pieces of one rule, as stock's _audit_* globals are.
struct BuildState {
  unsigned int elf = 0;  // AUDIT_ARCH_* chosen by -F arch or defaulted by -S
  bool syscall_added = false;
  bool perm_added = false;
  bool arch_added = false;
  bool exe_added = false;
  bool filterfs_added = false;
  // Set when an exclude rule took a field beyond 3.0.9's (see add_field_pair):
  // the kernel stores it, but its exclude filter does not evaluate it.
  int exclude_unevaluated = -1;
};

// -F field<op>value. `flags` is the filter list (AUDIT_FILTER_*, without prepend).
// On error, *opt_out gets the option text as stock prints it (the field name).
RuleError add_field_pair(Rule& rule, const std::string& pair, int flags, BuildState& st,
                         const Environment& env, std::string* opt_out, std::string* diagnostic);
// -C field<op>field.
RuleError add_field_compare(Rule& rule, const std::string& pair, int flags, std::string* opt_out);
// One -S word: a name, a number or "all". 0 ok, -1 unknown, -2 elf unknown.
int add_syscall(Rule& rule, const std::string& name, unsigned int elf, int host_machine);

// One -S word on the io_uring list (audit 3.1+): an operation name, a number or
// "all" (every named operation). 0 ok, -1 unknown.
int add_uring_op(Rule& rule, const std::string& name);
// A filter list's name as -l prints it (nullptr for values no release names).
const char* list_name(uint32_t flags);

// Permission letters rwxa to AUDIT_PERM_* bits; nullopt on a bad letter (*bad set).
std::optional<uint32_t> parse_perms(const std::string& s, char* bad);

struct PrintOptions {
  bool interpret = false;  // -l -i
  int host_machine = -1;
};

// Prints rules as stock `auditctl -l` does, one line each. Like stock, the arch of
// one rule decides the syscall table for following rules that have no arch, so a
// listing is printed as a whole.
std::string print_rules(const std::vector<Rule>& rules, const PrintOptions& opts);

// True when one of the rule's keys contains `key` (stock's -l -k / -D -k match).
bool key_matches(const Rule& rule, const std::string& key);
// The rule's keys, split on AUDIT_KEY_SEPARATOR.
std::vector<std::string> rule_keys(const Rule& rule);

}  // namespace bpfaudit::rules
