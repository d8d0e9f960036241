// Trace records against the kernel's formats. Expected lines follow the
// kernel's audit_log_exit output as seen in real logs (tests data and kernel
// source facts: "%lx" arguments, "%02x:%02x" devices, "%#ho" modes, the
// untrusted-string rule, EOE without a body).
#include "trace_format.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "bpfaudit_engine.h"
#include "syscall_table.h"
#include "trace_events.h"

namespace {

using namespace bpfaudit::ebpf;

SyscallEvent openat_event() {
  SyscallEvent ev;
  ev.nr = 257;
  ev.args = {0xffffff9c, 0x7ffd1234, 0x80000, 0};
  ev.ret = 3;
  ev.pid = 100;
  ev.ppid = 1;
  ev.auid = 4294967295u;
  ev.ses = 4294967295u;
  ev.comm = "cat";
  ev.exe = "/usr/bin/cat";
  ev.cwd = "/root";
  ev.paths.push_back(PathItem{"/etc/passwd", InodeInfo{131, (254u << 20) | 1, 0, 0100644, 0, 0}});
  return ev;
}

TEST(TraceFormat, SyscallEventAsTheKernelWritesIt) {
  std::string out;
  append_event_records(out, openat_event(), bpfaudit::record::Stamp{1700000000, 7, 42, "bpfaudit"},
                       std::string("k1"));
  EXPECT_EQ(out,
            "node=bpfaudit type=SYSCALL msg=audit(1700000000.007:42): arch=c000003e syscall=257 "
            "success=yes exit=3 a0=ffffff9c a1=7ffd1234 a2=80000 a3=0 items=1 ppid=1 pid=100 "
            "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) "
            "ses=4294967295 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"k1\"\n"
            "node=bpfaudit type=CWD msg=audit(1700000000.007:42): cwd=\"/root\"\n"
            "node=bpfaudit type=PATH msg=audit(1700000000.007:42): item=0 name=\"/etc/passwd\" "
            "inode=131 dev=fe:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 "
            "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
            "node=bpfaudit type=EOE msg=audit(1700000000.007:42):\n");
}

TEST(TraceFormat, FailureNoReturnAndHostileStrings) {
  SyscallEvent ev = openat_event();
  ev.ret = -2;  // ENOENT
  ev.paths[0] = PathItem{"/tmp/a b", std::nullopt};
  ev.comm = "x type=USER_AUTH";
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find(" success=no exit=-2 "), std::string::npos);
  EXPECT_NE(out.find(" comm=7820747970653D555345525F41555448 "), std::string::npos);
  EXPECT_NE(out.find(" key=(null)\n"), std::string::npos);
  EXPECT_NE(out.find("item=0 name=2F746D702F612062 nametype=UNKNOWN cap_fp=0"), std::string::npos);
  EXPECT_EQ(out.find("node="), std::string::npos);

  // mmap-style returns above -4096 as unsigned are successes (is_syscall_success).
  ev.ret = -4096;
  out.clear();
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find(" success=yes exit=-4096 "), std::string::npos);

  ev.returned = false;  // exit_group: no success/exit fields
  out.clear();
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find("syscall=257 a0=ffffff9c"), std::string::npos);
}

TEST(TraceFormat, CachedIdentityTailsFollowTheIdentity) {
  SyscallTailCache tails;
  SyscallEvent ev = openat_event();
  ev.cwd.reset();
  ev.paths.clear();
  ev.identity = 7;
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::string("k"), &tails);
  EXPECT_EQ(out,
            "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=257 success=yes exit=3 "
            "a0=ffffff9c a1=7ffd1234 a2=80000 a3=0 items=0 ppid=1 pid=100 auid=4294967295 uid=0 "
            "gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 "
            "comm=\"cat\" exe=\"/usr/bin/cat\" key=\"k\"\n"
            "type=EOE msg=audit(1.000:1):\n");

  // Another identity number: the tail is formatted anew, here with the new
  // uid and comm, even where its cache entry is shared (7 + 16).
  ev.identity = 7 + 16;
  ev.uid = 1000;
  ev.comm = "dog";
  out.clear();
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 2, ""}, std::string("k"), &tails);
  EXPECT_NE(out.find(" uid=1000 "), std::string::npos) << out;
  EXPECT_NE(out.find(" comm=\"dog\" "), std::string::npos) << out;

  // Every event formats as it would without the cache (7 and 23 share an
  // entry: each replaces the other's tail).
  for (std::uint64_t identity : {7u, 23u, 23u, 7u, 0u, 0u}) {
    ev.identity = identity;
    ev.pid = 200 + static_cast<std::uint32_t>(identity);
    std::string cached, plain;
    append_event_records(cached, ev, bpfaudit::record::Stamp{1, 0, 3, "n"}, std::string("k"),
                         &tails);
    append_event_records(plain, ev, bpfaudit::record::Stamp{1, 0, 3, "n"}, std::string("k"));
    EXPECT_EQ(cached, plain);
    EXPECT_NE(plain.find("node=n type=EOE msg=audit(1.000:3):\n"), std::string::npos) << plain;
  }
}

TEST(TraceFormat, ExecveAndProctitle) {
  SyscallEvent ev = openat_event();
  ev.nr = 59;
  ev.ret = 0;
  ev.exec = ExecInfo{"/bin/ls", {"ls", "-l", "a b"}, std::string("ls\0-l\0a b\0", 10)};
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find("type=EXECVE msg=audit(1.000:1): argc=3 a0=\"ls\" a1=\"-l\" a2=612062\n"),
            std::string::npos)
      << out;
  // NUL separators force hex; the trailing NUL is not part of the title.
  EXPECT_NE(out.find("type=PROCTITLE msg=audit(1.000:1): proctitle=6C73002D6C00612062\n"),
            std::string::npos)
      << out;
}

TEST(TraceFormat, DevAndMode) {
  EXPECT_EQ(format_dev((8u << 20) | 1), "08:01");
  EXPECT_EQ(format_dev((259u << 20) | 0x12345), "103:12345");
  EXPECT_EQ(format_mode(040755), "040755");
  // What glibc's "%02x:%02x" and "%#o" print for the edges.
  EXPECT_EQ(format_dev(0), "00:00");
  EXPECT_EQ(format_dev((0xfffu << 20) | 0xfffff), "fff:fffff");
  EXPECT_EQ(format_dev((1u << 20) | 0xa), "01:0a");
  EXPECT_EQ(format_mode(0), "0");
  EXPECT_EQ(format_mode(1), "01");
  EXPECT_EQ(format_mode(0100644), "0100644");
  EXPECT_EQ(format_mode(0xffffffffu), "037777777777");
  EXPECT_EQ(format_mode(0), "0");
}

bpfaudit_identity_event identity_event(std::uint32_t tid, std::uint32_t pid) {
  bpfaudit_identity_event who{};
  who.hdr = {1, BPFAUDIT_EV_IDENTITY, sizeof who};
  who.tid = tid;
  who.id.pid = pid;
  return who;
}

bpfaudit_syscall_event syscall_event(std::uint64_t ts, std::uint32_t tid) {
  bpfaudit_syscall_event sc{};
  sc.hdr = {ts, BPFAUDIT_EV_SYSCALL, sizeof sc};
  sc.nr = 1;
  sc.ret = 1;
  sc.tid = tid;
  return sc;
}

// The event's records through the identity-keyed caches, checked equal to
// the records formatted from its fields alone (identity 0, no caches).
std::string format_both(const SyscallEvent& ev, SyscallTailCache& tails, std::uint64_t serial,
                        bool eoe = true) {
  std::string cached, plain;
  append_event_records(cached, ev, bpfaudit::record::Stamp{1, 0, serial, ""}, std::nullopt, &tails,
                       eoe);
  SyscallEvent copy = ev;
  copy.identity = 0;
  append_event_records(plain, copy, bpfaudit::record::Stamp{1, 0, serial, ""}, std::nullopt,
                       nullptr, eoe);
  EXPECT_EQ(cached, plain);
  return plain;
}

// A prefilter match of `tid`: the argv area read at the match, and the
// executable as the engine sends it ("pf_workload\0tmp\0", leaf first:
// /tmp/pf_workload).
std::unique_ptr<bpfaudit_rule_match_event> rule_match_event(std::uint32_t tid,
                                                            std::string_view title) {
  auto match = std::make_unique<bpfaudit_rule_match_event>();
  *match = {};
  match->hdr = {1, BPFAUDIT_EV_RULE_MATCH, sizeof *match};
  match->tid = tid;
  std::memcpy(match->proctitle, title.data(), title.size());
  match->proctitle_len = static_cast<std::uint32_t>(title.size());
  const char names[] = "pf_workload\0tmp\0";
  std::memcpy(match->exe.names, names, sizeof names - 1);
  match->exe.len = sizeof names - 1;
  return match;
}

TEST(TraceDecoder, JoinsPathsCwdAndExecWithTheirSyscall) {
  TraceDecoder dec;
  dec.set_exe(100, "/usr/bin/bash");
  SyscallEvent out;

  bpfaudit_cwd_event cwd{};
  cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 101;
  const char names[] = "tmp\0work\0";  // leaf first
  std::memcpy(cwd.cwd.names, names, sizeof names - 1);
  cwd.cwd.len = sizeof names - 1;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));

  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {2, BPFAUDIT_EV_PATH, sizeof *path};
  path->tid = 101;
  path->item = 0;
  std::strcpy(path->name, "x.txt");
  path->len = 6;
  EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));

  bpfaudit_fork_event fork{};
  fork.hdr = {3, BPFAUDIT_EV_FORK, sizeof fork};
  fork.parent_tgid = 100;
  fork.child_tgid = 200;
  EXPECT_FALSE(dec.feed(&fork, sizeof fork, out));

  bpfaudit_identity_event who = identity_event(101, 100);
  who.id.ppid = 1;
  who.id.uid = 1000;
  std::strcpy(who.id.comm, "bash");
  std::strcpy(who.id.tty, "pts0");
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));

  bpfaudit_syscall_inode_event open{};
  open.sc.hdr = {5, BPFAUDIT_EV_SYSCALL, sizeof open};
  open.sc.nr = 257;
  open.sc.ret = 3;
  open.sc.args[0] = 0xffffff9c;
  open.sc.tid = 101;
  open.sc.flags = BPFAUDIT_SC_HAS_INODE;
  open.inode.ino = 77;
  ASSERT_TRUE(dec.feed(&open, sizeof open, out));
  EXPECT_EQ(out.enter_ns, 5u);
  EXPECT_EQ(out.args[0], 0xffffff9cu);
  EXPECT_EQ(out.pid, 100u);
  EXPECT_EQ(out.ppid, 1u);
  EXPECT_EQ(out.uid, 1000u);
  EXPECT_EQ(out.comm, "bash");
  EXPECT_EQ(out.tty, "pts0");
  EXPECT_EQ(out.exe, "/usr/bin/bash");
  EXPECT_EQ(out.cwd, "/work/tmp");
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].name, "x.txt");
  ASSERT_TRUE(out.paths[0].inode);
  EXPECT_EQ(out.paths[0].inode->ino, 77u);

  // The fork child's thread sent its own identity; it inherited the exe and
  // starts clean.
  who.tid = 201;
  who.id.pid = 200;
  who.id.ppid = 100;
  std::strcpy(who.id.comm, "child");
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_syscall_event sc = syscall_event(6, 201);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_TRUE(out.paths.empty());
  EXPECT_FALSE(out.cwd);
  EXPECT_EQ(out.pid, 200u);
  EXPECT_EQ(out.ppid, 100u);
  EXPECT_EQ(out.comm, "child");
  EXPECT_EQ(out.exe, "/usr/bin/bash");

  // A later syscall without a new identity event keeps the thread's last one.
  sc.tid = 101;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.pid, 100u);
  EXPECT_EQ(out.comm, "bash");
  EXPECT_EQ(out.tty, "pts0");

  // Truncated records are counted, never read past their end: a short
  // SYSCALL, and one that claims an inode it does not carry.
  EXPECT_FALSE(dec.feed(&sc, sizeof sc - 1, out));
  sc.flags = BPFAUDIT_SC_HAS_INODE;
  EXPECT_FALSE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(dec.malformed(), 2u);
}

// BPFAUDIT_CWD_SAME (the engine's cwd cache): the thread's last CWD text
// again. Only that thread's, and never a made-up one: a thread with no full
// CWD event seen (the engine sends none after a loss, but a reader must not
// trust that) gets no CWD, counted as malformed.
TEST(TraceDecoder, SameCwdTakesTheThreadsLastTextAndNeverInventsOne) {
  TraceDecoder dec;
  SyscallEvent out;
  for (std::uint32_t tid : {400u, 401u}) {
    bpfaudit_identity_event who = identity_event(tid, 400);
    EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  }
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {1, BPFAUDIT_EV_PATH, sizeof *path};
  std::strcpy(path->name, "x");
  path->len = 2;
  // One path syscall of `tid` after `cwd`; the CWD text it gets.
  auto syscall_after = [&](const bpfaudit_cwd_event& cwd, std::size_t size,
                           std::uint32_t tid) -> std::optional<std::string> {
    EXPECT_FALSE(dec.feed(&cwd, size, out));
    path->tid = tid;
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
    bpfaudit_syscall_event sc = syscall_event(2, tid);
    sc.nr = 262;
    EXPECT_TRUE(dec.feed(&sc, sizeof sc, out));
    EXPECT_EQ(out.paths.size(), 1u);
    return out.cwd;
  };
  bpfaudit_cwd_event full{};
  full.hdr = {1, BPFAUDIT_EV_CWD, sizeof full};
  full.tid = 400;
  std::memcpy(full.cwd.names, "sub\0dir\0", 8);  // leaf first
  full.cwd.len = 8;
  bpfaudit_cwd_event same{};
  // What the engine sends: the head, no names.
  constexpr std::size_t kSameSize = offsetof(bpfaudit_cwd_event, cwd.names);
  same.hdr = {1, BPFAUDIT_EV_CWD, kSameSize};
  same.flags = BPFAUDIT_CWD_SAME;

  // No full CWD of either thread yet: nothing to take.
  same.tid = 400;
  EXPECT_EQ(syscall_after(same, kSameSize, 400), std::nullopt);
  EXPECT_EQ(dec.malformed(), 1u);
  EXPECT_EQ(syscall_after(full, sizeof full, 400), "/dir/sub");
  EXPECT_EQ(syscall_after(same, kSameSize, 400), "/dir/sub");
  EXPECT_EQ(syscall_after(same, kSameSize, 400), "/dir/sub");
  // Thread 401 sent none: thread 400's text is not its.
  same.tid = 401;
  EXPECT_EQ(syscall_after(same, kSameSize, 401), std::nullopt);
  EXPECT_EQ(dec.malformed(), 2u);
  // A new full text replaces the last one.
  std::memcpy(full.cwd.names, "other\0", 6);
  full.cwd.len = 6;
  EXPECT_EQ(syscall_after(full, sizeof full, 400), "/other");
  same.tid = 400;
  EXPECT_EQ(syscall_after(same, kSameSize, 400), "/other");
  // A removed cwd: d_path writes " (deleted)" after it; "same" keeps that.
  full.flags = BPFAUDIT_CWD_DELETED;
  EXPECT_EQ(syscall_after(full, sizeof full, 400), "/other (deleted)");
  EXPECT_EQ(syscall_after(same, kSameSize, 400), "/other (deleted)");
  // The thread ended: a later thread with its id starts with nothing.
  bpfaudit_exit_event exit{};
  exit.hdr = {3, BPFAUDIT_EV_EXIT, sizeof exit};
  exit.tgid = 400;
  exit.tid = 400;
  EXPECT_FALSE(dec.feed(&exit, sizeof exit, out));
  bpfaudit_identity_event again = identity_event(400, 400);
  EXPECT_FALSE(dec.feed(&again, sizeof again, out));
  EXPECT_EQ(syscall_after(same, kSameSize, 400), std::nullopt);
  EXPECT_EQ(dec.malformed(), 3u);
}

// d_path's buffer is PATH_MAX + 11 bytes and " (deleted)" with its NUL takes
// 11 of them: a removed cwd's path fits up to 4096 characters.
TEST(TraceDecoder, DeletedCwdTooLongForDPathIsTooLong) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(500, 500);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto cwd = std::make_unique<bpfaudit_cwd_event>();
  auto text_of = [&](std::size_t names, bool deleted) {
    *cwd = {};
    cwd->hdr = {1, BPFAUDIT_EV_CWD, sizeof *cwd};
    cwd->tid = 500;
    cwd->flags = deleted ? BPFAUDIT_CWD_DELETED : 0;
    std::string n;
    for (std::size_t i = 0; i < names; ++i) n += std::string(255, 'a' + i) + '\0';
    n += "x";  // the top directory (names go leaf first): 2 more characters, "/x"
    n += '\0';
    std::memcpy(cwd->cwd.names, n.data(), n.size());
    cwd->cwd.len = n.size();
    EXPECT_FALSE(dec.feed(cwd.get(), sizeof *cwd, out));
    auto path = std::make_unique<bpfaudit_path_event>();
    *path = {};
    path->hdr = {1, BPFAUDIT_EV_PATH, sizeof *path};
    path->tid = 500;
    std::strcpy(path->name, "y");
    path->len = 2;
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
    bpfaudit_syscall_event sc = syscall_event(2, 500);
    EXPECT_TRUE(dec.feed(&sc, sizeof sc, out));
    return out.cwd.value_or("<none>");
  };
  // 15 names of 255 and "x": 15 * 256 + 2 = 3842 characters.
  std::string t = text_of(15, true);
  EXPECT_EQ(t.size(), 3842u + 10u);
  EXPECT_EQ(t.substr(0, 3), "/x/");
  EXPECT_EQ(t.substr(t.size() - 14), "aaaa (deleted)");
  // 16 names of 255 and "x": 4098 characters, which fit alone but not
  // with " (deleted)".
  EXPECT_EQ(text_of(16, false).size(), 4098u);
  EXPECT_EQ(text_of(16, true), "<too_long>");
}

TEST(TraceDecoder, ExecEventBeforeItsCwdStaysWithTheExec) {
  // One program on sys_exit: an exec's EXEC event is sent during the
  // syscall, its CWD and SYSCALL at its exit, in that order.
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(300, 300);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {1, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = exec->old_tid = 300;
  std::strcpy(exec->filename, "/bin/true");
  std::memcpy(exec->args, "true\0x\0", 7);
  exec->args_len = 7;
  exec->inode.ino = 42;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  bpfaudit_cwd_event cwd{};
  cwd.hdr = {2, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 300;
  std::memcpy(cwd.cwd.names, "tmp\0", 4);
  cwd.cwd.len = 4;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  bpfaudit_syscall_event sc = syscall_event(3, 300);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_TRUE(out.exec);
  EXPECT_EQ(out.exec->argv, (std::vector<std::string>{"true", "x"}));
  EXPECT_EQ(out.cwd, "/tmp");
  ASSERT_EQ(out.paths.size(), 1u);  // the executable, the kernel's item 0
  EXPECT_EQ(out.paths[0].name, "/bin/true");
  ASSERT_TRUE(out.paths[0].inode);
  EXPECT_EQ(out.paths[0].inode->ino, 42u);

  // A CWD still drops leftovers of a syscall whose exit never came.
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {4, BPFAUDIT_EV_PATH, sizeof *path};
  path->tid = 300;
  std::strcpy(path->name, "stale");
  path->len = 6;
  EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  sc.nr = 1;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_TRUE(out.paths.empty());
  EXPECT_FALSE(out.exec);
}

TEST(TraceDecoder, ASyscallNeedsItsThreadsIdentity) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_syscall_event sc = syscall_event(1, 300);
  // Nothing was ever sent for thread 300: the event cannot be attributed.
  EXPECT_FALSE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(dec.malformed(), 1u);

  bpfaudit_identity_event who = identity_event(300, 300);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  EXPECT_TRUE(dec.feed(&sc, sizeof sc, out));

  // The thread ended: its identity goes, and a later thread reusing the id
  // must send its own.
  bpfaudit_exit_event done{};
  done.hdr = {3, BPFAUDIT_EV_EXIT, sizeof done};
  done.tgid = 300;
  done.tid = 300;
  done.last_thread = 1;
  EXPECT_FALSE(dec.feed(&done, sizeof done, out));
  EXPECT_EQ(dec.exits(), 1u);
  EXPECT_FALSE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(dec.malformed(), 2u);
}

TEST(SyscallTable, PathArgumentsAndResourceList) {
  EXPECT_EQ(path_args_of(257).first, 1);   // openat(dirfd, path, ...)
  EXPECT_EQ(path_args_of(82).second, 1);   // rename(old, new)
  EXPECT_EQ(path_args_of(316).second, 3);  // renameat2(olddfd, old, newdfd, new)
  EXPECT_EQ(path_args_of(1).first, -1);    // write
  EXPECT_EQ(syscall_number("openat"), 257);
  EXPECT_EQ(resource_syscall_names().size(), 35u);  // stock autrace.c's -r list on x86_64
  for (auto name : resource_syscall_names()) EXPECT_TRUE(syscall_number(name)) << name;
}

}  // namespace

// PROCTITLE as kernel/auditsc.c writes it: audit_log_proctitle() reads the
// argv area at a task's first record and keeps it in the task's audit context
// until the task ends, exec or not. Checked against the kernel (6.18) with an
// auid rule on a tree that forks, then execs: the exec's PROCTITLE was the
// parent's argv.
TEST(TraceDecoder, ProctitleIsFixedAtEachTasksFirstEvent) {
  TraceDecoder dec;
  SyscallEvent out;
  dec.set_cmdline(400, std::string("parent\0a1", 9));
  bpfaudit_identity_event who = identity_event(400, 400);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_syscall_event sc = syscall_event(1, 400);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, std::string("parent\0a1", 9));

  // The task execs: its title stays, though the EXECVE record shows the new argv.
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {2, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = exec->old_tid = 400;
  std::memcpy(exec->args, "new\0b\0", 6);
  exec->args_len = 6;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  sc = syscall_event(3, 400);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_TRUE(out.exec);
  EXPECT_EQ(out.exec->argv, (std::vector<std::string>{"new", "b"}));
  EXPECT_EQ(out.proctitle, std::string("parent\0a1", 9));

  // A child forked after the exec starts with the process's argv area now.
  bpfaudit_fork_event fork{};
  fork.hdr = {4, BPFAUDIT_EV_FORK, sizeof fork};
  fork.parent_tgid = 400;
  fork.child_tgid = 401;
  EXPECT_FALSE(dec.feed(&fork, sizeof fork, out));
  who = identity_event(401, 401);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  sc = syscall_event(5, 401);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, std::string("new\0b\0", 6));

  // A task whose first event is its exec (a vfork child) shows its new argv.
  fork.child_tgid = 402;
  EXPECT_FALSE(dec.feed(&fork, sizeof fork, out));
  who = identity_event(402, 402);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  exec->pid = exec->tid = exec->old_tid = 402;
  std::memcpy(exec->args, "true\0", 5);
  exec->args_len = 5;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  sc = syscall_event(6, 402);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, std::string("true\0", 5));

  // A thread id that ended and comes back is a new task: read again.
  bpfaudit_exit_event bye{};
  bye.hdr = {7, BPFAUDIT_EV_EXIT, sizeof bye};
  bye.tgid = 401;
  bye.tid = 401;
  bye.last_thread = 0;
  EXPECT_FALSE(dec.feed(&bye, sizeof bye, out));
  exec->pid = exec->tid = exec->old_tid = 401;
  std::memcpy(exec->args, "again\0", 6);
  exec->args_len = 6;
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  who = identity_event(401, 401);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  sc = syscall_event(8, 401);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, std::string("again\0", 6));

  // Formatted: the title on every event, trailing NULs trimmed, hex for NULs.
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 9, ""}, std::nullopt);
  EXPECT_NE(text.find("type=PROCTITLE msg=audit(1.000:9): proctitle=\"again\"\n"),
            std::string::npos)
      << text;
}

// Events alternate between threads and a non-leader thread execs: the
// kernel's de_thread gives the exec'ing thread the leader's id, and its old id
// ends there without an exit event (its audit context, so its title, goes
// with it). Each event must carry its own thread's identity and title, and
// the old id must be unknown afterwards, however the decoder remembers the
// last thread it saw.
TEST(TraceDecoder, ThreadsAlternatingAndANonLeaderExecKeepTheirOwnIdentity) {
  TraceDecoder dec;
  SyscallEvent out;
  dec.set_cmdline(500, std::string("p\0", 2));
  bpfaudit_identity_event leader = identity_event(500, 500);
  std::memcpy(leader.id.comm, "lead", 5);
  bpfaudit_identity_event worker = identity_event(501, 500);
  std::memcpy(worker.id.comm, "work", 5);
  EXPECT_FALSE(dec.feed(&leader, sizeof leader, out));
  EXPECT_FALSE(dec.feed(&worker, sizeof worker, out));
  bpfaudit_syscall_event from_leader = syscall_event(1, 500);
  bpfaudit_syscall_event from_worker = syscall_event(2, 501);
  ASSERT_TRUE(dec.feed(&from_leader, sizeof from_leader, out));
  EXPECT_EQ(out.comm, "lead");
  EXPECT_EQ(out.proctitle, std::string("p\0", 2));
  // The worker's first event comes after the argv area changed: its title is the new one.
  dec.set_cmdline(500, std::string("q\0", 2));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(dec.feed(&from_worker, sizeof from_worker, out));
    EXPECT_EQ(out.comm, "work");
    EXPECT_EQ(out.tid, 501u);
    EXPECT_EQ(out.proctitle, std::string("q\0", 2));
    ASSERT_TRUE(dec.feed(&from_leader, sizeof from_leader, out));
    EXPECT_EQ(out.comm, "lead");
    EXPECT_EQ(out.tid, 500u);
    EXPECT_EQ(out.proctitle, std::string("p\0", 2));
  }
  // The worker's identity changes (it renames itself): its next event shows it.
  std::memcpy(worker.id.comm, "w2", 3);
  ASSERT_TRUE(dec.feed(&from_worker, sizeof from_worker, out));
  EXPECT_FALSE(dec.feed(&worker, sizeof worker, out));
  ASSERT_TRUE(dec.feed(&from_worker, sizeof from_worker, out));
  EXPECT_EQ(out.comm, "w2");

  // The worker (last seen) execs and becomes thread 500.
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {3, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = 500;
  exec->old_tid = 501;
  std::memcpy(exec->args, "new\0", 4);
  exec->args_len = 4;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  // The worker's old id is gone: an event of it (a corrupt stream) cannot
  // be attributed.
  const auto bad = dec.malformed();
  EXPECT_FALSE(dec.feed(&from_worker, sizeof from_worker, out));
  EXPECT_EQ(dec.malformed(), bad + 1);
  bpfaudit_syscall_event execve = syscall_event(4, 500);
  execve.nr = 59;
  execve.ret = 0;
  ASSERT_TRUE(dec.feed(&execve, sizeof execve, out));
  ASSERT_TRUE(out.exec);
  EXPECT_EQ(out.proctitle, std::string("q\0", 2));  // the worker's title came along
  ASSERT_TRUE(dec.feed(&from_leader, sizeof from_leader, out));
  EXPECT_EQ(out.tid, 500u);
  EXPECT_EQ(out.proctitle, std::string("q\0", 2));
}

// fstatat/statx of an fd (AT_EMPTY_PATH with "") take no name since 6.11
// (vfs_empty_path): the kernel writes no CWD and no PATH for them, items=0
// (seen on 6.12 and 6.18); 6.1 writes one PATH item name="".
TEST(TraceDecoder, EmptyPathOnAnFdHasNoPathRecord) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(500, 500);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  for (int nr : {262, 332}) {
    SCOPED_TRACE(nr);
    bpfaudit_cwd_event cwd{};
    cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
    cwd.tid = 500;
    std::memcpy(cwd.cwd.names, "tmp\0", 4);
    cwd.cwd.len = 4;
    EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
    auto path = std::make_unique<bpfaudit_path_event>();
    *path = {};
    path->hdr = {2, BPFAUDIT_EV_PATH, sizeof *path};
    path->tid = 500;
    path->len = 1;  // "" and its NUL
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
    bpfaudit_syscall_event sc = syscall_event(3, 500);
    sc.nr = nr;
    sc.ret = 0;
    sc.args[nr == 262 ? 3 : 2] = 0x1000;  // AT_EMPTY_PATH
    ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
    EXPECT_TRUE(out.paths.empty());
    EXPECT_FALSE(out.cwd);
    // The same call with a name keeps both.
    EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
    std::strcpy(path->name, "f");
    path->len = 2;
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
    ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
    EXPECT_EQ(out.paths.size(), 1u);
    EXPECT_TRUE(out.cwd);
  }
  EXPECT_TRUE(TraceDecoder::fd_stat_takes_no_name("6.18.44-fc-v1300"));
  EXPECT_TRUE(TraceDecoder::fd_stat_takes_no_name("6.11.0"));
  EXPECT_FALSE(TraceDecoder::fd_stat_takes_no_name("6.10.14"));
  EXPECT_FALSE(TraceDecoder::fd_stat_takes_no_name("6.1.0-50-amd64"));
  EXPECT_FALSE(TraceDecoder::fd_stat_takes_no_name("5.15.0"));
  // A kernel before 6.11: the empty name is an item, even when unreadable.
  dec.set_fd_stat_takes_no_name(false);
  bpfaudit_cwd_event cwd{};
  cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 500;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {2, BPFAUDIT_EV_PATH, sizeof *path};
  path->tid = 500;
  path->len = -14;  // -EFAULT
  EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
  bpfaudit_syscall_event sc = syscall_event(3, 500);
  sc.nr = 262;
  sc.ret = 0;
  sc.args[3] = 0x1000;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].name, "");
  EXPECT_TRUE(out.cwd);
}

// audit_log_exit writes MMAP ("fd=%d flags=0x%x", kernel/auditsc.c
// show_special) right after SYSCALL for every mmap that is not
// MAP_ANONYMOUS (mm/mmap.c ksys_mmap_pgoff), a failing one too.
TEST(TraceFormat, MmapRecordForFileMappingsOnly) {
  SyscallEvent ev;
  ev.nr = 9;
  ev.ret = 0x7f0000000000;
  ev.args = {0, 4096, 1, 0x2};  // PROT_READ, MAP_PRIVATE
  ev.a4 = 3;
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  auto syscall_end = out.find('\n');
  ASSERT_NE(syscall_end, std::string::npos);
  const std::string mmap = "type=MMAP msg=audit(1.000:1): fd=3 flags=0x2\n";
  EXPECT_EQ(out.substr(syscall_end + 1, mmap.size()), mmap) << out;
  ev.a4 = 0xffffffffu;  // fd -1: EBADF, still noted
  ev.args[3] = 0x812;
  out.clear();
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find("type=MMAP msg=audit(1.000:1): fd=-1 flags=0x812\n"), std::string::npos)
      << out;
  ev.args[3] = 0x22;  // MAP_PRIVATE | MAP_ANONYMOUS
  out.clear();
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_EQ(out.find("MMAP"), std::string::npos) << out;
}

// SOCKADDR as audit_log_exit writes it: the address the caller passed, in
// upper-case hex, after the special records and before CWD; a unix socket's
// path is also looked up by name, so it is a PATH item too.
TEST(TraceDecoder, SockaddrAndAUnixSocketsPath) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(600, 600);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_sockaddr_event sa{};
  sa.hdr = {1, BPFAUDIT_EV_SOCKADDR, sizeof sa};
  sa.tid = 600;
  const unsigned char in4[16] = {2, 0, 0, 9, 127, 0, 0, 1};  // AF_INET 127.0.0.1:9
  std::memcpy(sa.addr, in4, sizeof in4);
  sa.len = sizeof in4;
  EXPECT_FALSE(dec.feed(&sa, sizeof sa, out));
  bpfaudit_syscall_event sc = syscall_event(2, 600);
  sc.nr = 42;
  sc.ret = -111;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_TRUE(out.sockaddr);
  EXPECT_TRUE(out.paths.empty());
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find("type=SOCKADDR msg=audit(1.000:1): saddr=020000097F0000010000000000000000\n"),
            std::string::npos)
      << text;

  // AF_UNIX with a path: the path is the event's PATH item (name only: the
  // socket's inode is the VFS's); an abstract name (leading NUL) is not.
  std::memset(sa.addr, 0, sizeof sa.addr);
  sa.addr[0] = 1;
  std::memcpy(sa.addr + 2, "/run/x.sock", 11);
  sa.len = 110;
  EXPECT_FALSE(dec.feed(&sa, sizeof sa, out));
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].name, "/run/x.sock");
  EXPECT_FALSE(out.paths[0].inode);
  sa.addr[2] = 0;
  EXPECT_FALSE(dec.feed(&sa, sizeof sa, out));
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_TRUE(out.paths.empty());
  ASSERT_TRUE(out.sockaddr);
  EXPECT_EQ(out.sockaddr->size(), 110u);

  // A length the kernel would refuse never reaches the formatter.
  sa.len = 129;
  EXPECT_FALSE(dec.feed(&sa, sizeof sa, out));
  EXPECT_EQ(dec.malformed(), 1u);
}

// A prefilter match (IDENTITY, RULE_MATCH, standalone SYSCALL) goes through
// the same decoder and formatter as autrace's events. The expected lines are
// the kernel's records for such a syscall: SYSCALL with the rule's key, then
// PROCTITLE with the argv area read at the match (hex: it holds NULs).
TEST(TraceDecoder, APrefilterMatchIsDecodedLikeATracedSyscall) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(501, 500);
  who.id.ppid = 1;
  who.id.auid = 1000;
  who.id.uid = who.id.euid = who.id.suid = who.id.fsuid = 1000;
  who.id.ses = 3;
  std::strcpy(who.id.comm, "pf_workload");
  std::strcpy(who.id.tty, "pts1");
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto match = rule_match_event(501, std::string_view("./pf_workload\0b32\0", 18));
  std::strcpy(match->key, "pf-setuid");
  EXPECT_FALSE(dec.feed(match.get(), sizeof *match, out));
  bpfaudit_syscall_event sc = syscall_event(7, 501);
  sc.nr = 213;  // i386 setuid32
  sc.ret = 0;
  sc.args[0] = 0x3e8;
  sc.flags = BPFAUDIT_SC_STANDALONE | BPFAUDIT_SC_COMPAT;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.key, "pf-setuid");
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1700000000, 7, 9, "bpfaudit"}, out.key,
                       nullptr, false);
  EXPECT_EQ(text,
            "node=bpfaudit type=SYSCALL msg=audit(1700000000.007:9): arch=40000003 syscall=213 "
            "success=yes exit=0 a0=3e8 a1=0 a2=0 a3=0 items=0 ppid=1 pid=500 auid=1000 uid=1000 "
            "gid=0 euid=1000 suid=1000 fsuid=1000 egid=0 sgid=0 fsgid=0 tty=pts1 ses=3 "
            "comm=\"pf_workload\" exe=\"/tmp/pf_workload\" key=\"pf-setuid\"\n"
            "node=bpfaudit type=PROCTITLE msg=audit(1700000000.007:9): "
            "proctitle=2E2F70665F776F726B6C6F616400623332\n");

  // Nothing of the thread stays: a SYSCALL event of it without a new
  // identity is malformed, and so is a standalone one without its match.
  sc.flags = 0;
  EXPECT_FALSE(dec.feed(&sc, sizeof sc, out));
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  sc.flags = BPFAUDIT_SC_STANDALONE;
  EXPECT_FALSE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(dec.malformed(), 2u);

  // Nothing readable in the argv area: the kernel writes comm.
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  match->proctitle_len = 0;
  EXPECT_FALSE(dec.feed(match.get(), sizeof *match, out));
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, "pf_workload");
  EXPECT_EQ(out.arch, kAuditArchX86_64);
}

// A prefilter match of a thread whose traced syscall came just before (the
// reused event carries that identity): the match brings its own exe and
// title, so it must not read as the same identity to the tail cache. Found
// by fuzz.trace_decoder in CI (the cache wrote the traced event's title).
TEST(TraceDecoder, AMatchAfterATracedSyscallOfTheThreadIsNotItsIdentity) {
  TraceDecoder dec;
  SyscallEvent out;
  SyscallTailCache tails;
  bpfaudit_identity_event who = identity_event(501, 500);
  std::strcpy(who.id.comm, "pf_workload");
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_syscall_event sc = syscall_event(7, 501);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));  // traced: comm for a title, no exe
  std::string traced = format_both(out, tails, 1);
  EXPECT_NE(traced.find("proctitle=\"pf_workload\""), std::string::npos) << traced;

  auto match = rule_match_event(501, std::string_view("./pf_workload\0b32\0", 18));
  EXPECT_FALSE(dec.feed(match.get(), sizeof *match, out));
  sc.flags = BPFAUDIT_SC_STANDALONE;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.exe, "/tmp/pf_workload");
  EXPECT_EQ(out.proctitle, std::string("./pf_workload\0b32", 17));
  std::string match_text = format_both(out, tails, 2);
  EXPECT_NE(match_text.find("proctitle=2E2F70665F776F726B6C6F616400623332"), std::string::npos)
      << match_text;
}

// exe= belongs to the identity: when a process's exe changes under a thread
// whose identity number was already formatted (here another thread's exec
// event names the process), the thread's next event has the new exe, with
// or without the tail cache.
TEST(TraceDecoder, AProcessExeChangeRenumbersItsThreads) {
  TraceDecoder dec;
  SyscallEvent out;
  SyscallTailCache tails;
  dec.set_exe(500, "/usr/bin/old");
  bpfaudit_identity_event a = identity_event(501, 500), b = identity_event(600, 600);
  EXPECT_FALSE(dec.feed(&a, sizeof a, out));
  EXPECT_FALSE(dec.feed(&b, sizeof b, out));
  bpfaudit_syscall_event sa = syscall_event(1, 501), sb = syscall_event(2, 600);
  ASSERT_TRUE(dec.feed(&sa, sizeof sa, out));
  EXPECT_NE(format_both(out, tails, 1).find(" exe=\"/usr/bin/old\" "), std::string::npos);
  ASSERT_TRUE(dec.feed(&sb, sizeof sb, out));  // another identity in between
  format_both(out, tails, 1);

  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {3, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = 500;
  exec->tid = exec->old_tid = 502;         // a thread of 500 with no identity here
  const char names[] = "new\0bin\0usr\0";  // leaf first
  std::memcpy(exec->exe.names, names, sizeof names - 1);
  exec->exe.len = sizeof names - 1;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  ASSERT_TRUE(dec.feed(&sa, sizeof sa, out));
  EXPECT_EQ(out.exe, "/usr/bin/new");
  EXPECT_NE(format_both(out, tails, 1).find(" exe=\"/usr/bin/new\" "), std::string::npos);

  // The process's last thread ends: its exe goes with it.
  bpfaudit_exit_event end{};
  end.hdr = {4, BPFAUDIT_EV_EXIT, sizeof end};
  end.tgid = 500;
  end.tid = 502;
  end.last_thread = 1;
  EXPECT_FALSE(dec.feed(&end, sizeof end, out));
  ASSERT_TRUE(dec.feed(&sb, sizeof sb, out));
  ASSERT_TRUE(dec.feed(&sa, sizeof sa, out));
  EXPECT_EQ(out.exe, "");
  EXPECT_NE(format_both(out, tails, 1).find(" exe=(null) "), std::string::npos);
}

// The probe puts PATH and CWD events in the ring at the length they use:
// the record ends after the name's NUL (PATH) or the last dentry name (CWD).
// A length that claims more than the record holds is cut at its end.
TEST(TraceDecoder, PathAndCwdRecordsEndAfterTheirNames) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(700, 700);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto cwd = std::make_unique<bpfaudit_cwd_event>();
  *cwd = {};
  const char names[] = "src\0usr\0";  // leaf first
  std::memcpy(cwd->cwd.names, names, sizeof names - 1);
  cwd->cwd.len = sizeof names - 1;
  std::size_t cwd_size = offsetof(bpfaudit_cwd_event, cwd.names) + cwd->cwd.len;
  cwd->hdr = {1, BPFAUDIT_EV_CWD, static_cast<std::uint32_t>(cwd_size)};
  cwd->tid = 700;
  EXPECT_FALSE(dec.feed(cwd.get(), cwd_size, out));
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  std::strcpy(path->name, "include");
  path->len = 4000;  // claims more than the 8 bytes ("include" and its NUL) sent
  std::size_t path_size = offsetof(bpfaudit_path_event, name) + 8;
  path->hdr = {2, BPFAUDIT_EV_PATH, static_cast<std::uint32_t>(path_size)};
  path->tid = 700;
  EXPECT_FALSE(dec.feed(path.get(), path_size, out));
  bpfaudit_syscall_event sc = syscall_event(3, 700);
  sc.nr = 80;  // chdir
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.cwd, "/usr/src");
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].name, "include");
  // Shorter than the fields before the name: malformed.
  EXPECT_FALSE(dec.feed(path.get(), offsetof(bpfaudit_path_event, name) - 1, out));
  EXPECT_EQ(dec.malformed(), 1u);
}

// Forged-record regressions (issue 18, kernel.forged_records): what the
// kernel wrote for the same values on 6.18, reproduced without root.

// getname refuses a name with no NUL within PATH_MAX (ENAMETOOLONG) or that
// it cannot read (EFAULT): the kernel then writes no PATH item and no CWD
// (items=0). autrace wrote a PATH item with the name cut to 4095 bytes, and
// a CWD.
TEST(TraceDecoder, NamesGetnameRefusedHaveNoItemAndNoCwd) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(700, 700);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_cwd_event cwd{};
  cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 700;
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {2, BPFAUDIT_EV_PATH, sizeof *path};
  path->tid = 700;
  path->nr = 2;
  bpfaudit_syscall_event sc = syscall_event(3, 700);
  sc.nr = 2;  // open
  for (auto [len, ret] : {std::pair{-36, -36}, std::pair{-14, -14}}) {
    std::memset(path->name, 'a', sizeof path->name - 1);
    path->len = len;
    sc.ret = ret;
    EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
    ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
    EXPECT_TRUE(out.paths.empty()) << len;
    EXPECT_FALSE(out.cwd) << len;
  }
  // A name of exactly PATH_MAX - 1 bytes is taken: its item and the CWD.
  path->len = sizeof path->name;
  path->name[sizeof path->name - 1] = '\0';
  sc.ret = -2;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].name->size(), 4095u);
  EXPECT_TRUE(out.cwd);
}

// audit_log_d_path: d_path into PATH_MAX + 11 bytes, `"<too_long>"` when
// the path does not fit (the kernel wrote cwd="<too_long>" for a cwd of
// 4289 bytes). autrace wrote the walk's last 4096 bytes as if they were the
// whole path.
TEST(TraceDecoder, PathsLongerThanDPathTakesAreTooLong) {
  std::string names;
  for (int i = 0; i < 16; ++i) names += std::string(255, 'D') + '\0';  // 16 x 256 = 4096
  EXPECT_EQ(join_dentry_names(names.data(), names.size(), false).size(), 4096u);
  std::string more = names + std::string(9, 'E') + '\0';  // "/EEEEEEEEE" on top: 4106
  EXPECT_EQ(join_dentry_names(more.data(), more.size(), false).size(), 4106u);
  more = names + std::string(10, 'E') + '\0';  // 4107: no room left for the NUL
  EXPECT_EQ(join_dentry_names(more.data(), more.size(), false), "<too_long>");
  // The walk stopped before the root: never a cut path.
  EXPECT_EQ(join_dentry_names(names.data(), names.size(), true), "<too_long>");
  SyscallEvent ev = openat_event();
  ev.cwd = "<too_long>";
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(out.find("type=CWD msg=audit(1.000:1): cwd=\"<too_long>\"\n"), std::string::npos)
      << out;
}

// An argv area longer than the probe's copy: argc is the true count and a
// cut argument is never written as if it were whole (autrace wrote argc=6
// for 7 arguments, the last one cut at 4095 bytes).
TEST(TraceDecoder, ACutArgvKeepsItsCountAndDropsTheCutArgument) {
  TraceDecoder dec;
  SyscallEvent out;
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {1, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = exec->old_tid = 800;
  std::strcpy(exec->filename, "/bin/x");
  std::memset(exec->args, 'L', sizeof exec->args);
  std::memcpy(exec->args, "x\0y\0", 4);
  exec->args_len = sizeof exec->args - 1;
  exec->args_total = 40000;
  exec->argc = 4;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  bpfaudit_identity_event who = identity_event(800, 800);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_syscall_event sc = syscall_event(3, 800);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_TRUE(out.exec);
  EXPECT_EQ(out.exec->argv, (std::vector<std::string>{"x", "y"}));
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find("type=EXECVE msg=audit(1.000:1): argc=4 a0=\"x\" a1=\"y\"\n"),
            std::string::npos)
      << text.substr(0, 400);
}

// EXECVE as the kernel (6.18) wrote it for
//   /bin/true a H Q z
// H: 100 lines of 95 'H' joined by '\n' (9599 bytes), Q: 7000 'q': four
// records, H in hex pieces (a2_len counts hex digits doubled once more, as
// the kernel's arithmetic does), Q in quoted pieces, continuation records
// starting with a space after the header's.
TEST(TraceFormat, LongArgumentsAreSplitAsTheKernelSplitsThem) {
  std::string h;
  for (int i = 0; i < 100; ++i) h += (i ? "\n" : "") + std::string(95, 'H');
  std::string q(7000, 'q');
  SyscallEvent ev = openat_event();
  ev.nr = 59;
  ev.ret = 0;
  ev.paths.clear();
  ev.exec = ExecInfo{"/bin/true", {"/bin/true", "a", h, q, "z"}, "/bin/true", 5};
  std::string out;
  append_event_records(out, ev, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  std::vector<std::string> recs;
  for (std::size_t pos = 0;
       (pos = out.find("type=EXECVE msg=audit(1.000:1): ", pos)) != std::string::npos;) {
    std::size_t body = pos + std::strlen("type=EXECVE msg=audit(1.000:1): ");
    std::size_t end = out.find('\n', body);
    recs.push_back(out.substr(body, end - body));
    pos = end;
  }
  ASSERT_EQ(recs.size(), 4u);
  auto hex = [](std::string_view s) {
    std::string x;
    for (unsigned char c : s) {
      x.push_back("0123456789ABCDEF"[c >> 4]);
      x.push_back("0123456789ABCDEF"[c & 15]);
    }
    return x;
  };
  const std::string hh = hex(h);
  // Field by field, the kernel's pieces and their lengths.
  EXPECT_EQ(recs[0], "argc=5 a0=\"/bin/true\" a1=\"a\" a2_len=19198 a2[0]=" + hh.substr(0, 7458));
  EXPECT_EQ(recs[1], " a2[1]=" + hh.substr(7458, 7492));
  EXPECT_EQ(recs[2], " a2[2]=" + hh.substr(7458 + 7492) + " a3_len=7000 a3[0]=\"" +
                         std::string(3224, 'q') + "\"");
  EXPECT_EQ(hh.size() - 7458 - 7492, 4248u);
  EXPECT_EQ(recs[3], " a3[1]=\"" + std::string(3776, 'q') + "\" a4=\"z\"");
}

namespace {

// The kernel's parent_len, on the names its PARENT items show.
TEST(TraceDecoder, AuditParentLenIsTheKernels) {
  EXPECT_EQ(audit_parent_len(""), 0u);
  EXPECT_EQ(audit_parent_len("rel"), 0u);
  EXPECT_EQ(audit_parent_len("dir/"), 0u);  // trailing slashes are not the component's end
  EXPECT_EQ(audit_parent_len("/"), 1u);
  EXPECT_EQ(audit_parent_len("/a"), 1u);
  EXPECT_EQ(audit_parent_len("/t/k/created"), 5u);
  EXPECT_EQ(audit_parent_len("a/b//"), 2u);
}

bpfaudit_vfs_item vfs_item(std::uint8_t type, std::uint8_t name, std::uint64_t ino,
                           std::uint32_t mode) {
  bpfaudit_vfs_item it{};
  it.type = type;
  it.name = name;
  it.has_inode = ino != 0;
  it.inode.ino = ino;
  it.inode.dev = (254u << 20) | 0;
  it.inode.mode = mode;
  return it;
}

// A VFS hook event replaces the PATH events' items with the kernel's: the
// expected records are what 6.18's audit wrote for the same calls of
// fidelity_workload (autrace_vs_kernel.sh, KEEP=1): a rename across
// directories (the new name's items first) and an unlink by a name relative
// to the cwd, whose PARENT item is the cwd.
TEST(TraceDecoder, VfsItemsAreTheKernels) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(700, 700);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto path = std::make_unique<bpfaudit_path_event>();
  auto feed_path = [&](std::uint32_t item, const char* name) {
    *path = {};
    path->hdr = {1, BPFAUDIT_EV_PATH, sizeof *path};
    path->tid = 700;
    path->item = item;
    std::strcpy(path->name, name);
    path->len = static_cast<std::int32_t>(std::strlen(name) + 1);
    EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
  };
  feed_path(0, "/t/k/sub/fifo");
  feed_path(1, "/t/k/fifo2");
  bpfaudit_vfs_event vfs{};
  vfs.hdr = {1, BPFAUDIT_EV_VFS, sizeof vfs};
  vfs.tid = 700;
  vfs.count = 4;
  vfs.items[0] = vfs_item(BPFAUDIT_NT_PARENT, 1, 10952842, 040755);
  vfs.items[1] = vfs_item(BPFAUDIT_NT_PARENT, 0, 10952965, 040700);
  vfs.items[2] = vfs_item(BPFAUDIT_NT_DELETE, 0, 10952991, 010600);
  vfs.items[3] = vfs_item(BPFAUDIT_NT_CREATE, 1, 10952991, 010600);
  EXPECT_FALSE(dec.feed(&vfs, offsetof(bpfaudit_vfs_event, items) + 4 * sizeof vfs.items[0], out));
  bpfaudit_syscall_event sc = syscall_event(2, 700);
  sc.nr = 82;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find(" items=4 "), std::string::npos) << text;
  const char* want[] = {
      "item=0 name=\"/t/k/\" inode=10952842 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
      "nametype=PARENT cap_fp=0",
      "item=1 name=\"/t/k/sub/\" inode=10952965 dev=fe:00 mode=040700 ouid=0 ogid=0 "
      "rdev=00:00 nametype=PARENT cap_fp=0",
      "item=2 name=\"/t/k/sub/fifo\" inode=10952991 dev=fe:00 mode=010600 ouid=0 ogid=0 "
      "rdev=00:00 nametype=DELETE cap_fp=0",
      "item=3 name=\"/t/k/fifo2\" inode=10952991 dev=fe:00 mode=010600 ouid=0 ogid=0 "
      "rdev=00:00 nametype=CREATE cap_fp=0"};
  for (const char* w : want) EXPECT_NE(text.find(w), std::string::npos) << w << "\n" << text;

  // unlink("rel") in /t/k: the PARENT item shows the cwd (no slash added).
  bpfaudit_cwd_event cwd{};
  cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 700;
  const char names[] = "k\0t\0";  // leaf first
  std::memcpy(cwd.cwd.names, names, sizeof names - 1);
  cwd.cwd.len = sizeof names - 1;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  feed_path(0, "rel");
  vfs.count = 2;
  vfs.items[0] = vfs_item(BPFAUDIT_NT_PARENT, 0, 10952893, 040755);
  vfs.items[1] = vfs_item(BPFAUDIT_NT_DELETE, 0, 10952989, 0100600);
  EXPECT_FALSE(dec.feed(&vfs, sizeof vfs, out));
  sc.nr = 87;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  text.clear();
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find("item=0 name=\"/t/k\" inode=10952893 dev=fe:00 mode=040755 ouid=0 ogid=0 "
                      "rdev=00:00 nametype=PARENT cap_fp=0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("item=1 name=\"rel\" inode=10952989 dev=fe:00 mode=0100600 ouid=0 ogid=0 "
                      "rdev=00:00 nametype=DELETE cap_fp=0"),
            std::string::npos)
      << text;

  // Without a VFS event (hooks off) the names keep their own items.
  feed_path(0, "rel");
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_EQ(out.paths.size(), 1u);
  EXPECT_EQ(out.paths[0].type, NameType::kAuto);

  // More items than the event holds is malformed, not read past its end.
  vfs.count = BPFAUDIT_VFS_ITEMS + 1;
  EXPECT_FALSE(dec.feed(&vfs, sizeof vfs, out));
  EXPECT_EQ(dec.malformed(), 1u);
}

// An exec's interpreter items (fexit/open_exec) follow the executable's, in
// the order the kernel opened them; the records are 6.18's for
// fidelity_workload's exec: the ld.so the binary names, NORMAL with its
// inode. One the kernel could not open is UNKNOWN, without inode fields.
TEST(TraceDecoder, ExecInterpreterItemsFollowTheExecutable) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(800, 800);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  auto item = std::make_unique<bpfaudit_exec_item_event>();
  *item = {};
  item->hdr = {1, BPFAUDIT_EV_EXEC_ITEM, sizeof *item};
  item->tid = 800;
  item->has_inode = 1;
  item->inode.ino = 332383;
  item->inode.dev = 254u << 20;
  item->inode.mode = 0100755;
  std::strcpy(item->name, "/lib64/ld-linux-x86-64.so.2");
  item->len = static_cast<std::int32_t>(std::strlen(item->name) + 1);
  // The record ends after the name, as the probe sends it.
  EXPECT_FALSE(dec.feed(item.get(), offsetof(bpfaudit_exec_item_event, name) + item->len, out));
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {1, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = exec->old_tid = 800;
  exec->inode.ino = 5391981;
  exec->inode.dev = 254u << 20;
  exec->inode.mode = 0100755;
  std::strcpy(exec->filename, "/proc/self/exe");
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  // The exec's exit opens its group with the CWD, as the engine sends it.
  bpfaudit_cwd_event cwd{};
  cwd.hdr = {1, BPFAUDIT_EV_CWD, sizeof cwd};
  cwd.tid = 800;
  const char names[] = "root\0";
  std::memcpy(cwd.cwd.names, names, sizeof names - 1);
  cwd.cwd.len = sizeof names - 1;
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  bpfaudit_syscall_event sc = syscall_event(2, 800);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find(" items=2 "), std::string::npos) << text;
  EXPECT_NE(text.find("item=0 name=\"/proc/self/exe\" inode=5391981 dev=fe:00 mode=0100755 ouid=0 "
                      "ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=332383 dev=fe:00 "
                      "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0"),
            std::string::npos)
      << text;

  // An interpreter that could not be opened (the exec failed with ENOENT):
  // after the name the exec was given, without inode fields.
  item->has_inode = 0;
  std::strcpy(item->name, "/lib/missing.so");
  item->len = static_cast<std::int32_t>(std::strlen(item->name) + 1);
  EXPECT_FALSE(dec.feed(item.get(), sizeof *item, out));
  EXPECT_FALSE(dec.feed(&cwd, sizeof cwd, out));
  auto path = std::make_unique<bpfaudit_path_event>();
  *path = {};
  path->hdr = {1, BPFAUDIT_EV_PATH, sizeof *path};
  path->tid = 800;
  std::strcpy(path->name, "./prog");
  path->len = 7;
  EXPECT_FALSE(dec.feed(path.get(), sizeof *path, out));
  sc.ret = -2;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  ASSERT_EQ(out.paths.size(), 2u);
  EXPECT_EQ(out.paths[1].name, "/lib/missing.so");
  EXPECT_FALSE(out.paths[1].inode);
  text.clear();
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  EXPECT_NE(text.find("item=1 name=\"/lib/missing.so\" nametype=UNKNOWN cap_fp=0"),
            std::string::npos)
      << text;
}

// BPRM_FCAPS as 6.18 wrote it for fidelity_workload's exec on the
// development host (root, a bounding set without CAP_MAC_OVERRIDE): after
// SYSCALL, before EXECVE; empty sets as 0, others as 16 hex digits.
TEST(TraceDecoder, BprmFcapsIsTheKernels) {
  TraceDecoder dec;
  SyscallEvent out;
  bpfaudit_identity_event who = identity_event(900, 900);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_fcaps_event f{};
  f.hdr = {1, BPFAUDIT_EV_FCAPS, sizeof f};
  f.tid = 900;
  f.old_caps[0] = f.old_caps[2] = f.new_caps[0] = f.new_caps[2] = 0x000001fffeffffffull;
  EXPECT_FALSE(dec.feed(&f, sizeof f, out));
  auto exec = std::make_unique<bpfaudit_exec_event>();
  *exec = {};
  exec->hdr = {1, BPFAUDIT_EV_EXEC, sizeof *exec};
  exec->pid = exec->tid = exec->old_tid = 900;
  std::strcpy(exec->filename, "/bin/x");
  exec->argc = 1;
  std::strcpy(exec->args, "x");
  exec->args_len = exec->args_total = 2;
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  bpfaudit_syscall_event sc = syscall_event(2, 900);
  sc.nr = 59;
  sc.ret = 0;
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  std::string text;
  append_event_records(text, out, bpfaudit::record::Stamp{1, 0, 1, ""}, std::nullopt);
  const std::string want =
      "type=BPRM_FCAPS msg=audit(1.000:1): fver=0 fp=0 fi=0 fe=0 old_pp=000001fffeffffff "
      "old_pi=0 old_pe=000001fffeffffff old_pa=0 pp=000001fffeffffff pi=0 "
      "pe=000001fffeffffff pa=0 frootid=0\n";
  const auto at = text.find(want);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_LT(text.find("type=SYSCALL"), at);
  EXPECT_GT(text.find("type=EXECVE"), at);
  // The next exec of the thread without one has none.
  EXPECT_FALSE(dec.feed(exec.get(), sizeof *exec, out));
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_FALSE(out.fcaps);
}

}  // namespace

// A thread whose argv area could not be read has comm for a title (as the
// kernel writes when it reads nothing) until an event finds one: from then
// on the title, and formatted through the identity-keyed caches the same as
// from the fields themselves.
TEST(TraceDecoder, ATitleFoundLateIsNotHiddenByTheCaches) {
  TraceDecoder dec;
  SyscallEvent out;
  SyscallTailCache tails;
  bpfaudit_identity_event who = identity_event(600, 600);
  std::memcpy(who.id.comm, "late", 5);
  EXPECT_FALSE(dec.feed(&who, sizeof who, out));
  bpfaudit_syscall_event sc = syscall_event(1, 600);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, "late");
  EXPECT_NE(format_both(out, tails, 1, false).find("proctitle=\"late\"\n"), std::string::npos);
  ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
  EXPECT_EQ(out.proctitle, "late");
  format_both(out, tails, 2, false);
  // The argv area becomes known (a corrupt or reordered stream: a fork
  // event naming this process as its child).
  bpfaudit_fork_event fork{};
  fork.hdr = {2, BPFAUDIT_EV_FORK, sizeof fork};
  fork.parent_tgid = 599;
  fork.child_tgid = 600;
  dec.set_cmdline(599, std::string("found\0x", 7));
  EXPECT_FALSE(dec.feed(&fork, sizeof fork, out));
  for (std::uint64_t serial = 3; serial < 5; ++serial) {
    ASSERT_TRUE(dec.feed(&sc, sizeof sc, out));
    EXPECT_EQ(out.proctitle, std::string("found\0x", 7));
    EXPECT_NE(format_both(out, tails, serial, false).find("proctitle=666F756E640078\n"),
              std::string::npos);
  }
}
