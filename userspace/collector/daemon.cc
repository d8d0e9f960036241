#include "daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libaudit.h>
#include <netdb.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "audit_socket.h"
#include "auditd_conf.h"
#include "control.h"
#include "format.h"
#include "log_file.h"
#include "log_reader.h"
#include "loss.h"
#include "plugins.h"
#include "service_notify.h"
#include "prefilter_engine.h"
#include "record.h"
#include "remote.h"
#include "remote_frame.h"
#include "trace_format.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

namespace {

constexpr std::size_t kBatchBytes = 256 << 10;
constexpr std::size_t kMaxDrain = 1024;
// eBPF records may be this much older than kernel records that arrive with
// them; while a source is attached everything waits this long to be ordered.
constexpr std::int64_t kHoldMs = 200;
constexpr std::size_t kMaxClientLine = 2 * record::kMaxRecordLength;
// The kernel makes every sender of an audit netlink command (our AUDIT_GET for
// `lost` included; the registered daemon is not exempt) sleep in audit_receive()
// on the backlog wait queue while the queue is over backlog_limit. Asking then
// stalls the drain loop while kauditd blocks on our full socket, and the sleep
// takes the one exclusive wake-up kauditd gives per pass, leaving a producer
// asleep for up to backlog_wait_time. So `lost` is only asked for once no event
// has arrived for this long: kauditd has nothing queued for us then.
constexpr std::int64_t kLostQuietMs = 1000;
constexpr std::int64_t kLostPollMs = 1000;
constexpr int kPluginDrainMs = 1000;

bool g_foreground = false;
// Background start: the parent waits on this pipe for the child's status.
base::UniqueFd g_ready;

void notify_ready(int status) {
  if (!g_ready) return;
  (void)::write(g_ready.get(), &status, sizeof(status));
  g_ready.reset();
}

void say(int prio, const std::string& text) {
  if (prio == LOG_DEBUG && !g_foreground) return;
  if (g_foreground) {
    std::fprintf(stderr, "%s\n", text.c_str());
  } else {
    syslog(prio, "%s", text.c_str());
  }
}

// The first line of a /proc file; empty when it cannot be read.
std::string read_small(const std::string& path) {
  std::string s;
  record::read_file(path, s);
  s.resize(std::min(s.size(), s.find('\n')));
  return s;
}

std::uint32_t self_u32(const char* path) {
  std::string s = read_small(path);
  return s.empty() ? 4294967295u : static_cast<std::uint32_t>(std::strtoul(s.c_str(), nullptr, 10));
}

// Who sent a signal, as stock's audit_format_signal_info reports the sender:
// its login uid, the owner of /proc/PID, its session.
struct Sender {
  std::uint32_t auid = 4294967295u, uid = 4294967295u;
  std::string ses = "4294967295";
  int pid = -1;
};

Sender sender_of(const signalfd_siginfo& si) {
  Sender s;
  s.pid = static_cast<int>(si.ssi_pid);
  std::string base = "/proc/" + std::to_string(si.ssi_pid);
  std::string l = read_small(base + "/loginuid");
  if (!l.empty()) s.auid = static_cast<std::uint32_t>(std::strtoul(l.c_str(), nullptr, 10));
  struct stat st;
  if (stat(base.c_str(), &st) == 0) s.uid = st.st_uid;
  std::string ses = read_small(base + "/sessionid");
  if (!ses.empty()) s.ses = ses;
  return s;
}

std::optional<std::string> resolve_node(const record::AuditdConf& c, bool& ok) {
  ok = true;
  char host[256] = {};
  switch (c.name_format) {
    case record::NameFormat::kNone:
      return std::nullopt;
    case record::NameFormat::kUser:
      if (!c.name) {
        say(LOG_ERR, "User defined name missing");
        ok = false;
      }
      return c.name;
    case record::NameFormat::kHostname:
    case record::NameFormat::kFqd:
    case record::NameFormat::kNumeric:
      break;
  }
  if (gethostname(host, sizeof(host) - 1) != 0) {
    say(LOG_ERR, "Unable to get machine name");
    ok = false;
    return std::nullopt;
  }
  if (c.name_format == record::NameFormat::kHostname) {
    std::string h(host);
    std::replace(h.begin(), h.end(), ' ', '_');
    return h;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags =
      AI_ADDRCONFIG | (c.name_format == record::NameFormat::kFqd ? AI_CANONNAME : AI_PASSIVE);
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(host, nullptr, &hints, &ai); rc != 0) {
    say(LOG_ERR, std::string("Cannot resolve hostname ") + host + " (" + gai_strerror(rc) + ")");
    ok = false;
    return std::nullopt;
  }
  std::string out;
  if (c.name_format == record::NameFormat::kFqd) {
    out = ai->ai_canonname ? ai->ai_canonname : host;
  } else {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr =
        ai->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    inet_ntop(ai->ai_family, addr, buf, sizeof(buf));
    out = buf;
  }
  freeaddrinfo(ai);
  return out;
}

// Keeps records that arrive while set_pid waits for its ack, to be written
// once it is known how registration went.
kernel::AuditSocket::EventHandler keep(std::vector<std::pair<int, std::string>>& into) {
  return [&into](int type, std::string_view payload) { into.emplace_back(type, payload); };
}

struct Client {
  base::UniqueFd fd;
  std::string buf;
};

struct Pending {
  std::uint64_t sec;
  std::uint32_t msec;
  std::uint64_t order;
  std::string line;  // with '\n'
};

class Daemon {
 public:
  explicit Daemon(const Options& o) : opts_(o) {}
  int run();

 private:
  bool load_config(record::AuditdConf& out);
  void emit_daemon(int type, const std::string& body);
  void add_kernel(int type, std::string_view payload);
  // The log line of a record (RAW or ENRICHED, node=), handed to the plugins.
  std::string log_line(int type, std::string_view payload);
  void add_line(std::string line, bool external);
  void write_batch();
  void release_pending(bool all);
  void drain_netlink();
  void on_signal(const signalfd_siginfo& si);
  void check_lost();
  void accept_client();
  void read_client(int fd);
  void close_client(int fd);
  void note_loss(const record::LossEntry& e) {
    emit_daemon(AUDIT_DAEMON_ERR, record::loss_body(e));
  }
  // Hands a record to the plugins; a plugin-drop report is not itself counted
  // as a drop (a stuck plugin would otherwise make them for ever).
  void dispatch(const DispatchEvent& e) { dispatcher_.dispatch(e, !reporting_plugin_loss_); }
  // all: every drop not yet reported, whatever the once-a-second pace (at exit).
  void report_plugin_losses(bool all = false);
  void sync_engine();
  void add_engine_event(const ebpf::EngineEvent& ev);
  bool open_receiver();
  void add_received(std::string_view line);

  Options opts_;
  record::AuditdConf conf_;
  std::optional<std::string> node_;
  std::unique_ptr<LogFile> log_;
  std::unique_ptr<Enricher> enricher_;
  DaemonSerial serial_;
  kernel::AuditSocket events_;
  kernel::NetlinkControl control_;
  bool registered_ = false;
  bool stop_ = false;
  std::optional<Sender> stopper_;
  std::string batch_;
  std::size_t batch_records_ = 0;
  std::deque<Pending> pending_;
  std::uint64_t order_ = 0;
  std::map<int, Client> clients_;
  base::UniqueFd listen_fd_;
  base::UniqueFd epoll_fd_;
  std::optional<std::uint32_t> last_lost_;
  std::int64_t last_event_ms_ = 0;
  std::int64_t last_lost_check_ms_ = 0;
  std::uint64_t overruns_reported_ = 0;
  std::optional<audit_status> saved_status_;
  // The prefilter engine's ring, while the engine is loaded. Its records
  // carry node=bpfaudit and serials of their own, so they never join a
  // kernel event (stock groups records by time, serial and node).
  std::unique_ptr<ebpf::EngineRing> engine_ring_;
  std::uint64_t engine_serial_ = 0;
  // CLOCK_REALTIME - CLOCK_BOOTTIME, refreshed at every timer tick (100 ms):
  // two clock reads per tick, not per engine event.
  std::int64_t engine_boot_to_wall_ns_ = 0;
  std::array<std::uint64_t, ebpf::kLossReasons> engine_losses_{};
  Dispatcher dispatcher_{say};
  bool reporting_plugin_loss_ = false;
  // tcp_listen_port: records from audisp-remote senders.
  std::unique_ptr<RemoteReceiver> remote_;
};

bool Daemon::load_config(record::AuditdConf& out) {
  auto r = record::parse_auditd_conf(opts_.config_dir + "/auditd.conf", record::ConfCheck::kDaemon,
                                     opts_.allow_links);
  for (const auto& m : r.messages) say(m.priority, m.text);
  if (!r.ok) return false;
  // Stock (built with GSSAPI) would negotiate Kerberos with each sender;
  // taking plain TCP instead would leave a sender configured for KRB5 unable
  // to connect, or worse, believed encrypted.
  if (r.conf.transport_krb5 && r.conf.tcp_listen_port) {
    say(LOG_ERR,
        "transport = KRB5 is not supported by bpfaudit daemon (it has no GSSAPI): use transport "
        "= TCP, inside a tunnel (stunnel, WireGuard, IPsec) where the link must be encrypted");
    return false;
  }
  out = r.conf;
  return true;
}

void Daemon::add_line(std::string line, bool external) {
  line.push_back('\n');
  if (clients_.empty() && pending_.empty()) {
    batch_ += line;
    ++batch_records_;
    if (batch_.size() >= kBatchBytes) write_batch();
    return;
  }
  Pending p{0, 0, order_++, std::move(line)};
  if (auto h = record::parse_header(p.line)) {
    p.sec = h->id.sec;
    p.msec = h->id.msec;
  } else {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    p.sec = static_cast<std::uint64_t>(ts.tv_sec);
    p.msec = static_cast<std::uint32_t>(ts.tv_nsec / 1000000);
  }
  (void)external;
  pending_.push_back(std::move(p));
}

void Daemon::release_pending(bool all) {
  if (pending_.empty()) return;
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    return a.sec != b.sec ? a.sec < b.sec : a.msec < b.msec;
  });
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::int64_t now_ms = static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  while (!pending_.empty()) {
    const Pending& p = pending_.front();
    std::int64_t t = static_cast<std::int64_t>(p.sec) * 1000 + p.msec;
    if (!all && t > now_ms - kHoldMs) break;
    batch_ += p.line;
    ++batch_records_;
    pending_.pop_front();
  }
  write_batch();
}

void Daemon::write_batch() {
  bool replies_due = remote_ && remote_->awaiting_write();
  // Frames that wrote nothing (an empty record; EOE when distributing) are
  // answered too, with nothing to write.
  if (batch_.empty() && !replies_due) return;
  auto outcome = LogFile::Outcome::kWritten;
  if (!batch_.empty()) {
    // Records the log could not take (suspended, disk full, write error) are
    // said in the first batch it can take again, after that batch's records:
    // after DAEMON_RESUME when SIGUSR2 resumed it. If the report is not
    // written either, its count is carried into the next one.
    bool report = log_->dropped() > 0 && !log_->suspended();
    if (report) {
      auto body = record::loss_body(record::LossEntry::log_drop(log_->dropped()));
      batch_ += log_line(AUDIT_DAEMON_ERR, daemon_payload(serial_.next(), body));
      batch_ += '\n';
    }
    outcome = log_->write(batch_, batch_records_, report);
    batch_.clear();
    batch_records_ = 0;
  }
  // Senders get their ACK only now that their records are in the log (or
  // DISKFULL/DISKERROR when they are not), as stock replies after writing.
  if (replies_due) remote_->written(outcome, log_->space_low());
}

// A record from the network, logged as the sender formatted it. It skips the
// hold window (its time is the sender's clock, and its ACK waits for the
// write); it goes to plugins only with distribute_network = yes, typed as
// its text says, as stock does.
void Daemon::add_received(std::string_view line) {
  if (conf_.distribute_network) {
    int type = remote::received_record_type(line);
    if (dispatcher_.active()) dispatch(formatted_dispatch_event(type, line));
    // Stock, distributing, keeps EOE off the disk as for local events.
    if (type == AUDIT_EOE) return;
  }
  // No size check here: a write now would reply to senders while the
  // receiver is still taking frames; the loop writes at the end of the pass.
  batch_.append(line);
  batch_.push_back('\n');
  ++batch_records_;
}

bool Daemon::open_receiver() {
  RemoteReceiver::Hooks hooks{
      say, [this](int type, const std::string& body) { emit_daemon(type, body); },
      [this](std::string_view line) { add_received(line); }};
  auto r = RemoteReceiver::open(conf_, epoll_fd_.get(), std::move(hooks));
  if (!r.ok()) {
    say(LOG_ERR, r.error().text());
    return false;
  }
  remote_ = std::move(*r);
  return true;
}

std::string Daemon::log_line(int type, std::string_view payload) {
  std::string line = record::format_log_line(type, payload, node_);
  if (conf_.log_format == record::LogFormat::kEnriched) enricher_->enrich(line, type);
  // Stock hands plugins the line as logged when it carries node= or the
  // ENRICHED part, the kernel's payload otherwise.
  if (dispatcher_.active())
    dispatch(dispatches_formatted(conf_) ? formatted_dispatch_event(type, line)
                                         : raw_dispatch_event(type, payload));
  return line;
}

void Daemon::add_kernel(int type, std::string_view payload) {
  // Stock auditd 3.0.9 writes no EOE to disk ("End of Event is for realtime
  // interface - skip local logging of it"): EOE goes only to plugins.
  bool eoe = type == AUDIT_EOE;
  if (eoe && !dispatcher_.active()) return;
  std::string line = log_line(type, payload);
  if (eoe) return;
  add_line(std::move(line), false);
}

void Daemon::report_plugin_losses(bool all) {
  auto losses = dispatcher_.take_losses(steady_ms(), all);
  if (losses.empty()) return;
  reporting_plugin_loss_ = true;
  for (const auto& e : losses) note_loss(e);
  reporting_plugin_loss_ = false;
}

void Daemon::emit_daemon(int type, const std::string& body) {
  add_kernel(type, daemon_payload(serial_.next(), body));
}

void Daemon::drain_netlink() {
  using Status = kernel::AuditSocket::Received::Status;
  bool busy = false;
  for (std::size_t i = 0; i < kMaxDrain; ++i) {
    auto r = events_.receive(0);
    if (r.status == Status::kNone || r.status == Status::kError) break;
    busy = true;
    if (r.status == Status::kEvent) add_kernel(r.type, r.payload);
  }
  if (busy) last_event_ms_ = steady_ms();
  if (events_.overruns() > overruns_reported_) {
    note_loss(record::LossEntry::netlink_overrun(events_.overruns() - overruns_reported_));
    overruns_reported_ = events_.overruns();
  }
}

void Daemon::add_engine_event(const ebpf::EngineEvent& ev) {
  auto wall =
      static_cast<std::uint64_t>(static_cast<std::int64_t>(ev.boot_ns) + engine_boot_to_wall_ns_);
  auto stamp = record::Stamp::at_wall_ns(wall, ++engine_serial_, "bpfaudit");
  std::string text;
  ebpf::append_event_records(text, ev.event, stamp, ev.key);
  // Stock writes no EOE to disk (EOE goes only to plugins): the file gets
  // SYSCALL and PROCTITLE, as for a kernel event.
  for (auto& line : record::split_pieces(text, '\n')) {
    auto header = record::parse_header(line);
    if (!header) continue;
    if (header->type == AUDIT_EOE && !dispatcher_.active()) continue;
    if (conf_.log_format == record::LogFormat::kEnriched) enricher_->enrich(line, header->type);
    // Records that come formatted with node= go to plugins as the line, as
    // stock does for the records it receives from the network.
    if (dispatcher_.active()) dispatch(formatted_dispatch_event(header->type, line));
    if (header->type == AUDIT_EOE) continue;
    add_line(std::move(line), true);
  }
}

// Follows the engine: opens its ring once `auditctl --prefilter on` has
// pinned it, lets it go when it is switched off, keeps its enabled flag with
// the kernel's (stock auditctl -e reaches only the kernel), and turns its
// loss counters into ring-drop records.
void Daemon::sync_engine() {
  if (!engine_ring_ && ebpf::PrefilterEngine::pinned()) {
    auto opened =
        ebpf::EngineRing::open([this](const ebpf::EngineEvent& ev) { add_engine_event(ev); });
    if (!opened) {
      say(LOG_ERR, "Cannot read the prefilter engine: " + opened.error().text());
      return;
    }
    engine_ring_ = std::move(*opened);
    // A reader that ended without saying so (killed): its records waited
    // in the ring, or were counted as ring-drop if it filled. Said once.
    std::uint32_t previous = engine_ring_->engine().daemon_tgid();
    if (previous != 0 && previous != static_cast<std::uint32_t>(getpid()) &&
        ::kill(static_cast<pid_t>(previous), 0) != 0 && errno == ESRCH)
      emit_daemon(AUDIT_DAEMON_ERR,
                  "op=prefilter-reader-gap reader=" + std::to_string(previous) + " res=failed");
    engine_ring_->engine().set_daemon_tgid(registered_ ? static_cast<std::uint32_t>(getpid()) : 0);
    engine_losses_ = engine_ring_->engine().state().losses;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = engine_ring_->epoll_fd();
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, engine_ring_->epoll_fd(), &ev);
    say(LOG_NOTICE,
        std::string("Reading the prefilter engine (") + ebpf::PrefilterEngine::kProbePath + ")");
  } else if (engine_ring_ && !ebpf::PrefilterEngine::pinned()) {
    engine_ring_->consume();
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, engine_ring_->epoll_fd(), nullptr);
    engine_ring_.reset();
    say(LOG_NOTICE, "The prefilter engine was unloaded");
    return;
  }
  if (!engine_ring_) return;
  engine_boot_to_wall_ns_ = record::boot_to_wall_offset();
  engine_ring_->consume();
  auto state = engine_ring_->engine().state();
  for (int r = 0; r < ebpf::kLossReasons; ++r) {
    auto i = static_cast<std::size_t>(r);
    if (state.losses[i] > engine_losses_[i])
      note_loss(record::LossEntry::ring_drop(
          std::string("prefilter/") + ebpf::loss_reason_name(r),
          state.losses[i] - engine_losses_[i]));
    engine_losses_[i] = state.losses[i];
  }
}

void Daemon::check_lost() {
  auto st = control_.get_status();
  if (!st.ok()) return;
  if (engine_ring_) engine_ring_->engine().set_enabled(st->status.enabled != 0);
  std::uint32_t lost = st->status.lost;
  if (last_lost_ && lost > *last_lost_)
    note_loss(record::LossEntry::kernel_lost(lost - *last_lost_, lost));
  last_lost_ = lost;
}

void Daemon::on_signal(const signalfd_siginfo& si) {
  Sender s = sender_of(si);
  switch (si.ssi_signo) {
    case SIGTERM:
    case SIGINT:
      stop_ = true;
      stopper_ = s;
      break;
    case SIGHUP: {
      record::AuditdConf nc;
      say(LOG_NOTICE, "config change requested by pid=" + std::to_string(s.pid) +
                          " auid=" + std::to_string(s.auid) + " subj=?");
      if (!load_config(nc)) {
        emit_daemon(AUDIT_DAEMON_CONFIG, signal_body("reconfigure state=no-change", s.auid, s.uid,
                                                     s.ses, s.pid, "failed"));
        break;
      }
      bool ok = true;
      auto node = resolve_node(nc, ok);
      if (ok) node_ = node;
      release_pending(true);
      write_batch();
      log_->reconfigure(nc);
      conf_ = nc;
      enricher_ = std::make_unique<Enricher>(conf_.end_of_event_timeout);
      dispatcher_.reconfigure(conf_);
      if (remote_) remote_->reconfigure(conf_);
      char body[256];
      std::snprintf(body, sizeof(body),
                    "op=reconfigure state=changed auid=%u pid=%d subj=? res=success", s.auid,
                    s.pid);
      emit_daemon(AUDIT_DAEMON_CONFIG, body);
      break;
    }
    case SIGUSR1:
      // Stock rotates first, so DAEMON_ROTATE opens the new log.
      release_pending(true);
      write_batch();
      log_->rotate_now();
      emit_daemon(AUDIT_DAEMON_ROTATE,
                  signal_body("rotate-logs", s.auid, s.uid, s.ses, s.pid, "success"));
      break;
    case SIGUSR2:
      release_pending(true);
      write_batch();
      log_->resume();
      dispatcher_.resume();
      emit_daemon(AUDIT_DAEMON_RESUME,
                  signal_body("resume-logging", s.auid, s.uid, s.ses, s.pid, "success"));
      break;
    case SIGCHLD:
      for (pid_t pid; (pid = waitpid(-1, nullptr, WNOHANG)) > 0;) dispatcher_.reaped(pid);
      break;
  }
}

void Daemon::accept_client() {
  for (;;) {
    base::UniqueFd client(
        ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) return;
    // Only root may add records to the audit log.
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(client.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0)
      continue;
    int fd = client.get();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev);
    clients_[fd] = Client{std::move(client), {}};
  }
}

void Daemon::close_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(it);  // closes it
}

void Daemon::read_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  char buf[65536];
  // A source that writes and closes at once is common (autrace sends its
  // records at the end): what came before the end of the stream is taken
  // before the connection is closed.
  bool ended = false;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) {
      ended = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) ended = true;
      break;
    }
    it->second.buf.append(buf, static_cast<std::size_t>(n));
  }
  std::string& b = it->second.buf;
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = b.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(b.data() + start, nl - start);
    start = nl + 1;
    // A source may only add records, one per line, that parse as records:
    // anything else would let it forge or break the log's structure.
    if (line.empty() || line.size() > record::kMaxRecordLength) continue;
    auto header = record::parse_header(line);
    if (!header) continue;
    if (dispatcher_.active()) dispatch(formatted_dispatch_event(header->type, line));
    // As for kernel events: EOE is not written to the log.
    if (header->type == AUDIT_EOE) continue;
    add_line(std::string(line), true);
  }
  b.erase(0, start);
  if (ended || b.size() > kMaxClientLine) close_client(fd);
}

int Daemon::run() {
  g_foreground = opts_.foreground;
  // Blocked before any thread starts, so that only the signalfd sees them.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) sigaddset(&mask, s);
  if (opts_.foreground) sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Owned: the early returns below (a refused config, not root) close it.
  base::UniqueFd sfd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!load_config(conf_)) {
    say(LOG_INFO, "The audit daemon is exiting.");
    return 6;
  }
  bool node_ok = true;
  node_ = resolve_node(conf_, node_ok);
  if (!node_ok) {
    say(LOG_INFO, "The audit daemon is exiting.");
    return 1;
  }
  if (getuid() != 0 && geteuid() != 0) {
    std::fprintf(stderr, "You must be root or have capabilities to run this program.\n");
    return 4;
  }
  enricher_ = std::make_unique<Enricher>(conf_.end_of_event_timeout);
  log_ = std::make_unique<LogFile>(conf_, say);
  log_->remove_excess_logs();
  if (!log_->open()) {
    say(LOG_INFO, "The audit daemon is exiting.");
    return 1;
  }

  // local_events = no: a pure receiver, as stock's aggregate-only mode; no
  // kernel socket, no audit pid, the enabled flag left alone.
  const bool local = conf_.local_events;
  kernel::AuditSocket::OpenStep failed_step{};
  auto opened = local ? kernel::AuditSocket::open_events({opts_.readlog}, &failed_step)
                      : base::Result<kernel::AuditSocket>(kernel::AuditSocket{});
  if (!opened.ok()) {
    const char* err = std::strerror(-opened.code());
    if (failed_step == kernel::AuditSocket::OpenStep::kSocket)
      say(LOG_ERR, std::string("Cannot open netlink audit socket (") + err + ")");
    else
      say(LOG_ERR, std::string(opts_.readlog
                                   ? "Cannot join the audit read-log group (needs CAP_AUDIT_READ): "
                                   : "Cannot bind the netlink audit socket: ") +
                       err);
    return 1;
  }
  events_ = std::move(*opened);

  // Plugins start before DAEMON_START, so that they get it (stock's order).
  epoll_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
  dispatcher_.set_epoll(epoll_fd_.get());
  dispatcher_.start(conf_);

  utsname u{};
  uname(&u);
  emit_daemon(AUDIT_DAEMON_START,
              start_body(conf_.log_format, u.release, self_u32("/proc/self/loginuid"), getpid(),
                         getuid(), self_u32("/proc/self/sessionid")));
  write_batch();

  auto abort_with = [&](const char* op, const std::string& err) {
    char body[256];
    std::snprintf(body, sizeof(body), "op=%s auid=%u pid=%d uid=%u ses=%u res=failed", op,
                  self_u32("/proc/self/loginuid"), getpid(), getuid(),
                  self_u32("/proc/self/sessionid"));
    emit_daemon(AUDIT_DAEMON_ABORT, body);
    write_batch();
    say(LOG_ERR, err);
    return 1;
  };

  if (!local) {
    // nothing to register
  } else if (auto st = control_.get_status(); st.ok()) {
    saved_status_ = st->status;
    last_lost_ = st->status.lost;
  }
  if (!local) {
    // no kernel events: no pid, no enabled flag
  } else if (!opts_.readlog) {
    if (opts_.startup != StartupState::kNochange && saved_status_ && saved_status_->enabled < 2) {
      audit_status s{};
      s.mask = AUDIT_STATUS_ENABLED;
      s.enabled = opts_.startup == StartupState::kEnable ? 1 : 0;
      if (control_.set_status(s) < 0)
        return abort_with("set-enable",
                          std::string("Unable to set initial audit startup state to '") +
                              (opts_.startup == StartupState::kEnable ? "enable" : "disable") +
                              "', exiting");
    }
    std::vector<std::pair<int, std::string>> early;
    int rc = events_.set_pid(static_cast<std::uint32_t>(getpid()), keep(early));
    if (rc < 0) {
      std::string why = rc == -EEXIST ? " (another audit daemon holds the pid; --readlog reads "
                                        "events without it)"
                                      : std::string(" (") + std::strerror(-rc) + ")";
      return abort_with("set-pid", "Unable to set audit pid, exiting" + why);
    }
    registered_ = true;
    for (auto& [t, p] : early) add_kernel(t, p);
  } else if (opts_.startup_given && opts_.startup != StartupState::kNochange) {
    audit_status s{};
    s.mask = AUDIT_STATUS_ENABLED;
    s.enabled = opts_.startup == StartupState::kEnable ? 1 : 0;
    control_.set_status(s);
  }

  auto watch = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  if (local) watch(events_.fd());
  watch(sfd.get());
  base::UniqueFd tfd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  itimerspec its{};
  its.it_interval.tv_nsec = 100 * 1000000;
  its.it_value.tv_nsec = 100 * 1000000;
  timerfd_settime(tfd.get(), 0, &its, nullptr);
  watch(tfd.get());

  // After registration, as stock; a receiver that cannot listen ends the
  // daemon with stock's network-init abort record.
  if (conf_.tcp_listen_port && !open_receiver()) {
    if (registered_) {
      std::vector<std::pair<int, std::string>> late;
      events_.set_pid(0, keep(late));
    }
    return abort_with("network-init", "Cannot start the network receiver, exiting");
  }

  // A pure receiver has no local sources: no collector socket either.
  if (local && !opts_.collector_socket.empty()) {
    std::string path = opts_.collector_socket;
    std::string dir = path.substr(0, path.rfind('/'));
    if (!dir.empty()) mkdir(dir.c_str(), 0755);
    // Only a stale socket is removed, never a file someone put there.
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
    listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
    mode_t old = umask(0077);
    bool ok = ::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
              ::listen(listen_fd_.get(), 16) == 0;
    umask(old);
    if (!ok) {
      say(LOG_ERR, "Cannot listen on " + path + " (" + std::strerror(errno) + ")");
      listen_fd_.reset();
    } else {
      watch(listen_fd_.get());
    }
  }
  say(LOG_NOTICE,
      std::string("Init complete, bpfaudit daemon listening for events (") +
          (!local ? "network only" : opts_.readlog ? "read-only multicast" : "registered audit daemon") +
          (remote_ ? ", TCP port " + std::to_string(conf_.tcp_listen_port) : "") +
          (listen_fd_ ? ", collector " + opts_.collector_socket : "") + ")");

  if (local) sync_engine();
  notify_ready(0);
  // systemd's Type=notify (dist/systemd/bpfaudit.service): up once the log
  // is open and the events flow; nothing is sent under another init.
  notify_service_manager("READY=1");
  epoll_event evs[64];
  while (!stop_) {
    int n = epoll_wait(epoll_fd_.get(), evs, 64, -1);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == events_.fd()) {
        drain_netlink();
      } else if (fd == sfd.get()) {
        signalfd_siginfo si;
        while (::read(sfd.get(), &si, sizeof(si)) == sizeof(si)) on_signal(si);
      } else if (fd == tfd.get()) {
        std::uint64_t exp;
        (void)::read(tfd.get(), &exp, sizeof(exp));
        std::int64_t now = steady_ms();
        if (local && now - last_lost_check_ms_ >= kLostPollMs &&
            now - last_event_ms_ >= kLostQuietMs) {
          last_lost_check_ms_ = now;
          check_lost();
        }
        if (local) sync_engine();
        if (remote_) remote_->tick(now);
        dispatcher_.tick(now);
        report_plugin_losses();
        release_pending(false);
      } else if (engine_ring_ && fd == engine_ring_->epoll_fd()) {
        engine_ring_->consume();
      } else if (fd == listen_fd_.get()) {
        accept_client();
      } else if (remote_ && remote_->owns(fd)) {
        remote_->on_ready(fd, evs[i].events, steady_ms());
      } else if (dispatcher_.owns(fd)) {
        dispatcher_.on_ready(fd, evs[i].events);
      } else {
        read_client(fd);
      }
    }
    if (pending_.empty() || (remote_ && remote_->awaiting_write())) write_batch();
    dispatcher_.flush();
  }

  notify_service_manager("STOPPING=1");
  // Stop taking events from the kernel first, then write what already came.
  if (registered_) {
    std::vector<std::pair<int, std::string>> late;
    events_.set_pid(0, keep(late));
    for (auto& [t, p] : late) add_kernel(t, p);
  }
  if (local) {
    drain_netlink();
    check_lost();
  }
  // Stock ends its senders before DAEMON_END: what they sent is written and
  // acknowledged, then each gets ENDING and its DAEMON_CLOSE.
  if (remote_) {
    write_batch();
    remote_->shutdown();
  }
  if (engine_ring_) {
    // Takes what the ring holds, or lets the ring go when the engine was
    // switched off since the last tick (kernel.forged_prefilter: a stop
    // just after `--prefilter off` crashed here, 5 of 5 runs).
    sync_engine();
    if (engine_ring_) {
      engine_ring_->engine().set_daemon_tgid(0);
      engine_ring_.reset();
    }
  }
  for (auto& [fd, c] : clients_) {
    (void)c;
    read_client(fd);
  }
  release_pending(true);
  report_plugin_losses(true);
  Sender s = stopper_.value_or(Sender{});
  emit_daemon(AUDIT_DAEMON_END, signal_body("terminate", s.auid, s.uid, s.ses, s.pid, "success"));
  release_pending(true);
  write_batch();
  log_->flush_sync();
  // The plugins get a moment to take what is queued (DAEMON_END last), then
  // their sockets close and they get SIGTERM.
  dispatcher_.stop(kPluginDrainMs);
  clients_.clear();
  if (listen_fd_) {
    listen_fd_.reset();
    unlink(opts_.collector_socket.c_str());
  }
  say(LOG_INFO, "The audit daemon is exiting.");
  return 0;
}

}  // namespace

int run(const Options& opts) {
  if (!opts.foreground) {
    if (!opts.no_fork) {
      // Background: the parent waits until the child says it started.
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) return 1;
      base::UniqueFd ready_read(p[0]), ready_write(p[1]);
      pid_t pid = fork();
      if (pid < 0) return 1;
      if (pid > 0) {
        ready_write.reset();
        int status = 1;
        if (::read(ready_read.get(), &status, sizeof(status)) != sizeof(status)) status = 1;
        return status;
      }
      g_ready = std::move(ready_write);
    }
    // Stock's become_daemon, with or without the fork (-n): stdio on
    // /dev/null, "/" as the working directory, a session of its own. Plugins
    // inherit all three.
    base::UniqueFd null(::open("/dev/null", O_RDWR));
    if (null) {
      for (int std_fd = 0; std_fd <= 2; ++std_fd) dup2(null.get(), std_fd);
      if (null.get() <= 2) null.release();  // it is one of stdio now
    }
    openlog("bpfaudit-daemon", LOG_PID, LOG_DAEMON);
    if (chdir("/") != 0) {
      syslog(LOG_ERR, "Cannot change working directory to /");
      notify_ready(1);
      return 1;
    }
    setsid();
  }
  Daemon d(opts);
  int rc = d.run();
  notify_ready(rc);
  return rc;
}

}  // namespace bpfaudit::collector
