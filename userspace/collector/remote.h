// The network receiver of `bpfaudit daemon` (auditd.conf tcp_listen_port and
// friends): what stock auditd 3.0.9's auditd-listen.c does for audisp-remote
// senders, on the daemon's epoll loop, never blocking it.
//
// Each connection is checked as stock checks it (tcp_client_ports, then
// tcp_max_per_addr per address) and recorded as DAEMON_ACCEPT; frames
// (remote_frame.h) are read without blocking; a MESSAGE's record is handed to
// the daemon, which writes it verbatim and then calls written(): only then
// does the sender get its ACK (or DISKLOW / DISKFULL / DISKERROR, as the log
// fared). HEARTBEAT is answered at once. A closed connection is recorded as
// DAEMON_CLOSE; at shutdown every sender gets ENDING first.
//
// Where stock would wait for ever or misread, this closes the connection and
// records why (DAEMON_CLOSE op=REASON ... res=failed): bytes that are not the
// protocol, a length over 8970, a frame left half sent for kFrameTimeoutMs or
// cut by the end of the connection, an unknown frame type, a sender whose
// unread ACKs pile up past kMaxAckBacklog bytes.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auditd_conf.h"
#include "log_file.h"
#include "result.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

class RemoteReceiver {
 public:
  struct Hooks {
    MessageSink say;
    // A DAEMON_ACCEPT / DAEMON_CLOSE record of the daemon's own, body only.
    std::function<void(int type, const std::string& body)> daemon_record;
    // A received record, as the sender formatted it (no newline).
    std::function<void(std::string_view line)> record;
  };

  // A frame may stay half received this long before the connection is closed.
  static constexpr std::int64_t kFrameTimeoutMs = 10000;
  // Unread replies a sender may leave before it is dropped (1024 ACKs).
  static constexpr std::size_t kMaxAckBacklog = 16 << 10;

  // Listens on conf.tcp_listen_port as stock does (getaddrinfo passive: one
  // dual-stack IPv6 socket when the host has both families); the error names
  // the port and the reason when no socket could listen.
  static base::Result<std::unique_ptr<RemoteReceiver>> open(const record::AuditdConf& conf,
                                                            int epoll_fd, Hooks hooks);
  ~RemoteReceiver();
  RemoteReceiver(const RemoteReceiver&) = delete;
  RemoteReceiver& operator=(const RemoteReceiver&) = delete;

  bool owns(int fd) const;
  void on_ready(int fd, std::uint32_t events, std::int64_t now_ms);
  // Idle (tcp_client_max_idle) and half-frame limits; accepting again after
  // the process ran out of descriptors.
  void tick(std::int64_t now_ms);

  // Records were handed over and wait for the log: the daemon should write now.
  bool awaiting_write() const { return !unacked_.empty(); }
  // Every record handed over so far went to the log (or not): reply to each.
  void written(LogFile::Outcome outcome, bool space_low);

  // SIGHUP: the client ports, per-address limit and idle time change at once;
  // the port and queue need a restart (as stock).
  void reconfigure(const record::AuditdConf& conf);
  // ENDING to every sender, DAEMON_CLOSE for each, listeners closed.
  void shutdown();

  std::size_t connections() const { return clients_.size(); }

 private:
  struct Client {
    base::UniqueFd fd;
    sockaddr_storage addr{};
    std::uint64_t id = 0;
    std::string in;   // the frame being received
    std::string out;  // replies the socket did not take yet
    std::int64_t last_active_ms = 0;
    std::int64_t frame_started_ms = 0;
    bool watching_out = false;
  };
  struct Unacked {
    std::uint64_t client_id;
    std::uint32_t seq;
  };

  RemoteReceiver(const record::AuditdConf& conf, int epoll_fd, Hooks hooks);
  void accept_all(int listen_fd, std::int64_t now_ms);
  void read_client(Client& c, std::int64_t now_ms);
  // false when the client was closed
  bool take_frames(Client& c, std::int64_t now_ms);
  bool send(Client& c, std::string_view bytes);
  void close_client(int fd, std::string_view failure);
  void watch(int fd, std::uint32_t events, bool add);
  void set_listening(bool on);

  record::AuditdConf conf_;
  int epoll_fd_;
  Hooks hooks_;
  std::vector<base::UniqueFd> listeners_;
  bool listening_ = true;
  std::map<int, Client> clients_;
  std::map<std::uint64_t, int> fd_of_;
  std::uint64_t next_id_ = 1;
  std::deque<Unacked> unacked_;
  std::int64_t accept_paused_until_ms_ = 0;
};

// `addr=A port=P`, the peer as stock's records name it.
std::string remote_peer_fields(const sockaddr_storage& addr);

}  // namespace bpfaudit::collector
