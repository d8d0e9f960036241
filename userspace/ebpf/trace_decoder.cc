#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "bpfaudit_engine.h"
#include "trace_events.h"

namespace bpfaudit::ebpf {

namespace {

InodeInfo to_inode(const bpfaudit_inode& in) {
  return InodeInfo{in.ino, in.dev, in.rdev, in.mode, in.uid, in.gid};
}

std::string bounded(const char* s, std::size_t max) { return std::string(s, strnlen(s, max)); }

constexpr int kExecve = 59, kExecveat = 322;
constexpr int kNewfstatat = 262, kStatx = 332;
constexpr std::uint64_t kAtEmptyPath = 0x1000;

// The path of a unix socket address that names one (not abstract, not
// unnamed): connect/bind/sendto look it up by name, so the kernel's event has
// it as a PATH item (and a CWD, which the probe sends).
std::optional<std::string> unix_path_of(const std::string& addr) {
  if (addr.size() <= 2 || addr[0] != 1 || addr[1] != 0 || addr[2] == '\0') return std::nullopt;
  return bounded(addr.data() + 2, addr.size() - 2);
}

// fstatat/statx of an fd: AT_EMPTY_PATH with an empty (or, since 6.11,
// NULL) name. Since 6.11 the kernel stats the fd without getname()
// (vfs_empty_path): no name, so no PATH and no CWD record (seen on 6.12 and
// 6.18). Before, the empty name is looked up like any other: one PATH item
// name="" for the fd's inode (seen on 6.1). A name the probe could not read
// on such a call counts as empty: the call succeeded, so it was readable.
bool stats_fd(const SyscallEvent& ev) {
  std::uint64_t flags = ev.nr == kNewfstatat ? ev.args[3] : ev.nr == kStatx ? ev.args[2] : 0;
  if (!(flags & kAtEmptyPath)) return false;
  if (ev.paths.empty()) return true;
  return ev.paths.size() == 1 && (!ev.paths[0].name || ev.paths[0].name->empty());
}

}  // namespace

std::size_t audit_parent_len(const std::string& path) {
  if (path.empty()) return 0;
  std::size_t p = path.size() - 1;
  while (p > 0 && path[p] == '/') --p;  // trailing slashes
  while (p > 0 && path[p] != '/') --p;  // the last component
  return path[p] == '/' ? p + 1 : p;
}

std::vector<PathItem> vfs_path_items(const std::vector<PathItem>& names,
                                     const std::vector<VfsItem>& vfs,
                                     const std::optional<std::string>& cwd) {
  std::vector<PathItem> out;
  out.reserve(vfs.size());
  for (const VfsItem& v : vfs) {
    PathItem item;
    item.type = v.type;
    item.inode = v.inode;
    if (v.name < names.size()) item.name = names[v.name].name;
    if (item.name && v.type == NameType::kParent) {
      std::size_t len = audit_parent_len(*item.name);
      if (len == 0)
        item.name = cwd;  // a relative name in the cwd: the kernel writes the cwd's path
      else
        item.name->resize(len);
    }
    out.push_back(std::move(item));
  }
  return out;
}

bool TraceDecoder::fd_stat_takes_no_name(const std::string& release) {
  unsigned major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%u.%u", &major, &minor) != 2) return true;
  return major > 6 || (major == 6 && minor >= 11);
}

constexpr std::int64_t kEFault = 14, kENameTooLong = 36;

std::string join_dentry_names(const char* names, std::size_t len, bool truncated) {
  if (truncated) return "<too_long>";
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < len) {
    std::size_t n = strnlen(names + pos, len - pos);
    if (n > 0) parts.emplace_back(names + pos, n);
    pos += n + 1;
  }
  if (parts.empty()) return "/";
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out.push_back('/');
    out.append(*it);
  }
  if (out.size() > kDPathMax) return "<too_long>";
  return out;
}

void TraceDecoder::renumber_process(std::uint32_t tgid) {
  for (auto& [tid, id] : identities_)
    if (id.pid == tgid) id.number = ++last_identity_;
}

void TraceDecoder::put_exe(std::uint32_t tgid, std::string exe) {
  auto [it, added] = exe_.try_emplace(tgid, std::move(exe));
  if (!added) {
    if (it->second == exe) return;
    it->second = std::move(exe);
  }
  renumber_process(tgid);
}

void TraceDecoder::drop_exe(std::uint32_t tgid) {
  if (exe_.erase(tgid)) renumber_process(tgid);
}

bool TraceDecoder::feed(const void* data, std::size_t size, SyscallEvent& out) {
  if (size < sizeof(bpfaudit_event_header)) {
    ++malformed_;
    return false;
  }
  bpfaudit_event_header hdr;
  std::memcpy(&hdr, data, sizeof(hdr));
  auto fits = [&](std::size_t need) {
    if (size >= need && hdr.size >= need) return true;
    ++malformed_;
    return false;
  };
  switch (hdr.type) {
    case BPFAUDIT_EV_SYSCALL: {
      if (!fits(sizeof(bpfaudit_syscall_event))) return false;
      const auto* ev = static_cast<const bpfaudit_syscall_event*>(data);
      const bool has_inode = ev->flags & BPFAUDIT_SC_HAS_INODE;
      if (has_inode && !fits(sizeof(bpfaudit_syscall_inode_event))) return false;
      // The probe sends no SYSCALL event it could not send the identity for.
      if (!hot_identity_ || hot_tid_ != ev->tid) {
        auto who = identities_.find(ev->tid);
        if (who == identities_.end()) {
          ++malformed_;
          return false;
        }
        hot_tid_ = ev->tid;
        hot_identity_ = &who->second;
        hot_title_ = nullptr;
      }
      const Identity& id = *hot_identity_;
      const bool standalone = ev->flags & BPFAUDIT_SC_STANDALONE;
      auto p = pending_.empty() ? pending_.end() : pending_.find(ev->tid);
      // A prefilter match brings its own title and exe: without them it is
      // not one.
      if (standalone && (p == pending_.end() || !p->second.matched)) {
        ++malformed_;
        identities_.erase(ev->tid);
        cool();
        return false;
      }
      out.enter_ns = ev->hdr.ts_ns;
      out.arch = ev->flags & BPFAUDIT_SC_COMPAT ? kAuditArchI386 : kAuditArchX86_64;
      out.nr = ev->nr;
      for (int i = 0; i < 4; ++i) out.args[i] = ev->args[i];
      out.a4 = ev->a4;
      out.ret = ev->ret;
      out.returned = !(ev->flags & BPFAUDIT_SC_NO_RETURN);
      out.tid = ev->tid;
      // `out` carries this identity from the event before: then its
      // identity fields and its title are this event's already. A match
      // brings its own exe and title: it is an identity of its own, with a
      // number of its own (never the thread's, which may have its traced
      // syscall's title and exe).
      const bool carried = !standalone && out.identity == id.number && out.proctitle;
      if (standalone || out.identity != id.number) {
        out.identity = standalone ? ++last_identity_ : id.number;
        out.pid = id.pid;
        out.ppid = id.ppid;
        out.auid = id.auid;
        out.ses = id.ses;
        out.uid = id.uid;
        out.gid = id.gid;
        out.euid = id.euid;
        out.suid = id.suid;
        out.fsuid = id.fsuid;
        out.egid = id.egid;
        out.sgid = id.sgid;
        out.fsgid = id.fsgid;
        out.comm = id.comm;
        out.tty = id.tty;
        auto exe = exe_.find(id.pid);
        if (standalone)
          out.exe = p->second.exe;
        else if (exe == exe_.end())
          out.exe.clear();
        else
          out.exe = exe->second;
      }
      out.cwd.reset();
      out.paths.clear();
      out.exec.reset();
      out.sockaddr.reset();
      out.fcaps.reset();
      out.key.reset();
      if (standalone) {
        // The kernel's audit_log_proctitle: the argv area read at the match
        // (trailing NULs trimmed), or comm when nothing could be read. The
        // thread is not followed: nothing of it stays here.
        std::string& title = p->second.title;
        while (!title.empty() && title.back() == '\0') title.pop_back();
        out.proctitle = title.empty() ? out.comm : std::move(title);
        out.key = std::move(p->second.key);
        pending_.erase(p);
        identities_.erase(ev->tid);
        cool();
        return true;
      }
      std::vector<VfsItem> vfs;
      if (p != pending_.end()) {
        vfs = std::move(p->second.vfs);
        out.cwd = std::move(p->second.cwd);
        out.paths = std::move(p->second.paths);
        out.sockaddr = std::move(p->second.sockaddr);
        if (out.nr == kExecve || out.nr == kExecveat) {
          out.exec = std::move(p->second.exec);
          // The kernel's first PATH item of an exec is the executable itself.
          if (out.exec && out.ret == 0 && out.paths.empty())
            out.paths.push_back(PathItem{out.exec->filename, p->second.exec_inode});
          out.fcaps = p->second.fcaps;
          // Then what the exec opened by name, in order (the interpreter).
          if (!out.paths.empty())
            for (auto& item : p->second.exec_items) out.paths.push_back(std::move(item));
        }
        pending_.erase(p);
      }
      if (has_inode && !out.paths.empty())
        out.paths[0].inode =
            to_inode(static_cast<const bpfaudit_syscall_inode_event*>(data)->inode);
      // The VFS hooks saw the kernel's items: they replace the names' own.
      if (!vfs.empty()) out.paths = vfs_path_items(out.paths, vfs, out.cwd);
      if (out.sockaddr && unix_path_of(*out.sockaddr) && out.paths.empty())
        out.paths.push_back(PathItem{*unix_path_of(*out.sockaddr), std::nullopt});
      // A name the probe could not read in a syscall that failed with
      // EFAULT is one the kernel could not read either: no item.
      if (out.returned && out.ret == -kEFault)
        std::erase_if(out.paths, [](const PathItem& p) { return !p.name; });
      // The kernel writes CWD only once getname took a name (audit_getname
      // saves the cwd): a syscall whose names were all refused has neither.
      if (out.paths.empty()) out.cwd.reset();
      if (stats_fd(out)) {
        if (fd_stat_takes_no_name_) {
          out.paths.clear();
          out.cwd.reset();
        } else if (!out.paths.empty()) {
          out.paths[0].name = std::string();
        }
      }
      // The task's title is fixed at its first event (see cmdline_).
      // A thread's title is fixed at the first event that finds one, and
      // its identity number changes whenever its title could (then, and at
      // exec): an event that carries the identity of a thread whose title is
      // fixed carries the title (SyscallEvent::identity).
      if (carried && hot_title_) return true;
      if (!hot_title_) {
        auto title = proctitle_.find(out.tid);
        if (title == proctitle_.end()) {
          auto now = cmdline_.find(out.pid);
          if (now != cmdline_.end() && now->second.find_first_not_of('\0') != std::string::npos) {
            title = proctitle_.emplace(out.tid, now->second).first;
            // Events of this identity may have had comm for a title until
            // now: a new number, so that equal numbers still mean equal titles.
            hot_identity_->number = ++last_identity_;
            out.identity = hot_identity_->number;
          }
        }
        if (title != proctitle_.end()) hot_title_ = &title->second;
      }
      // Nothing readable: the kernel keeps nothing and writes comm (as the engine).
      const std::string& text = hot_title_ ? *hot_title_ : out.comm;
      if (!out.proctitle || *out.proctitle != text) out.proctitle = text;
      return true;
    }
    case BPFAUDIT_EV_IDENTITY: {
      if (!fits(sizeof(bpfaudit_identity_event))) return false;
      const auto* ev = static_cast<const bpfaudit_identity_event*>(data);
      const bpfaudit_identity& in = ev->id;
      Identity& id = identities_[ev->tid];
      id.pid = in.pid;
      id.ppid = in.ppid;
      id.auid = in.auid;
      id.ses = in.ses;
      id.uid = in.uid;
      id.gid = in.gid;
      id.euid = in.euid;
      id.suid = in.suid;
      id.fsuid = in.fsuid;
      id.egid = in.egid;
      id.sgid = in.sgid;
      id.fsgid = in.fsgid;
      id.comm = bounded(in.comm, sizeof(in.comm));
      id.tty = bounded(in.tty, sizeof(in.tty));
      id.number = ++last_identity_;
      return false;
    }
    case BPFAUDIT_EV_PATH: {
      // The probe sends the name's bytes only (the record ends after them).
      constexpr std::size_t head = offsetof(bpfaudit_path_event, name);
      if (!fits(head)) return false;
      const auto* ev = static_cast<const bpfaudit_path_event*>(data);
      const std::size_t room = std::min<std::size_t>({size, hdr.size, sizeof(*ev)}) - head;
      auto& paths = pending_[ev->tid].paths;
      // A leftover from a syscall whose exit was never seen must not leak into this one.
      if (ev->item == 0) {
        paths.clear();
        pending_[ev->tid].vfs.clear();
      }
      // A name with no NUL within PATH_MAX (the probe says -ENAMETOOLONG)
      // is refused by the kernel's getname, which keeps no item of it.
      if (ev->len == -kENameTooLong) return false;
      PathItem item;
      if (ev->len > 0)
        item.name = bounded(ev->name, std::min<std::size_t>(ev->len, room));
      paths.push_back(std::move(item));
      return false;
    }
    case BPFAUDIT_EV_EXEC_ITEM: {
      // The event ends after the name's bytes.
      constexpr std::size_t head = offsetof(bpfaudit_exec_item_event, name);
      if (!fits(head)) return false;
      const auto* ev = static_cast<const bpfaudit_exec_item_event*>(data);
      const std::size_t room = std::min<std::size_t>({size, hdr.size, sizeof(*ev)}) - head;
      PathItem item;
      if (ev->len > 0) item.name = bounded(ev->name, std::min<std::size_t>(ev->len, room));
      item.type = ev->has_inode ? NameType::kNormal : NameType::kUnknown;
      if (ev->has_inode) item.inode = to_inode(ev->inode);
      pending_[ev->tid].exec_items.push_back(std::move(item));
      return false;
    }
    case BPFAUDIT_EV_FCAPS: {
      if (!fits(sizeof(bpfaudit_fcaps_event))) return false;
      bpfaudit_fcaps_event ev;
      std::memcpy(&ev, data, sizeof ev);
      SyscallEvent::Fcaps f;
      for (int i = 0; i < 4; ++i) {
        f.old_caps[i] = ev.old_caps[i];
        f.new_caps[i] = ev.new_caps[i];
      }
      pending_[ev.tid].fcaps = f;
      return false;
    }
    case BPFAUDIT_EV_VFS: {
      constexpr std::size_t head = offsetof(bpfaudit_vfs_event, items);
      if (!fits(head)) return false;
      bpfaudit_vfs_event ev{};
      std::memcpy(&ev, data, std::min<std::size_t>({size, hdr.size, sizeof ev}));
      if (ev.count > BPFAUDIT_VFS_ITEMS || head + ev.count * sizeof(bpfaudit_vfs_item) > size ||
          head + ev.count * sizeof(bpfaudit_vfs_item) > hdr.size) {
        ++malformed_;
        return false;
      }
      auto& vfs = pending_[ev.tid].vfs;
      vfs.clear();
      for (std::uint32_t i = 0; i < ev.count; ++i) {
        const bpfaudit_vfs_item& in = ev.items[i];
        VfsItem item;
        switch (in.type) {
          case BPFAUDIT_NT_NORMAL: item.type = NameType::kNormal; break;
          case BPFAUDIT_NT_PARENT: item.type = NameType::kParent; break;
          case BPFAUDIT_NT_CREATE: item.type = NameType::kCreate; break;
          case BPFAUDIT_NT_DELETE: item.type = NameType::kDelete; break;
          default: item.type = NameType::kUnknown; break;
        }
        item.name = in.name;
        if (in.has_inode) item.inode = to_inode(in.inode);
        vfs.push_back(std::move(item));
      }
      return false;
    }
    case BPFAUDIT_EV_RULE_MATCH: {
      if (!fits(sizeof(bpfaudit_rule_match_event))) return false;
      const auto* ev = static_cast<const bpfaudit_rule_match_event*>(data);
      // A match opens its syscall's group: whatever an earlier match of
      // the thread left (its SYSCALL event lost) goes.
      Pending& pend = pending_[ev->tid];
      pend = Pending{};
      pend.matched = true;
      std::string key = bounded(ev->key, sizeof(ev->key));
      if (!key.empty()) pend.key = std::move(key);
      pend.title.assign(ev->proctitle,
                        std::min<std::size_t>(ev->proctitle_len, sizeof(ev->proctitle)));
      if (ev->exe.len > 0 && ev->exe.len <= sizeof(ev->exe.names))
        pend.exe = join_dentry_names(ev->exe.names, ev->exe.len, ev->exe.truncated);
      return false;
    }
    case BPFAUDIT_EV_SOCKADDR: {
      if (!fits(sizeof(bpfaudit_sockaddr_event))) return false;
      const auto* ev = static_cast<const bpfaudit_sockaddr_event*>(data);
      if (ev->len == 0 || ev->len > sizeof(ev->addr)) {
        ++malformed_;
        return false;
      }
      pending_[ev->tid].sockaddr.emplace(reinterpret_cast<const char*>(ev->addr), ev->len);
      return false;
    }
    case BPFAUDIT_EV_CWD: {
      // The probe sends the names' bytes only (the record ends after them).
      constexpr std::size_t head = offsetof(bpfaudit_cwd_event, cwd.names);
      if (!fits(head)) return false;
      const auto* ev = static_cast<const bpfaudit_cwd_event*>(data);
      const std::size_t room = std::min<std::size_t>({size, hdr.size, sizeof(*ev)}) - head;
      // CWD opens a syscall's group (sent at its exit, or at entry for
      // chdir): anything left from a syscall whose exit was never seen goes,
      // except an exec event and the exec's interpreter items, which the
      // exec's own exit follows and which were sent during the syscall,
      // before its CWD.
      auto& pend = pending_[ev->tid];
      Pending fresh;
      fresh.exec = std::move(pend.exec);
      fresh.exec_inode = pend.exec_inode;
      fresh.exec_items = std::move(pend.exec_items);
      fresh.fcaps = pend.fcaps;
      pend = std::move(fresh);
      if (ev->flags & BPFAUDIT_CWD_SAME) {
        // The thread's last CWD text again (bpfaudit_engine.h). The engine
        // sends this only after a full one with nothing lost since; without
        // that text here, nothing is written rather than a guess.
        auto last = last_cwd_.find(ev->tid);
        if (last == last_cwd_.end()) {
          ++malformed_;
          return false;
        }
        pend.cwd = last->second;
        return false;
      }
      std::string text = join_dentry_names(ev->cwd.names, std::min<std::size_t>(ev->cwd.len, room),
                                           ev->cwd.truncated);
      // d_path: " (deleted)" after the path of an unlinked dentry, within
      // the same PATH_MAX + 11 byte buffer.
      if ((ev->flags & BPFAUDIT_CWD_DELETED) && text != "<too_long>") {
        text += " (deleted)";
        if (text.size() > kDPathMax) text = "<too_long>";
      }
      last_cwd_[ev->tid] = text;
      pend.cwd = std::move(text);
      return false;
    }
    case BPFAUDIT_EV_EXEC: {
      if (!fits(sizeof(bpfaudit_exec_event))) return false;
      const auto* ev = static_cast<const bpfaudit_exec_event*>(data);
      put_exe(ev->pid, join_dentry_names(ev->exe.names,
                                         std::min<std::size_t>(ev->exe.len, sizeof(ev->exe.names)),
                                         ev->exe.truncated));
      // exe= is part of the identity: the thread's next syscall carries the new one.
      if (auto who = identities_.find(ev->tid); who != identities_.end())
        who->second.number = ++last_identity_;
      if (ev->old_tid != ev->tid) {
        // The old thread id ends here without an exit event of its own.
        identities_.erase(ev->old_tid);
        last_cwd_.erase(ev->old_tid);
        // The exec'ing thread keeps its own audit context, so its title.
        if (auto t = proctitle_.find(ev->old_tid); t != proctitle_.end()) {
          proctitle_[ev->tid] = std::move(t->second);
          proctitle_.erase(t);
        }
        cool();
        auto old = pending_.find(ev->old_tid);
        if (old != pending_.end()) {
          pending_[ev->tid] = std::move(old->second);
          pending_.erase(old);
        }
      }
      ExecInfo info;
      info.filename = bounded(ev->filename, sizeof(ev->filename));
      std::size_t len = std::min<std::size_t>(ev->args_len, sizeof(ev->args));
      info.cmdline.assign(ev->args, len);
      cmdline_[ev->pid] = info.cmdline;
      std::size_t pos = 0;
      while (pos < len) {
        std::size_t n = strnlen(ev->args + pos, len - pos);
        // An argv area longer than the copy ends in a cut argument: only
        // whole ones are written, never a cut one as if it were whole.
        if (pos + n == len && ev->args_total > ev->args_len) break;
        info.argv.emplace_back(ev->args + pos, n);
        pos += n + 1;
      }
      info.argc = ev->argc;
      auto& pend = pending_[ev->tid];
      pend.exec = std::move(info);
      pend.exec_inode = to_inode(ev->inode);
      return false;
    }
    case BPFAUDIT_EV_FORK: {
      if (!fits(sizeof(bpfaudit_fork_event))) return false;
      const auto* ev = static_cast<const bpfaudit_fork_event*>(data);
      ++forks_;
      auto parent = exe_.find(ev->parent_tgid);
      if (parent != exe_.end()) put_exe(ev->child_tgid, parent->second);
      // The child's argv area is a copy of its parent's.
      if (auto title = cmdline_.find(ev->parent_tgid); title != cmdline_.end())
        cmdline_.emplace(ev->child_tgid, title->second);
      return false;
    }
    case BPFAUDIT_EV_EXIT: {
      if (!fits(sizeof(bpfaudit_exit_event))) return false;
      const auto* ev = static_cast<const bpfaudit_exit_event*>(data);
      identities_.erase(ev->tid);
      pending_.erase(ev->tid);
      proctitle_.erase(ev->tid);
      last_cwd_.erase(ev->tid);
      cool();
      if (ev->last_thread) {
        ++exits_;
        drop_exe(ev->tgid);
        cmdline_.erase(ev->tgid);
      }
      return false;
    }
    default:
      ++malformed_;
      return false;
  }
}

}  // namespace bpfaudit::ebpf
