// The one NETLINK_AUDIT socket, for requests (auditctl, the daemon's status
// polls) and for events (the daemon, `bpfaudit capture`).
//
// Raw netlink rather than libaudit's audit_send/audit_get_reply: we need the
// kernel's errno and ack value per request without libaudit's global message
// mode and retry/timeout loops, and replies matched by sequence number so a
// listing is never confused by a status reply.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "netlink_reply.h"
#include "result.h"
#include "unique_fd.h"

namespace bpfaudit::kernel {

// RAII. Control mode: blocking, bound to no group. Event mode: non-blocking,
// a large receive buffer (SO_RCVBUFFORCE, which lets root go past rmem_max,
// falling back to SO_RCVBUF), and optionally joined to AUDIT_NLGRP_READLOG,
// which sees what the kernel logs without taking the audit daemon pid.
class AuditSocket {
 public:
  struct EventOptions {
    bool readlog = false;
    int rcvbuf_bytes = 64 << 20;
  };
  // Where opening failed, for the caller's message.
  enum class OpenStep { kSocket, kBind };

  // A message answering a request.
  using Reply = kernel::Reply;
  // Receives a log record (type, payload) that came between replies.
  using EventHandler = std::function<void(int type, std::string_view payload)>;

  AuditSocket() = default;
  AuditSocket(AuditSocket&& o) noexcept = default;
  AuditSocket& operator=(AuditSocket&& o) noexcept = default;
  AuditSocket(const AuditSocket&) = delete;
  AuditSocket& operator=(const AuditSocket&) = delete;
  ~AuditSocket() = default;

  static base::Result<AuditSocket> open_control();
  static base::Result<AuditSocket> open_events(const EventOptions& options,
                                           OpenStep* failed = nullptr);
  int fd() const { return fd_.get(); }

  // Sends one request; returns its sequence number or -errno.
  int send(std::uint16_t type, const void* data, std::size_t len, bool ack);
  // Receives what answers seq until NLMSG_DONE, the ack or an error (returning
  // 0, the ack's value or -errno), or, when stop_type is not 0, until the first
  // message of that type. Replies go to `out`; records that arrive meanwhile
  // go to on_event (dropped without one). Gives up after 4 s without a reply.
  // Each datagram is read by scan_reply (netlink_reply.h).
  int collect(int seq, std::vector<Reply>& out, std::uint16_t stop_type = 0,
              const EventHandler& on_event = {});
  // Sends with NLM_F_ACK and waits for the ack: returns the ack's value (0,
  // positive for counter resets) or -errno. Replies of other types with the
  // same seq go to `replies`.
  int request(std::uint16_t type, const void* data, std::size_t len,
              std::vector<std::vector<std::uint8_t>>* replies = nullptr,
              const EventHandler& on_event = {});
  // AUDIT_SET pid from this socket, so that the kernel sends events to it
  // (0 lets them go). Events that arrive before the ack go to on_event.
  int set_pid(std::uint32_t pid, const EventHandler& on_event);

  // What receive() found.
  struct Received {
    enum class Status {
      kEvent,    // a log record: type and payload (valid until the next receive)
      kOther,    // a datagram that is not a record (control traffic, too short)
      kOverrun,  // ENOBUFS: the kernel dropped data for this socket (counted)
      kNone,     // nothing within the timeout
      kError,    // the socket failed: error holds -errno
    } status = Status::kNone;
    int type = 0;
    std::string_view payload;
    int error = 0;
  };
  // Event mode: one datagram, waiting up to timeout_ms (0: not at all).
  Received receive(int timeout_ms);
  // ENOBUFS seen by receive().
  std::uint64_t overruns() const { return overruns_; }

 private:
  explicit AuditSocket(int fd, bool events);

  base::UniqueFd fd_;
  bool events_ = false;
  std::uint32_t seq_ = 0;
  std::uint64_t overruns_ = 0;
  std::vector<char> buf_;
};

}  // namespace bpfaudit::kernel
