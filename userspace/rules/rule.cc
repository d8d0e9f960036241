#include "rule.h"

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "netlink_reply.h"
#include "uring_ops.h"

namespace bpfaudit::rules {

namespace {

struct ErrorText {
  RuleError code;
  int position;  // 0 text only, 1 "opt text", 2 "text opt", 3 nothing
  const char* text;
};

// Stock's wording, so that scripts matching auditctl's messages keep working.
constexpr ErrorText kErrorTexts[] = {
    {RuleError::kOpMissing, 2, "-F missing operation for"},
    {RuleError::kFieldUnknown, 2, "-F unknown field:"},
    {RuleError::kArchMisplaced, 1, "must be before -S"},
    {RuleError::kArchUnknown, 1, "machine type not found"},
    {RuleError::kElfUnknown, 1, "elf mapping not found"},
    {RuleError::kArchNoBit, 1, "requested bit level not supported by machine"},
    {RuleError::kExitOnly, 1, "can only be used with exit filter list"},
    {RuleError::kMsgTypeUnknown, 2, "-F unknown message type -"},
    {RuleError::kMsgTypeExcludeUser, 0,
     "msgtype field can only be used with exclude or user filter list"},
    {RuleError::kStrTooLong, 0, "String value too long"},
    {RuleError::kMsgTypeCredExclude, 0,
     "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter"},
    {RuleError::kOpEqNotEq, 1, "only takes = or != operators"},
    {RuleError::kPermRwxa, 0, "Permission can only contain  'rwxa'"},
    {RuleError::kErrnoUnknown, 2, "-F unknown errno -"},
    {RuleError::kFileTypeUnknown, 2, "-F unknown file type - "},
    {RuleError::kExitEntryOnly, 1, "can only be used with exit and entry filter list"},
    {RuleError::kKeyDep, 0, "Key field needs a watch, syscall or exe path given prior to it"},
    {RuleError::kFieldValMissing, 2, "-F missing value after operation for"},
    {RuleError::kFieldValNum, 2, "-F value should be number for"},
    {RuleError::kFieldName, 2, "-F missing field name before operator for"},
    {RuleError::kCompFieldName, 2, "-C missing field name before operator for"},
    {RuleError::kCompVal, 2, "-C missing value after operation for "},
    {RuleError::kCompFieldUnknown, 2, "-C unknown field:"},
    {RuleError::kCompValUnknown, 2, "-C unknown right hand value for comparison with:"},
    {RuleError::kFieldTooMany, 2, "Too many fields in rule:"},
    {RuleError::kOpEq, 1, "only takes = operator"},
    {RuleError::kFieldNoSupport, 2, "Field option not supported by kernel:"},
    {RuleError::kFieldNoFilter, 1, "must be used with exclude, user, or exit filter"},
    {RuleError::kFilterMissing, 0, "filter is missing from rule"},
    {RuleError::kCompIncompat, 2, "-C incompatible comparison"},
    {RuleError::kFieldUnavail, 1, "field is not valid for the filter"},
    {RuleError::kFilterNoSupport, 1, "filter is not supported by the kernel"},
    {RuleError::kFsTypeUnknown, 2, "file system type is unknown for field:"},
    {RuleError::kFieldValTooBig, 2, "value is too large for field:"},
    {RuleError::kPrintNothing, 3, ""},
};

constexpr uint32_t kAllPerms =
    AUDIT_PERM_READ | AUDIT_PERM_WRITE | AUDIT_PERM_EXEC | AUDIT_PERM_ATTR;

bool starts_digit(const std::string& v) {
  return !v.empty() && std::isdigit(static_cast<unsigned char>(v[0]));
}
bool negative_number(const std::string& v) {
  return v.size() >= 2 && v[0] == '-' && std::isdigit(static_cast<unsigned char>(v[1]));
}

// Splits at the first operator, trying two-character operators before one-character
// ones over the whole string, as stock does (so "a<=b" is <=, "a=b<c" is =).
bool split_operator(const std::string& pair, bool compare_only, std::string& f, std::string& v,
                    uint32_t& op) {
  struct Op {
    const char* sym;
    uint32_t op;
  };
  static constexpr Op kAll[] = {
      {"!=", AUDIT_NOT_EQUAL},
      {">=", AUDIT_GREATER_THAN_OR_EQUAL},
      {"<=", AUDIT_LESS_THAN_OR_EQUAL},
      {"&=", AUDIT_BIT_TEST},
      {"=", AUDIT_EQUAL},
      {">", AUDIT_GREATER_THAN},
      {"<", AUDIT_LESS_THAN},
      {"&", AUDIT_BIT_MASK},
  };
  static constexpr Op kCompare[] = {{"!=", AUDIT_NOT_EQUAL}, {"=", AUDIT_EQUAL}};
  const Op* begin = compare_only ? kCompare : kAll;
  const Op* end = compare_only ? kCompare + 2 : kAll + 8;
  for (const Op* o = begin; o != end; ++o) {
    auto pos = pair.find(o->sym);
    if (pos == std::string::npos) continue;
    f = pair.substr(0, pos);
    v = pair.substr(pos + std::strlen(o->sym));
    op = o->op;
    return true;
  }
  return false;
}

}  // namespace

std::string rule_error_message(RuleError code, const std::string& opt) {
  for (const auto& e : kErrorTexts) {
    if (e.code != code) continue;
    switch (e.position) {
      case 0:
        return e.text;
      case 1:
        return opt + " " + e.text;
      case 2:
        return std::string(e.text) + " " + opt;
      default:
        return "";
    }
  }
  return "";
}

Environment Environment::host(std::function<uint32_t()> features) {
  Environment env;
  env.machine = audit_detect_machine();
  env.features = std::move(features);
  env.user_to_uid = [](const std::string& name) -> std::optional<uint32_t> {
    passwd* pw = getpwnam(name.c_str());
    if (!pw) return std::nullopt;
    return pw->pw_uid;
  };
  env.group_to_gid = [](const std::string& name) -> std::optional<uint32_t> {
    group* gr = getgrnam(name.c_str());
    if (!gr) return std::nullopt;
    return gr->gr_gid;
  };
  return env;
}

Rule::Rule() : bytes_(sizeof(audit_rule_data), 0) {}
Rule::Rule(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
  if (bytes_.size() < sizeof(audit_rule_data)) bytes_.resize(sizeof(audit_rule_data), 0);
}

bool Rule::add_field(uint32_t field, uint32_t op, uint32_t value) {
  auto& d = data();
  if (d.field_count >= AUDIT_MAX_FIELDS - 1) return false;
  d.fields[d.field_count] = field;
  d.fieldflags[d.field_count] = op;
  d.values[d.field_count] = value;
  d.field_count++;
  return true;
}

bool Rule::add_string(uint32_t field, uint32_t op, const std::string& value) {
  if (!add_field(field, op, static_cast<uint32_t>(value.size()))) return false;
  size_t off = sizeof(audit_rule_data) + data().buflen;
  bytes_.resize(off + value.size());
  std::memcpy(bytes_.data() + off, value.data(), value.size());
  data().buflen += static_cast<uint32_t>(value.size());
  return true;
}

void Rule::set_all_syscalls() {
  for (auto& w : data().mask) w = ~0u;
}

bool Rule::set_syscall(int nr) {
  int word = AUDIT_WORD(nr);
  if (nr < 0 || word > AUDIT_BITMASK_SIZE - 1) return false;
  data().mask[word] |= AUDIT_BIT(nr);
  return true;
}

void Rule::make_watch(uint32_t type, const std::string& path) {
  bytes_.assign(sizeof(audit_rule_data), 0);
  data().flags = AUDIT_FILTER_EXIT;
  data().action = AUDIT_ALWAYS;
  set_all_syscalls();
  add_string(type, AUDIT_EQUAL, path);
  add_field(AUDIT_PERM, AUDIT_EQUAL, kAllPerms);
}

bool Rule::set_perm(uint32_t perms) {
  auto& d = data();
  if (d.field_count < 1) return false;
  bool done = false;
  for (uint32_t i = 0; i < d.field_count; ++i)
    if (d.fields[i] == AUDIT_PERM) {
      d.values[i] = perms;
      done = true;
    }
  return done || add_field(AUDIT_PERM, AUDIT_EQUAL, perms);
}

// The kernel's list, which the listing's parser checks rules against too.
bool is_string_field(uint32_t field) { return kernel::is_string_field(field); }

std::vector<std::string> Rule::strings() const {
  std::vector<std::string> out;
  const auto& d = data();
  size_t off = 0;
  const char* buf = reinterpret_cast<const char*>(bytes_.data() + sizeof(audit_rule_data));
  size_t avail = bytes_.size() - sizeof(audit_rule_data);
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    uint32_t field = d.fields[i] & ~AUDIT_OPERATORS;
    if (!is_string_field(field)) continue;
    size_t len = std::min<size_t>(d.values[i], avail > off ? avail - off : 0);
    out.emplace_back(buf + off, len);
    off += d.values[i];
  }
  return out;
}

std::optional<uint32_t> parse_perms(const std::string& s, char* bad) {
  uint32_t val = 0;
  for (char c : s) {
    switch (std::tolower(static_cast<unsigned char>(c))) {
      case 'r':
        val |= AUDIT_PERM_READ;
        break;
      case 'w':
        val |= AUDIT_PERM_WRITE;
        break;
      case 'x':
        val |= AUDIT_PERM_EXEC;
        break;
      case 'a':
        val |= AUDIT_PERM_ATTR;
        break;
      default:
        if (bad) *bad = c;
        return std::nullopt;
    }
  }
  return val;
}

namespace {

// Syscalls added to the kernel after libaudit 3.0.9's tables (they stop at
// set_mempolicy_home_node, 450), as audit 4.2 names them (lib/*_table.h, 7.0
// kernel). Since 5.1 new syscalls have one number on every architecture, and
// 4.2 lists these for x86_64, i386 and aarch64 alike. Rules files of newer
// releases name them (4.2's 30-ospp-v42-5-perm-change rules: fchmodat2,
// setxattrat, removexattrat, file_setattr), which 3.0.9 refuses.
constexpr std::pair<const char*, int> kLaterSyscalls[] = {
    {"cachestat", 451},         {"fchmodat2", 452},         {"map_shadow_stack", 453},
    {"futex_wake", 454},        {"futex_wait", 455},        {"futex_requeue", 456},
    {"statmount", 457},         {"listmount", 458},         {"lsm_get_self_attr", 459},
    {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461},  {"mseal", 462},
    {"setxattrat", 463},        {"getxattrat", 464},        {"listxattrat", 465},
    {"removexattrat", 466},     {"open_tree_attr", 467},    {"file_getattr", 468},
    {"file_setattr", 469},      {"listns", 470},            {"rseq_slice_yield", 471},
};

// The number of a syscall libaudit 3.0.9 does not know, -1 when none.
int later_syscall_number(const std::string& name, int machine) {
  if (machine != MACH_86_64 && machine != MACH_X86 && machine != MACH_AARCH64) return -1;
  for (const auto& [n, nr] : kLaterSyscalls)
    if (name == n) return nr;
  return -1;
}

}  // namespace

int add_syscall(Rule& rule, const std::string& name, unsigned int elf, int host_machine) {
  if (name == "all") {
    rule.set_all_syscalls();
    return 0;
  }
  int machine = elf ? audit_elf_to_machine(elf) : host_machine;
  if (machine < 0) return -2;
  int nr = audit_name_to_syscall(name.c_str(), machine);
  // Listing keeps 3.0.9's text for these (the number): the kernel holds the
  // same rule for "-S fchmodat2" and for "-S 452", which 3.0.9 accepts and
  // lists as 452, so -l stays byte-identical to stock's for any kernel state.
  if (nr < 0) nr = later_syscall_number(name, machine);
  if (nr < 0 && starts_digit(name)) nr = static_cast<int>(std::strtol(name.c_str(), nullptr, 0));
  if (nr >= 0) return rule.set_syscall(nr) ? 0 : -1;
  return -1;
}

int add_uring_op(Rule& rule, const std::string& name) {
  if (name == "all") {
    for (const auto& op : record::uring_ops()) rule.set_syscall(op.number);
    return 0;
  }
  int nr = record::uring_op_number(name);
  if (nr < 0 && starts_digit(name)) nr = static_cast<int>(std::strtol(name.c_str(), nullptr, 0));
  if (nr >= 0) return rule.set_syscall(nr) ? 0 : -1;
  return -1;
}

const char* list_name(uint32_t flags) {
  // libaudit 3.0.9's table stops at "filesystem"; audit 3.1 named list 7. The
  // lookup is on the whole value, as both releases do.
  if (flags == AUDIT_FILTER_URING_EXIT) return "io_uring";
  return audit_flag_to_name(static_cast<int>(flags));
}

namespace {

// -F arch=VALUE to a machine, as stock's audit_determine_machine: b32/b64 relative to
// the host, a machine name, or a hex ELF number.
int determine_machine(const std::string& arch, int host_machine) {
  int machine;
  int bits = 0;  // 64, 32 or 0 (unspecified)
  if (strcasecmp(arch.c_str(), "b64") == 0) {
    bits = 64;
    machine = host_machine;
  } else if (strcasecmp(arch.c_str(), "b32") == 0) {
    bits = 32;
    machine = host_machine;
  } else {
    machine = audit_name_to_machine(arch.c_str());
    if (machine < 0) {
      errno = 0;
      unsigned long ival = std::strtoul(arch.c_str(), nullptr, 16);
      if (errno) return -4;
      machine = audit_elf_to_machine(static_cast<unsigned>(ival));
    }
  }
  if (machine < 0) return -4;
  if (bits == 32) {
    if (machine == MACH_86_64)
      machine = MACH_X86;
    else if (machine == MACH_PPC64)
      machine = MACH_PPC;
    else if (machine == MACH_S390X)
      machine = MACH_S390;
    else if (machine == MACH_AARCH64)
      machine = MACH_ARM;
  }
  switch (machine) {
    case MACH_X86:
    case MACH_PPC:
    case MACH_S390:
    case MACH_ARM:  // Debian's libaudit 3.0.9 is built WITH_ARM: arch=arm is taken
      if (bits == 64) return -6;
      break;
    case MACH_AARCH64:
    case MACH_PPC64LE:
      if (bits == 32) return -6;
      break;
    case MACH_86_64:
    case MACH_PPC64:
    case MACH_S390X:
      break;
    default:
      return -6;
  }
  return machine;
}

RuleError parse_uid_like(const std::string& v, const Environment& env, uint32_t& out,
                         std::string* diagnostic) {
  if (starts_digit(v)) {
    out = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 0));
  } else if (negative_number(v)) {
    out = static_cast<uint32_t>(std::strtol(v.c_str(), nullptr, 0));
  } else if (v == "unset") {
    out = 4294967295u;
  } else {
    auto uid = env.user_to_uid ? env.user_to_uid(v) : std::nullopt;
    if (!uid) {
      if (diagnostic) *diagnostic = "Unknown user: " + v;
      return RuleError::kPrintNothing;
    }
    out = *uid;
  }
  return RuleError::kNone;
}

}  // namespace

namespace {

// The fields stock 3.0.9 lets an exclude rule take when the kernel extends
// that filter (AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND).
bool exclude_field_of_309(int field) {
  switch (field) {
    case AUDIT_PID:
    case AUDIT_UID:
    case AUDIT_GID:
    case AUDIT_LOGINUID:
    case AUDIT_MSGTYPE:
    case AUDIT_SUBJ_USER:
    case AUDIT_SUBJ_ROLE:
    case AUDIT_SUBJ_TYPE:
    case AUDIT_SUBJ_SEN:
    case AUDIT_SUBJ_CLR:
    case AUDIT_EXE:
      return true;
    default:
      return false;
  }
}

// The value of one field, checked against the filter list, added to the rule.
RuleError lower_field(Rule& rule, int field, uint32_t op, const std::string& v, int flags,
                      BuildState& st, const Environment& env, std::string* diagnostic);

}  // namespace

RuleError add_field_pair(Rule& rule, const std::string& pair, int flags, BuildState& st,
                         const Environment& env, std::string* opt_out, std::string* diagnostic) {
  if (opt_out) *opt_out = pair;
  if (rule.field_count() >= AUDIT_MAX_FIELDS - 1) return RuleError::kFieldTooMany;
  std::string f, v;
  uint32_t op = 0;
  if (!split_operator(pair, false, f, v, op)) return RuleError::kOpMissing;
  if (opt_out) *opt_out = f;
  if (f.empty()) return RuleError::kFieldName;
  if (v.empty()) return RuleError::kFieldValMissing;
  int field = audit_name_to_field(f.c_str());
  if (field < 0) return RuleError::kFieldUnknown;
  uint32_t features = env.features ? env.features() : 0;

  // Audit 3.1 ("Fix rule checking for exclude filter") stopped limiting the
  // exclude filter's fields when the kernel extends it: any field passes to
  // the per-field checks and the kernel decides. A field 3.0.9 refused is
  // taken only if 3.1+ takes it; when 3.1+ refuses it too, 3.0.9's message
  // stays, so every 3.0.9 refusal reads as before. perm is left out: 3.1+
  // takes it on exclude only together with 4.0's perm-to-syscall expansion,
  // which 3.0.9 rules do not have. Kernels without the extension keep
  // 3.0.9's answer. The kernel (6.18, measured) stores such a rule, but its
  // exclude filter evaluates only 3.0.9's fields: on any other field it stops
  // walking the exclude list, so the rule never matches and exclude rules
  // after it are not consulted; auditctl warns (ours, 4.x is silent).
  bool widened = false;
  if (flags == AUDIT_FILTER_EXCLUDE) {
    if ((features & AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND) == 0) {
      if (field != AUDIT_MSGTYPE) return RuleError::kFieldNoSupport;
    } else if (!exclude_field_of_309(field)) {
      if (field == AUDIT_PERM) return RuleError::kMsgTypeCredExclude;
      widened = true;
    }
  }
  if (flags == AUDIT_FILTER_FS && (features & AUDIT_FEATURE_BITMAP_FILTER_FS) == 0)
    return RuleError::kFilterNoSupport;

  std::string diag;
  RuleError e = lower_field(rule, field, op, v, flags, st, env, &diag);
  if (e != RuleError::kNone && widened) return RuleError::kMsgTypeCredExclude;
  if (widened) st.exclude_unevaluated = field;
  if (diagnostic) *diagnostic = diag;
  return e;
}

namespace {

RuleError lower_field(Rule& rule, int field, uint32_t op, const std::string& v, int flags,
                      BuildState& st, const Environment& env, std::string* diagnostic) {
  auto features = [&]() -> uint32_t { return env.features ? env.features() : 0; };
  const char* cv = v.c_str();
  uint32_t value = 0;
  switch (field) {
    case AUDIT_UID:
    case AUDIT_EUID:
    case AUDIT_SUID:
    case AUDIT_FSUID:
    case AUDIT_LOGINUID:
    case AUDIT_OBJ_UID:
      if (auto e = parse_uid_like(v, env, value, diagnostic); e != RuleError::kNone) return e;
      break;
    case AUDIT_GID:
    case AUDIT_EGID:
    case AUDIT_SGID:
    case AUDIT_FSGID:
    case AUDIT_OBJ_GID:
      if (starts_digit(v)) {
        value = static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      } else {
        auto gid = env.group_to_gid ? env.group_to_gid(v) : std::nullopt;
        if (!gid) {
          if (diagnostic) *diagnostic = "Unknown group: " + v;
          return RuleError::kPrintNothing;
        }
        value = *gid;
      }
      break;
    case AUDIT_EXIT:
      if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      if (starts_digit(v) || negative_number(v)) {
        value = static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      } else {
        int e = audit_name_to_errno(cv);
        if (e == 0) return RuleError::kErrnoUnknown;
        value = static_cast<uint32_t>(e);
      }
      break;
    case AUDIT_MSGTYPE:
      if (flags != AUDIT_FILTER_EXCLUDE && flags != AUDIT_FILTER_USER)
        return RuleError::kMsgTypeExcludeUser;
      if (starts_digit(v)) {
        value = static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      } else {
        int t = audit_name_to_msg_type(cv);
        if (t <= 0) return RuleError::kMsgTypeUnknown;
        value = static_cast<uint32_t>(t);
      }
      break;
    case AUDIT_OBJ_USER:
    case AUDIT_OBJ_ROLE:
    case AUDIT_OBJ_TYPE:
    case AUDIT_OBJ_LEV_LOW:
    case AUDIT_OBJ_LEV_HIGH:
    case AUDIT_WATCH:
    case AUDIT_DIR:
      if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      if (field == AUDIT_WATCH || field == AUDIT_DIR) st.perm_added = true;
      [[fallthrough]];
    case AUDIT_SUBJ_USER:
    case AUDIT_SUBJ_ROLE:
    case AUDIT_SUBJ_TYPE:
    case AUDIT_SUBJ_SEN:
    case AUDIT_SUBJ_CLR:
    case AUDIT_FILTERKEY:
    case AUDIT_EXE:
      if (field == AUDIT_EXE) {
        if ((features() & AUDIT_FEATURE_BITMAP_EXECUTABLE_PATH) == 0)
          return RuleError::kFieldNoSupport;
        if (!(op == AUDIT_NOT_EQUAL || op == AUDIT_EQUAL)) return RuleError::kOpEqNotEq;
        st.exe_added = true;
      }
      if (field == AUDIT_FILTERKEY &&
          !(st.syscall_added || st.perm_added || st.exe_added || st.filterfs_added))
        return RuleError::kKeyDep;
      if (field == AUDIT_FILTERKEY && v.size() > AUDIT_MAX_KEY_LEN) return RuleError::kStrTooLong;
      if (v.size() > PATH_MAX) return RuleError::kStrTooLong;
      rule.add_string(field, op, v);
      return RuleError::kNone;
    case AUDIT_ARCH:
      if (st.syscall_added) return RuleError::kArchMisplaced;
      if (!(op == AUDIT_NOT_EQUAL || op == AUDIT_EQUAL)) return RuleError::kOpEqNotEq;
      if (starts_digit(v)) {
        errno = 0;
        unsigned long elf = std::strtoul(cv, nullptr, 0);
        if (errno) return RuleError::kElfUnknown;
        st.elf = static_cast<unsigned>(elf);
        if (audit_elf_to_machine(st.elf) < 0) return RuleError::kElfUnknown;
      } else {
        int machine = determine_machine(v, env.machine);
        unsigned elf = machine < 0 ? 0 : audit_machine_to_elf(machine);
        if (elf == 0) return RuleError::kElfUnknown;
        st.elf = elf;
      }
      value = st.elf;
      st.arch_added = true;
      break;
    case AUDIT_PERM: {
      if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      if (op != AUDIT_EQUAL) return RuleError::kOpEq;
      if (v.size() > 4) return RuleError::kStrTooLong;
      auto perms = parse_perms(v, nullptr);
      if (!perms) return RuleError::kPermRwxa;
      value = *perms;
      break;
    }
    case AUDIT_FILETYPE: {
      if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      int t = audit_name_to_ftype(cv);
      if (t < 0) return RuleError::kFileTypeUnknown;
      value = static_cast<uint32_t>(t);
      break;
    }
    case AUDIT_FSTYPE:
      if (flags != AUDIT_FILTER_FS) return RuleError::kFieldUnavail;
      if (!(op == AUDIT_NOT_EQUAL || op == AUDIT_EQUAL)) return RuleError::kOpEqNotEq;
      value = starts_digit(v) ? static_cast<uint32_t>(std::strtoul(cv, nullptr, 0))
                              : static_cast<uint32_t>(audit_name_to_fstype(cv));
      if (static_cast<int>(value) == -1) return RuleError::kFsTypeUnknown;
      st.filterfs_added = true;
      break;
    case AUDIT_ARG0:
    case AUDIT_ARG1:
    case AUDIT_ARG2:
    case AUDIT_ARG3:
      if (starts_digit(v))
        value = static_cast<uint32_t>(std::strtoul(cv, nullptr, 0));
      else if (negative_number(v))
        value = static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      else
        return RuleError::kFieldValNum;
      break;
    case AUDIT_SESSIONID:
      if ((features() & AUDIT_FEATURE_BITMAP_SESSIONID_FILTER) == 0)
        return RuleError::kFieldNoSupport;
      if (flags != AUDIT_FILTER_EXCLUDE && flags != AUDIT_FILTER_USER && flags != AUDIT_FILTER_EXIT)
        return RuleError::kFieldNoFilter;
      // Like stock, a non-numeric value other than "unset" leaves 0.
      if (starts_digit(v))
        value = static_cast<uint32_t>(std::strtoul(cv, nullptr, 0));
      else if (negative_number(v))
        value = static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      else if (v == "unset")
        value = 4294967295u;
      break;
    case AUDIT_SADDR_FAM:
      value = static_cast<uint32_t>(std::strtoul(cv, nullptr, 0));
      if (value >= AF_MAX) return RuleError::kFieldValTooBig;
      break;
    case AUDIT_DEVMAJOR:
    case AUDIT_DEVMINOR:
    case AUDIT_INODE:
    case AUDIT_SUCCESS:
      if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      [[fallthrough]];
    default:
      if (field == AUDIT_INODE && !(op == AUDIT_NOT_EQUAL || op == AUDIT_EQUAL))
        return RuleError::kOpEqNotEq;
      if (field == AUDIT_PPID && flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
      if (!starts_digit(v)) return RuleError::kFieldValNum;
      value = field == AUDIT_INODE ? static_cast<uint32_t>(std::strtoul(cv, nullptr, 0))
                                   : static_cast<uint32_t>(std::strtol(cv, nullptr, 0));
      break;
  }
  rule.add_field(field, op, value);
  return RuleError::kNone;
}

}  // namespace

namespace {

struct Comparison {
  int left, right;
  uint32_t value;
};

// Every pair the kernel can compare (AUDIT_COMPARE_*), in both orders.
constexpr Comparison kComparisons[] = {
    {AUDIT_UID, AUDIT_OBJ_UID, AUDIT_COMPARE_UID_TO_OBJ_UID},
    {AUDIT_GID, AUDIT_OBJ_GID, AUDIT_COMPARE_GID_TO_OBJ_GID},
    {AUDIT_EUID, AUDIT_OBJ_UID, AUDIT_COMPARE_EUID_TO_OBJ_UID},
    {AUDIT_EGID, AUDIT_OBJ_GID, AUDIT_COMPARE_EGID_TO_OBJ_GID},
    {AUDIT_LOGINUID, AUDIT_OBJ_UID, AUDIT_COMPARE_AUID_TO_OBJ_UID},
    {AUDIT_SUID, AUDIT_OBJ_UID, AUDIT_COMPARE_SUID_TO_OBJ_UID},
    {AUDIT_SGID, AUDIT_OBJ_GID, AUDIT_COMPARE_SGID_TO_OBJ_GID},
    {AUDIT_FSUID, AUDIT_OBJ_UID, AUDIT_COMPARE_FSUID_TO_OBJ_UID},
    {AUDIT_FSGID, AUDIT_OBJ_GID, AUDIT_COMPARE_FSGID_TO_OBJ_GID},
    {AUDIT_UID, AUDIT_LOGINUID, AUDIT_COMPARE_UID_TO_AUID},
    {AUDIT_UID, AUDIT_EUID, AUDIT_COMPARE_UID_TO_EUID},
    {AUDIT_UID, AUDIT_FSUID, AUDIT_COMPARE_UID_TO_FSUID},
    {AUDIT_UID, AUDIT_SUID, AUDIT_COMPARE_UID_TO_SUID},
    {AUDIT_LOGINUID, AUDIT_FSUID, AUDIT_COMPARE_AUID_TO_FSUID},
    {AUDIT_LOGINUID, AUDIT_SUID, AUDIT_COMPARE_AUID_TO_SUID},
    {AUDIT_LOGINUID, AUDIT_EUID, AUDIT_COMPARE_AUID_TO_EUID},
    {AUDIT_EUID, AUDIT_SUID, AUDIT_COMPARE_EUID_TO_SUID},
    {AUDIT_EUID, AUDIT_FSUID, AUDIT_COMPARE_EUID_TO_FSUID},
    {AUDIT_SUID, AUDIT_FSUID, AUDIT_COMPARE_SUID_TO_FSUID},
    {AUDIT_GID, AUDIT_EGID, AUDIT_COMPARE_GID_TO_EGID},
    {AUDIT_GID, AUDIT_FSGID, AUDIT_COMPARE_GID_TO_FSGID},
    {AUDIT_GID, AUDIT_SGID, AUDIT_COMPARE_GID_TO_SGID},
    {AUDIT_EGID, AUDIT_FSGID, AUDIT_COMPARE_EGID_TO_FSGID},
    {AUDIT_EGID, AUDIT_SGID, AUDIT_COMPARE_EGID_TO_SGID},
    {AUDIT_SGID, AUDIT_FSGID, AUDIT_COMPARE_SGID_TO_FSGID},
};

const char* comparison_text(uint32_t value) {
  switch (value) {
    case AUDIT_COMPARE_UID_TO_OBJ_UID:
      return "uid%sobj_uid";
    case AUDIT_COMPARE_GID_TO_OBJ_GID:
      return "gid%sobj_gid";
    case AUDIT_COMPARE_EUID_TO_OBJ_UID:
      return "euid%sobj_uid";
    case AUDIT_COMPARE_EGID_TO_OBJ_GID:
      return "egid%sobj_gid";
    case AUDIT_COMPARE_AUID_TO_OBJ_UID:
      return "auid%sobj_uid";
    case AUDIT_COMPARE_SUID_TO_OBJ_UID:
      return "suid%sobj_uid";
    case AUDIT_COMPARE_SGID_TO_OBJ_GID:
      return "sgid%sobj_gid";
    case AUDIT_COMPARE_FSUID_TO_OBJ_UID:
      return "fsuid%sobj_uid";
    case AUDIT_COMPARE_FSGID_TO_OBJ_GID:
      return "fsgid%sobj_gid";
    case AUDIT_COMPARE_UID_TO_AUID:
      return "uid%sauid";
    case AUDIT_COMPARE_UID_TO_EUID:
      return "uid%seuid";
    case AUDIT_COMPARE_UID_TO_FSUID:
      return "uid%sfsuid";
    case AUDIT_COMPARE_UID_TO_SUID:
      return "uid%ssuid";
    case AUDIT_COMPARE_AUID_TO_FSUID:
      return "auid%sfsuid";
    case AUDIT_COMPARE_AUID_TO_SUID:
      return "auid%ssuid";
    case AUDIT_COMPARE_AUID_TO_EUID:
      return "auid%seuid";
    case AUDIT_COMPARE_EUID_TO_SUID:
      return "euid%ssuid";
    case AUDIT_COMPARE_EUID_TO_FSUID:
      return "euid%sfsuid";
    case AUDIT_COMPARE_SUID_TO_FSUID:
      return "suid%sfsuid";
    case AUDIT_COMPARE_GID_TO_EGID:
      return "gid%segid";
    case AUDIT_COMPARE_GID_TO_FSGID:
      return "gid%sfsgid";
    case AUDIT_COMPARE_GID_TO_SGID:
      return "gid%ssgid";
    case AUDIT_COMPARE_EGID_TO_FSGID:
      return "egid%sfsgid";
    case AUDIT_COMPARE_EGID_TO_SGID:
      return "egid%ssgid";
    case AUDIT_COMPARE_SGID_TO_FSGID:
      return "sgid%sfsgid";
    default:
      return nullptr;
  }
}

}  // namespace

RuleError add_field_compare(Rule& rule, const std::string& pair, int flags, std::string* opt_out) {
  if (opt_out) *opt_out = pair;
  if (rule.field_count() >= AUDIT_MAX_FIELDS - 1) return RuleError::kFieldTooMany;
  std::string f, v;
  uint32_t op = 0;
  if (!split_operator(pair, true, f, v, op)) return RuleError::kOpEqNotEq;
  if (opt_out) *opt_out = f;
  if (f.empty()) return RuleError::kCompFieldName;
  if (v.empty()) return RuleError::kCompVal;
  int left = audit_name_to_field(f.c_str());
  if (left < 0) return RuleError::kCompFieldUnknown;
  int right = audit_name_to_field(v.c_str());
  if (right < 0) return RuleError::kCompValUnknown;
  if (flags != AUDIT_FILTER_EXIT) return RuleError::kExitOnly;
  for (const auto& c : kComparisons) {
    if ((c.left == left && c.right == right) || (c.left == right && c.right == left)) {
      rule.add_field(AUDIT_FIELD_COMPARE, op, c.value);
      return RuleError::kNone;
    }
  }
  return RuleError::kCompIncompat;
}

namespace {

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out.append(buf, n);
    return;
  }
  std::string big(n + 1, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(n);
  out += big;
}

bool list_takes_no_syscalls(uint32_t flags) {
  uint32_t list = flags & AUDIT_FILTER_MASK;
  return list == AUDIT_FILTER_USER || list == AUDIT_FILTER_TASK || list == AUDIT_FILTER_EXCLUDE ||
         list == AUDIT_FILTER_FS;
}

bool all_syscalls(const audit_rule_data& r) {
  for (int i = 0; i < AUDIT_BITMASK_SIZE - 1; ++i)
    if (r.mask[i] != ~0u) return false;
  return true;
}

// A watch is a rule of only path/dir/perm/key fields with every syscall and a perm.
bool is_watch(const audit_rule_data& r) {
  bool perm = false;
  for (uint32_t i = 0; i < r.field_count; ++i) {
    uint32_t field = r.fields[i] & ~AUDIT_OPERATORS;
    if (field == AUDIT_PERM) perm = true;
    if (field != AUDIT_PERM && field != AUDIT_FILTERKEY && field != AUDIT_DIR &&
        field != AUDIT_WATCH)
      return false;
  }
  bool all = list_takes_no_syscalls(r.flags) || all_syscalls(r);
  return perm && all;
}

}  // namespace

std::vector<std::string> rule_keys(const Rule& rule) {
  std::vector<std::string> keys;
  const auto& d = rule.data();
  auto strs = rule.strings();
  size_t si = 0;
  for (uint32_t i = 0; i < d.field_count; ++i) {
    uint32_t field = d.fields[i] & ~AUDIT_OPERATORS;
    if (!is_string_field(field)) continue;
    const std::string& s = strs[si++];
    if (field != AUDIT_FILTERKEY) continue;
    size_t start = 0;
    while (start <= s.size()) {
      size_t sep = s.find(static_cast<char>(AUDIT_KEY_SEPARATOR), start);
      std::string k = s.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
      if (!k.empty()) keys.push_back(k);
      if (sep == std::string::npos) break;
      start = sep + 1;
    }
  }
  return keys;
}

bool key_matches(const Rule& rule, const std::string& key) {
  if (key.empty()) return true;
  const auto& d = rule.data();
  auto strs = rule.strings();
  size_t si = 0;
  for (uint32_t i = 0; i < d.field_count; ++i) {
    uint32_t field = d.fields[i] & ~AUDIT_OPERATORS;
    if (!is_string_field(field)) continue;
    const std::string& s = strs[si++];
    // Stock compares with strstr on the whole key string (all keys joined).
    if (field == AUDIT_FILTERKEY && std::string(s.c_str()).find(key) != std::string::npos)
      return true;
  }
  return false;
}

std::string print_rules(const std::vector<Rule>& rules, const PrintOptions& opts) {
  std::string out;
  unsigned int elf = 0;  // carried across rules, as stock's listing does
  for (const auto& rule : rules) {
    const auto& r = rule.data();
    bool watch = is_watch(r);
    unsigned count = 0;
    if (!watch) {
      const char* action = audit_action_to_name(static_cast<int>(r.action));
      const char* list = list_name(r.flags);
      appendf(out, "-a %s,%s", action ? action : "(null)", list ? list : "(null)");
      for (uint32_t i = 0; i < r.field_count; ++i) {
        if ((r.fields[i] & ~AUDIT_OPERATORS) != AUDIT_ARCH) continue;
        const char* sym = audit_operator_to_symbol(r.fieldflags[i] & AUDIT_OPERATORS);
        elf = r.values[i];
        int machine = audit_elf_to_machine(elf);
        if (machine < 0) {
          appendf(out, " -F arch%s0x%X", sym, r.values[i]);
        } else if (!opts.interpret) {
          appendf(out, " -F arch%s%s", sym, (elf & __AUDIT_ARCH_64BIT) ? "b64" : "b32");
        } else {
          appendf(out, " -F arch%s%s", sym, audit_machine_to_name(machine));
        }
      }
      if (!list_takes_no_syscalls(r.flags)) {
        if (all_syscalls(r)) {
          out += " -S all";
        } else {
          bool uring = (r.flags & AUDIT_FILTER_MASK) == AUDIT_FILTER_URING_EXIT;
          for (int i = 0; i < AUDIT_BITMASK_SIZE * 32; ++i) {
            if (!(r.mask[AUDIT_WORD(i)] & AUDIT_BIT(i))) continue;
            int machine = elf ? audit_elf_to_machine(elf) : opts.host_machine;
            // io_uring rules hold operation numbers, printed by their names
            // as 4.x does (its loop stops at its headers' IORING_OP_LAST; here
            // every bit the kernel holds is shown).
            const char* name = uring         ? record::uring_op_name(i)
                               : machine < 0 ? nullptr
                                             : audit_syscall_to_name(i, machine);
            out += count ? "," : " -S ";
            if (name)
              out += name;
            else
              appendf(out, "%d", i);
            ++count;
          }
        }
      }
    }
    auto strs = rule.strings();
    size_t si = 0;
    for (uint32_t i = 0; i < r.field_count; ++i) {
      uint32_t raw_field = r.fields[i];
      uint32_t field = raw_field & ~AUDIT_OPERATORS;
      uint32_t op = r.fieldflags[i] & AUDIT_OPERATORS;
      const char* sym = audit_operator_to_symbol(op);
      if (!sym) sym = "";
      int32_t sval = static_cast<int32_t>(r.values[i]);
      std::string str;
      if (is_string_field(field) && si < strs.size()) str = strs[si++];
      if (field == AUDIT_ARCH) continue;
      const char* name = audit_field_to_name(field);
      if (!name) {
        appendf(out, " f%u%s%d", raw_field, sym, sval);
        continue;
      }
      if (field == AUDIT_MSGTYPE) {
        const char* t = audit_msg_type_to_name(sval);
        if (t)
          appendf(out, " -F %s%s%s", name, sym, t);
        else
          appendf(out, " -F %s%s%d", name, sym, sval);
      } else if (field >= AUDIT_SUBJ_USER && field <= AUDIT_OBJ_LEV_HIGH && field != AUDIT_PPID) {
        appendf(out, " -F %s%s%s", name, sym, str.c_str());
      } else if (field == AUDIT_WATCH || field == AUDIT_DIR) {
        if (watch)
          appendf(out, "-w %s", str.c_str());
        else
          appendf(out, " -F %s=%s", field == AUDIT_WATCH ? "path" : "dir", str.c_str());
      } else if (field == AUDIT_EXE) {
        appendf(out, " -F exe=%s", str.c_str());
      } else if (field == AUDIT_FILTERKEY) {
        // Keys print one per separator-delimited part; empty parts are skipped.
        std::string s(str.c_str());
        size_t start = 0;
        while (start < s.size()) {
          size_t sep = s.find(static_cast<char>(AUDIT_KEY_SEPARATOR), start);
          if (sep == std::string::npos) sep = s.size();
          if (sep > start)
            appendf(out, watch ? " -k %s" : " -F key=%s", s.substr(start, sep - start).c_str());
          start = sep + 1;
        }
      } else if (field == AUDIT_PERM) {
        std::string perms;
        if (r.values[i] & AUDIT_PERM_READ) perms += 'r';
        if (r.values[i] & AUDIT_PERM_WRITE) perms += 'w';
        if (r.values[i] & AUDIT_PERM_EXEC) perms += 'x';
        if (r.values[i] & AUDIT_PERM_ATTR) perms += 'a';
        appendf(out, watch ? " -p %s" : " -F perm=%s", perms.c_str());
      } else if (field == AUDIT_INODE) {
        appendf(out, " -F %s%s%u", name, sym, r.values[i]);
      } else if (field == AUDIT_FIELD_COMPARE) {
        if (const char* fmt = comparison_text(r.values[i])) {
          out += " -C ";
          appendf(out, fmt, sym);
        }
      } else if (field >= AUDIT_ARG0 && field <= AUDIT_ARG3) {
        appendf(out, " -F %s%s0x%X", name, sym, r.values[i]);
      } else if (field == AUDIT_EXIT) {
        const char* err = audit_errno_to_name(std::abs(sval));
        if (sval < 0 && err)
          appendf(out, " -F %s%s-%s", name, sym, err);
        else
          appendf(out, " -F %s%s%d", name, sym, sval);
      } else if (field == AUDIT_FSTYPE) {
        const char* fs = audit_fstype_to_name(sval);
        if (fs)
          appendf(out, " -F %s%s%s", name, sym, fs);
        else
          appendf(out, " -F %s%s%d", name, sym, sval);
      } else if ((field == AUDIT_LOGINUID || field == AUDIT_SESSIONID) && sval == -1 &&
                 opts.interpret) {
        appendf(out, " -F %s%sunset", name, sym);
      } else {
        appendf(out, " -F %s%s%d", name, sym, sval);
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace bpfaudit::rules
