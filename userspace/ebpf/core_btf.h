// The part of the running kernel's BTF that an object's CO-RE relocations
// can match, handed to libbpf instead of the whole of it.
//
// Why: libbpf 1.1 resolves each relocated type by scanning every type of the
// kernel's BTF for names equal to the local one (bpf_core_add_cands), once per
// local type: the engine relocates 19 types against 125,851 kernel types
// (6.18), about 25 ms of autrace's start-up (perf: bpf_core_add_cands and
// bpf_core_essential_name_len, 19% of `autrace /bin/true`'s samples). One pass
// over the kernel's types that looks each name up in a hash set finds every
// candidate at once (0.9 ms for the pass); the subset it keeps is a few
// hundred types, which libbpf then scans in microseconds.
//
// What the subset holds, so that every field relocation gives what the whole
// BTF gives: every kernel type whose kind and "essential" name (the name up
// to a `___flavour` suffix, as libbpf compares them) equal a named type of the
// object's BTF, whole, with every type it embeds (members, array elements,
// typedef and modifier targets), whole too; a pointer keeps its kind and its
// pointee's name, kind and size (a struct or union behind a pointer not
// otherwise kept is written without members: a field relocation never walks
// through a pointer, each hop of a BPF_CORE_READ chain is a relocation of its
// own rooted at a kept type). Type IDs are the subset's own: an object that
// asks for kernel type IDs (bpf_core_type_id_kernel) must not use it; the
// engine uses field relocations only (checked: CoreBtf kernel test relocates
// the engine against both and compares every instruction).
#pragma once

#include <string>
#include <vector>

#include "result.h"
#include "unique_fd.h"

struct btf;

namespace bpfaudit::ebpf {

// The kinds and essential names of the named types of `local` (an object's
// BTF) that a CO-RE relocation may root at. Read before the object loads:
// libbpf rewrites an object's BTF while it loads it.
struct CoreNames {
  std::vector<std::pair<int, std::string>> names;  // (BTF kind, essential name)
};
CoreNames core_names(const struct btf* local);

// The subset of `kernel` that the names can match, as above. Returns the new
// BTF (caller frees with btf__free) and how many types it holds. With
// `func`, its one pass over the kernel's types also puts the id of the
// function (BTF_KIND_FUNC) of that name in `*func_id` (left as it is when
// there is none).
base::Result<struct btf*> core_btf_subset(const struct btf* kernel, const CoreNames& names,
                                          const char* func = nullptr, int* func_id = nullptr);

// The essential part of a BTF type name: up to its last "X___Y" flavour
// separator, libbpf's rule (a local `task_struct___old` matches the kernel's
// `task_struct`).
std::size_t core_essential_len(const char* name);

// Builds the subset of /sys/kernel/btf/vmlinux into a memfd whose /proc path
// libbpf is given at open (libbpf 1.1 reads btf_custom_path when the object
// loads, not when it opens): make a CoreBtf, open the object with path(),
// build() with the object's BTF, then load. build() runs on the caller's
// thread: autrace calls it while its ring buffer is being made on a second
// thread (the kernel zeroes a 64 MiB ring's pages in about 12 ms), which is
// then the only other work of its start-up before the load. What the memfd
// then holds: the subset, or, if it could not be built, a copy of the whole
// kernel BTF (relocation then as without it), with the reason; describe()
// says which, for the start-up line.
class CoreBtf {
 public:
  CoreBtf();
  CoreBtf(const CoreBtf&) = delete;
  CoreBtf& operator=(const CoreBtf&) = delete;

  // For bpf_object_open_opts.btf_custom_path; nullptr when no memfd could be
  // made (then libbpf relocates against the kernel's BTF itself).
  const char* path() const { return path_.empty() ? nullptr : path_.c_str(); }
  // `local` is the opened object's BTF (bpf_object__btf), read before libbpf
  // rewrites it at load.
  void build(const struct btf* local);
  // "CO-RE against N of M kernel BTF types" or "CO-RE against the whole
  // kernel BTF (REASON)".
  const std::string& describe() const { return description_; }
  // The kernel BTF id of the function `name` (BTF_KIND_FUNC), looked up by
  // build() while it has the kernel's BTF (one scan, not another parse of
  // it): a feature probe must name its attach point. Call before build();
  // func_id() is 0 when build() did not read the kernel's BTF or has no such
  // function.
  void look_up_func(std::string name) { func_name_ = std::move(name); }
  int func_id() const { return func_id_; }

 private:
  base::UniqueFd memfd_;
  std::string path_;
  std::string description_;
  bool built_ = false;
  std::string func_name_;
  int func_id_ = 0;
};

}  // namespace bpfaudit::ebpf
