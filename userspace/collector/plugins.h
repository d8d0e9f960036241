// The plugin dispatcher: every event the daemon handles (EOE included, which
// the log does not get) goes to the plugins of plugin_dir as stock auditd
// 3.0.9's dispatcher hands them over (audisp/audispd.c, audispd-builtins.c):
// a socketpair on each plugin's stdin, format=string lines or format=binary
// audit_dispatcher_header frames, builtin_af_unix.
//
// Unlike stock, whose one queue is emptied by one thread writing to each
// plugin in turn (so one plugin that stops reading stops all of them, and
// then the daemon's enqueue sleeps), each plugin has its own queue of
// q_depth events and is written without blocking from the daemon's loop: a
// plugin that stops reading loses its own events (counted, overflow_action
// applied, and recorded as op=plugin-drop in the log), never another's, and
// never stalls the log.
#pragma once

#include <libaudit.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auditd_conf.h"
#include "log_file.h"
#include "loss.h"
#include "plugin_conf.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

struct JsonPlugin;

// CLOCK_MONOTONIC in milliseconds: the clock of the daemon's and the
// dispatcher's timeouts.
std::int64_t steady_ms();

// One event as stock's dispatcher holds it (libdisp.h's event_t): the header
// (ver, hlen, type, size) and size bytes of data.
struct DispatchEvent {
  audit_dispatcher_header hdr{};
  std::string data;
};

// Protocol 0 (AUDISP_PROTOCOL_VER): the record's payload `audit(T:S): body`,
// typed by hdr.type. Stock uses it for local events when log_format is RAW
// and name_format is none.
DispatchEvent raw_dispatch_event(int type, std::string_view payload);
// Protocol 1 (AUDISP_PROTOCOL_VER2): the line as the log gets it (node=, the
// ENRICHED part); stock uses it otherwise, and for records that arrive already
// formatted (the network; here, the eBPF sources).
DispatchEvent formatted_dispatch_event(int type, std::string_view line);
// Stock's choice between the two for local events.
bool dispatches_formatted(const record::AuditdConf& conf);

// format=string: "type=NAME msg=PAYLOAD\n" (protocol 0) or "LINE\n" (protocol 1),
// any other newline turned into a space.
std::string plugin_string(const DispatchEvent& e);
// format=binary: the 16-byte header, then MAX_AUDIT_MESSAGE_LENGTH bytes of
// data whatever hdr.size says (stock writes its whole event buffer; the bytes
// past size are zero here, whatever memory held in stock).
std::string plugin_binary(const DispatchEvent& e);

class Dispatcher {
 public:
  explicit Dispatcher(MessageSink sink) : sink_(std::move(sink)) {}
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The epoll set the daemon waits on: plugin sockets join it while they
  // have bytes the socket did not take, af_unix listeners and readers always.
  void set_epoll(int epoll_fd) { epoll_fd_ = epoll_fd; }
  // Reads plugin_dir and starts the active plugins (stock's libdisp_init).
  void start(const record::AuditdConf& conf);
  // SIGHUP: new plugins start, removed or deactivated ones stop, one whose
  // binary changed (another inode) restarts, the others get SIGHUP.
  void reconfigure(const record::AuditdConf& conf);
  // SIGUSR2: plugins suspended by overflow_action=suspend take events again.
  void resume();
  // The daemon's timer (every 100 ms): builtin_json closes events that saw
  // no record for end_of_event_timeout, reopens a rotated file, reconnects.
  void tick(std::int64_t now_ms);
  bool active() const { return !plugins_.empty(); }

  // Queues the event for every plugin. `countable` false: a drop of this event
  // is not counted (the plugin-drop records themselves, which would otherwise
  // report their own loss forever while a plugin is stuck).
  void dispatch(const DispatchEvent& e, bool countable = true);
  // Writes what the plugins' sockets take without blocking.
  void flush();
  bool owns(int fd) const { return fds_.count(fd) != 0; }
  void on_ready(int fd, std::uint32_t events);
  // A child the daemon reaped (stock's plugin_child_handler).
  void reaped(pid_t pid);
  // Drops not yet reported, one entry per plugin, at most one a second each
  // unless `all` (at exit).
  std::vector<record::LossEntry> take_losses(std::int64_t now_ms, bool all = false);
  // SIGTERM: gives the plugins up to wait_ms to take what is queued, closes
  // their sockets (end of input), and sends SIGTERM to those still running
  // half a second later.
  void stop(int wait_ms);

 private:
  struct Channel {
    base::UniqueFd fd;
    std::deque<std::shared_ptr<const std::string>> frames;
    std::size_t offset = 0;  // bytes of frames.front() already written
    bool watching_out = false;
    // A plugin program's stdin only: the bytes written since it started and
    // the stream offsets at which the frames written lately end, so that
    // what a plugin that died had not read can be cut back into frames.
    bool track = false;
    std::uint64_t sent = 0;
    std::deque<std::uint64_t> ends;
    // How frames leave: sendmsg on a stream socket (several frames a call),
    // one frame per sendmsg on a datagram socket, writev on a regular file
    // or a plugin's pipe.
    enum class Kind { kStream, kDatagram, kFile, kPipe };
    Kind kind = Kind::kStream;
    enum class Result { kDone, kBlocked, kBroken };
    Result write_some();
  };
  struct Plugin {
    PluginConf conf;
    pid_t pid = 0;
    Channel out;  // type=always: the write end of the plugin's stdin pipe
    // The plugin's end (the read end), kept open here: when the plugin dies,
    // what it had not read stays in the pipe (a closed end would discard
    // it) and goes to the restarted plugin.
    base::UniqueFd peer;
    base::UniqueFd pidfd;  // readable once the plugin has exited
    unsigned restarts = 0;
    bool gave_up = false;    // exceeded max_restarts, or could not be started
    bool suspended = false;  // overflow_action=suspend
    std::uint64_t dropped = 0;
    std::int64_t last_report_ms = 0;
    // builtin_af_unix
    base::UniqueFd listener;
    std::string socket_path;
    bool af_unix = false;
    std::vector<std::unique_ptr<Channel>> readers;
    // builtin_json (json_sink.cc); out is its file or socket
    std::unique_ptr<JsonPlugin> json;
    ~Plugin();
  };

  void msg(int prio, const std::string& text) { sink_(prio, text); }
  bool start_one(Plugin& p);
  bool exec_plugin(Plugin& p);
  // Stock's "Error running PATH (ERRNO) continuing without it".
  void exec_failed(Plugin& p);
  void start_af_unix(Plugin& p);
  void stop_af_unix(Plugin& p);
  void stop_one(Plugin& p, bool say_inactive);
  void accept_readers(Plugin& p);
  void close_reader(Plugin& p, Channel* c);
  void enqueue(Plugin& p, Channel& c, const std::shared_ptr<const std::string>& frame,
               bool countable);
  void overflow(Plugin& p);
  void flush_plugin(Plugin& p);
  void broken(Plugin& p);
  // The plugin exited (or its socket failed): takes back the frames it never
  // read, counts one it read in part as dropped, then broken().
  void died(Plugin& p);
  void watch(int fd, std::uint32_t events, bool add);
  void unwatch(int fd);
  void set_out_interest(Channel& c, bool reader);
  // builtin_json, in json_sink.cc.
  void start_json(Plugin& p);
  bool open_json(Plugin& p, std::int64_t now_ms);
  void close_json(Plugin& p);
  void feed_json(Plugin& p, const DispatchEvent& e, bool countable);
  void queue_json(Plugin& p, bool countable);
  void flush_json(Plugin& p);
  void reconfigure_json(Plugin& p, PluginConf nc);

  MessageSink sink_;
  int epoll_fd_ = -1;
  unsigned q_depth_ = 2000;
  record::OverflowAction overflow_action_ = record::OverflowAction::kSyslog;
  unsigned max_restarts_ = 10;
  gid_t log_group_ = 0;                 // builtin_json files are the log's mode and group
  std::uint64_t eoe_timeout_ = 2;       // builtin_json's event assembly
  int queue_full_warnings_ = 0;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  // fd -> (plugin, channel or nullptr for an af_unix listener)
  std::map<int, std::pair<Plugin*, Channel*>> fds_;
};

}  // namespace bpfaudit::collector
