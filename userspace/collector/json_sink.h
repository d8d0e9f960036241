// builtin_json: the daemon's JSON lines output, one object per event in the
// schema of `ausearch --format json` (record/json.h), for log shippers
// (Vector, Fluent Bit, rsyslog imfile/imuxsock, syslog-ng) to take on.
//
// It is a builtin plugin of plugins.d (`path = builtin_json`, `type =
// builtin`, `args = FILE` or `args = unix:SOCKET`) so that it is fed by the
// dispatcher like any plugin: every record the plugins get (EOE, DAEMON_*,
// the eBPF sources' records), its own queue of q_depth events with
// overflow_action and op=plugin-drop accounting, never a stall of the log.
// The records are assembled into events here (ended by EOE, by being a
// single-record type, or by end_of_event_timeout) before being formatted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "event.h"
#include "plugins.h"
#include "result.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

// Where builtin_json writes: a regular file it appends to, or a unix socket
// that a shipper listens on (stream, or datagram: one event per datagram).
struct JsonTarget {
  bool socket = false;
  std::string path;  // absolute
  bool operator==(const JsonTarget&) const = default;
};

// `args`: exactly one word, `/ABSOLUTE/FILE` or `unix:/ABSOLUTE/SOCKET`.
base::Result<JsonTarget> parse_json_target(const std::vector<std::string>& args);

struct JsonOutput {
  base::UniqueFd fd;
  bool datagram = false;   // a SOCK_DGRAM listener (rsyslog's imuxsock, ...)
  dev_t dev = 0;           // file: what the path named when it was opened,
  ino_t ino = 0;           // to see it rotated away
};

// A file is opened for appending, never through a symlink (O_NOFOLLOW, and
// O_EXCL when it is created), created 0600, 0640 and group `log_group` when
// log_group is not root, as the audit log is; it must be a regular file. Its
// directory is created (0750) when missing. A socket is connected
// non-blocking as SOCK_STREAM, or as SOCK_DGRAM when the listener is a
// datagram socket.
base::Result<JsonOutput> open_json_output(const JsonTarget& target, gid_t log_group);

// True when the file's path no longer names the file that is open (renamed
// by a log rotation, or removed): then it is reopened, so a shipper that
// follows the path sees the new file.
bool json_file_moved(const JsonTarget& target, const JsonOutput& out);

// Dispatched records in, JSON lines of whole events out.
class JsonEvents {
 public:
  explicit JsonEvents(std::uint64_t eoe_timeout_s);

  // One record as the dispatcher hands it to plugins (either protocol: the
  // line is rebuilt as the log has it). An EOE ends its event and is not
  // itself in the JSON, as the log has none; a line that does not parse as
  // a record is dropped (false).
  bool add(const DispatchEvent& e, std::int64_t now_ms);
  // Closes every open event when no record came for end_of_event_timeout:
  // while records keep coming, the assembler closes an event that many
  // seconds of log time after it opened, as ausearch does.
  void tick(std::int64_t now_ms);
  void close_all();
  // The next finished event as one JSON line (newline included).
  bool pop(std::string& line);
  bool empty() const { return assembler_.empty(); }

 private:
  record::EventAssembler assembler_;
  std::int64_t timeout_ms_;
  std::int64_t last_add_ms_ = 0;
  record::Event event_;
};

// The state a builtin_json plugin keeps beside the dispatcher's queue.
struct JsonPlugin {
  JsonPlugin(JsonTarget t, std::uint64_t eoe_timeout_s)
      : target(std::move(t)), events(eoe_timeout_s) {}
  JsonTarget target;
  JsonEvents events;
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t retry_ms = 0;  // when to try opening again while closed
  bool said_down = false;     // the failure was said once for this outage
};

}  // namespace bpfaudit::collector
