// Interpretation layer: one test per interpretation type. Numeric inputs are
// built from the kernel's and libc's own constants (fcntl.h, sys/socket.h,
// linux/audit.h, ...) so that the expected names do not come from our code;
// the textual forms (separators, "file,644", "ENOENT(...)") are stock
// ausearch 3.0.9's, as it prints them under TZ=UTC LC_ALL=C.
#include "interpret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>

namespace bpfaudit::record {
namespace {

class InterpretTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("TZ", "UTC", 1);
    tzset();
    std::setlocale(LC_ALL, "C");
  }

  // Interprets one event made of `lines` (log order), as ausearch -i.
  std::string run(std::initializer_list<std::string> lines, EscapeMode mode = EscapeMode::kTty) {
    Interpreter in(mode);
    Event ev;
    for (const auto& l : lines) {
      auto h = parse_header(l);
      EXPECT_TRUE(h.has_value()) << l;
      if (!h) continue;
      if (ev.records.empty()) ev.id = h->id;
      ev.records.push_back(make_record(l, h->type));
    }
    std::string out;
    in.write_interpreted(ev, out);
    return out;
  }

  // The interpreted value of `name` in a single-record event.
  std::string field(const std::string& line, const std::string& name,
                    EscapeMode mode = EscapeMode::kTty) {
    std::string out = run({line}, mode);
    std::size_t p = out.find(" " + name + "=");
    if (p == std::string::npos) return "<missing " + name + " in " + out + ">";
    p += name.size() + 2;
    if (out[p] == '{') return out.substr(p, out.find('}', p) + 1 - p);  // sockaddr
    std::size_t next = out.find(' ', p);
    // Values may contain spaces; stop at the next " word=" instead.
    std::size_t q = p;
    while ((q = out.find(' ', q)) != std::string::npos) {
      std::size_t eq = out.find('=', q + 1), sp = out.find(' ', q + 1);
      if (eq != std::string::npos && (sp == std::string::npos || eq < sp)) break;
      if (sp == std::string::npos) break;
      q = sp;
    }
    if (q == std::string::npos || q < next) q = next;
    return out.substr(p, q - p);
  }

  static std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof(b), "%llx", static_cast<unsigned long long>(v));
    return b;
  }
  static std::string hexstr(const std::string& s) {
    std::string o;
    char b[3];
    for (unsigned char c : s) {
      std::snprintf(b, sizeof(b), "%02X", c);
      o += b;
    }
    return o;
  }

  // A 64-bit x86 SYSCALL record with the given syscall number and args.
  static std::string syscall(unsigned arch, int nr, std::uint64_t a0, std::uint64_t a1,
                             std::uint64_t a2 = 0, std::uint64_t a3 = 0,
                             const std::string& exit = "0") {
    return "type=SYSCALL msg=audit(1700000000.123:42): arch=" + hex(arch) +
           " syscall=" + std::to_string(nr) + " success=yes exit=" + exit + " a0=" + hex(a0) +
           " a1=" + hex(a1) + " a2=" + hex(a2) + " a3=" + hex(a3) +
           " items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0"
           " fsgid=0 tty=(none) ses=4294967295 comm=\"x\" exe=\"/x\" key=(null)";
  }
};

// x86_64 syscall numbers from asm/unistd_64.h; not included directly so the
// test builds on any host architecture.
constexpr int kX86Open = 2, kX86Ioctl = 16, kX86Mmap = 9, kX86Socket = 41, kX86Kill = 62,
              kX86Fcntl = 72, kX86Chmod = 90, kX86Ptrace = 101, kX86Setuid = 105, kX86Prctl = 157,
              kX86Umount2 = 166, kX86Openat = 257;

TEST_F(InterpretTest, TimeStampIsLocalDateAndTime) {
  // 1700000000 is 2023-11-14 22:13:20 UTC; %x in the C locale is mm/dd/yy.
  std::string out = run({"type=CWD msg=audit(1700000000.007:99): cwd=\"/\""});
  EXPECT_EQ(out, "----\ntype=CWD msg=audit(11/14/23 22:13:20.007:99) : cwd=/ \n");
}

TEST_F(InterpretTest, UidGidFamilies) {
  std::string l = syscall(AUDIT_ARCH_X86_64, kX86Openat, 0, 0);
  EXPECT_EQ(field(l, "uid"), "root");  // uid 0 is root by definition
  EXPECT_EQ(field(l, "gid"), "root");
  EXPECT_EQ(field(l, "fsgid"), "root");
  // (uid_t)-1 is the kernel's "not set" (AUDIT_UID_UNSET).
  std::string unset = "type=USER_AUTH msg=audit(1700000000.1:1): pid=1 uid=0 auid=" +
                      std::to_string(static_cast<std::uint32_t>(-1)) +
                      " ses=1 msg='op=x acct=\"r\" res=success'";
  EXPECT_EQ(field(unset, "auid"), "unset");
  EXPECT_EQ(field("type=PATH msg=audit(1700000000.1:1): item=0 ouid=0 ogid=0", "ogid"), "root");
  // ADD_GROUP's id= is a group.
  EXPECT_EQ(field("type=ADD_GROUP msg=audit(1700000000.1:1): pid=1 uid=0 auid=0 ses=1 "
                  "msg='op=add-group id=0 exe=\"/g\" res=success'",
                  "id"),
            "root");
}

TEST_F(InterpretTest, SyscallNamesPerArch) {
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Openat, 0, 0), "syscall"), "openat");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Openat, 0, 0), "arch"), "x86_64");
  // asm/unistd_32.h: __NR_open 5; asm-generic/unistd.h (aarch64): __NR_openat 56.
  EXPECT_EQ(field(syscall(AUDIT_ARCH_I386, 5, 0, 0), "syscall"), "open");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_I386, 5, 0, 0), "arch"), "i386");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_AARCH64, 56, 0, 0), "syscall"), "openat");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_AARCH64, 56, 0, 0), "arch"), "aarch64");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_PPC64LE, 5, 0, 0), "arch"), "ppc64le");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_S390X, 5, 0, 0), "arch"), "s390x");
  // i386 socketcall (102) names its call from a0: SYS_CONNECT is 3 (linux/net.h).
  EXPECT_EQ(field(syscall(AUDIT_ARCH_I386, 102, 3, 0), "syscall"), "socketcall(connect)");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, 999, 0, 0), "syscall"), "unknown-syscall(999)");
  EXPECT_EQ(field(syscall(0x1234, 5, 0, 0), "arch"), "unknown-elf-type(1234)");
}

TEST_F(InterpretTest, ExitIsErrnoName) {
  std::string l = syscall(AUDIT_ARCH_X86_64, kX86Open, 0, 0, 0, 0, std::to_string(-ENOENT));
  EXPECT_EQ(field(l, "exit"), "ENOENT(No such file or directory)");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Open, 0, 0, 0, 0, "3"), "exit"), "3");
  EXPECT_EQ(field(l, "success"), "yes");
}

TEST_F(InterpretTest, OpenFlagsAndMode) {
  std::string l = syscall(AUDIT_ARCH_X86_64, kX86Openat, static_cast<std::uint32_t>(AT_FDCWD), 0,
                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_EQ(field(l, "a0"), "AT_FDCWD");
  EXPECT_EQ(field(l, "a2"), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(field(l, "a3"), "0x1a4");  // stock leaves openat's mode in hex
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Open, 0, O_RDONLY | O_CLOEXEC), "a1"),
            "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Chmod, 0, 0755), "a1"), "0755");
}

TEST_F(InterpretTest, SocketMmapFcntlIoctlPtracePrctlSignalUmount) {
  std::string s = syscall(AUDIT_ARCH_X86_64, kX86Socket, AF_INET, SOCK_DGRAM);
  EXPECT_EQ(field(s, "a0"), "inet");
  EXPECT_EQ(field(s, "a1"), "SOCK_DGRAM");
  std::string m = syscall(AUDIT_ARCH_X86_64, kX86Mmap, 0, 4096, PROT_READ | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS);
  EXPECT_EQ(field(m, "a2"), "PROT_READ|PROT_EXEC");
  EXPECT_EQ(field(m, "a3"), "MAP_PRIVATE|MAP_ANONYMOUS");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Fcntl, 3, F_DUPFD_CLOEXEC), "a1"),
            "F_DUPFD_CLOEXEC");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Ioctl, 1, TCGETS), "a1"), "TCGETS");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Ptrace, PTRACE_ATTACH, 1), "a0"), "PTRACE_ATTACH");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Prctl, PR_SET_SECCOMP, 2), "a0"),
            "PR_SET_SECCOMP");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Kill, 1, SIGKILL), "a1"), "SIGKILL");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Umount2, 0, MNT_DETACH), "a1"), "MNT_DETACH");
  EXPECT_EQ(field(syscall(AUDIT_ARCH_X86_64, kX86Setuid, 0, 0), "a0"), "root");
}

TEST_F(InterpretTest, FileModeAndPermMask) {
  char mode[32];
  std::snprintf(mode, sizeof(mode), "0%o", S_IFREG | 0644);
  EXPECT_EQ(field(std::string("type=PATH msg=audit(1700000000.1:1): item=0 mode=") + mode, "mode"),
            "file,644");
  std::snprintf(mode, sizeof(mode), "0%o", S_IFDIR | S_ISVTX | 0777);
  EXPECT_EQ(field(std::string("type=PATH msg=audit(1700000000.1:1): item=0 mode=") + mode, "mode"),
            "dir,sticky,777");
  // perm= is a mask of AUDIT_PERM_* (linux/audit.h).
  std::string perm =
      "type=CONFIG_CHANGE msg=audit(1700000000.1:1): auid=0 ses=1 op=add_rule perm=" +
      std::to_string(AUDIT_PERM_READ | AUDIT_PERM_WRITE) + " res=1";
  EXPECT_EQ(field(perm, "perm"), "read,write");
  EXPECT_EQ(field(perm, "res"), "yes");
}

TEST_F(InterpretTest, HexEncodedStrings) {
  std::string pt = "type=PROCTITLE msg=audit(1700000000.1:1): proctitle=" +
                   hexstr(std::string("ls\0-l\0/tmp", 10));
  EXPECT_EQ(run({pt}),
            "----\ntype=PROCTITLE msg=audit(11/14/23 22:13:20.001:1) : proctitle=ls -l /tmp \n");
  EXPECT_EQ(field("type=CWD msg=audit(1700000000.1:1): cwd=" + hexstr("/home/a b"), "cwd"),
            "/home/a b");
  std::string ex =
      "type=EXECVE msg=audit(1700000000.1:1): argc=2 a0=\"ls\" a1_len=10 a1[0]=" + hexstr("hello") +
      " a1[1]=" + hexstr("world");
  EXPECT_EQ(field(ex, "a1[0]"), "hello");
  EXPECT_EQ(field(ex, "a1[1]"), "world");
  EXPECT_EQ(field(ex, "a1_len"), "10");
  // Control bytes in an untrusted string: octal escapes in tty mode.
  std::string comm = syscall(AUDIT_ARCH_X86_64, kX86Open, 0, 0);
  comm.replace(comm.find("comm=\"x\""), 8, "comm=" + hexstr("a\nb"));
  EXPECT_EQ(field(comm, "comm"), "a\\012b");
  EXPECT_EQ(field(comm, "comm", EscapeMode::kRaw), "a\nb");
}

TEST_F(InterpretTest, EscapeModes) {
  std::string l = "type=CWD msg=audit(1700000000.1:1): cwd=" + hexstr("/a b$(c)");
  EXPECT_EQ(run({l}, EscapeMode::kRaw),
            "----\ntype=CWD msg=audit(11/14/23 22:13:20.001:1) : cwd=/a b$(c) \n");
  EXPECT_EQ(run({l}, EscapeMode::kTty),
            "----\ntype=CWD msg=audit(11/14/23 22:13:20.001:1) : cwd=/a b$(c) \n");
  EXPECT_EQ(run({l}, EscapeMode::kShell),
            "----\ntype=CWD msg=audit(11/14/23 22:13:20.001:1) : cwd=/a\\ b\\$\\(c\\) \n");
  std::string q = "type=CWD msg=audit(1700000000.1:1): cwd=" + hexstr("/a;b*");
  EXPECT_EQ(run({q}, EscapeMode::kShell),
            "----\ntype=CWD msg=audit(11/14/23 22:13:20.001:1) : cwd=/a;b* \n");
  EXPECT_EQ(run({q}, EscapeMode::kShellQuote),
            "----\ntype=CWD msg=audit(11/14/23 22:13:20.001:1) : cwd=/a\\;b\\* \n");
  EXPECT_EQ(parse_escape_mode("shell_quote"), EscapeMode::kShellQuote);
  EXPECT_FALSE(parse_escape_mode("bogus").has_value());
}

TEST_F(InterpretTest, SockaddrFamilies) {
  auto sa_hex = [](const void* p, std::size_t n) {
    return hexstr(std::string(static_cast<const char*>(p), n));
  };
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
  EXPECT_EQ(
      field("type=SOCKADDR msg=audit(1700000000.1:1): saddr=" + sa_hex(&in, sizeof(in)), "saddr"),
      "{ saddr_fam=inet laddr=192.0.2.1 lport=80 }");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
  EXPECT_EQ(
      field("type=SOCKADDR msg=audit(1700000000.1:1): saddr=" + sa_hex(&in6, sizeof(in6)), "saddr"),
      "{ saddr_fam=inet6 laddr=2001:db8::1 lport=443 }");
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/s");
  EXPECT_EQ(field("type=SOCKADDR msg=audit(1700000000.1:1): saddr=" +
                      sa_hex(&un, offsetof(sockaddr_un, sun_path) + 7),
                  "saddr"),
            "{ saddr_fam=local path=/run/s }");
  sockaddr_nl nl{};
  nl.nl_family = AF_NETLINK;
  nl.nl_pid = 0;
  EXPECT_EQ(
      field("type=SOCKADDR msg=audit(1700000000.1:1): saddr=" + sa_hex(&nl, sizeof(nl)), "saddr"),
      "{ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 }");
}

TEST_F(InterpretTest, CapabilitiesSignalsSeccompProtocol) {
  std::uint64_t set = (1ull << CAP_NET_ADMIN) | (1ull << CAP_NET_RAW);
  char caps[64];
  std::snprintf(caps, sizeof(caps), "%016llx", static_cast<unsigned long long>(set));
  EXPECT_EQ(field(std::string("type=CAPSET msg=audit(1700000000.1:1): pid=1 cap_pi=") + caps +
                      " cap_pp=0 cap_pe=0 cap_pa=0",
                  "cap_pi"),
            "net_admin,net_raw");
  EXPECT_EQ(field("type=CAPSET msg=audit(1700000000.1:1): pid=1 cap_pi=0 cap_pp=0", "cap_pp"),
            "none");
  std::string abend =
      "type=ANOM_ABEND msg=audit(1700000000.1:1): auid=0 uid=0 gid=0 ses=1 pid=4 "
      "comm=\"c\" exe=\"/c\" sig=" +
      std::to_string(SIGSEGV) + " res=1";
  EXPECT_EQ(field(abend, "sig"), "SIGSEGV");
  char code[32];
  std::snprintf(code, sizeof(code), "0x%x", SECCOMP_RET_ALLOW);
  EXPECT_EQ(field(std::string("type=SECCOMP msg=audit(1700000000.1:1): auid=0 uid=0 gid=0 ses=1 "
                              "pid=3 comm=\"x\" exe=\"/x\" sig=0 arch=c000003e syscall=1 compat=0 "
                              "ip=0x7f code=") +
                      code,
                  "code"),
            "allow");
  EXPECT_EQ(field("type=NETFILTER_PKT msg=audit(1700000000.1:1): mark=0x0 saddr=10.0.0.1 "
                  "daddr=10.0.0.2 proto=" +
                      std::to_string(IPPROTO_TCP),
                  "proto"),
            "tcp");
}

TEST_F(InterpretTest, SessionTtyResAndSelinuxContexts) {
  std::string l = syscall(AUDIT_ARCH_X86_64, kX86Open, 0, 0);
  EXPECT_EQ(field(l, "ses"), "unset");  // 4294967295: no session
  EXPECT_EQ(field(l, "tty"), "(none)");
  std::string avc =
      "type=AVC msg=audit(1700000000.1:1): avc:  denied  { read } for  pid=7 comm=\"x\" "
      "scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file";
  EXPECT_EQ(field(avc, "scontext"), "system_u:system_r:httpd_t:s0");
  EXPECT_EQ(field(avc, "tclass"), "file");
  std::string user =
      "type=USER_LOGIN msg=audit(1700000000.1:1): pid=1 uid=0 auid=0 ses=1 "
      "msg='op=login id=0 exe=\"/usr/sbin/sshd\" res=failed'";
  EXPECT_EQ(field(user, "res"), "failed'");  // stock keeps msg='s closing quote
  EXPECT_EQ(field(user, "exe"), "/usr/sbin/sshd");
}

TEST_F(InterpretTest, KeysSplitOnSeparator) {
  std::string l = syscall(AUDIT_ARCH_X86_64, kX86Open, 0, 0);
  l.replace(l.find("key=(null)"), 10,
            "key=" + hexstr(std::string("a\x01"
                                        "b",
                                        3)));
  std::string out = run({l});
  EXPECT_NE(out.find(" key=a key=b \n"), std::string::npos) << out;
}

TEST_F(InterpretTest, RecordsPrintLastFirstExceptDaemon) {
  std::string out =
      run({"type=SYSCALL msg=audit(1700000000.1:5): arch=c000003e syscall=2 "
           "success=yes exit=3 a0=0 a1=0 a2=0 a3=0 items=1 pid=1",
           "type=CWD msg=audit(1700000000.1:5): cwd=\"/\""});
  EXPECT_LT(out.find("type=CWD"), out.find("type=SYSCALL"));
  std::string d =
      run({"type=DAEMON_START msg=audit(1700000000.1:6): op=start ver=3.0.9 res=success",
           "type=DAEMON_END msg=audit(1700000000.1:6): op=terminate res=success"});
  EXPECT_EQ(d,
            "----\ntype=DAEMON_END msg=audit(11/14/23 22:13:20.001:6) : op=terminate "
            "res=success \n");
}

TEST_F(InterpretTest, EnrichedValuesWin) {
  // The enriched part names a user the host does not have: it must be used.
  std::string l =
      "type=SYSCALL msg=audit(1700000000.1:7): arch=c000003e syscall=2 success=yes "
      "exit=3 a0=0 a1=0 a2=0 a3=0 items=0 pid=1 auid=4242 uid=0 key=(null)\x1d"
      "ARCH=x86_64 SYSCALL=open AUID=\"enriched-user\" UID=\"root\"";
  EXPECT_EQ(field(l, "auid"), "enriched-user");
  EXPECT_EQ(field(l, "syscall"), "open");
  // A second Interpreter call on a plain record must not reuse it.
  std::string plain =
      "type=SYSCALL msg=audit(1700000000.1:8): arch=c000003e syscall=2 "
      "success=yes exit=3 a0=0 a1=0 a2=0 a3=0 items=0 pid=1 auid=0 uid=0";
  EXPECT_EQ(field(plain, "auid"), "root");
}

TEST_F(InterpretTest, NodePrefix) {
  std::string out = run({"node=web1 type=CWD msg=audit(1700000000.1:9): cwd=\"/\""});
  EXPECT_EQ(out, "----\nnode=web1 type=CWD msg=audit(11/14/23 22:13:20.001:9) : cwd=/ \n");
}

TEST_F(InterpretTest, CsvAndText) {
  Interpreter in;
  Event ev;
  std::string l =
      "type=USER_LOGIN msg=audit(1700000000.1:10): pid=1 uid=0 auid=0 ses=3 "
      "msg='op=login id=0 exe=\"/usr/sbin/sshd\" hostname=h addr=192.0.2.9 "
      "terminal=ssh res=success'";
  auto h = parse_header(l);
  ASSERT_TRUE(h);
  ev.id = h->id;
  ev.records.push_back(make_record(l, h->type));
  std::string csv, text;
  in.write_csv(ev, {}, csv);
  in.write_text(ev, text);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "NODE,EVENT,DATE,TIME,SERIAL_NUM,EVENT_KIND,SESSION,SUBJ_PRIME,SUBJ_SEC,SUBJ_KIND,"
            "ACTION,RESULT,OBJ_PRIME,OBJ_SEC,OBJ_KIND,HOW");
  // Stock 3.0.9's output for this record (ausearch --format csv|text).
  EXPECT_EQ(csv.substr(csv.find('\n') + 1),
            ",USER_LOGIN,11/14/23,22:13:20,10,user-login,3,root,,privileged-acct,logged-in,"
            "success,ssh,,user-session,/usr/sbin/sshd\n");
  EXPECT_EQ(text, "At 22:13:20 11/14/23 root successfully logged-in ssh using /usr/sbin/sshd\n");
  // The header comes once, before the first event only.
  std::string again;
  in.write_csv(ev, {}, again);
  EXPECT_EQ(again.find("NODE,"), std::string::npos);
  std::string extra;
  Interpreter::write_csv_header({true, true, true, true}, extra);
  EXPECT_EQ(extra,
            "NODE,EVENT,DATE,TIME,YEAR,MONTH,DAY,WEEKDAY,HOUR,MILLI,GMT_OFFSET,SERIAL_NUM,"
            "EVENT_KIND,SESSION,SUBJ_PRIME,SUBJ_SEC,SUBJ_KIND,SUBJ_LABEL,ACTION,RESULT,OBJ_PRIME,"
            "OBJ_SEC,OBJ2,OBJ_LABEL,OBJ_KIND,HOW,KEY\n");
}

// URINGOP (audit 4.x, auparse/typetab.h: uring_op is a syscall-typed field
// read with the io_uring "machine"): the operation's name as the kernel's
// enum io_uring_op spells it (IORING_OP_OPENAT -> openat), and 4.x's
// print_syscall text, unknown-syscall(N), for an operation audit does not
// name (IORING_OP_NOP is never audited). The record is the kernel's (6.18).
TEST_F(InterpretTest, UringOpIsTheOperationName) {
  auto line = [](int op) {
    return "type=URINGOP msg=audit(1796578994.967:1351454): uring_op=" + std::to_string(op) +
           " success=yes exit=0 items=0 ppid=2149 pid=2166 uid=0 gid=0 euid=0 suid=0 fsuid=0"
           " egid=0 sgid=0 fsgid=0 key=\"uringx2149\"";
  };
  EXPECT_EQ(field(line(IORING_OP_OPENAT), "uring_op"), "openat");
  EXPECT_EQ(field(line(IORING_OP_CONNECT), "uring_op"), "connect");
  EXPECT_EQ(field(line(IORING_OP_NOP), "uring_op"), "unknown-syscall(0)");
  // The other fields read as in any record.
  EXPECT_EQ(field(line(IORING_OP_OPENAT), "uid"), "root");
  EXPECT_EQ(field(line(IORING_OP_OPENAT), "key"), "uringx2149");
  EXPECT_NE(run({line(IORING_OP_OPENAT)}).find("\ntype=URINGOP msg=audit("), std::string::npos);
}

}  // namespace
}  // namespace bpfaudit::record
