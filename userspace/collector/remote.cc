#include "remote.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libaudit.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "remote_frame.h"

namespace bpfaudit::collector {

namespace {

// Bytes read from one connection per readiness event, so that a sender that
// floods the port shares the loop with the kernel socket and the others.
constexpr std::size_t kReadPerEvent = 64 << 10;
// After accept() ran out of descriptors, the listener rests this long
// (level-triggered, it would otherwise wake the loop without end).
constexpr std::int64_t kAcceptPauseMs = 1000;

std::string addr_text(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof(buf));
  else if (a.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf, sizeof(buf));
  return buf;
}

unsigned port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

// Stock's messages name a peer right-aligned in 52 columns, then :PORT.
std::string peer_for_messages(const sockaddr_storage& a) {
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%52s:%u", addr_text(a).c_str(), port_of(a));
  return buf;
}

bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET)
    return std::memcmp(&reinterpret_cast<const sockaddr_in&>(a).sin_addr,
                       &reinterpret_cast<const sockaddr_in&>(b).sin_addr, sizeof(in_addr)) == 0;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
}

}  // namespace

std::string remote_peer_fields(const sockaddr_storage& addr) {
  return "addr=" + addr_text(addr) + " port=" + std::to_string(port_of(addr));
}

RemoteReceiver::RemoteReceiver(const record::AuditdConf& conf, int epoll_fd, Hooks hooks)
    : conf_(conf), epoll_fd_(epoll_fd), hooks_(std::move(hooks)) {}

RemoteReceiver::~RemoteReceiver() {
  for (auto& l : listeners_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l.get(), nullptr);
  for (auto& [fd, c] : clients_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

base::Result<std::unique_ptr<RemoteReceiver>> RemoteReceiver::open(const record::AuditdConf& conf,
                                                                   int epoll_fd, Hooks hooks) {
  std::unique_ptr<RemoteReceiver> r(new RemoteReceiver(conf, epoll_fd, std::move(hooks)));
  addrinfo hints{};
  hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  std::string port = std::to_string(conf.tcp_listen_port);
  addrinfo* ai = nullptr;
  if (getaddrinfo(nullptr, port.c_str(), &hints, &ai) != 0)
    return base::Result<std::unique_ptr<RemoteReceiver>>::fail(-EINVAL, "Cannot lookup addresses");
  // As stock: one IPv4 and one IPv6 address give one IPv6 socket that also
  // takes IPv4 (peers then read ::ffff:a.b.c.d); otherwise one socket each,
  // IPv6 ones v6-only.
  int v4 = 0, v6 = 0, n = 0;
  for (addrinfo* p = ai; p && n < 4; p = p->ai_next, ++n) {
    v4 += p->ai_family == AF_INET;
    v6 += p->ai_family == AF_INET6;
  }
  bool dual = n == 2 && v4 && v6;
  std::string why;
  n = 0;
  for (addrinfo* p = ai; p && n < 4; p = p->ai_next, ++n) {
    if (dual && p->ai_family == AF_INET) continue;
    base::UniqueFd s(::socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                              p->ai_protocol));
    if (!s) {
      why = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!dual && p->ai_family == AF_INET6)
      setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(s.get(), p->ai_addr, p->ai_addrlen) != 0 ||
        ::listen(s.get(), static_cast<int>(conf.tcp_listen_queue)) != 0) {
      why = std::strerror(errno);
      continue;
    }
    r->watch(s.get(), EPOLLIN, true);
    r->listeners_.push_back(std::move(s));
  }
  freeaddrinfo(ai);
  // Stock counts a socket whose port is taken as listening and carries on
  // deaf; here a receiver that cannot listen is an error.
  if (r->listeners_.empty())
    return base::Result<std::unique_ptr<RemoteReceiver>>::fail(
        -EADDRNOTAVAIL,
        "Cannot listen on TCP port " + port + (why.empty() ? "" : " (" + why + ")"));
  r->hooks_.say(LOG_DEBUG, "Listening on TCP port " + port);
  return r;
}

bool RemoteReceiver::owns(int fd) const {
  if (clients_.count(fd)) return true;
  for (const auto& l : listeners_)
    if (l.get() == fd) return true;
  return false;
}

void RemoteReceiver::watch(int fd, std::uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

void RemoteReceiver::set_listening(bool on) {
  if (on == listening_) return;
  listening_ = on;
  for (auto& l : listeners_) {
    if (on)
      watch(l.get(), EPOLLIN, true);
    else
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l.get(), nullptr);
  }
}

void RemoteReceiver::on_ready(int fd, std::uint32_t events, std::int64_t now_ms) {
  for (const auto& l : listeners_)
    if (l.get() == fd) {
      accept_all(fd, now_ms);
      return;
    }
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  if ((events & EPOLLOUT) && !c.out.empty()) {
    if (!send(c, {})) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_client(c, now_ms);
}

void RemoteReceiver::accept_all(int listen_fd, std::int64_t now_ms) {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    base::UniqueFd fd(::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                                SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        hooks_.say(LOG_ERR, std::string("Unable to accept TCP connection (") +
                                std::strerror(errno) + "), not accepting for a second");
        accept_paused_until_ms_ = now_ms + kAcceptPauseMs;
        set_listening(false);
      }
      return;
    }
    unsigned port = port_of(addr);
    if (port < conf_.tcp_client_min_port || port > conf_.tcp_client_max_port) {
      hooks_.say(LOG_ERR, "TCP connection from " + peer_for_messages(addr) + " rejected");
      hooks_.daemon_record(AUDIT_DAEMON_ACCEPT, "op=port " + remote_peer_fields(addr) + " res=no");
      ::shutdown(fd.get(), SHUT_RDWR);
      continue;
    }
    unsigned same = 0;
    for (const auto& [cfd, c] : clients_) same += same_host(c.addr, addr);
    if (same >= conf_.tcp_max_per_addr) {
      hooks_.say(LOG_ERR, "Too many connections from " + peer_for_messages(addr) + " - rejected");
      hooks_.daemon_record(AUDIT_DAEMON_ACCEPT, "op=dup " + remote_peer_fields(addr) + " res=no");
      ::shutdown(fd.get(), SHUT_RDWR);
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int raw = fd.get();
    Client c;
    c.fd = std::move(fd);
    c.addr = addr;
    c.id = next_id_++;
    c.last_active_ms = now_ms;
    fd_of_[c.id] = raw;
    clients_.emplace(raw, std::move(c));
    watch(raw, EPOLLIN, true);
    hooks_.daemon_record(AUDIT_DAEMON_ACCEPT, remote_peer_fields(addr) + " res=success");
  }
}

void RemoteReceiver::read_client(Client& c, std::int64_t now_ms) {
  char buf[16 << 10];
  std::size_t got = 0;
  int fd = c.fd.get();
  while (got < kReadPerEvent) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      if (n < 0)
        hooks_.say(LOG_WARNING,
                   "client " + peer_for_messages(c.addr) + " socket closed unexpectedly");
      // Stock logs whatever a half frame held; here it is refused and said.
      close_client(fd, c.in.empty() ? "" : "partial-frame");
      return;
    }
    got += static_cast<std::size_t>(n);
    c.last_active_ms = now_ms;
    if (c.in.empty()) c.frame_started_ms = now_ms;
    c.in.append(buf, static_cast<std::size_t>(n));
    if (!take_frames(c, now_ms)) return;
  }
}

bool RemoteReceiver::take_frames(Client& c, std::int64_t now_ms) {
  using Status = remote::FrameScan::Status;
  std::size_t at = 0;
  int fd = c.fd.get();
  for (;;) {
    auto scan = remote::scan_frame(std::string_view(c.in).substr(at));
    if (scan.status == Status::kNeedMore) break;
    if (scan.status == Status::kBadMagic) {
      close_client(fd, "bad-magic");
      return false;
    }
    if (scan.status == Status::kTooLong) {
      close_client(fd, "too-long");
      return false;
    }
    at += scan.consumed;
    if (scan.header.type == remote::kHeartbeat) {
      // Sent with the rest of this pass's replies: one send() per read.
      c.out += remote::pack_frame(remote::kAck, scan.header.seq);
    } else if (scan.header.type == remote::kMessage) {
      std::string_view line = remote::message_record(scan.text);
      // An empty record is answered but not written (stock writes a blank line).
      if (!line.empty()) hooks_.record(line);
      unacked_.push_back({c.id, scan.header.seq});
    } else {
      close_client(fd, "bad-type");
      return false;
    }
  }
  c.in.erase(0, at);
  if (!c.in.empty() && at) c.frame_started_ms = now_ms;
  return c.out.empty() || send(c, {});
}

bool RemoteReceiver::send(Client& c, std::string_view bytes) {
  c.out.append(bytes);
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      close_client(c.fd.get(), "");
      return false;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  if (c.out.size() > kMaxAckBacklog) {
    close_client(c.fd.get(), "ack-backlog");
    return false;
  }
  bool want_out = !c.out.empty();
  if (want_out != c.watching_out) {
    c.watching_out = want_out;
    watch(c.fd.get(), EPOLLIN | (want_out ? EPOLLOUT : 0u), false);
  }
  return true;
}

void RemoteReceiver::written(LogFile::Outcome outcome, bool space_low) {
  std::uint32_t type = remote::kAck;
  const char* text = "";
  switch (outcome) {
    case LogFile::Outcome::kWritten:
      if (space_low) type = remote::kDiskLow;
      break;
    case LogFile::Outcome::kNoLog:
      break;
    case LogFile::Outcome::kDiskFull:
      type = remote::kDiskFull;
      text = "disk full";
      break;
    case LogFile::Outcome::kDiskError:
      type = remote::kDiskError;
      text = "disk write error";
      break;
    case LogFile::Outcome::kSuspended:
      type = remote::kDiskError;
      text = "remote logging suspended";
      break;
  }
  // Replies go out in arrival order; a sender that left meanwhile is skipped.
  std::deque<Unacked> due;
  due.swap(unacked_);
  std::vector<std::uint64_t> touched;
  for (const auto& u : due) {
    auto f = fd_of_.find(u.client_id);
    if (f == fd_of_.end()) continue;
    Client& c = clients_.at(f->second);
    if (touched.empty() || touched.back() != u.client_id) touched.push_back(u.client_id);
    c.out += remote::pack_frame(type, u.seq, text);
  }
  // One send() per sender; sending may close one (and record it).
  for (auto id : touched) {
    auto f = fd_of_.find(id);
    if (f != fd_of_.end()) send(clients_.at(f->second), {});
  }
}

void RemoteReceiver::close_client(int fd, std::string_view failure) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  std::string body = remote_peer_fields(c.addr);
  if (failure.empty())
    body += " res=success";
  else
    body = "op=" + std::string(failure) + " " + body + " res=failed";
  if (!failure.empty())
    hooks_.say(LOG_WARNING, "client " + peer_for_messages(c.addr) + " closed: " +
                                std::string(failure));
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  ::shutdown(fd, SHUT_RDWR);
  fd_of_.erase(c.id);
  clients_.erase(it);
  hooks_.daemon_record(AUDIT_DAEMON_CLOSE, body);
  // A slot freed: accept again if descriptors had run out.
  if (!listening_) {
    accept_paused_until_ms_ = 0;
    set_listening(true);
  }
}

void RemoteReceiver::tick(std::int64_t now_ms) {
  if (!listening_ && now_ms >= accept_paused_until_ms_) set_listening(true);
  std::vector<std::pair<int, const char*>> to_close;
  for (const auto& [fd, c] : clients_) {
    if (!c.in.empty() && now_ms - c.frame_started_ms >= kFrameTimeoutMs) {
      to_close.emplace_back(fd, "partial-frame");
    } else if (conf_.tcp_client_max_idle &&
               now_ms - c.last_active_ms >= static_cast<std::int64_t>(conf_.tcp_client_max_idle) *
                                                1000) {
      hooks_.say(LOG_NOTICE,
                 "client " + peer_for_messages(c.addr) + " idle too long - closing connection");
      to_close.emplace_back(fd, "");
    }
  }
  for (auto& [fd, why] : to_close) close_client(fd, why);
}

void RemoteReceiver::reconfigure(const record::AuditdConf& conf) {
  unsigned port = conf_.tcp_listen_port, queue = conf_.tcp_listen_queue;
  conf_ = conf;
  conf_.tcp_listen_port = port;
  conf_.tcp_listen_queue = queue;
}

void RemoteReceiver::shutdown() {
  for (auto& l : listeners_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l.get(), nullptr);
  listeners_.clear();
  while (!clients_.empty()) {
    Client& c = clients_.begin()->second;
    int fd = c.fd.get();
    // Best effort, as stock: a sender that stopped reading does not hold us.
    send(c, remote::pack_frame(remote::kEnding, 0));
    close_client(fd, "");
  }
}

}  // namespace bpfaudit::collector
