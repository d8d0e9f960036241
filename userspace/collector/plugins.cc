#include "plugins.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "json_sink.h"

namespace bpfaudit::collector {

namespace {

constexpr std::size_t kDataLen = MAX_AUDIT_MESSAGE_LENGTH;
// How far back the frame ends written to a plugin are kept (Channel::ends).
constexpr std::uint64_t kTrackBytes = 16 << 20;
// Stock's syslog action stops saying so after this many full-queue drops.
constexpr int kQueueFullLimit = 5;
constexpr std::int64_t kLossReportMs = 1000;
constexpr int kMaxIov = 64;
constexpr std::int64_t kExitWaitMs = 500;

DispatchEvent make_event(std::uint32_t ver, int type, std::string_view data) {
  DispatchEvent e;
  e.hdr.ver = ver;
  e.hdr.hlen = sizeof(audit_dispatcher_header);
  e.hdr.type = static_cast<std::uint32_t>(type);
  e.data.assign(data);
  e.hdr.size = static_cast<std::uint32_t>(e.data.size());
  return e;
}

}  // namespace

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

DispatchEvent raw_dispatch_event(int type, std::string_view payload) {
  return make_event(AUDISP_PROTOCOL_VER, type, payload);
}

DispatchEvent formatted_dispatch_event(int type, std::string_view line) {
  // Stock's formatted buffer holds MAX_AUDIT_MESSAGE_LENGTH - 1 characters;
  // a longer line is cut there and its size said as the whole buffer (the
  // NUL that ends it included).
  if (line.size() >= kDataLen - 1) {
    DispatchEvent e = make_event(AUDISP_PROTOCOL_VER2, type, line.substr(0, kDataLen - 1));
    e.data.push_back('\0');
    e.hdr.size = static_cast<std::uint32_t>(kDataLen);
    return e;
  }
  return make_event(AUDISP_PROTOCOL_VER2, type, line);
}

bool dispatches_formatted(const record::AuditdConf& conf) {
  return conf.log_format == record::LogFormat::kEnriched ||
         conf.name_format != record::NameFormat::kNone;
}

std::string plugin_string(const DispatchEvent& e) {
  // "%.*s": the data up to its first NUL.
  std::string_view data(e.data.data(), std::min<std::size_t>(e.hdr.size, e.data.size()));
  if (auto z = data.find('\0'); z != std::string_view::npos) data = data.substr(0, z);
  std::string out;
  if (e.hdr.ver == AUDISP_PROTOCOL_VER) {
    const char* name = audit_msg_type_to_name(static_cast<int>(e.hdr.type));
    out.reserve(data.size() + 32);
    out += "type=";
    if (name)
      out += name;
    else
      out += "UNKNOWN[" + std::to_string(e.hdr.type) + "]";
    out += " msg=";
  }
  out += data;
  out.push_back('\n');
  // Stock turns every newline but the last into a space.
  std::replace(out.begin(), out.end() - 1, '\n', ' ');
  return out;
}

std::string plugin_binary(const DispatchEvent& e) {
  std::string out(sizeof(audit_dispatcher_header) + kDataLen, '\0');
  std::memcpy(out.data(), &e.hdr, sizeof(e.hdr));
  std::memcpy(out.data() + sizeof(e.hdr), e.data.data(), std::min(e.data.size(), kDataLen));
  return out;
}

Dispatcher::Plugin::~Plugin() = default;

Dispatcher::Channel::Result Dispatcher::Channel::write_some() {
  while (!frames.empty()) {
    iovec iov[kMaxIov];
    int n = 0;
    int max_iov = kind == Kind::kDatagram ? 1 : kMaxIov;
    for (auto it = frames.begin(); it != frames.end() && n < max_iov; ++it, ++n) {
      std::size_t skip = n == 0 ? offset : 0;
      iov[n].iov_base = const_cast<char*>((*it)->data() + skip);
      iov[n].iov_len = (*it)->size() - skip;
    }
    // A socket: MSG_NOSIGNAL, so that a plugin gone is EPIPE here whatever
    // the process does with SIGPIPE. A plugin's pipe never has its last
    // reader gone: the dispatcher keeps the read end (Plugin::peer).
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = static_cast<std::size_t>(n);
    ssize_t w = kind == Kind::kFile || kind == Kind::kPipe
                    ? ::writev(fd.get(), iov, n)
                    : ::sendmsg(fd.get(), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return Result::kBlocked;
      return Result::kBroken;
    }
    auto left = static_cast<std::size_t>(w);
    while (left > 0) {
      std::size_t rest = frames.front()->size() - offset;
      if (left < rest) {
        offset += left;
        sent += left;
        break;
      }
      left -= rest;
      sent += rest;
      frames.pop_front();
      offset = 0;
      if (track) ends.push_back(sent);
    }
    // A pipe (64 KiB) or socket holds far less than this unread: the
    // frame end just before what a dead plugin read up to is always kept.
    while (track && ends.size() > 1 && ends.front() + kTrackBytes < sent) ends.pop_front();
  }
  return Result::kDone;
}

Dispatcher::~Dispatcher() { stop(0); }

void Dispatcher::watch(int fd, std::uint32_t events, bool add) {
  if (epoll_fd_ < 0) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

void Dispatcher::unwatch(int fd) {
  if (epoll_fd_ >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

// A plugin's pipe is in the epoll set only while it holds back bytes
// (stdin of a dead plugin would otherwise wake the loop for ever); an af_unix
// reader always is, to see it go.
void Dispatcher::set_out_interest(Channel& c, bool reader) {
  bool want = !c.frames.empty();
  if (want == c.watching_out) return;
  if (reader) {
    watch(c.fd.get(), EPOLLIN | EPOLLRDHUP | (want ? std::uint32_t{EPOLLOUT} : 0u), false);
  } else if (want) {
    watch(c.fd.get(), EPOLLOUT, true);
  } else {
    unwatch(c.fd.get());
  }
  c.watching_out = want;
}

void Dispatcher::start(const record::AuditdConf& conf) {
  log_group_ = conf.log_group;
  eoe_timeout_ = conf.end_of_event_timeout;
  q_depth_ = conf.q_depth;
  overflow_action_ = conf.overflow_action;
  max_restarts_ = conf.max_restarts;
  auto dir = load_plugin_dir(conf.plugin_dir);
  for (const auto& m : dir.messages) msg(m.priority, m.text);
  if (dir.active.empty()) {
    msg(LOG_NOTICE, "No plugins found, not dispatching events");
    return;
  }
  int started = 0;
  for (auto& c : dir.active) {
    auto p = std::make_unique<Plugin>();
    p->conf = std::move(c);
    if (start_one(*p)) ++started;
    plugins_.push_back(std::move(p));
  }
  msg(LOG_INFO, "audit dispatcher initialized with q_depth=" + std::to_string(q_depth_) + " and " +
                    std::to_string(started) + " active plugins");
}

bool Dispatcher::start_one(Plugin& p) {
  if (p.conf.type == PluginType::kBuiltin) {
    if (strcasecmp(p.conf.path.c_str(), "builtin_af_unix") == 0) {
      start_af_unix(p);
    } else if (strcasecmp(p.conf.path.c_str(), "builtin_json") == 0) {
      start_json(p);
    } else {
      msg(LOG_ERR, "Unknown builtin " + p.conf.path);
    }
    return true;
  }
  if (!exec_plugin(p)) {
    exec_failed(p);
    return false;
  }
  return true;
}

void Dispatcher::exec_failed(Plugin& p) {
  msg(LOG_ERR,
      "Error running " + p.conf.path + " (" + std::strerror(errno) + ") continuing without it");
  p.gave_up = true;
  p.out.frames.clear();
}

// Stock's safe_exec, with what the issue asks on top: every descriptor above
// stderr closed (stock closes 3..23), no signal blocked (the daemon blocks the
// ones its signalfd reads), an empty environment. SIGPIPE stays ignored: the
// daemon ignores it and an ignored signal stays so across exec, as in stock.
//
// stdin is a pipe where stock's is a socketpair: stock audisp-remote sends
// what it still holds at the end of its input only `if (is_pipe(0))`
// (audisp-remote.c, 3.0.9), and drops it otherwise. Measured with
// kernel.forged_records (16 and 18 runs, two receivers each): over a
// socketpair the sender's last record (DAEMON_END, written just before the
// plugins' input ends) reached a receiver 19 times of 32; over a pipe, 36 of
// 36. The pipe keeps its default 64 KiB: at 256 KiB, kernel.chaos_plugin's
// killed reader (cat, stopped, then killed) lost 64 to 702 records in 3 of 4
// runs, neither received nor counted: those just after the last it wrote,
// about one 128 KiB read of cat's, gone with the process. At 64 KiB: 8 of 8
// runs exact, as over the socketpair.
bool Dispatcher::exec_plugin(Plugin& p) {
  int sv[2];
  if (::pipe2(sv, O_CLOEXEC) != 0) return false;
  base::UniqueFd plugin_end(sv[0]), our_end(sv[1]);
  std::vector<char*> argv;
  argv.push_back(p.conf.path.data());
  for (auto& a : p.conf.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    plugin_end.reset();
    our_end.reset();
    errno = e;  // fork's, for the caller's message
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls: the daemon may have other threads.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(plugin_end.get(), 0) < 0) _exit(1);
    close_range(3, ~0U, 0);
    execve(p.conf.path.c_str(), argv.data(), envp);
    _exit(1);
  }
  int fd = our_end.get();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  p.pid = pid;
  p.peer = std::move(plugin_end);
  p.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  p.out.fd = std::move(our_end);
  p.out.kind = Channel::Kind::kPipe;
  p.out.offset = 0;
  p.out.watching_out = false;
  p.out.track = true;
  p.out.sent = 0;
  p.out.ends.assign(1, 0);
  fds_[fd] = {&p, &p.out};
  return true;
}

// Stock's init_af_unix: the arguments in order, digits being the socket's
// mode (octal) and a word with '/' its path, created fresh in an existing
// directory. Stock serves one reader at a time; here every connected reader
// gets the events, each with its own queue.
void Dispatcher::start_af_unix(Plugin& p) {
  p.af_unix = true;
  int mode = -1;
  // Stock's words when the socket's mode cannot be set (a mode given after
  // the path, or a path after the mode: both orders chmod).
  auto chmod_socket = [&](const std::string& path, const std::string& named) {
    if (chmod(path.c_str(), static_cast<mode_t>(mode)) == 0) return true;
    char buf[512];
    std::snprintf(buf, sizeof(buf), "Couldn't chmod %s to %04o (%s)", named.c_str(), mode,
                  std::strerror(errno));
    msg(LOG_ERR, buf);
    return false;
  };
  for (const auto& arg : p.conf.args) {
    bool digits = std::all_of(arg.begin(), arg.end(),
                              [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    if (digits) {
      errno = 0;
      mode = static_cast<int>(std::strtoul(arg.c_str(), nullptr, 8));
      if (errno) {
        msg(LOG_ERR, "Error converting " + arg + " (" + std::strerror(errno) + ")");
        stop_af_unix(p);
        return;
      }
      if (!p.socket_path.empty() && !chmod_socket(p.socket_path, arg)) {
        stop_af_unix(p);
        return;
      }
      continue;
    }
    if (arg.find('/') == std::string::npos) {
      msg(LOG_ERR, "Malformed path " + arg);
      stop_af_unix(p);
      return;
    }
    std::string copy = arg;
    std::string dir = ::dirname(copy.data());
    if (DIR* d = ::opendir(dir.c_str())) {
      ::closedir(d);
    } else {
      msg(LOG_ERR, "Couldn't open " + dir + " (" + std::strerror(errno) + ")");
      stop_af_unix(p);
      return;
    }
    ::unlink(arg.c_str());
    base::UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) {
      msg(LOG_ERR, std::string("Couldn't open af_unix socket (") + std::strerror(errno) + ")");
      stop_af_unix(p);
      return;
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", arg.c_str());
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
      msg(LOG_ERR, std::string("Couldn't bind af_unix socket (") + std::strerror(errno) + ")");
      stop_af_unix(p);
      return;
    }
    p.socket_path = arg;
    if (mode != -1 && !chmod_socket(arg, arg)) {
      stop_af_unix(p);
      return;
    }
    ::listen(s.get(), 5);
    p.listener = std::move(s);
    fds_[p.listener.get()] = {&p, nullptr};
    watch(p.listener.get(), EPOLLIN, true);
  }
  msg(LOG_INFO, "af_unix plugin initialized");
}

void Dispatcher::stop_af_unix(Plugin& p) {
  bool did = false;
  for (auto& r : p.readers) {
    fds_.erase(r->fd.get());
    unwatch(r->fd.get());
    did = true;
  }
  p.readers.clear();
  if (p.listener) {
    fds_.erase(p.listener.get());
    unwatch(p.listener.get());
    p.listener.reset();
    did = true;
  }
  if (!p.socket_path.empty()) {
    ::unlink(p.socket_path.c_str());
    p.socket_path.clear();
    did = true;
  }
  if (did) msg(LOG_INFO, "af_unix plugin terminated");
}

void Dispatcher::accept_readers(Plugin& p) {
  for (;;) {
    int fd = ::accept4(p.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<Channel>();
    c->fd.reset(fd);
    fds_[fd] = {&p, c.get()};
    watch(fd, EPOLLIN | EPOLLRDHUP, true);
    p.readers.push_back(std::move(c));
  }
}

void Dispatcher::close_reader(Plugin& p, Channel* c) {
  fds_.erase(c->fd.get());
  unwatch(c->fd.get());
  p.readers.erase(std::remove_if(p.readers.begin(), p.readers.end(),
                                 [c](const std::unique_ptr<Channel>& r) { return r.get() == c; }),
                  p.readers.end());
}

void Dispatcher::stop_one(Plugin& p, bool say_inactive) {
  if (say_inactive) msg(LOG_INFO, "Terminating " + p.conf.path + " because its now inactive");
  if (p.af_unix) {
    stop_af_unix(p);
    return;
  }
  if (p.json) {
    close_json(p);
    return;
  }
  if (p.pid > 0) ::kill(p.pid, SIGTERM);
  if (p.out.fd) {
    fds_.erase(p.out.fd.get());
    if (p.out.watching_out) unwatch(p.out.fd.get());
    p.out.fd.reset();
  }
  p.peer.reset();
  p.pidfd.reset();
  p.out.watching_out = false;
  p.pid = 0;
}

void Dispatcher::overflow(Plugin& p) {
  ++p.dropped;
  switch (overflow_action_) {
    case record::OverflowAction::kIgnore:
      break;
    case record::OverflowAction::kSyslog:
      if (queue_full_warnings_ < kQueueFullLimit) {
        msg(LOG_ERR, "queue to plugins is full - dropping event");
        if (++queue_full_warnings_ == kQueueFullLimit)
          msg(LOG_ERR,
              "auditd queue full reporting limit reached - ending dropped event notifications");
      }
      break;
    case record::OverflowAction::kSuspend:
      msg(LOG_ALERT, "Auditd is suspending event passing to plugins due to overflowing its queue.");
      p.suspended = true;
      break;
    case record::OverflowAction::kSingle:
      msg(LOG_ALERT,
          "Auditd is now changing the system to single user mode due to overflowing its queue");
      if (!start_runlevel_change("1")) msg(LOG_ALERT, "Audispd failed to fork switching runlevels");
      break;
    case record::OverflowAction::kHalt:
      msg(LOG_ALERT, "Auditd is now halting the system due to overflowing its queue");
      if (!start_runlevel_change("0")) msg(LOG_ALERT, "Audispd failed to fork switching runlevels");
      break;
  }
}

void Dispatcher::enqueue(Plugin& p, Channel& c, const std::shared_ptr<const std::string>& frame,
                         bool countable) {
  if (p.suspended) {
    if (countable) ++p.dropped;
    return;
  }
  // Full: whatever the socket takes now makes room first, so that only a
  // plugin that does not keep up loses events, not one that merely has not
  // been written to since this drain of the kernel socket began.
  if (c.frames.size() >= q_depth_ && c.fd) (void)c.write_some();
  if (c.frames.size() >= q_depth_) {
    if (countable) overflow(p);
    return;
  }
  c.frames.push_back(frame);
}

void Dispatcher::dispatch(const DispatchEvent& e, bool countable) {
  if (plugins_.empty()) return;
  std::shared_ptr<const std::string> text, binary;
  for (auto& pp : plugins_) {
    Plugin& p = *pp;
    if (p.gave_up) continue;
    if (p.json) {
      feed_json(p, e, countable);
      continue;
    }
    bool bin = p.conf.format == PluginFormat::kBinary;
    auto& frame = bin ? binary : text;
    if (!frame)
      frame = std::make_shared<const std::string>(bin ? plugin_binary(e) : plugin_string(e));
    if (p.af_unix) {
      for (auto& r : p.readers) enqueue(p, *r, frame, countable);
    } else if (p.out.fd) {
      enqueue(p, p.out, frame, countable);
    }
  }
}

// Stock's answer to EPIPE: the plugin is said to be gone, restarted unless it
// has used up max_restarts, and given the event it missed again (a frame it
// got part of is written whole to the new process).
void Dispatcher::broken(Plugin& p) {
  msg(LOG_ERR, "plugin " + p.conf.path + " terminated unexpectedly");
  fds_.erase(p.out.fd.get());
  if (p.out.watching_out) unwatch(p.out.fd.get());
  p.out.fd.reset();
  p.peer.reset();
  p.pidfd.reset();
  p.out.watching_out = false;
  p.out.offset = 0;
  p.pid = 0;
  ++p.restarts;
  if (p.restarts > max_restarts_) {
    msg(LOG_ERR, "plugin " + p.conf.path + " has exceeded max_restarts");
    p.gave_up = true;
    // Dispatched to it and never to be read: counted as its drops.
    p.dropped += p.out.frames.size();
    p.out.frames.clear();
    return;
  }
  if (!exec_plugin(p)) {
    exec_failed(p);
    return;
  }
  msg(LOG_NOTICE, "plugin " + p.conf.path + " was restarted");
}

// Measured before this (tests/kernel/chaos_test.sh plugin): a plugin killed
// under a flood took the unread contents of its socket with it, about a
// thousand records that were neither received nor counted as dropped.
void Dispatcher::died(Plugin& p) {
  Channel& c = p.out;
  std::string unread;
  if (p.peer) {
    // Non-blocking from now on: the process that read this pipe is gone
    // (its successor gets a pipe of its own).
    ::fcntl(p.peer.get(), F_SETFL, ::fcntl(p.peer.get(), F_GETFL) | O_NONBLOCK);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(p.peer.get(), buf, sizeof(buf))) > 0)
      unread.append(buf, static_cast<std::size_t>(n));
  }
  // The stream offset the dead process had read up to, and the frame ends
  // after it: frames wholly after it are queued again in front of the rest;
  // the frame it stopped inside is a drop. Bytes past the last end are the
  // head of the frame being written, which broken() has written whole again.
  std::uint64_t read_to = c.sent - std::min<std::uint64_t>(c.sent, unread.size());
  std::deque<std::shared_ptr<const std::string>> again;
  std::optional<std::uint64_t> from;
  for (std::uint64_t end : c.ends) {
    if (end < read_to) continue;
    if (end == read_to) {
      from = end;
      continue;
    }
    if (!from) {
      ++p.dropped;  // it read part of this frame
    } else {
      again.push_back(std::make_shared<const std::string>(
          unread.substr(static_cast<std::size_t>(*from - read_to),
                        static_cast<std::size_t>(end - *from))));
    }
    from = end;
  }
  c.frames.insert(c.frames.begin(), again.begin(), again.end());
  broken(p);
}

void Dispatcher::flush_plugin(Plugin& p) {
  if (p.json) {
    flush_json(p);
    return;
  }
  if (p.af_unix) {
    std::vector<Channel*> gone;
    for (auto& r : p.readers) {
      if (r->frames.empty()) continue;
      if (r->write_some() == Channel::Result::kBroken)
        gone.push_back(r.get());
      else
        set_out_interest(*r, true);
    }
    for (Channel* c : gone) close_reader(p, c);
    return;
  }
  // A restarted plugin is written to at once; one that dies at once again
  // costs a restart each time, as in stock, until max_restarts.
  // The plugin's end stays open here, so its death shows as its pidfd, not
  // as EPIPE.
  if (p.out.fd && p.pidfd) {
    pollfd pf{p.pidfd.get(), POLLIN, 0};
    if (::poll(&pf, 1, 0) > 0) died(p);
  }
  while (p.out.fd && !p.out.frames.empty()) {
    auto r = p.out.write_some();
    if (r != Channel::Result::kBroken) break;
    died(p);
  }
  if (p.out.fd) set_out_interest(p.out, false);
}

void Dispatcher::flush() {
  for (auto& p : plugins_)
    if (!p->gave_up) flush_plugin(*p);
}

void Dispatcher::on_ready(int fd, std::uint32_t events) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  auto [p, c] = it->second;
  if (!c) {
    accept_readers(*p);
    return;
  }
  if (p->af_unix && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
    // Readers only read; what they send is dropped, their end is seen here.
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
        (events & (EPOLLHUP | EPOLLERR))) {
      close_reader(*p, c);
      return;
    }
  }
  flush_plugin(*p);
}

void Dispatcher::reaped(pid_t pid) {
  for (auto& p : plugins_)
    if (p->pid == pid) p->pid = 0;
}

void Dispatcher::resume() {
  for (auto& p : plugins_) p->suspended = false;
}

void Dispatcher::reconfigure(const record::AuditdConf& conf) {
  log_group_ = conf.log_group;
  eoe_timeout_ = conf.end_of_event_timeout;
  q_depth_ = conf.q_depth;
  overflow_action_ = conf.overflow_action;
  max_restarts_ = conf.max_restarts;
  queue_full_warnings_ = 0;
  resume();
  if (plugins_.empty()) {
    start(conf);
    return;
  }
  auto dir = load_plugin_dir(conf.plugin_dir);
  for (const auto& m : dir.messages) msg(m.priority, m.text);
  std::vector<bool> seen(plugins_.size(), false);
  for (auto& nc : dir.active) {
    auto it = std::find_if(plugins_.begin(), plugins_.end(),
                           [&](const auto& p) { return p->conf.name == nc.name; });
    if (it == plugins_.end()) {
      auto p = std::make_unique<Plugin>();
      p->conf = std::move(nc);
      start_one(*p);
      plugins_.push_back(std::move(p));
      seen.push_back(true);
      continue;
    }
    Plugin& p = **it;
    seen[static_cast<std::size_t>(it - plugins_.begin())] = true;
    if (p.gave_up) {
      // Stopped before (inactive, or out of restarts): a new start with the
      // new settings, as stock restarts a plugin whose state changed.
      p.conf = std::move(nc);
      p.gave_up = false;
      p.restarts = 0;
      start_one(p);
      continue;
    }
    if (p.json) {
      reconfigure_json(p, std::move(nc));
      continue;
    }
    // A running builtin is left as it is (stock sends SIGHUP to programs only).
    if (p.af_unix || p.conf.type != PluginType::kAlways) continue;
    if (p.conf.inode == nc.inode) {
      if (p.pid > 0) ::kill(p.pid, SIGHUP);
      continue;
    }
    msg(LOG_INFO, "Restarting " + p.conf.path + " since binary changed");
    stop_one(p, false);
    p.conf.inode = nc.inode;
    p.out.offset = 0;
    if (!exec_plugin(p)) exec_failed(p);
  }
  for (std::size_t i = 0; i < plugins_.size(); ++i) {
    if (seen[i] || plugins_[i]->gave_up) continue;
    stop_one(*plugins_[i], true);
    plugins_[i]->gave_up = true;
    plugins_[i]->out.frames.clear();
  }
  bool any =
      std::any_of(plugins_.begin(), plugins_.end(), [](const auto& p) { return !p->gave_up; });
  if (!any) {
    msg(LOG_INFO, "After reconfigure, there are no active plugins, exiting");
    plugins_.clear();
    fds_.clear();
  }
}

std::vector<record::LossEntry> Dispatcher::take_losses(std::int64_t now, bool all) {
  std::vector<record::LossEntry> out;
  for (auto& p : plugins_) {
    if (p->dropped == 0 || (!all && now - p->last_report_ms < kLossReportMs)) continue;
    out.push_back(record::LossEntry::plugin_drop(p->conf.name, p->dropped));
    p->dropped = 0;
    p->last_report_ms = now;
  }
  return out;
}

void Dispatcher::stop(int wait_ms) {
  if (plugins_.empty()) return;
  // builtin_json: the events still open are finished and queued.
  for (auto& p : plugins_) {
    if (!p->json || p->gave_up) continue;
    p->json->events.close_all();
    queue_json(*p, true);
  }
  std::int64_t deadline = steady_ms() + wait_ms;
  for (;;) {
    flush();
    std::vector<pollfd> waiting;
    for (auto& p : plugins_) {
      if (p->gave_up) continue;
      if (p->out.fd && !p->out.frames.empty()) waiting.push_back({p->out.fd.get(), POLLOUT, 0});
      for (auto& r : p->readers)
        if (!r->frames.empty()) waiting.push_back({r->fd.get(), POLLOUT, 0});
    }
    std::int64_t left = deadline - steady_ms();
    if (waiting.empty() || left <= 0) break;
    ::poll(waiting.data(), waiting.size(), static_cast<int>(std::min<std::int64_t>(left, 50)));
  }
  // End of input first: a plugin that reads to the end gets what the pipe
  // still holds (stock sends SIGTERM at once, which can cut that short), and
  // SIGTERM for those still running when the time is up.
  std::vector<pid_t> running;
  for (auto& p : plugins_) {
    if (p->gave_up) continue;
    if (p->af_unix) {
      stop_af_unix(*p);
      continue;
    }
    if (p->out.fd) {
      fds_.erase(p->out.fd.get());
      if (p->out.watching_out) unwatch(p->out.fd.get());
      p->out.fd.reset();
    }
    p->peer.reset();
    p->pidfd.reset();
    if (p->pid > 0) running.push_back(p->pid);
    p->pid = 0;
  }
  // Their own moment to read the rest and exit, however long the writing took.
  std::int64_t exit_deadline = steady_ms() + kExitWaitMs;
  while (!running.empty() && steady_ms() < exit_deadline) {
    running.erase(std::remove_if(running.begin(), running.end(),
                                 [](pid_t pid) { return waitpid(pid, nullptr, WNOHANG) != 0; }),
                  running.end());
    if (!running.empty()) ::usleep(10000);
  }
  for (pid_t pid : running) ::kill(pid, SIGTERM);
  plugins_.clear();
  fds_.clear();
}

}  // namespace bpfaudit::collector
