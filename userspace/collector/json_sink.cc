#include "json_sink.h"

#include <fcntl.h>
#include <libaudit.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "json.h"
#include "record.h"

namespace bpfaudit::collector {

namespace {

constexpr std::string_view kUnixPrefix = "unix:";
// While the output cannot be opened, a new attempt this often; what arrives
// meanwhile waits in the plugin's queue (q_depth events, then overflow_action).
constexpr std::int64_t kRetryMs = 1000;

base::Error errno_error(const std::string& what) {
  return base::Error{-errno, what + " (" + std::strerror(errno) + ")"};
}

base::Result<JsonOutput> open_json_file(const std::string& path, gid_t log_group) {
  JsonOutput out;
  const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
  const mode_t mode = log_group ? 0640 : 0600;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0 && errno == ENOENT) {
    std::string dir = path.substr(0, path.rfind('/'));
    // One level, as a fresh /var/log/bpfaudit needs; the rest must exist.
    if (!dir.empty() && ::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
      return errno_error("cannot create directory " + dir);
    // O_EXCL with O_NOFOLLOW: a symlink planted meanwhile is never followed.
    fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, mode);
  }
  if (fd < 0) return errno_error("cannot open " + path);
  out.fd.reset(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno_error("cannot stat " + path);
  if (!S_ISREG(st.st_mode)) return base::Error{-EINVAL, path + " is not a regular file"};
  // As the log: an existing file gets the mode and group it would have been
  // created with, so audit data never stays readable by whoever made it so.
  if (::fchmod(fd, mode) != 0 || ::fchown(fd, 0, log_group) != 0)
    return errno_error("cannot set the mode and owner of " + path);
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  return out;
}

base::Result<JsonOutput> connect_json_socket(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path))
    return base::Error{-ENAMETOOLONG, "socket path too long: " + path};
  std::memcpy(sa.sun_path, path.data(), path.size());
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    base::UniqueFd s(::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) return errno_error("cannot make a socket");
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
      JsonOutput out;
      out.fd = std::move(s);
      out.datagram = type == SOCK_DGRAM;
      return out;
    }
    // A stream connect to a datagram listener says EPROTOTYPE: try datagram.
    if (errno != EPROTOTYPE) break;
  }
  return errno_error("cannot connect to " + path);
}

}  // namespace

base::Result<JsonTarget> parse_json_target(const std::vector<std::string>& args) {
  if (args.size() != 1)
    return base::Error{-EINVAL, "builtin_json needs one argument: FILE or unix:SOCKET"};
  JsonTarget t;
  std::string_view a = args[0];
  if (a.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    t.socket = true;
    a.remove_prefix(kUnixPrefix.size());
  }
  if (a.empty() || a.front() != '/')
    return base::Error{-EINVAL, "builtin_json: " + args[0] + " is not an absolute path"};
  t.path.assign(a);
  return t;
}

base::Result<JsonOutput> open_json_output(const JsonTarget& target, gid_t log_group) {
  return target.socket ? connect_json_socket(target.path) : open_json_file(target.path, log_group);
}

bool json_file_moved(const JsonTarget& target, const JsonOutput& out) {
  if (target.socket) return false;
  struct stat st;
  if (::lstat(target.path.c_str(), &st) != 0) return true;
  return st.st_dev != out.dev || st.st_ino != out.ino;
}

JsonEvents::JsonEvents(std::uint64_t eoe_timeout_s)
    : assembler_(eoe_timeout_s), timeout_ms_(static_cast<std::int64_t>(eoe_timeout_s) * 1000) {}

bool JsonEvents::add(const DispatchEvent& e, std::int64_t now_ms) {
  // The log line: stock's string format of either protocol is exactly it.
  std::string line = plugin_string(e);
  line.pop_back();
  auto header = record::parse_header(line);
  if (!header) return false;
  last_add_ms_ = now_ms;
  if (header->type == AUDIT_EOE) {
    assembler_.complete(header->id);
    return true;
  }
  return assembler_.add(*header, record::view_record(line, header->type));
}

void JsonEvents::tick(std::int64_t now_ms) {
  if (!assembler_.empty() && now_ms - last_add_ms_ >= timeout_ms_) assembler_.close_all();
}

void JsonEvents::close_all() { assembler_.close_all(); }

bool JsonEvents::pop(std::string& line) {
  if (!assembler_.pop_ready(event_)) return false;
  line.clear();
  record::write_json(event_, line);
  return true;
}

// The dispatcher's side of builtin_json.

void Dispatcher::start_json(Plugin& p) {
  auto target = parse_json_target(p.conf.args);
  if (!target) {
    msg(LOG_ERR, target.error().message);
    p.gave_up = true;
    return;
  }
  p.json = std::make_unique<JsonPlugin>(std::move(*target), eoe_timeout_);
  p.out.frames.clear();
  p.out.offset = 0;
  open_json(p, 0);
  msg(LOG_INFO, "json plugin initialized");
}

bool Dispatcher::open_json(Plugin& p, std::int64_t now_ms) {
  JsonPlugin& j = *p.json;
  auto out = open_json_output(j.target, log_group_);
  if (!out) {
    j.retry_ms = now_ms + kRetryMs;
    if (!j.said_down) msg(LOG_ERR, "json plugin: " + out.error().message + ", will retry");
    j.said_down = true;
    return false;
  }
  if (j.said_down) msg(LOG_NOTICE, "json plugin: writing to " + j.target.path + " again");
  j.said_down = false;
  j.dev = out->dev;
  j.ino = out->ino;
  p.out.kind = j.target.socket ? (out->datagram ? Channel::Kind::kDatagram : Channel::Kind::kStream)
                               : Channel::Kind::kFile;
  p.out.fd = std::move(out->fd);
  // A frame cut short on the old output is written whole to the new one.
  p.out.offset = 0;
  p.out.watching_out = false;
  if (j.target.socket) fds_[p.out.fd.get()] = {&p, &p.out};
  return true;
}

void Dispatcher::close_json(Plugin& p) {
  if (!p.out.fd) return;
  fds_.erase(p.out.fd.get());
  if (p.out.watching_out) unwatch(p.out.fd.get());
  p.out.watching_out = false;
  p.out.fd.reset();
}

void Dispatcher::queue_json(Plugin& p, bool countable) {
  std::string line;
  while (p.json->events.pop(line))
    enqueue(p, p.out, std::make_shared<const std::string>(std::move(line)), countable);
}

void Dispatcher::feed_json(Plugin& p, const DispatchEvent& e, bool countable) {
  // Wall time only decides when an idle stream's open events are closed.
  p.json->events.add(e, steady_ms());
  queue_json(p, countable);
}

void Dispatcher::flush_json(Plugin& p) {
  if (!p.out.fd || p.out.frames.empty()) return;
  if (p.out.write_some() == Channel::Result::kBroken) {
    int err = errno;
    msg(LOG_ERR, "json plugin: writing to " + p.json->target.path + " failed (" +
                     std::strerror(err) + "), will reopen");
    p.json->said_down = true;
    close_json(p);
    // What the shipper was sent but may not have read is not sent again; the
    // queue keeps the rest for the next output.
    p.json->retry_ms = 0;
    return;
  }
  // A file takes everything or fails; a socket that is full waits for EPOLLOUT.
  if (p.out.kind != Channel::Kind::kFile) set_out_interest(p.out, false);
}

void Dispatcher::reconfigure_json(Plugin& p, PluginConf nc) {
  auto target = parse_json_target(nc.args);
  p.conf = std::move(nc);
  if (!target) {
    msg(LOG_ERR, target.error().message);
    close_json(p);
    p.gave_up = true;
    p.out.frames.clear();
    return;
  }
  // SIGHUP reopens, as logrotate's postrotate expects of a log writer; the
  // events still open keep assembling across it.
  close_json(p);
  p.json->target = std::move(*target);
  open_json(p, steady_ms());
  flush_json(p);
}

void Dispatcher::tick(std::int64_t now) {
  for (auto& pp : plugins_) {
    Plugin& p = *pp;
    if (!p.json || p.gave_up) continue;
    p.json->events.tick(now);
    queue_json(p, true);
    if (p.out.fd && p.out.kind == Channel::Kind::kFile) {
      JsonOutput current;
      current.dev = p.json->dev;
      current.ino = p.json->ino;
      if (json_file_moved(p.json->target, current)) {
        // Rotated without a SIGHUP (renamed or removed): what is queued goes
        // to the old file first, the rest to a new one at the path.
        flush_json(p);
        close_json(p);
        p.json->retry_ms = 0;
      }
    }
    if (!p.out.fd && now >= p.json->retry_ms) open_json(p, now);
    flush_json(p);
  }
}

}  // namespace bpfaudit::collector
