#include "trace_format.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "record.h"

namespace bpfaudit::ebpf {

namespace {

void put_u(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// Untrusted string rule of the kernel (audit_log_n_untrustedstring), without
// building a temporary when the value is plain.
void put_untrusted(std::string& out, std::string_view v) {
  for (unsigned char c : v)
    if (c == '"' || c < 0x21 || c > 0x7e) {
      out.append(record::encode_untrusted(v));
      return;
    }
  out.push_back('"');
  out.append(v);
  out.push_back('"');
}

bool needs_hex(std::string_view v) {
  for (unsigned char c : v)
    if (c == '"' || c < 0x21 || c > 0x7e) return true;
  return false;
}

// EXECVE as kernel/auditsc.c audit_log_execve_info writes it (6.1 to 6.18):
// each argument is read into a 7500-byte buffer (MAX_EXECVE_AUDIT_LEN) and
// a record holds about that much text. An argument that does not fit the
// room left in the record, or the buffer, is written in pieces,
// ` aN_len=LEN aN[0]=... aN[1]=...`, in hex when it has to be read in more
// than one buffer (LEN then counts its hex digits, doubled once more by the
// kernel's own arithmetic) or when it needs hex anyway; a record with less
// than 104 bytes of room left is ended and a new EXECVE record (no argc=)
// takes the rest. Replayed here over the arguments the probe copied, so that
// a long argv gives the kernel's records and never one line too long for
// the stock tools (auparse reads at most 8970 bytes a line).
void append_execve_records(std::string& out, const ExecInfo& exec, const record::StampText& stamp) {
  constexpr std::size_t kLenMax = 7500;  // MAX_EXECVE_AUDIT_LEN
  constexpr std::size_t kAbuf = 96;      // the kernel's abuf[96]
  static constexpr char kHex[] = "0123456789ABCDEF";
  record::append_header(out, "EXECVE", stamp);
  out.append("argc=");
  put_u(out, std::max<std::size_t>(exec.argc, exec.argv.size()));
  std::size_t len_rem = kLenMax;
  for (std::size_t arg = 0; arg < exec.argv.size(); ++arg) {
    const std::string& a = exec.argv[arg];
    std::size_t src = 0;   // bytes of the argument read into the buffer so far
    std::string_view buf;  // what the buffer holds and has not been written
    std::size_t len_full = a.size(), len_abuf = 0;
    bool require_data = true, encode = false;
    unsigned iter = 0;
    std::string held;
    for (;;) {
      if (require_data) {
        std::size_t room = kLenMax - buf.size();
        std::size_t got = std::min(room, a.size() - src);
        std::string next(buf);
        next.append(a, src, got);
        held.swap(next);
        src += got;
        if (got == room) {
          // strncpy_from_user filled the buffer (its NUL not seen): read on.
          encode = true;
          len_full *= 2;
        } else {
          require_data = false;
          if (!encode) encode = needs_hex(held);
          if (len_full < kLenMax) len_full = encode ? held.size() * 2 : held.size();
        }
        buf = held;
        len_abuf = encode ? buf.size() * 2 : buf.size() + 2;
      }
      if (kAbuf + 8 > len_rem) {
        len_rem = kLenMax;
        out.push_back('\n');
        // The kernel's header ends in ": " and the body goes on with " aN",
        // two spaces.
        record::append_header(out, "EXECVE", stamp);
      }
      std::string head;
      if (require_data || iter > 0 || len_abuf + kAbuf > len_rem) {
        if (iter == 0) head = " a" + std::to_string(arg) + "_len=" + std::to_string(len_full);
        head += " a" + std::to_string(arg) + "[" + std::to_string(iter++) + "]=";
      } else {
        head = " a" + std::to_string(arg) + "=";
      }
      out.append(head);
      len_rem -= head.size();
      std::size_t n = buf.size();
      if (encode) {
        if (len_abuf > len_rem) n = len_rem / 2;
        for (unsigned char c : buf.substr(0, n)) {
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        }
        len_rem -= n * 2;
        len_abuf -= n * 2;
      } else {
        if (len_abuf > len_rem) n = len_rem - 2;
        out.push_back('"');
        out.append(buf.substr(0, n));
        out.push_back('"');
        len_rem -= n + 2;
        len_abuf -= n;
      }
      buf.remove_prefix(n);
      if (buf.empty() && !require_data) break;
    }
  }
  out.push_back('\n');
}

// The kernel's is_syscall_success(): only -MAX_ERRNO..-1 are failures.
bool syscall_success(std::int64_t ret) { return !(ret < 0 && ret >= -4095); }

}  // namespace

// By hand, not snprintf: three per PATH record, and in a perf profile of
// traced tar runs glibc's __vfprintf_internal was autrace's second busiest
// function (0.62% of all samples, beside append_stamp's 0.71%).
namespace {
void append_digits(std::string& out, std::uint32_t v, int base, std::size_t min_digits) {
  char buf[16];
  auto end = std::to_chars(buf, buf + sizeof buf, v, base).ptr;
  auto n = static_cast<std::size_t>(end - buf);
  if (n < min_digits) out.append(min_digits - n, '0');
  out.append(buf, n);
}
}  // namespace

void append_dev(std::string& out, std::uint32_t dev) {
  append_digits(out, dev >> 20, 16, 2);
  out.push_back(':');
  append_digits(out, dev & 0xfffff, 16, 2);
}

void append_mode(std::string& out, std::uint32_t mode) {
  out.push_back('0');  // "%#o": a 0 before any other digit, "0" alone for 0
  if (mode) append_digits(out, mode, 8, 1);
}

std::string format_dev(std::uint32_t dev) {
  std::string s;
  append_dev(s, dev);
  return s;
}

std::string format_mode(std::uint32_t mode) {
  std::string s;
  append_mode(s, mode);
  return s;
}

namespace {

void append_syscall_tail(std::string& out, const SyscallEvent& ev,
                         const std::optional<std::string>& key) {
  const std::pair<const char*, std::uint32_t> ids[] = {
      {" ppid=", ev.ppid}, {" pid=", ev.pid},   {" auid=", ev.auid},  {" uid=", ev.uid},
      {" gid=", ev.gid},   {" euid=", ev.euid}, {" suid=", ev.suid},  {" fsuid=", ev.fsuid},
      {" egid=", ev.egid}, {" sgid=", ev.sgid}, {" fsgid=", ev.fsgid}};
  for (const auto& [name, value] : ids) {
    out.append(name);
    put_u(out, value);
  }
  out.append(" tty=");
  out.append(ev.tty.empty() ? std::string_view("(none)") : std::string_view(ev.tty));
  out.append(" ses=");
  put_u(out, ev.ses);
  out.append(" comm=");
  put_untrusted(out, ev.comm);
  out.append(" exe=");
  if (ev.exe.empty())
    out.append("(null)");
  else
    put_untrusted(out, ev.exe);
  out.append(" key=");
  if (key)
    put_untrusted(out, *key);
  else
    out.append("(null)");
  out.push_back('\n');
}

}  // namespace

std::string_view SyscallTailCache::tail(const SyscallEvent& ev,
                                        const std::optional<std::string>& key) {
  Entry& e = entries_[ev.identity % entries_.size()];
  if (ev.identity == 0 || e.identity != ev.identity) {
    e.text.clear();
    append_syscall_tail(e.text, ev, key);
    e.identity = ev.identity;
  }
  return e.text;
}

namespace {

void append_proctitle_body(std::string& out, std::string_view title) {
  if (title.size() > kProctitleMax) title = title.substr(0, kProctitleMax);
  while (!title.empty() && title.back() == '\0') title.remove_suffix(1);
  out.append("proctitle=");
  put_untrusted(out, title);
  out.push_back('\n');
}

}  // namespace

std::string_view SyscallTailCache::proctitle(std::string_view title, std::uint64_t identity) {
  if (have_title_ && identity != 0 && identity == title_identity_) return title_body_;
  title_identity_ = identity;
  if (!have_title_ || title != title_) {
    title_.assign(title);
    title_body_.clear();
    append_proctitle_body(title_body_, title);
    have_title_ = true;
  }
  return title_body_;
}

namespace {

// kernel/auditsc.c audit_log_cap: "0" for an empty set, else the set as 16
// hex digits (two %08x words on 6.1, one %016llx from 6.3).
void append_cap(std::string& out, const char* name, std::uint64_t caps) {
  out.push_back(' ');
  out.append(name);
  out.push_back('=');
  if (!caps) {
    out.push_back('0');
    return;
  }
  char hex[16];
  char* end = std::to_chars(hex, hex + sizeof hex, caps, 16).ptr;
  out.append(16 - static_cast<std::size_t>(end - hex), '0');
  out.append(hex, static_cast<std::size_t>(end - hex));
}

// The BPRM_FCAPS aux record, for a file without file capabilities (fver,
// fp, fi, fe and frootid 0: the engine does not read them).
void append_fcaps_record(std::string& out, const SyscallEvent::Fcaps& f,
                         const record::StampText& stamp) {
  record::append_header(out, "BPRM_FCAPS", stamp);
  out.append("fver=0 fp=0 fi=0 fe=0");
  static constexpr const char* kOld[4] = {"old_pp", "old_pi", "old_pe", "old_pa"};
  static constexpr const char* kNew[4] = {"pp", "pi", "pe", "pa"};
  for (int i = 0; i < 4; ++i) append_cap(out, kOld[i], f.old_caps[i]);
  for (int i = 0; i < 4; ++i) append_cap(out, kNew[i], f.new_caps[i]);
  out.append(" frootid=0\n");
}

}  // namespace

void append_event_records(std::string& out, const SyscallEvent& ev, const record::Stamp& at,
                          const std::optional<std::string>& key, SyscallTailCache* tails,
                          bool eoe) {
  record::StampText own;
  const record::StampText& stamp = tails ? tails->stamp(at) : (own.assign(at), own);
  constexpr std::uint64_t kMapAnonymous = 0x20;
  const bool mmap_record =
      ev.arch == kAuditArchX86_64 && ev.nr == 9 && !(ev.args[3] & kMapAnonymous);
  // The SYSCALL line up to its identity part is built here and appended in
  // one piece; so is, for an event of SYSCALL and PROCTITLE alone (every
  // read and write of a traced dd), the whole event: the appends, one per
  // piece, had been half of the formatting (reader_rate, perf, 2026-12-07).
  char buf[2048];
  char* p = buf;
  auto lit = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  // The numbers below take at most 230 bytes.
  if (record::header_size("SYSCALL", stamp) + 256 <= sizeof buf)
    p = record::write_header(p, "SYSCALL", stamp);
  else
    record::append_header(out, "SYSCALL", stamp);  // a node name of kilobytes
  if (ev.arch == kAuditArchX86_64) {
    lit("arch=c000003e syscall=");
  } else {
    lit("arch=");
    p = std::to_chars(p, p + 24, ev.arch, 16).ptr;
    lit(" syscall=");
  }
  p = std::to_chars(p, p + 24, ev.nr).ptr;
  if (ev.returned) {
    lit(syscall_success(ev.ret) ? " success=yes exit=" : " success=no exit=");
    p = std::to_chars(p, p + 24, ev.ret).ptr;
  }
  static constexpr std::string_view kArgs[4] = {" a0=", " a1=", " a2=", " a3="};
  for (int i = 0; i < 4; ++i) {
    lit(kArgs[i]);
    p = std::to_chars(p, p + 24, ev.args[i], 16).ptr;
  }
  lit(" items=");
  p = std::to_chars(p, p + 24, ev.paths.size()).ptr;
  std::string_view tail;
  if (tails) tail = tails->tail(ev, key);
  if (tails && ev.proctitle && !ev.exec && !ev.fcaps && !mmap_record && !ev.sockaddr && !ev.cwd &&
      ev.paths.empty() && !eoe) {
    std::string_view title = tails->proctitle(*ev.proctitle, ev.identity);
    const std::size_t rest = tail.size() + record::header_size("PROCTITLE", stamp) + title.size();
    if (static_cast<std::size_t>(p - buf) + rest <= sizeof buf) {
      lit(tail);
      p = record::write_header(p, "PROCTITLE", stamp);
      lit(title);
      out.append(buf, static_cast<std::size_t>(p - buf));
      return;
    }
  }
  out.append(buf, static_cast<std::size_t>(p - buf));
  if (tails)
    out.append(tail);
  else
    append_syscall_tail(out, ev, key);

  // audit_log_exit writes the aux records (BPRM_FCAPS) before the special
  // one (MMAP, EXECVE).
  if (ev.fcaps) append_fcaps_record(out, *ev.fcaps, stamp);
  // mm/mmap.c ksys_mmap_pgoff: every mmap not MAP_ANONYMOUS notes its fd and
  // flags (audit_mmap_fd, even one that then fails with EBADF); audit_log_exit
  // writes them right after SYSCALL.
  if (mmap_record) {
    record::append_header(out, "MMAP", stamp);
    out.append("fd=");
    out.append(std::to_string(static_cast<std::int32_t>(ev.a4)));
    out.append(" flags=0x");
    char hex[16];
    const char* end =
        std::to_chars(hex, hex + sizeof hex, static_cast<std::uint32_t>(ev.args[3]), 16).ptr;
    out.append(hex, static_cast<std::size_t>(end - hex));
    out.push_back('\n');
  }
  if (ev.exec) append_execve_records(out, *ev.exec, stamp);
  // audit_log_exit: SOCKADDR after the special records, before CWD.
  if (ev.sockaddr) {
    record::append_header(out, "SOCKADDR", stamp);
    out.append("saddr=");
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : *ev.sockaddr) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    out.push_back('\n');
  }
  if (ev.cwd) {
    record::append_header(out, "CWD", stamp);
    out.append("cwd=");
    put_untrusted(out, *ev.cwd);
    out.push_back('\n');
  }
  for (std::size_t i = 0; i < ev.paths.size(); ++i) {
    const PathItem& p = ev.paths[i];
    record::append_header(out, "PATH", stamp);
    out.append("item=");
    put_u(out, i);
    out.append(" name=");
    if (p.name)
      put_untrusted(out, *p.name);
    else
      out.append("(null)");
    if (p.inode) {
      out.append(" inode=");
      put_u(out, p.inode->ino);
      out.append(" dev=");
      append_dev(out, p.inode->dev);
      out.append(" mode=");
      append_mode(out, p.inode->mode);
      out.append(" ouid=");
      put_u(out, p.inode->uid);
      out.append(" ogid=");
      put_u(out, p.inode->gid);
      out.append(" rdev=");
      append_dev(out, p.inode->rdev);
    }
    switch (p.type) {
      case NameType::kAuto:
        out.append(p.inode ? " nametype=NORMAL" : " nametype=UNKNOWN");
        break;
      case NameType::kUnknown:
        out.append(" nametype=UNKNOWN");
        break;
      case NameType::kNormal:
        out.append(" nametype=NORMAL");
        break;
      case NameType::kParent:
        out.append(" nametype=PARENT");
        break;
      case NameType::kCreate:
        out.append(" nametype=CREATE");
        break;
      case NameType::kDelete:
        out.append(" nametype=DELETE");
        break;
    }
    out.append(" cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n");
  }
  if (ev.exec || ev.proctitle) {
    std::string_view title(ev.proctitle ? *ev.proctitle : ev.exec->cmdline);
    record::append_header(out, "PROCTITLE", stamp);
    if (tails)
      out.append(tails->proctitle(title, ev.proctitle ? ev.identity : 0));
    else
      append_proctitle_body(out, title);
  }
  if (!eoe) return;
  record::append_header(out, "EOE", stamp);
  out.pop_back();  // the kernel's EOE body is empty: "msg=audit(...):"
  out.push_back('\n');
}

void append_loss_record(std::string& out, const record::Stamp& stamp, const record::LossEntry& e) {
  record::append_header(out, "DAEMON_ERR", stamp);
  out.append(record::loss_body(e));
  out.push_back('\n');
}

}  // namespace bpfaudit::ebpf
