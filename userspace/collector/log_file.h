// The audit log as stock auditd keeps it: created 0600 (0640 with log_group),
// never through a symlink, rotated to LOG.1..LOG.N-1, with the size, space,
// disk-full and disk-error actions of auditd.conf.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auditd_conf.h"
#include "log_index.h"
#include "unique_fd.h"

namespace bpfaudit::collector {

// Where the daemon's messages go (stderr in the foreground, syslog otherwise).
using MessageSink = std::function<void(int priority, const std::string& text)>;

// The renames a rotation performs, in order: LOG.(n-2) -> LOG.(n-1) ... LOG.1 -> LOG.2,
// then LOG -> LOG.1. Stock's rotate_logs() with num_logs files in all.
std::vector<std::pair<std::string, std::string>> rotation_renames(const std::string& log_file,
                                                                  unsigned num_logs);

// Runs `/sbin/init LEVEL` (single user "1", halt "0") without waiting, as
// stock's disk and queue actions do; false when fork failed.
bool start_runlevel_change(const char* level);

class LogFile {
 public:
  LogFile(const record::AuditdConf& conf, MessageSink sink);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Opens (creating if needed) the log; false with a message on failure.
  bool open();
  void close();

  // How a write went, for the network receiver's replies.
  enum class Outcome {
    kWritten,
    kDiskFull,   // ENOSPC
    kDiskError,  // another write error, or the log could not be reopened
    kSuspended,  // nothing written: an action suspended logging
    kNoLog,      // nothing written: write_logs = no
  };
  // Appends whole lines (each ending in '\n'), `records` of them. Applies the
  // flush policy and then the size and space checks. Records it could not
  // write (suspended, disk full, write error) are counted in dropped(); a
  // line cut short by a full disk is taken back out of the file, so the log
  // only ever holds whole records. `report`: the last line is the loss
  // record for dropped() (not among `records`); once it is written the
  // count starts again from the records this call could not write.
  Outcome write(const std::string& lines, std::size_t records, bool report = false);
  // Records given to write() and not written since the last written report.
  std::uint64_t dropped() const { return dropped_; }
  // space_left was crossed (stock's fs_space_warning): senders get DISKLOW.
  bool space_low() const { return space_warning_; }

  // SIGUSR1 (and DAEMON_ROTATE): rotate now, or shift for keep_logs.
  void rotate_now();
  // SIGUSR2: leave the suspended state and reopen the log.
  void resume();
  // SIGHUP: take the new settings; reopens when the file or flush changed.
  void reconfigure(const record::AuditdConf& conf);

  bool suspended() const { return suspended_; }
  std::uint64_t size() const { return size_; }
  // Removes logs beyond num_logs (stock does this at start when rotating).
  void remove_excess_logs();
  void flush_sync();
  const LogIndexer& indexer() const { return indexer_; }

 private:
  void rotate(unsigned num_logs, bool keep);
  void shift_logs();
  void check_size();
  void check_space();
  void space_action(bool admin);
  void disk_full_action();
  void disk_error_action(const char* func, int err);
  // What stock logs before suspending, going single user or halting, in the
  // words of the trigger at hand.
  struct DrasticMessages {
    const char* suspend;
    const char* single;
    const char* halt;
  };
  // Runs exec, suspend, single or halt, as every trigger does them; false
  // for the other actions, which each trigger handles its own way.
  bool drastic_action(record::FailureAction action, const std::string& exe,
                      const DrasticMessages& messages);
  // The rotate action of the space triggers.
  void rotate_for_space();
  void suspend();
  void run_exe(const std::string& exe);
  void change_runlevel(const char* level);
  void sendmail(const char* subject, const char* body);
  void msg(int prio, const std::string& text) { sink_(prio, text); }
  void flusher();

  record::AuditdConf conf_;
  MessageSink sink_;
  base::UniqueFd fd_;
  std::uint64_t size_ = 0;
  bool suspended_ = false;
  bool fs_space_left_ = true;  // false once the disk-full action ran
  bool space_warning_ = false, admin_space_warning_ = false;
  int disk_err_warnings_ = 0;
  std::uint64_t dropped_ = 0;
  unsigned last_log_ = 1;
  std::uint64_t since_flush_ = 0;
  std::uint64_t since_space_check_ = 0;

  // incremental_async: a thread syncs so that writing never waits for the disk.
  std::thread flush_thread_;
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  bool flush_wanted_ = false, flush_stop_ = false;
  std::atomic<int> flush_fd_{-1};
  // Indexes the logs this daemon closes (rotated; the current one at exit)
  // and keeps the index of the one it writes up to date (LogIndexer::Refresh).
  LogIndexer indexer_;
};

}  // namespace bpfaudit::collector
