// Differential: one rule built piece by piece by our rule language
// (rules::add_field_pair, add_field_compare, add_syscall) and by stock
// libaudit 3.0.9 (audit_rule_fieldpair_data, audit_rule_interfield_comp_data,
// audit_rule_syscallbyname_data), linked statically. Each piece must be
// accepted by both or refused by both with the same EAU_* code, and after
// each accepted piece the two rules must hold the same bytes.
//
// Stock asks the kernel for its feature bitmap (netlink) before some fields;
// audit_open is wrapped (-Wl,--wrap=audit_open) to fail, so stock sees no
// features and ours is given none: nothing reaches the kernel.
//
// Input: byte 0 chooses the filter list; then one piece per line: "S word"
// for -S, "C pair" for -C, anything else a -F pair.
#include <libaudit.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "rule.h"

extern "C" {
// libaudit's per-rule state (libaudit.c), reset before each rule as stock
// auditctl's reset_vars does.
extern unsigned int _audit_elf;
extern int _audit_syscalladded, _audit_permadded, _audit_archadded, _audit_exeadded,
    _audit_filterfsadded;
int __wrap_audit_open(void) {
  errno = EPROTONOSUPPORT;
  return -1;
}
}

using namespace bpfaudit;

namespace {

[[noreturn]] void differ(const char* what, const std::string& piece, int ours, int stock) {
  std::fprintf(stderr, "%s at '%s': ours %d, stock %d\n", what, piece.c_str(), ours, stock);
  std::abort();
}

bool same_rule(const rules::Rule& ours, const audit_rule_data* stock) {
  const audit_rule_data& o = ours.data();
  if (o.flags != stock->flags || o.action != stock->action ||
      o.field_count != stock->field_count || o.buflen != stock->buflen)
    return false;
  if (std::memcmp(o.mask, stock->mask, sizeof o.mask) != 0) return false;
  for (std::uint32_t i = 0; i < o.field_count && i < AUDIT_MAX_FIELDS; ++i)
    if (o.fields[i] != stock->fields[i] || o.values[i] != stock->values[i] ||
        o.fieldflags[i] != stock->fieldflags[i])
      return false;
  const auto& bytes = ours.bytes();
  if (bytes.size() < sizeof(audit_rule_data) + o.buflen) return false;
  return std::memcmp(bytes.data() + sizeof(audit_rule_data), stock->buf, o.buflen) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  static const int kLists[] = {AUDIT_FILTER_EXIT, AUDIT_FILTER_USER, AUDIT_FILTER_EXCLUDE,
                               AUDIT_FILTER_TASK, AUDIT_FILTER_FS};
  int flags = kLists[in.byte() % 5];

  static const rules::Environment env = [] {
    rules::Environment e = rules::Environment::host([] { return 0u; });
    return e;
  }();
  rules::Rule ours;
  ours.data().flags = static_cast<std::uint32_t>(flags);
  ours.data().action = AUDIT_ALWAYS;
  rules::BuildState st;
  audit_rule_data* stock = audit_rule_create_data();
  stock->flags = static_cast<std::uint32_t>(flags);
  stock->action = AUDIT_ALWAYS;
  _audit_elf = 0;
  _audit_syscalladded = _audit_permadded = _audit_archadded = _audit_exeadded =
      _audit_filterfsadded = 0;

  for (int n = 0; in.left() && n < 24; ++n) {
    std::string line(in.line());
    line = line.substr(0, line.find('\0'));
    int o_rc, s_rc;
    if (line.size() >= 2 && line[0] == 'S' && line[1] == ' ') {
      std::string word = line.substr(2);
      if (word.empty()) continue;
      // Stock's auditctl refuses -S on lists without syscalls before libaudit sees it.
      if (flags != AUDIT_FILTER_EXIT) continue;
      o_rc = rules::add_syscall(ours, word, st.elf, env.machine);
      s_rc = audit_rule_syscallbyname_data(stock, word.c_str());
      // Ours knows syscalls libaudit 3.0.9's tables lack (fchmodat2 ...,
      // as audit 4.2 names them): accepted by name on purpose.
      int machine = st.elf ? audit_elf_to_machine(st.elf) : env.machine;
      bool newer = o_rc == 0 && s_rc == -1 && machine >= 0 &&
                   audit_name_to_syscall(word.c_str(), machine) < 0 &&
                   !(word[0] >= '0' && word[0] <= '9');
      if (newer) break;
      if (o_rc != s_rc) differ("-S", word, o_rc, s_rc);
      if (o_rc == 0) {
        st.syscall_added = true;
        _audit_syscalladded = 1;
      }
    } else if (line.size() >= 2 && line[0] == 'C' && line[1] == ' ') {
      std::string pair = line.substr(2);
      std::string opt;
      o_rc = -static_cast<int>(rules::add_field_compare(ours, pair, flags, &opt));
      s_rc = audit_rule_interfield_comp_data(&stock, pair.c_str(), flags);
      if (o_rc != s_rc) differ("-C", pair, o_rc, s_rc);
    } else {
      std::string opt, diag;
      o_rc = -static_cast<int>(rules::add_field_pair(ours, line, flags, st, env, &opt, &diag));
      // An exclude field beyond 3.0.9's is ours alone (issue 20); never with no features.
      s_rc = audit_rule_fieldpair_data(&stock, line.c_str(), flags);
      if (o_rc != s_rc) differ("-F", line, o_rc, s_rc);
      if (o_rc == 0 && (st.elf != _audit_elf || st.perm_added != (_audit_permadded != 0) ||
                        st.exe_added != (_audit_exeadded != 0)))
        differ("state after -F", line, static_cast<int>(st.elf), static_cast<int>(_audit_elf));
    }
    if (o_rc != 0) break;  // a refused piece ends the command for both
    if (!same_rule(ours, stock)) differ("rule bytes", line, 0, 0);
  }
  audit_rule_free_data(stock);
  return 0;
}
