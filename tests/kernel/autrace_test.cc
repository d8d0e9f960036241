// Kernel tier: autrace traces a real process tree through the eBPF probe.
// Expected values come from the traced program's own manifest (what its
// syscalls returned, fstat of what it opened) and from stock ausearch.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "record.h"

namespace {

using bpfaudit::record::decode_value;
using bpfaudit::record::parse_header;
using bpfaudit::record::split_fields;
using bpfaudit::record::type_name;

struct Rec {
  std::string type;
  std::map<std::string, std::string> f;  // values as written
  std::string get(const std::string& k) const {
    auto it = f.find(k);
    return it == f.end() ? std::string("<absent>") : it->second;
  }
};
using Event = std::vector<Rec>;

struct CommandResult {
  int rc = -1;
  std::string out;
};

CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::map<std::string, std::string>> read_manifest(const std::string& path) {
  std::vector<std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> m;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      auto eq = w.find('=');
      if (eq != std::string::npos) m[w.substr(0, eq)] = w.substr(eq + 1);
    }
    out.push_back(m);
  }
  return out;
}

std::map<std::uint64_t, Event> read_events(const std::string& path, std::string* node) {
  std::map<std::uint64_t, Event> events;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto h = parse_header(line);
    if (!h) {
      ADD_FAILURE() << "not a record: " << line;
      continue;
    }
    if (h->id.node) *node = *h->id.node;
    Rec r;
    r.type = type_name(h->type);
    for (const auto& f : split_fields(line)) r.f[std::string(f.name)] = std::string(f.value);
    events[h->id.serial].push_back(std::move(r));
  }
  return events;
}

std::string hex(long v) {
  char b[32];
  snprintf(b, sizeof b, "%lx", v);
  return b;
}

// Audit rule added for the test under its own key, removed on every path.
class ScopedRule {
 public:
  explicit ScopedRule(std::string key) : key_(std::move(key)) {
    ok_ = run_command(rule("-a") + " 2>&1").rc == 0;
  }
  ~ScopedRule() {
    if (ok_) run_command(rule("-d") + " 2>&1");
  }
  bool ok() const { return ok_; }
  bool listed() const {
    return run_command("auditctl -l").out.find("-F key=" + key_) != std::string::npos;
  }

 private:
  std::string rule(const char* op) const {
    return std::string("auditctl ") + op + " always,exit -F arch=b64 -S fchmodat -k " + key_;
  }
  std::string key_;
  bool ok_ = false;
};

constexpr const char* kPreloadDir = "/sys/fs/bpf/bpfaudit/trace";

class AutraceTest : public ::testing::Test {
 protected:
  void trace_whole_tree(const std::string& engine);
  int whole_tree_runs_ = 0;
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "kernel tier needs root";
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) GTEST_SKIP() << "kernel has no BTF";
    char tmpl[] = "/tmp/bpfaudit-autrace-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(mkdir((dir_ + "/work").c_str(), 0700), 0);
  }
  void TearDown() override {
    if (noise_ > 0) {
      kill(noise_, SIGKILL);
      waitpid(noise_, nullptr, 0);
    }
    if (!dir_.empty() && !HasFailure()) run_command("rm -rf " + dir_);
  }
  // An untraced process doing syscalls throughout the trace.
  void start_noise() {
    noise_ = fork();
    if (noise_ == 0) {
      for (;;) {
        FILE* f = fopen("/etc/hostname", "r");
        if (f) fclose(f);
        usleep(2000);
      }
    }
  }
  std::string dir_;
  pid_t noise_ = -1;
};

// The whole-tree check below, run by the tests of each engine path; `engine`
// is what the start-up line must say about the engine.
// The PT_INTERP path of an x86_64 ELF file, "" when it has none.
std::string elf_interpreter(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh) || eh.e_ident[EI_CLASS] != ELFCLASS64)
    return "";
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return "";
    if (ph.p_type != PT_INTERP) continue;
    std::string name(ph.p_filesz, '\0');
    f.seekg(static_cast<std::streamoff>(ph.p_offset));
    if (!f.read(name.data(), static_cast<std::streamsize>(name.size()))) return "";
    return name.c_str();
  }
  return "";
}

void AutraceTest::trace_whole_tree(const std::string& engine) {
  const std::string key = "bpfaudit-test-" + std::to_string(getpid());
  ScopedRule rule(key);
  ASSERT_TRUE(rule.ok()) << "could not add the test's own audit rule";
  ASSERT_TRUE(rule.listed());

  // Files of their own for each call (a test may trace twice).
  const std::string run_dir = dir_ + "/run" + std::to_string(++whole_tree_runs_);
  ASSERT_EQ(mkdir(run_dir.c_str(), 0700), 0);
  const std::string out = run_dir + "/trace.log", manifest = run_dir + "/manifest";
  const std::string work = run_dir + "/work";
  bool vfs = false;  // autrace's VFS hooks on: the kernel's PARENT/CREATE/DELETE items
  ASSERT_EQ(mkdir(work.c_str(), 0700), 0);
  if (noise_ < 0) start_noise();
  std::time_t t0 = std::time(nullptr);
  auto res = run_command(std::string(BPFAUDIT_BIN) + " -k " + key + " -o " + out + " " +
                         TRACE_TARGET + " " + manifest + " " + work + " 2>" + run_dir + "/stderr");
  std::time_t t1 = std::time(nullptr);
  ASSERT_EQ(res.rc, 0) << res.out;
  {
    std::ifstream err(run_dir + "/stderr");
    std::string line;
    std::getline(err, line);
    EXPECT_EQ(line.rfind("autrace: probe path: " + engine, 0), 0u) << line;
    // The line says whether the VFS hooks are on, and which records follow.
    EXPECT_NE(line.find("; VFS hooks: "), std::string::npos) << line;
    vfs = line.find("VFS hooks: fentry/") != std::string::npos;
    // The guests (vm-tests exports BPFAUDIT_VM_GUEST=1) take fentry
    // (FentryProbe), so there the hooks must be on.
    const char* guest = std::getenv("BPFAUDIT_VM_GUEST");
    if (guest && std::string(guest) == "1") {
      EXPECT_TRUE(vfs) << line;
    }
  }

  auto actions = read_manifest(manifest);
  ASSERT_GE(actions.size(), 10u) << "the target did not finish its work";
  const std::string root = actions.front().at("pid");
  EXPECT_NE(res.out.find(std::string("Waiting to execute: ") + TRACE_TARGET + "\n"),
            std::string::npos);
  EXPECT_NE(res.out.find("Cleaning up...\n"), std::string::npos);
  EXPECT_NE(res.out.find("Trace complete. You can locate the records with 'ausearch -if " + out +
                         " -i -p " + root + "'\n"),
            std::string::npos)
      << res.out;
  EXPECT_NE(res.out.find(", 0 events lost"), std::string::npos) << res.out;

  std::string node;
  auto events = read_events(out, &node);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(node, "bpfaudit");

  // Tree membership from the manifest: root, fork child, vfork grandchild.
  std::set<std::string> tree{root};
  std::map<std::string, std::string> parent_of{{root, actions.front().at("ppid")}};
  for (const auto& a : actions) {
    tree.insert(a.at("pid"));
    parent_of[a.at("pid")] = a.at("ppid");
    if (a.at("op") == "fork" || a.at("op") == "vfork") {
      tree.insert(a.at("ret"));
      parent_of[a.at("ret")] = a.at("pid");
    }
  }
  ASSERT_EQ(tree.size(), 3u);

  auto find = [&](auto pred) -> const Event* {
    for (const auto& [serial, ev] : events)
      if (!ev.empty() && ev[0].type == "SYSCALL" && pred(ev)) return &ev;
    return nullptr;
  };
  auto path_item = [](const Event& ev, int item) -> const Rec* {
    for (const auto& r : ev)
      if (r.type == "PATH" && r.get("item") == std::to_string(item)) return &r;
    return nullptr;
  };

  std::set<std::string> pids_seen;
  for (const auto& [serial, ev] : events) {
    ASSERT_FALSE(ev.empty());
    if (ev[0].type != "SYSCALL") continue;
    const Rec& s = ev[0];
    pids_seen.insert(s.get("pid"));
    EXPECT_EQ(s.get("arch"), "c000003e");
    EXPECT_EQ(decode_value(s.get("key")), key);
    EXPECT_EQ(s.get("ppid"), parent_of[s.get("pid")]) << "pid " << s.get("pid");
    EXPECT_EQ(s.get("uid"), "0");
    // As the kernel writes an event (audit_log_exit ends with PROCTITLE), and
    // as auditd logs it: no EOE on disk.
    EXPECT_EQ(ev.back().type, "PROCTITLE");
  }
  // Nothing from outside the tree: not autrace, not the noise process.
  for (const auto& p : pids_seen) EXPECT_TRUE(tree.count(p)) << "record from pid " << p;
  EXPECT_FALSE(pids_seen.count(std::to_string(noise_)));
  EXPECT_FALSE(pids_seen.count(std::to_string(getpid())));

  // Timestamps are wall-clock: within the run.
  {
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    auto first = parse_header(line);
    ASSERT_TRUE(first);
    EXPECT_GE(first->id.sec + 1, static_cast<std::uint64_t>(t0));
    EXPECT_LE(first->id.sec, static_cast<std::uint64_t>(t1));
  }

  for (const auto& a : actions) {
    const std::string pid = a.at("pid"), op = a.at("op");
    SCOPED_TRACE("manifest: pid=" + pid + " op=" + op);
    if (op == "open" || op == "open-missing" || op == "create") {
      const long ret = std::stol(a.at("ret"));
      const Event* ev = find([&](const Event& e) {
        const Rec* p = nullptr;
        for (const auto& r : e)
          if (r.type == "PATH") p = &r;
        return e[0].get("pid") == pid && e[0].get("syscall") == a.at("nr") && p &&
               decode_value(p->get("name")) == a.at("name");
      });
      ASSERT_NE(ev, nullptr);
      const Rec& s = (*ev)[0];
      EXPECT_EQ(s.get("exit"), std::to_string(ret));
      EXPECT_EQ(s.get("success"), ret >= 0 ? "yes" : "no");
      EXPECT_EQ(s.get("a0"), "ffffff9c");  // AT_FDCWD as the register holds it
      // A create with the VFS hooks: the kernel's directory item first
      // (PARENT, the work directory made 0700 above), then the file's.
      const bool created = op == "create" && vfs;
      EXPECT_EQ(s.get("items"), created ? "2" : "1");
      if (created) {
        const Rec* dir = path_item(*ev, 0);
        ASSERT_NE(dir, nullptr);
        EXPECT_EQ(decode_value(dir->get("name")), work + "/");
        EXPECT_EQ(dir->get("nametype"), "PARENT");
        EXPECT_EQ(dir->get("mode"), "040700");
      }
      const Rec* p = path_item(*ev, created ? 1 : 0);
      ASSERT_NE(p, nullptr);
      bool has_cwd = false;
      for (const auto& r : *ev) has_cwd |= r.type == "CWD";
      EXPECT_TRUE(has_cwd);
      if (op == "open") {
        EXPECT_EQ(p->get("inode"), a.at("ino"));
        char dev[32];
        snprintf(dev, sizeof dev, "%02x:%02x", std::stoi(a.at("devmaj")),
                 std::stoi(a.at("devmin")));
        EXPECT_EQ(p->get("dev"), dev);
        EXPECT_EQ(p->get("nametype"), "NORMAL");
      } else if (op == "create") {
        EXPECT_EQ(p->get("mode"), "0100640");
        EXPECT_EQ(p->get("nametype"), vfs ? "CREATE" : "NORMAL");
        EXPECT_EQ(s.get("a2"), hex(O_WRONLY | O_CREAT | O_EXCL));
        EXPECT_EQ(s.get("a3"), "1a0");  // 0640
      } else {
        EXPECT_EQ(p->get("nametype"), "UNKNOWN");
        EXPECT_EQ(p->get("inode"), "<absent>");
      }
    } else if (op == "write") {
      const Event* ev = find([&](const Event& e) {
        return e[0].get("pid") == pid && e[0].get("syscall") == "1" &&
               e[0].get("a0") == hex(std::stol(a.at("fd"))) && e[0].get("a2") == "e";
      });
      ASSERT_NE(ev, nullptr);
      EXPECT_EQ((*ev)[0].get("exit"), a.at("ret"));
      EXPECT_EQ((*ev)[0].get("items"), "0");
    } else if (op == "rename" || op == "unlink") {
      const Event* ev = find([&](const Event& e) {
        return e[0].get("pid") == pid && e[0].get("syscall") == a.at("nr");
      });
      ASSERT_NE(ev, nullptr);
      EXPECT_EQ((*ev)[0].get("exit"), a.at("ret"));
      EXPECT_EQ((*ev)[0].get("success"), "yes");
      if (vfs) {
        // The kernel's items (6.18's audit for the same calls): both
        // names' directory (the new name's first), the old name deleted and
        // the new one created on the same inode; an unlink's directory and
        // the name deleted.
        std::vector<std::pair<std::string, std::string>> want;  // name, nametype
        if (op == "rename")
          want = {{work + "/", "PARENT"}, {work + "/", "PARENT"}, {a.at("name"), "DELETE"},
                  {a.at("name2"), "CREATE"}};
        else
          want = {{work + "/", "PARENT"}, {a.at("name"), "DELETE"}};
        EXPECT_EQ((*ev)[0].get("items"), std::to_string(want.size()));
        for (std::size_t i = 0; i < want.size(); ++i) {
          const Rec* p = path_item(*ev, static_cast<int>(i));
          ASSERT_NE(p, nullptr) << i;
          EXPECT_EQ(decode_value(p->get("name")), want[i].first) << i;
          EXPECT_EQ(p->get("nametype"), want[i].second) << i;
          EXPECT_EQ(p->get("mode"), want[i].second == "PARENT" ? "040700" : "0100640") << i;
        }
        if (op == "rename") {
          EXPECT_EQ(path_item(*ev, 2)->get("inode"), path_item(*ev, 3)->get("inode"));
        }
      } else {
        const Rec* p0 = path_item(*ev, 0);
        ASSERT_NE(p0, nullptr);
        EXPECT_EQ(decode_value(p0->get("name")), a.at("name"));
        if (op == "rename") {
          const Rec* p1 = path_item(*ev, 1);
          ASSERT_NE(p1, nullptr);
          EXPECT_EQ(decode_value(p1->get("name")), a.at("name2"));
          EXPECT_EQ((*ev)[0].get("items"), "2");
        }
      }
    } else if (op == "fork" || op == "vfork") {
      const Event* ev = find([&](const Event& e) {
        const std::string nr = e[0].get("syscall");
        return e[0].get("pid") == pid && e[0].get("exit") == a.at("ret") &&
               (op == "vfork" ? nr == "58" : (nr == "56" || nr == "435"));
      });
      EXPECT_NE(ev, nullptr);
    }
  }

  // Every process of the tree ends in exit_group, recorded without a return.
  for (const auto& p : tree) {
    const Event* ev =
        find([&](const Event& e) { return e[0].get("pid") == p && e[0].get("syscall") == "231"; });
    ASSERT_NE(ev, nullptr) << "no exit_group for " << p;
    EXPECT_EQ((*ev)[0].get("exit"), "<absent>");
    EXPECT_EQ((*ev)[0].get("success"), "<absent>");
  }

  // The exec chain: fork child re-executes the target, the vfork child runs true.
  std::string child, grandchild;
  for (const auto& a : actions) {
    if (a.at("op") == "fork") child = a.at("ret");
    if (a.at("op") == "vfork") grandchild = a.at("ret");
  }
  char real_true[PATH_MAX];
  ASSERT_NE(realpath("/bin/true", real_true), nullptr);
  struct Exec {
    std::string pid;
    std::vector<std::string> argv;
    std::string exe;
    std::vector<std::string> title;  // the argv area PROCTITLE shows
  };
  char real_target[PATH_MAX];
  ASSERT_NE(realpath(TRACE_TARGET, real_target), nullptr);
  // PROCTITLE is the task's argv area at its first event, kept across exec
  // (kernel/auditsc.c audit_log_proctitle caches it in the audit context):
  // the forked child ran before exec'ing, so its exec shows its parent's argv;
  // the vfork child's first syscall is its exec, which shows its own.
  const std::vector<std::string> root_argv{TRACE_TARGET, manifest, work};
  for (const Exec& x :
       {Exec{child, {"trace_target", manifest, work, "exec-child"}, real_target, root_argv},
        Exec{grandchild, {"true", "from-vfork"}, real_true, {"true", "from-vfork"}}}) {
    SCOPED_TRACE("exec of " + x.pid);
    const Event* ev = find(
        [&](const Event& e) { return e[0].get("pid") == x.pid && e[0].get("syscall") == "59"; });
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ((*ev)[0].get("success"), "yes");
    EXPECT_EQ(decode_value((*ev)[0].get("exe")), x.exe);
    const Rec* execve = nullptr;
    const Rec* title = nullptr;
    for (const auto& r : *ev) {
      if (r.type == "EXECVE") execve = &r;
      if (r.type == "PROCTITLE") title = &r;
    }
    ASSERT_NE(execve, nullptr);
    ASSERT_NE(title, nullptr);
    EXPECT_EQ(execve->get("argc"), std::to_string(x.argv.size()));
    for (size_t i = 0; i < x.argv.size(); ++i)
      EXPECT_EQ(decode_value(execve->get("a" + std::to_string(i))), x.argv[i]);
    std::string joined;
    for (size_t i = 0; i < x.title.size(); ++i)
      joined += (i ? std::string(1, '\0') : std::string()) + x.title[i];
    EXPECT_EQ(decode_value(title->get("proctitle")), joined.substr(0, 128));
    const Rec* p = path_item(*ev, 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->get("nametype"), "NORMAL");
    // With the VFS hooks, the kernel's second item: the ELF interpreter the
    // binary names (PT_INTERP, read here from the file), as opened.
    const std::string interp = elf_interpreter(x.exe);
    ASSERT_FALSE(interp.empty()) << x.exe << " is not a dynamic ELF binary";
    EXPECT_EQ((*ev)[0].get("items"), vfs ? "2" : "1");
    if (vfs) {
      const Rec* i = path_item(*ev, 1);
      ASSERT_NE(i, nullptr);
      EXPECT_EQ(decode_value(i->get("name")), interp);
      EXPECT_EQ(i->get("nametype"), "NORMAL");
      struct stat st {};
      ASSERT_EQ(stat(interp.c_str(), &st), 0) << interp;
      EXPECT_EQ(i->get("inode"), std::to_string(st.st_ino));
    }
  }

  // Stock ausearch finds every process's events in the file.
  for (const auto& p : tree) {
    auto r = run_command("TZ=UTC LC_ALL=C ausearch -if " + out + " -i -p " + p + " 2>&1");
    EXPECT_EQ(r.rc, 0) << "stock ausearch -p " << p << ": " << r.out;
    EXPECT_NE(r.out.find("pid=" + p + " "), std::string::npos);
  }
  auto r = run_command("TZ=UTC LC_ALL=C ausearch -if " + out + " -i -p " + child + " 2>&1");
  EXPECT_NE(r.out.find("missing-fork-" + child), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("syscall=openat"), std::string::npos);
  r = run_command("TZ=UTC LC_ALL=C ausearch -if " + out + " -k " + key + " 2>&1 | grep -c '^----'");
  EXPECT_EQ(std::stoul(r.out), events.size());

  // The unrelated rule loaded before the trace is still there.
  EXPECT_TRUE(rule.listed());
}

TEST_F(AutraceTest, TracesWholeTreeWithStockReadableRecords) {
  if (access(kPreloadDir, F_OK) == 0)
    GTEST_SKIP() << "a preloaded trace engine this test did not make is in " << kPreloadDir;
  trace_whole_tree("eBPF CO-RE against ");
}

// autrace's engine preloaded (`bpfaudit engine preload-trace`) for the
// test, and removed after it. A preloaded engine the test did not make is
// not the test's to replace or remove.
class ScopedPreload {
 public:
  explicit ScopedPreload(const std::string& args = "") {
    existed_ = access(kPreloadDir, F_OK) == 0;
    if (existed_) return;
    auto r = run_command(engine() + " preload-trace " + args + " 2>&1");
    ok_ = r.rc == 0;
    out_ = r.out;
  }
  ~ScopedPreload() {
    if (ok_) run_command(engine() + " unload-trace 2>&1");
  }
  bool existed() const { return existed_; }
  bool ok() const { return ok_; }
  const std::string& out() const { return out_; }
  static std::string engine() {
    std::string bin = BPFAUDIT_BIN;  // .../autrace
    return bin.substr(0, bin.rfind('/')) + "/bpfaudit engine";
  }

 private:
  bool existed_ = false, ok_ = false;
  std::string out_;
};

TEST_F(AutraceTest, APreloadedEngineTracesRunAfterRun) {
  ScopedPreload preload;
  if (preload.existed())
    GTEST_SKIP() << "a preloaded trace engine this test did not make is in " << kPreloadDir;
  ASSERT_TRUE(preload.ok()) << preload.out();
  auto status = run_command(ScopedPreload::engine() + " status 2>&1").out;
  EXPECT_NE(status.find("trace_engine preloaded\n"), std::string::npos) << status;
  // The preload says whether it took the VFS hooks, and status agrees.
  EXPECT_NE(preload.out().find("VFS hooks: "), std::string::npos) << preload.out();
  const bool vfs = preload.out().find("VFS hooks: fentry/") != std::string::npos;
  EXPECT_NE(status.find(vfs ? "trace_vfs_hooks loaded\n" : "trace_vfs_hooks none\n"),
            std::string::npos)
      << status;
  EXPECT_NE(status.find("trace_runs 0\n"), std::string::npos) << status;
  // Twice: the second run finds the first one's tables, counters and ring
  // positions, and must start clean.
  for (int run = 1; run <= 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    trace_whole_tree(std::string("eBPF engine preloaded in ") + kPreloadDir + " ");
    if (HasFatalFailure()) return;
  }
  status = run_command(ScopedPreload::engine() + " status 2>&1").out;
  EXPECT_NE(status.find("trace_runs 2\n"), std::string::npos) << status;
  EXPECT_NE(status.find("trace_in_use 0\n"), std::string::npos) << status;
}

// A descendant that outlives its trace keeps its traced-thread entry until
// it exits: the next run of the same preloaded engine must not record it.
// One run at a time: a second autrace while one runs loads its own engine
// and says why, as does a run that asks for another ring size.
TEST_F(AutraceTest, APreloadedEngineServesOneRunAtATimeAndOnlyItsOwnTree) {
  ScopedPreload preload;
  if (preload.existed())
    GTEST_SKIP() << "a preloaded trace engine this test did not make is in " << kPreloadDir;
  ASSERT_TRUE(preload.ok()) << preload.out();
  const std::string script = dir_ + "/leave-child.sh";
  {
    std::ofstream f(script);
    // The child loops on forks and opens until told to stop, after its
    // parent (the traced program) has exited and the trace has ended; at
    // most 60 s, should the test die without telling it.
    f << "#!/bin/sh\n"
         "/bin/sh -c 'echo $$ > \"$1/bg.pid\"; end=$(($(date +%s) + 60)); "
         "while [ ! -e \"$1/stop\" ] && [ $(date +%s) -lt $end ]; do "
         "/bin/cat /etc/hostname >/dev/null; done' _ \"$1\" </dev/null >/dev/null 2>&1 &\n"
         "while [ ! -s \"$1/bg.pid\" ]; do :; done\n";
  }
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  struct StopChild {
    std::string dir;
    ~StopChild() {
      std::ofstream(dir + "/stop");
      // It exits at its next loop test.
      for (int i = 0; i < 200 && access((dir + "/bg.pid").c_str(), F_OK) == 0; ++i) {
        std::ifstream in(dir + "/bg.pid");
        pid_t pid = 0;
        if (!(in >> pid) || kill(pid, 0) != 0) break;
        usleep(10000);
      }
    }
  } stop{dir_};
  const std::string bin = BPFAUDIT_BIN;
  auto r1 = run_command(bin + " -o " + dir_ + "/r1.log " + script + " " + dir_ + " 2>" + dir_ +
                        "/r1.err");
  ASSERT_EQ(r1.rc, 0) << r1.out;
  std::string bg;
  std::ifstream(dir_ + "/bg.pid") >> bg;
  ASSERT_FALSE(bg.empty());
  ASSERT_EQ(kill(std::stoi(bg), 0), 0) << "the child left behind is not running";
  std::string node;
  auto first = read_events(dir_ + "/r1.log", &node);
  bool child_in_first = false;
  for (const auto& [serial, ev] : first) child_in_first |= ev[0].get("pid") == bg;
  EXPECT_TRUE(child_in_first) << "run 1 did not record its own child " << bg;

  // Run 2, long enough for the child to loop many times meanwhile; run 3
  // starts while run 2 holds the engine.
  auto r2_cmd = bin + " -o " + dir_ + "/r2.log /bin/sleep 0.5 2>" + dir_ + "/r2.err";
  auto r3_cmd = bin + " -o " + dir_ + "/r3.log /bin/true 2>" + dir_ + "/r3.err";
  auto both = run_command("( " + r2_cmd + " & sleep 0.2; " + r3_cmd + "; wait ) 2>&1");
  auto second = read_events(dir_ + "/r2.log", &node);
  ASSERT_FALSE(second.empty());
  std::set<std::string> pids;
  std::size_t of_child = 0;  // events of run 1's child or of its children
  for (const auto& [serial, ev] : second) {
    if (ev[0].type == "SYSCALL") pids.insert(ev[0].get("pid"));
    of_child += ev[0].get("pid") == bg || ev[0].get("ppid") == bg;
  }
  EXPECT_EQ(pids.size(), 1u) << "run 2 recorded other processes than its sleep";
  EXPECT_FALSE(pids.count(bg)) << "run 2 recorded run 1's child " << bg;
  EXPECT_EQ(of_child, 0u) << "run 2 recorded run 1's child " << bg << " or its children";
  auto first_line = [](const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  };
  EXPECT_EQ(first_line(dir_ + "/r2.err").rfind(std::string("autrace: probe path: eBPF engine preloaded in ") + kPreloadDir, 0), 0u)
      << first_line(dir_ + "/r2.err");
  EXPECT_NE(first_line(dir_ + "/r3.err")
                .find("; the preloaded engine is not used: another autrace is using it ("),
            std::string::npos)
      << first_line(dir_ + "/r3.err");
  auto third = read_events(dir_ + "/r3.log", &node);
  EXPECT_FALSE(third.empty());
  std::size_t child_in_third = 0;
  for (const auto& [serial, ev] : third) child_in_third += ev[0].get("pid") == bg;
  EXPECT_EQ(child_in_third, 0u);

  auto r4 = run_command(bin + " -b 8 -o " + dir_ + "/r4.log /bin/true 2>&1 >/dev/null");
  EXPECT_NE(r4.out.find("; the preloaded engine is not used: its ring buffer is 64 MiB, this run "
                        "asks for 8 ("),
            std::string::npos)
      << r4.out;
}

// The engine caches each thread's cwd (engine.bpf.c, emit_cwd) and sends
// "same as last" when nothing it was read from changed. What changes the
// text must still show: a rename of an ancestor, a chdir by a task sharing
// the fs_struct (CLONE_FS), an rmdir of the cwd. fidelity_workload asks the
// kernel (getcwd) before each relative stat and writes the answers to
// WORK/cwds; each stat's CWD record must be that text. getcwd refuses a
// removed cwd (ENOENT), where the kernel's d_path, which audit's CWD record
// uses, writes the path it had with " (deleted)" after it.
// `probe`: how the start-up line must say the engine was had (own load: the
// walk at every path syscall; preloaded: the cwd cache, engine.bpf.c).
void check_cwd_records(const std::string& dir, const std::string& probe) {
  const std::string out = dir + "/cwd.log", work = dir + "/work";
  auto res = run_command(std::string(BPFAUDIT_BIN) + " -o " + out + " " + FIDELITY_WORKLOAD +
                         " " + work + " </dev/null 2>&1");
  ASSERT_EQ(res.rc, 0) << res.out;
  EXPECT_NE(res.out.find(", 0 events lost"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("autrace: probe path: " + probe), std::string::npos) << res.out;
  std::vector<std::pair<std::string, std::string>> probes;  // name, getcwd's text
  {
    std::ifstream in(work + "/cwds");
    std::string line;
    while (std::getline(in, line)) {
      auto sp = line.find(' ');
      ASSERT_NE(sp, std::string::npos) << line;
      probes.emplace_back(line.substr(0, sp), line.substr(sp + 1));
    }
  }
  ASSERT_EQ(probes.size(), 6u);
  // What the workload did, as getcwd saw it.
  EXPECT_EQ(probes[0].second, work + "/anc/sub");
  EXPECT_EQ(probes[1].second, work + "/anc/sub");
  EXPECT_EQ(probes[2].second, work + "/anc2/sub");
  EXPECT_EQ(probes[3].second, work + "/anc2");
  EXPECT_EQ(probes[4].second, work + "/gone");
  EXPECT_EQ(probes[5].second, "ENOENT");

  std::string node;
  auto events = read_events(out, &node);
  std::string previous;
  for (const auto& [name, text] : probes) {
    SCOPED_TRACE(name);
    const std::string want = text == "ENOENT" ? previous + " (deleted)" : text;
    previous = text;
    int found = 0;
    for (const auto& [serial, ev] : events) {
      bool named = false;
      for (const auto& r : ev)
        named |= r.type == "PATH" && decode_value(r.get("name")) == name;
      if (!named) continue;
      ++found;
      std::string cwd = "<no CWD record>";
      for (const auto& r : ev)
        if (r.type == "CWD") cwd = decode_value(r.get("cwd"));
      EXPECT_EQ(cwd, want);
    }
    EXPECT_EQ(found, 1);
  }
}

TEST_F(AutraceTest, CwdRecordsFollowRenamesSharedChdirAndRmdir) {
  if (access(kPreloadDir, F_OK) == 0)
    GTEST_SKIP() << "a preloaded trace engine this test did not make is in " << kPreloadDir;
  check_cwd_records(dir_, "eBPF CO-RE against ");
}

TEST_F(AutraceTest, CwdRecordsFollowRenamesSharedChdirAndRmdirWithTheCwdCache) {
  ScopedPreload preload;
  if (preload.existed())
    GTEST_SKIP() << "a preloaded trace engine this test did not make is in " << kPreloadDir;
  ASSERT_TRUE(preload.ok()) << preload.out();
  check_cwd_records(dir_, std::string("eBPF engine preloaded in ") + kPreloadDir);
}

TEST_F(AutraceTest, RefusesMissingProgramLikeStock) {
  auto r = run_command(std::string(BPFAUDIT_BIN) + " " + dir_ + "/no-such-program 2>&1");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "Error - can't find: " + dir_ + "/no-such-program\n");
  auto stock = run_command("autrace " + dir_ + "/no-such-program 2>&1");
  EXPECT_EQ(stock.rc, r.rc);
  EXPECT_EQ(stock.out, r.out);
}

TEST_F(AutraceTest, ResourceModeRecordsOnlyStocksList) {
  const std::string out = dir_ + "/r.log", manifest = dir_ + "/manifest";
  auto res = run_command(std::string(BPFAUDIT_BIN) + " -r -o " + out + " " + TRACE_TARGET + " " +
                         manifest + " " + dir_ + "/work 2>/dev/null");
  ASSERT_EQ(res.rc, 0) << res.out;
  std::string node;
  auto events = read_events(out, &node);
  // Stock's -r list on x86_64, numbers from <asm/unistd_64.h>.
  const std::set<std::string> allowed = {
      "2",   "85",  "82",  "87",  "133", "83",  "84",  "92", "94",  "90",  "86",  "88",
      "89",  "257", "76",  "264", "263", "259", "258", "80", "260", "268", "265", "266",
      "267", "59",  "303", "437", "42",  "49",  "43",  "44", "45",  "288", "40"};
  std::set<std::string> seen;
  for (const auto& [serial, ev] : events)
    if (ev[0].type == "SYSCALL") seen.insert(ev[0].get("syscall"));
  for (const auto& s : seen) EXPECT_TRUE(allowed.count(s)) << "syscall " << s;
  EXPECT_TRUE(seen.count("257"));
  EXPECT_TRUE(seen.count("82"));
  EXPECT_TRUE(seen.count("87"));
  EXPECT_TRUE(seen.count("59"));
  EXPECT_FALSE(seen.count("1"));
}

}  // namespace
