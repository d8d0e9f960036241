// CO-RE against the kernel BTF subset (userspace/ebpf/core_btf.h) must give
// the very instructions libbpf produces against the whole kernel BTF: the
// engine is opened twice, once as libbpf does it alone and once with the
// subset, in each of its two configurations (autrace's process tree, the
// prefilter's rules), loaded, and every loaded program's final instructions
// compared. Runs on the host and in the 6.1 and 6.12 guests, whose BTF
// differs from 6.18's.
#include "core_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine.skel.h"
#include "kernel_env.h"
#include "trace_probe.h"

namespace bpfaudit::test {
namespace {

struct EngineDestroy {
  void operator()(engine_bpf* s) const { engine_bpf__destroy(s); }
};
using Engine = std::unique_ptr<engine_bpf, EngineDestroy>;

enum class Config { kTrace, kPrefilter };

// Opens and loads the engine as TraceProbe or PrefilterEngine configure it;
// with `core`, relocated against its subset.
Engine load(Config config, ebpf::CoreBtf* core, std::string& log_text) {
  LibbpfLog log;
  LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = core ? core->path() : nullptr);
  Engine skel(engine_bpf__open_opts(&opts));
  if (!skel) {
    log_text = log.text();
    return nullptr;
  }
  if (core) core->build(bpf_object__btf(skel->obj));
  bpf_map__set_max_entries(skel->maps.events, 1 << 20);
  bpf_map__set_max_entries(skel->maps.pf_rows, 1);
  bpf_map__set_max_entries(skel->maps.pf_rules, 1);
  bpf_program* vfs_hooks[] = {skel->progs.vfs_unlink_hook, skel->progs.vfs_rmdir_hook,
                              skel->progs.vfs_create_hook, skel->progs.vfs_mkdir_hook,
                              skel->progs.vfs_mknod_hook,  skel->progs.vfs_link_hook,
                              skel->progs.vfs_rename_hook, skel->progs.vfs_open_exec_hook,
                              skel->progs.vfs_bprm_fcaps_hook};
  if (config == Config::kTrace) {
    skel->rodata->follow_tree = true;
    // The VFS hooks (fentry) where the kernel takes them, as TraceProbe
    // loads them: the guests do, this host refuses them.
    const bool fentry = ebpf::probe_fentry().ok();
    for (bpf_program* p : vfs_hooks) bpf_program__set_autoload(p, fentry);
  } else {
    for (bpf_program* p : vfs_hooks) bpf_program__set_autoload(p, false);
    skel->rodata->eval_rules = true;
    for (bpf_program* p :
         {skel->progs.enter_execve, skel->progs.enter_execveat, skel->progs.enter_chdir,
          skel->progs.enter_any, skel->progs.handle_fork, skel->progs.handle_exec,
          skel->progs.handle_task_exit, skel->progs.handle_switch})
      bpf_program__set_autoload(p, false);
  }
  if (engine_bpf__load(skel.get()) != 0) {
    log_text = log.text();
    return nullptr;
  }
  return skel;
}

bool is_map_ld(const bpf_insn& i) {
  return i.code == (BPF_LD | BPF_IMM | BPF_DW) &&
         (i.src_reg == BPF_PSEUDO_MAP_FD || i.src_reg == BPF_PSEUDO_MAP_VALUE ||
          i.src_reg == BPF_PSEUDO_MAP_IDX || i.src_reg == BPF_PSEUDO_MAP_IDX_VALUE);
}

void expect_same_programs(Config config) {
  std::string log_whole, log_subset;
  Engine whole = load(config, nullptr, log_whole);
  ASSERT_TRUE(whole) << "the engine did not load against the whole kernel BTF: " << log_whole;
  ebpf::CoreBtf core;
  ASSERT_NE(core.path(), nullptr) << core.describe();
  Engine subset = load(config, &core, log_subset);
  ASSERT_TRUE(subset) << core.describe() << "\n" << log_subset;
  // The subset was used, not the fallback copy of the whole BTF.
  EXPECT_EQ(core.describe().rfind("CO-RE against ", 0), 0u) << core.describe();
  EXPECT_EQ(core.describe().find("whole"), std::string::npos) << core.describe();
  std::printf("core btf: %s\n", core.describe().c_str());

  int compared = 0;
  bpf_program* a = nullptr;
  bpf_object__for_each_program(a, whole->obj) {
    bpf_program* b = bpf_object__find_program_by_name(subset->obj, bpf_program__name(a));
    ASSERT_NE(b, nullptr) << bpf_program__name(a);
    ASSERT_EQ(bpf_program__autoload(a), bpf_program__autoload(b));
    if (!bpf_program__autoload(a)) continue;
    const std::size_t n = bpf_program__insn_cnt(a);
    ASSERT_EQ(n, bpf_program__insn_cnt(b)) << bpf_program__name(a);
    const bpf_insn* ia = bpf_program__insns(a);
    const bpf_insn* ib = bpf_program__insns(b);
    ASSERT_TRUE(ia && ib) << bpf_program__name(a);
    for (std::size_t k = 0; k < n; ++k) {
      if (is_map_ld(ia[k]) && k + 1 < n) {
        // Map descriptors differ between the two loads; the rest may not.
        EXPECT_EQ(ia[k].src_reg, ib[k].src_reg) << bpf_program__name(a) << " insn " << k;
        EXPECT_EQ(ia[k].dst_reg, ib[k].dst_reg) << bpf_program__name(a) << " insn " << k;
        EXPECT_EQ(ia[k + 1].imm, ib[k + 1].imm) << bpf_program__name(a) << " insn " << k + 1;
        ++k;
        continue;
      }
      ASSERT_EQ(std::memcmp(&ia[k], &ib[k], sizeof(bpf_insn)), 0)
          << bpf_program__name(a) << " differs at instruction " << k;
    }
    ++compared;
  }
  // The trace engine's 9 programs, and its 9 VFS hooks where fentry loads
  // (in the guests it must: FentryProbe).
  const bool fentry = ebpf::probe_fentry().ok();
  if (in_vm_guest()) {
    EXPECT_TRUE(fentry) << "fentry refused inside a vm-tests guest";
  }
  EXPECT_GE(compared, config == Config::kTrace ? (fentry ? 18 : 9) : 1);
}

TEST(CoreBtf, TraceEngineRelocatesAsAgainstTheWholeKernelBtf) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  expect_same_programs(Config::kTrace);
}

TEST(CoreBtf, PrefilterEngineRelocatesAsAgainstTheWholeKernelBtf) {
  if (auto why = missing_kernel_facility(); !why.empty()) GTEST_SKIP() << why;
  expect_same_programs(Config::kPrefilter);
}

}  // namespace
}  // namespace bpfaudit::test
