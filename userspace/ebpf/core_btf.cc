#include "core_btf.h"

#include <bpf/btf.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace bpfaudit::ebpf {

namespace {

constexpr const char* kKernelBtf = "/sys/kernel/btf/vmlinux";

// libbpf matches an enum with an enum64 of the same name (btf_kind_core_compat).
int kind_class(int kind) { return kind == BTF_KIND_ENUM64 ? BTF_KIND_ENUM : kind; }

// A relocation roots at a named type of these kinds; functions, variables,
// sections and tags are never candidates.
bool relocatable_kind(int kind) {
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_PTR:
    case BTF_KIND_ARRAY:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_FLOAT:
    case BTF_KIND_FUNC_PROTO:
      return true;
    default:
      return false;
  }
}

enum Mode : std::uint8_t { kNone = 0, kShallow = 1, kFull = 2 };

// Calls f(id&) for every type id `t` refers to, with whether the reference
// embeds the type (a member, an array element, a typedef or modifier target:
// its layout is part of `t`'s) or only points at it.
template <class F>
void for_each_ref(struct btf_type* t, F&& f) {
  switch (btf_kind(t)) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      struct btf_member* m = btf_members(t);
      for (int i = 0; i < btf_vlen(t); ++i) f(m[i].type, true);
      break;
    }
    case BTF_KIND_ARRAY: {
      struct btf_array* a = btf_array(t);
      f(a->type, true);
      f(a->index_type, true);
      break;
    }
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      f(t->type, true);
      break;
    case BTF_KIND_PTR:
      f(t->type, false);
      break;
    case BTF_KIND_FUNC_PROTO: {
      f(t->type, false);
      struct btf_param* p = btf_params(t);
      for (int i = 0; i < btf_vlen(t); ++i) f(p[i].type, false);
      break;
    }
    case BTF_KIND_FUNC:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      f(t->type, false);
      break;
    case BTF_KIND_DATASEC: {
      struct btf_var_secinfo* v = btf_var_secinfos(t);
      for (int i = 0; i < btf_vlen(t); ++i) f(v[i].type, false);
      break;
    }
    default:
      break;
  }
}

bool copy_whole_kernel_btf(int fd, std::string& why) {
  base::UniqueFd in(::open(kKernelBtf, O_RDONLY | O_CLOEXEC));
  if (!in) {
    why += std::string("; cannot read ") + kKernelBtf + ": " + std::strerror(errno);
    return false;
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      why += std::string("; cannot read ") + kKernelBtf + ": " + std::strerror(errno);
      return false;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(fd, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        why += std::string("; cannot copy the kernel BTF: ") + std::strerror(errno);
        return false;
      }
      off += w;
    }
  }
}

}  // namespace

std::size_t core_essential_len(const char* name) {
  // Almost no kernel name has "___": one strstr decides for all those.
  if (!std::strstr(name, "___")) return std::strlen(name);
  std::size_t n = std::strlen(name);
  // "X___Y" with X and Y not underscores; the last such separator counts.
  for (std::size_t i = n >= 5 ? n - 5 + 1 : 0; i-- > 0;) {
    const char* s = name + i;
    if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_') return i + 1;
  }
  return n;
}

CoreNames core_names(const struct btf* local) {
  CoreNames out;
  const std::uint32_t n = btf__type_cnt(local);
  for (std::uint32_t id = 1; id < n; ++id) {
    const btf_type* t = btf__type_by_id(local, id);
    if (!t || !relocatable_kind(btf_kind(t))) continue;
    const char* name = btf__name_by_offset(local, t->name_off);
    if (!name || !*name) continue;
    out.names.emplace_back(kind_class(btf_kind(t)), std::string(name, core_essential_len(name)));
  }
  return out;
}

base::Result<struct btf*> core_btf_subset(const struct btf* kernel, const CoreNames& names,
                                          const char* func, int* func_id) {
  // Essential name -> the kind classes asked for under it, one bit each.
  std::unordered_map<std::string_view, std::uint32_t> wanted;
  wanted.reserve(names.names.size() * 2);
  for (const auto& [kind, name] : names.names) wanted[name] |= 1u << kind;

  const std::uint32_t n = btf__type_cnt(kernel);
  std::vector<std::uint8_t> mode(n, kNone);
  std::vector<std::uint32_t> work, shallow;
  // The one pass over the kernel's types: its roots.
  for (std::uint32_t id = 1; id < n; ++id) {
    const btf_type* t = btf__type_by_id(kernel, id);
    if (!t->name_off) continue;
    const char* name = btf__name_by_offset(kernel, t->name_off);
    if (!name || !*name) continue;
    // A separate btf__find_by_name_kind scan took 0.9-2 ms (6.18's 125,850
    // types); here it is one kind test per type.
    if (func && btf_kind(t) == BTF_KIND_FUNC && std::strcmp(name, func) == 0)
      *func_id = static_cast<int>(id);
    auto it = wanted.find(std::string_view(name, core_essential_len(name)));
    if (it == wanted.end() || !(it->second & (1u << kind_class(btf_kind(t))))) continue;
    mode[id] = kFull;
    work.push_back(id);
  }
  // Whole: what the roots embed, transitively; pointed at: kept shallow.
  while (!work.empty()) {
    std::uint32_t id = work.back();
    work.pop_back();
    auto* t = const_cast<btf_type*>(btf__type_by_id(kernel, id));
    for_each_ref(t, [&](std::uint32_t& ref, bool embedded) {
      if (ref == 0 || ref >= n) return;
      if (embedded) {
        if (mode[ref] != kFull) {
          mode[ref] = kFull;
          work.push_back(ref);
        }
      } else {
        shallow.push_back(ref);
      }
    });
  }
  while (!shallow.empty()) {
    std::uint32_t id = shallow.back();
    shallow.pop_back();
    if (mode[id] != kNone) continue;
    mode[id] = kShallow;
    auto* t = const_cast<btf_type*>(btf__type_by_id(kernel, id));
    if (btf_is_composite(t)) continue;  // written without members
    for_each_ref(t, [&](std::uint32_t& ref, bool) {
      if (ref != 0 && ref < n && mode[ref] == kNone) shallow.push_back(ref);
    });
  }

  // New ids in the kernel's order.
  std::vector<std::uint32_t> new_id(n, 0);
  std::uint32_t kept = 0;
  for (std::uint32_t id = 1; id < n; ++id)
    if (mode[id] != kNone) new_id[id] = ++kept;

  struct btf* out = btf__new_empty();
  if (!out) return base::Error{-errno, "cannot make an empty BTF"};
  auto fail = [&](int err, const char* what) {
    btf__free(out);
    return base::Error{err < 0 ? err : -EINVAL,
                       std::string("cannot build the kernel BTF subset: ") + what + ": " +
                           std::strerror(err < 0 ? -err : EINVAL)};
  };
  for (std::uint32_t id = 1; id < n; ++id) {
    if (mode[id] == kNone) continue;
    const btf_type* t = btf__type_by_id(kernel, id);
    int got;
    if (mode[id] == kShallow && btf_is_composite(t)) {
      const char* name = btf__name_by_offset(kernel, t->name_off);
      got = btf_is_struct(t) ? btf__add_struct(out, name ? name : "", t->size)
                             : btf__add_union(out, name ? name : "", t->size);
    } else {
      got = btf__add_type(out, kernel, t);
    }
    if (got < 0) return fail(got, "adding a type");
    if (static_cast<std::uint32_t>(got) != new_id[id]) return fail(-EINVAL, "type ids out of step");
  }
  // btf__add_type keeps the kernel's ids in what it copied: renumber them.
  for (std::uint32_t id = 1; id <= kept; ++id) {
    auto* t = const_cast<btf_type*>(btf__type_by_id(out, id));
    for_each_ref(t, [&](std::uint32_t& ref, bool) {
      if (ref == 0) return;
      ref = ref < n ? new_id[ref] : 0;
    });
  }
  return out;
}

CoreBtf::CoreBtf() {
  memfd_.reset(memfd_create("bpfaudit-core-btf", MFD_CLOEXEC));
  if (memfd_)
    path_ = "/proc/self/fd/" + std::to_string(memfd_.get());
  else
    description_ =
        std::string("CO-RE against the whole kernel BTF (no memfd: ") + std::strerror(errno) + ")";
}

void CoreBtf::build(const struct btf* local) {
  if (!memfd_ || built_) return;
  built_ = true;
  const int fd = memfd_.get();
  std::string why;
  struct btf* kernel = btf__load_vmlinux_btf();
  if (!kernel) {
    why = std::string("cannot read ") + kKernelBtf + ": " + std::strerror(errno);
  } else {
    auto subset = core_btf_subset(kernel, core_names(local),
                                  func_name_.empty() ? nullptr : func_name_.c_str(), &func_id_);
    if (!subset) {
      why = subset.error().text();
    } else {
      std::uint32_t size = 0;
      const auto* raw = static_cast<const char*>(btf__raw_data(*subset, &size));
      std::uint32_t off = 0;
      while (raw && off < size) {
        ssize_t w = ::write(fd, raw + off, size - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += static_cast<std::uint32_t>(w);
      }
      if (raw && off == size) {
        description_ = "CO-RE against " + std::to_string(btf__type_cnt(*subset) - 1) + " of " +
                       std::to_string(btf__type_cnt(kernel) - 1) + " kernel BTF types";
      } else {
        why = std::string("cannot write the kernel BTF subset: ") + std::strerror(errno);
      }
      btf__free(*subset);
    }
    btf__free(kernel);
  }
  if (why.empty()) return;
  // Start again with the whole kernel BTF: libbpf relocates as without us.
  if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    why += std::string("; cannot reset the memfd: ") + std::strerror(errno);
  } else {
    copy_whole_kernel_btf(fd, why);
  }
  description_ = "CO-RE against the whole kernel BTF (" + why + ")";
}

}  // namespace bpfaudit::ebpf
