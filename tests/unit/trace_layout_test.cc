// The ABI structs must have the same layout in the BPF object (clang -target
// bpf, read back from its BTF) and in this C++ compile.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bpfaudit_engine.h"
#include "trace_probe.h"

namespace {

struct Member {
  const char* name;
  std::size_t offset;
  std::size_t size;
};

struct Layout {
  const char* name;
  std::size_t size;
  std::vector<Member> members;
};

#define M(type, field) \
  Member { #field, offsetof(type, field), sizeof(((type*)nullptr)->field) }

std::vector<Layout> layouts() {
  return {
      {"bpfaudit_event_header",
       sizeof(bpfaudit_event_header),
       {M(bpfaudit_event_header, ts_ns), M(bpfaudit_event_header, type),
        M(bpfaudit_event_header, size)}},
      {"bpfaudit_inode",
       sizeof(bpfaudit_inode),
       {M(bpfaudit_inode, ino), M(bpfaudit_inode, dev), M(bpfaudit_inode, rdev),
        M(bpfaudit_inode, mode), M(bpfaudit_inode, uid), M(bpfaudit_inode, gid),
        M(bpfaudit_inode, pad)}},
      {"bpfaudit_identity",
       sizeof(bpfaudit_identity),
       {M(bpfaudit_identity, pid), M(bpfaudit_identity, ppid), M(bpfaudit_identity, auid),
        M(bpfaudit_identity, ses), M(bpfaudit_identity, uid), M(bpfaudit_identity, gid),
        M(bpfaudit_identity, euid), M(bpfaudit_identity, suid), M(bpfaudit_identity, fsuid),
        M(bpfaudit_identity, egid), M(bpfaudit_identity, sgid), M(bpfaudit_identity, fsgid),
        M(bpfaudit_identity, comm), M(bpfaudit_identity, tty)}},
      {"bpfaudit_syscall_event",
       sizeof(bpfaudit_syscall_event),
       {M(bpfaudit_syscall_event, hdr), M(bpfaudit_syscall_event, args),
        M(bpfaudit_syscall_event, ret), M(bpfaudit_syscall_event, nr),
        M(bpfaudit_syscall_event, flags), M(bpfaudit_syscall_event, tid),
        M(bpfaudit_syscall_event, a4)}},
      {"bpfaudit_syscall_inode_event",
       sizeof(bpfaudit_syscall_inode_event),
       {M(bpfaudit_syscall_inode_event, sc), M(bpfaudit_syscall_inode_event, inode)}},
      {"bpfaudit_identity_event",
       sizeof(bpfaudit_identity_event),
       {M(bpfaudit_identity_event, hdr), M(bpfaudit_identity_event, tid),
        M(bpfaudit_identity_event, pad), M(bpfaudit_identity_event, id)}},
      {"bpfaudit_fork_event",
       sizeof(bpfaudit_fork_event),
       {M(bpfaudit_fork_event, hdr), M(bpfaudit_fork_event, parent_tgid),
        M(bpfaudit_fork_event, child_tgid)}},
      {"bpfaudit_exit_event",
       sizeof(bpfaudit_exit_event),
       {M(bpfaudit_exit_event, hdr), M(bpfaudit_exit_event, tgid), M(bpfaudit_exit_event, tid),
        M(bpfaudit_exit_event, exit_code), M(bpfaudit_exit_event, last_thread)}},
      {"bpfaudit_path_event",
       sizeof(bpfaudit_path_event),
       {M(bpfaudit_path_event, hdr), M(bpfaudit_path_event, tid), M(bpfaudit_path_event, nr),
        M(bpfaudit_path_event, item), M(bpfaudit_path_event, len), M(bpfaudit_path_event, name)}},
      {"bpfaudit_pending",
       sizeof(bpfaudit_pending),
       {M(bpfaudit_pending, enter_ns), M(bpfaudit_pending, args), M(bpfaudit_pending, nr),
        M(bpfaudit_pending, tty), M(bpfaudit_pending, tty_driver), M(bpfaudit_pending, tty_index),
        M(bpfaudit_pending, sent_valid), M(bpfaudit_pending, sent), M(bpfaudit_pending, entry),
        M(bpfaudit_pending, run)}},
      {"bpfaudit_dpath",
       sizeof(bpfaudit_dpath),
       {M(bpfaudit_dpath, len), M(bpfaudit_dpath, truncated), M(bpfaudit_dpath, names)}},
      {"bpfaudit_cwd_event",
       sizeof(bpfaudit_cwd_event),
       {M(bpfaudit_cwd_event, hdr), M(bpfaudit_cwd_event, tid), M(bpfaudit_cwd_event, flags),
        M(bpfaudit_cwd_event, cwd)}},
      {"bpfaudit_exec_event",
       sizeof(bpfaudit_exec_event),
       {M(bpfaudit_exec_event, hdr), M(bpfaudit_exec_event, pid), M(bpfaudit_exec_event, tid),
        M(bpfaudit_exec_event, old_tid), M(bpfaudit_exec_event, args_len),
        M(bpfaudit_exec_event, args_total), M(bpfaudit_exec_event, argc),
        M(bpfaudit_exec_event, pad), M(bpfaudit_exec_event, inode), M(bpfaudit_exec_event, exe),
        M(bpfaudit_exec_event, filename), M(bpfaudit_exec_event, args)}},
      {"bpfaudit_sockaddr_event",
       sizeof(bpfaudit_sockaddr_event),
       {M(bpfaudit_sockaddr_event, hdr), M(bpfaudit_sockaddr_event, tid),
        M(bpfaudit_sockaddr_event, len), M(bpfaudit_sockaddr_event, addr)}},
      {"bpfaudit_vfs_item",
       sizeof(bpfaudit_vfs_item),
       {M(bpfaudit_vfs_item, type), M(bpfaudit_vfs_item, name), M(bpfaudit_vfs_item, has_inode),
        M(bpfaudit_vfs_item, pad), M(bpfaudit_vfs_item, inode)}},
      {"bpfaudit_vfs_event",
       sizeof(bpfaudit_vfs_event),
       {M(bpfaudit_vfs_event, hdr), M(bpfaudit_vfs_event, tid), M(bpfaudit_vfs_event, count),
        M(bpfaudit_vfs_event, items)}},
      {"bpfaudit_exec_item_event",
       sizeof(bpfaudit_exec_item_event),
       {M(bpfaudit_exec_item_event, hdr), M(bpfaudit_exec_item_event, tid),
        M(bpfaudit_exec_item_event, has_inode), M(bpfaudit_exec_item_event, inode),
        M(bpfaudit_exec_item_event, len), M(bpfaudit_exec_item_event, pad),
        M(bpfaudit_exec_item_event, name)}},
      {"bpfaudit_fcaps_event",
       sizeof(bpfaudit_fcaps_event),
       {M(bpfaudit_fcaps_event, hdr), M(bpfaudit_fcaps_event, tid), M(bpfaudit_fcaps_event, pad),
        M(bpfaudit_fcaps_event, old_caps), M(bpfaudit_fcaps_event, new_caps)}},
      {"bpfaudit_batch_event",
       sizeof(bpfaudit_batch_event),
       {M(bpfaudit_batch_event, hdr), M(bpfaudit_batch_event, count), M(bpfaudit_batch_event, used),
        M(bpfaudit_batch_event, data)}},
  };
}

class TraceLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    btf_ = btf__parse(BPFAUDIT_ENGINE_OBJECT, nullptr);
    ASSERT_NE(btf_, nullptr) << "cannot read BTF from " << BPFAUDIT_ENGINE_OBJECT;
  }
  void TearDown() override { btf__free(btf_); }
  struct btf* btf_ = nullptr;
};

void expect_layouts(struct btf* btf, const std::vector<Layout>& layouts) {
  for (const Layout& l : layouts) {
    SCOPED_TRACE(l.name);
    int id = btf__find_by_name_kind(btf, l.name, BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << "struct missing from the object's BTF";
    const struct btf_type* t = btf__type_by_id(btf, id);
    EXPECT_EQ(t->size, l.size);
    const struct btf_member* m = btf_members(t);
    ASSERT_EQ(static_cast<std::size_t>(btf_vlen(t)), l.members.size())
        << "member count differs: update this table with the header";
    for (int i = 0; i < btf_vlen(t); ++i, ++m) {
      const Member& want = l.members[i];
      EXPECT_STREQ(btf__name_by_offset(btf, m->name_off), want.name);
      EXPECT_EQ(btf_member_bit_offset(t, i), want.offset * 8) << want.name;
      EXPECT_EQ(btf_member_bitfield_size(t, i), 0u) << want.name;
      __s64 size = btf__resolve_size(btf, m->type);
      EXPECT_EQ(size, static_cast<__s64>(want.size)) << want.name;
    }
  }
}

TEST_F(TraceLayout, StructsMatchTheBpfObject) { expect_layouts(btf_, layouts()); }

// The prefilter's rule tables, in the same object.
std::vector<Layout> prefilter_layouts() {
  return {
      {"bpfaudit_pf_field_match",
       sizeof(bpfaudit_pf_field_match),
       {M(bpfaudit_pf_field_match, field), M(bpfaudit_pf_field_match, op),
        M(bpfaudit_pf_field_match, value)}},
      {"bpfaudit_pf_rule",
       sizeof(bpfaudit_pf_rule),
       {M(bpfaudit_pf_rule, action), M(bpfaudit_pf_rule, nfields), M(bpfaudit_pf_rule, fields),
        M(bpfaudit_pf_rule, key)}},
      {"bpfaudit_pf_row",
       sizeof(bpfaudit_pf_row),
       {M(bpfaudit_pf_row, count), M(bpfaudit_pf_row, rule)}},
      {"bpfaudit_pf_state",
       sizeof(bpfaudit_pf_state),
       {M(bpfaudit_pf_state, gen), M(bpfaudit_pf_state, enabled),
        M(bpfaudit_pf_state, wakeup_bytes), M(bpfaudit_pf_state, daemon_tgid),
        M(bpfaudit_pf_state, pad)}},
      {"bpfaudit_rule_match_event",
       sizeof(bpfaudit_rule_match_event),
       {M(bpfaudit_rule_match_event, hdr), M(bpfaudit_rule_match_event, tid),
        M(bpfaudit_rule_match_event, proctitle_len), M(bpfaudit_rule_match_event, key),
        M(bpfaudit_rule_match_event, proctitle), M(bpfaudit_rule_match_event, exe)}},
  };
}

TEST(PrefilterLayout, StructsMatchTheBpfObject) {
  struct btf* btf = btf__parse(BPFAUDIT_ENGINE_OBJECT, nullptr);
  ASSERT_NE(btf, nullptr) << "cannot read BTF from " << BPFAUDIT_ENGINE_OBJECT;
  expect_layouts(btf, prefilter_layouts());
  // The events a match sends are the ABI's, the same in both objects.
  std::vector<Layout> shared;
  for (const Layout& l : layouts())
    for (const char* name : {"bpfaudit_event_header", "bpfaudit_identity",
                             "bpfaudit_identity_event", "bpfaudit_syscall_event", "bpfaudit_dpath"})
      if (std::string(l.name) == name) shared.push_back(l);
  ASSERT_EQ(shared.size(), 5u);
  expect_layouts(btf, shared);
  btf__free(btf);
}

TEST_F(TraceLayout, EnumValuesMatchTheBpfObject) {
  int id = btf__find_by_name_kind(btf_, "bpfaudit_event_type", BTF_KIND_ENUM);
  ASSERT_GT(id, 0);
  const struct btf_type* t = btf__type_by_id(btf_, id);
  const struct btf_enum* e = btf_enum(t);
  std::vector<std::pair<std::string, int>> want = {
      {"BPFAUDIT_EV_SYSCALL", BPFAUDIT_EV_SYSCALL},
      {"BPFAUDIT_EV_FORK", BPFAUDIT_EV_FORK},
      {"BPFAUDIT_EV_EXIT", BPFAUDIT_EV_EXIT},
      {"BPFAUDIT_EV_PATH", BPFAUDIT_EV_PATH},
      {"BPFAUDIT_EV_CWD", BPFAUDIT_EV_CWD},
      {"BPFAUDIT_EV_EXEC", BPFAUDIT_EV_EXEC},
      {"BPFAUDIT_EV_IDENTITY", BPFAUDIT_EV_IDENTITY},
      {"BPFAUDIT_EV_SOCKADDR", BPFAUDIT_EV_SOCKADDR},
      {"BPFAUDIT_EV_RULE_MATCH", BPFAUDIT_EV_RULE_MATCH},
      {"BPFAUDIT_EV_BATCH", BPFAUDIT_EV_BATCH},
      {"BPFAUDIT_EV_VFS", BPFAUDIT_EV_VFS},
      {"BPFAUDIT_EV_EXEC_ITEM", BPFAUDIT_EV_EXEC_ITEM},
      {"BPFAUDIT_EV_FCAPS", BPFAUDIT_EV_FCAPS}};
  ASSERT_EQ(static_cast<std::size_t>(btf_vlen(t)), want.size());
  for (int i = 0; i < btf_vlen(t); ++i, ++e) {
    EXPECT_EQ(btf__name_by_offset(btf_, e->name_off), want[i].first);
    EXPECT_EQ(e->val, want[i].second);
  }
  // The VFS hooks' item types, which userspace maps to nametype= words.
  id = btf__find_by_name_kind(btf_, "bpfaudit_nametype", BTF_KIND_ENUM);
  ASSERT_GT(id, 0);
  t = btf__type_by_id(btf_, id);
  e = btf_enum(t);
  want = {{"BPFAUDIT_NT_UNKNOWN", BPFAUDIT_NT_UNKNOWN},
          {"BPFAUDIT_NT_NORMAL", BPFAUDIT_NT_NORMAL},
          {"BPFAUDIT_NT_PARENT", BPFAUDIT_NT_PARENT},
          {"BPFAUDIT_NT_CREATE", BPFAUDIT_NT_CREATE},
          {"BPFAUDIT_NT_DELETE", BPFAUDIT_NT_DELETE}};
  ASSERT_EQ(static_cast<std::size_t>(btf_vlen(t)), want.size());
  for (int i = 0; i < btf_vlen(t); ++i, ++e) {
    EXPECT_EQ(btf__name_by_offset(btf_, e->name_off), want[i].first);
    EXPECT_EQ(e->val, want[i].second);
  }
}

// A batch record as the exit program builds it: three SYSCALL events back
// to back after the batch header; each comes out whole and in order. A
// header whose size runs past the batch ends it with that piece passed on
// as it is (the decoder counts it malformed).
TEST(TraceBatch, SplitsEventsInOrderAndStopsAtABrokenOne) {
  bpfaudit_batch_event b{};
  b.hdr.type = BPFAUDIT_EV_BATCH;
  for (std::uint32_t i = 0; i < 3; ++i) {
    bpfaudit_syscall_event ev{};
    ev.hdr.type = BPFAUDIT_EV_SYSCALL;
    ev.hdr.size = sizeof ev;
    ev.tid = 100 + i;
    std::memcpy(b.data + b.used, &ev, sizeof ev);
    b.used += sizeof ev;
    ++b.count;
  }
  std::size_t record = offsetof(bpfaudit_batch_event, data) + b.used;
  std::vector<std::uint32_t> tids;
  std::vector<std::size_t> sizes;
  auto collect = [&](const void* data, std::size_t size) {
    bpfaudit_syscall_event ev{};
    std::memcpy(&ev, data, std::min(size, sizeof ev));
    tids.push_back(ev.tid);
    sizes.push_back(size);
  };
  ASSERT_TRUE(bpfaudit::ebpf::for_each_batched_event(&b, record, collect));
  EXPECT_EQ(tids, (std::vector<std::uint32_t>{100, 101, 102}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>(3, sizeof(bpfaudit_syscall_event))));

  // The second event claims more than is left: it and what follows are one piece.
  auto* second = reinterpret_cast<bpfaudit_event_header*>(b.data + sizeof(bpfaudit_syscall_event));
  second->size = 4 * sizeof(bpfaudit_syscall_event);
  tids.clear();
  sizes.clear();
  ASSERT_TRUE(bpfaudit::ebpf::for_each_batched_event(&b, record, collect));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{sizeof(bpfaudit_syscall_event),
                                             2 * sizeof(bpfaudit_syscall_event)}));

  // Not a batch: nothing is called.
  bpfaudit_syscall_event plain{};
  plain.hdr.type = BPFAUDIT_EV_SYSCALL;
  plain.hdr.size = sizeof plain;
  tids.clear();
  EXPECT_FALSE(bpfaudit::ebpf::for_each_batched_event(&plain, sizeof plain, collect));
  EXPECT_TRUE(tids.empty());
}

}  // namespace
