#include "log_file.h"
#include "unique_fd.h"

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bpfaudit::collector {

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
// Check free space after this much data, as stock samples it every few writes.
constexpr std::uint64_t kSpaceCheckBytes = 64 * 1024;

std::string numbered(const std::string& base, unsigned n) { return base + "." + std::to_string(n); }

void child_exec(const char* path, const char* arg) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_UNBLOCK, &all, nullptr);
  char* argv[3] = {const_cast<char*>(path), const_cast<char*>(arg), nullptr};
  execve(path, argv, environ);
  _exit(1);
}
}  // namespace

std::vector<std::pair<std::string, std::string>> rotation_renames(const std::string& log_file,
                                                                  unsigned num_logs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = static_cast<int>(num_logs) - 1; i > 1; --i)
    out.emplace_back(numbered(log_file, i - 1), numbered(log_file, i));
  out.emplace_back(log_file, numbered(log_file, 1));
  return out;
}

LogFile::LogFile(const record::AuditdConf& conf, MessageSink sink)
    : conf_(conf), sink_(std::move(sink)), indexer_(conf.end_of_event_timeout) {
  flush_thread_ = std::thread([this] { flusher(); });
}

LogFile::~LogFile() {
  {
    std::lock_guard<std::mutex> g(flush_mu_);
    flush_stop_ = true;
  }
  flush_cv_.notify_all();
  flush_thread_.join();
  bool had_log = static_cast<bool>(fd_);
  close();
  if (had_log && conf_.write_logs) indexer_.index_later(conf_.log_file);
}

void LogFile::flusher() {
  std::unique_lock<std::mutex> lk(flush_mu_);
  for (;;) {
    flush_cv_.wait(lk, [this] { return flush_wanted_ || flush_stop_; });
    if (flush_stop_) return;
    flush_wanted_ = false;
    int fd = flush_fd_.load();
    lk.unlock();
    if (fd >= 0) fdatasync(fd);
    lk.lock();
  }
}

bool LogFile::open() {
  if (!conf_.write_logs) return true;
  int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
  if (conf_.flush == record::FlushMode::kData) flags |= O_DSYNC;
  if (conf_.flush == record::FlushMode::kSync) flags |= O_SYNC;
  mode_t mode = conf_.log_group ? 0640 : 0600;
  int fd;
  do {
    fd = ::open(conf_.log_file.c_str(), flags);
  } while (fd < 0 && errno == ENFILE);
  if (fd < 0 && errno == ENOENT) {
    // O_EXCL with O_NOFOLLOW: a symlink planted in the directory is never followed.
    fd = ::open(conf_.log_file.c_str(), flags | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
      msg(LOG_ERR, "Unable to create " + conf_.log_file + " (" + std::strerror(errno) + ")");
      msg(LOG_CRIT,
          "Couldn't create log file " + conf_.log_file + " (" + std::strerror(errno) + ")");
      return false;
    }
  }
  if (fd < 0) {
    msg(LOG_CRIT, "Couldn't open log file " + conf_.log_file + " (" + std::strerror(errno) + ")");
    return false;
  }
  base::UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) != 0) return false;
  if (!S_ISREG(st.st_mode)) {
    msg(LOG_CRIT, "Couldn't open log file " + conf_.log_file + " (not a regular file)");
    return false;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (fchmod(file.get(), mode) < 0) {
    msg(LOG_ERR,
        std::string("Couldn't change permissions of log file (") + std::strerror(errno) + ")");
    return false;
  }
  if (fchown(file.get(), 0, conf_.log_group) < 0) {
    msg(LOG_ERR,
        std::string("Couldn't change ownership of log file (") + std::strerror(errno) + ")");
    return false;
  }
  fd_ = std::move(file);
  flush_fd_ = fd_.get();
  indexer_.set_active(conf_.log_file, size_);
  return true;
}

void LogFile::close() {
  if (!fd_) return;
  indexer_.set_active("", 0);
  if (conf_.flush != record::FlushMode::kNone) fsync(fd_.get());
  flush_fd_ = -1;
  {
    // Make sure the flusher is not syncing a descriptor we are about to reuse.
    std::lock_guard<std::mutex> g(flush_mu_);
  }
  fd_.reset();
}

void LogFile::flush_sync() {
  if (fd_) fsync(fd_.get());
}

LogFile::Outcome LogFile::write(const std::string& lines, std::size_t records, bool report) {
  // What this call could not write: `whole` lines of `lines` made it.
  auto account = [&](std::size_t whole) {
    std::size_t all = records + (report ? 1 : 0);
    if (report && whole == all)
      dropped_ = 0;
    else
      dropped_ += records - std::min(whole, records);
  };
  if (suspended_) {
    account(0);
    return Outcome::kSuspended;
  }
  if (!conf_.write_logs) return Outcome::kNoLog;
  if (lines.empty()) return Outcome::kWritten;
  if (!fd_) {
    // Closed by an action whose program may have moved the log: reopen.
    if (!open()) {
      suspended_ = true;
      disk_error_action("reopen", errno);
      account(0);
      return Outcome::kDiskError;
    }
  }
  const char* p = lines.data();
  std::size_t left = lines.size();
  while (left) {
    ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      // A full disk takes a write in part first (measured on tmpfs: a short
      // count, then ENOSPC): the cut line is taken back, or the next record
      // written would be glued to it and both lost to every reader.
      std::size_t done = lines.size() - left;
      std::size_t keep = done == 0 ? 0 : lines.rfind('\n', done - 1) + 1;
      if (keep < done && ftruncate(fd_.get(), static_cast<off_t>(size_ - (done - keep))) == 0)
        size_ -= done - keep;
      if (keep) indexer_.wrote(keep);
      account(static_cast<std::size_t>(std::count(lines.begin(), lines.begin() + keep, '\n')));
      if (e == ENOSPC) {
        if (fs_space_left_) {
          fs_space_left_ = false;
          disk_full_action();
        }
        return Outcome::kDiskFull;
      }
      disk_error_action("write", e);
      return Outcome::kDiskError;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  account(records + (report ? 1 : 0));
  indexer_.wrote(lines.size());
  disk_err_warnings_ = 0;
  if (conf_.flush == record::FlushMode::kIncremental ||
      conf_.flush == record::FlushMode::kIncrementalAsync) {
    since_flush_ += records;
    if (conf_.freq && since_flush_ >= conf_.freq) {
      since_flush_ = 0;
      if (conf_.flush == record::FlushMode::kIncremental) {
        if (fsync(fd_.get()) != 0) disk_error_action("fsync", errno);
      } else {
        {
          std::lock_guard<std::mutex> g(flush_mu_);
          flush_wanted_ = true;
        }
        flush_cv_.notify_one();
      }
    }
  }
  check_size();
  since_space_check_ += lines.size();
  if (since_space_check_ >= kSpaceCheckBytes) {
    since_space_check_ = 0;
    check_space();
  }
  return Outcome::kWritten;
}

void LogFile::check_size() {
  if (!conf_.write_logs || !fd_) return;
  if (size_ / kMiB < conf_.max_log_file) return;
  switch (conf_.max_log_file_action) {
    case record::SizeAction::kIgnore:
      break;
    case record::SizeAction::kSyslog:
      msg(LOG_ERR, "Audit daemon log file is larger than max size");
      break;
    case record::SizeAction::kSuspend:
      msg(LOG_ERR, "Audit daemon is suspending logging due to logfile size.");
      suspend();
      break;
    case record::SizeAction::kRotate:
      if (conf_.num_logs > 1) {
        msg(LOG_NOTICE, "Audit daemon rotating log files");
        rotate(0, false);
      }
      break;
    case record::SizeAction::kKeepLogs:
      msg(LOG_NOTICE, "Audit daemon rotating log files with keep option");
      shift_logs();
      break;
  }
}

void LogFile::check_space() {
  if (!fd_) return;
  struct statfs buf;
  if (fstatfs(fd_.get(), &buf) != 0) return;
  if (buf.f_bavail < 5) {  // stock never uses the last 5 blocks
    fs_space_left_ = false;
    disk_full_action();
    return;
  }
  std::uint64_t bsize = static_cast<std::uint64_t>(buf.f_bsize);
  std::uint64_t space_left = conf_.space_left, admin_left = conf_.admin_space_left;
  // Percentages are of the whole file system, in MiB.
  if (conf_.space_left_percent)
    space_left =
        static_cast<std::uint64_t>(buf.f_blocks) * conf_.space_left_percent / 100 * bsize / kMiB;
  if (conf_.admin_space_left_percent)
    admin_left = static_cast<std::uint64_t>(buf.f_blocks) * conf_.admin_space_left_percent / 100 *
                 bsize / kMiB;
  std::uint64_t blocks = space_left * (kMiB / bsize);
  if (buf.f_bavail < blocks) {
    if (!space_warning_) {
      space_action(false);
      if (conf_.space_left_action != record::FailureAction::kRotate) space_warning_ = true;
    }
  } else if (space_warning_ && conf_.space_left_action == record::FailureAction::kSyslog) {
    space_warning_ = false;
  }
  if (!fd_) return;
  blocks = admin_left * (kMiB / bsize);
  if (buf.f_bavail < blocks) {
    if (!admin_space_warning_) {
      space_action(true);
      if (conf_.admin_space_left_action != record::FailureAction::kRotate)
        admin_space_warning_ = true;
    }
  } else if (admin_space_warning_ &&
             conf_.admin_space_left_action == record::FailureAction::kSyslog) {
    admin_space_warning_ = false;
  }
}

void LogFile::suspend() {
  // Closed so that an administrator can move or delete the file; nothing is
  // written to a deleted file.
  close();
  suspended_ = true;
}

void LogFile::run_exe(const std::string& exe) {
  suspend();
  pid_t pid = fork();
  if (pid < 0) {
    msg(LOG_ALERT, "Audit daemon failed to fork doing safe_exec");
    return;
  }
  if (pid == 0) child_exec(exe.c_str(), nullptr);
}

bool start_runlevel_change(const char* level) {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) child_exec("/sbin/init", level);
  return true;
}

void LogFile::change_runlevel(const char* level) {
  if (!start_runlevel_change(level)) msg(LOG_ALERT, "Audit daemon failed to fork switching runlevels");
}

void LogFile::sendmail(const char* subject, const char* body) {
  if (access("/usr/lib/sendmail", X_OK) != 0) return;
  std::string cmd = "/usr/lib/sendmail -t";
  if (FILE* p = popen(cmd.c_str(), "w")) {
    std::fprintf(p, "To: %s\nFrom: root\nSubject: %s\n\n%s\n", conf_.action_mail_acct.c_str(),
                 subject, body);
    pclose(p);
  }
}

bool LogFile::drastic_action(record::FailureAction action, const std::string& exe,
                             const DrasticMessages& messages) {
  switch (action) {
    case record::FailureAction::kExec:
      run_exe(exe);
      return true;
    case record::FailureAction::kSuspend:
      msg(LOG_ALERT, messages.suspend);
      suspend();
      return true;
    case record::FailureAction::kSingle:
      msg(LOG_ALERT, messages.single);
      change_runlevel("1");
      return true;
    case record::FailureAction::kHalt:
      msg(LOG_ALERT, messages.halt);
      change_runlevel("0");
      return true;
    default:
      return false;
  }
}

void LogFile::rotate_for_space() {
  if (conf_.num_logs > 1) {
    msg(LOG_NOTICE, "Audit daemon rotating log files");
    rotate(0, false);
  }
}

void LogFile::space_action(bool admin) {
  auto action = admin ? conf_.admin_space_left_action : conf_.space_left_action;
  if (drastic_action(action, admin ? conf_.admin_space_left_exe : conf_.space_left_exe,
                     {"Audit daemon is suspending logging due to low disk space.",
                      "The audit daemon is now changing the system to single user mode",
                      "The audit daemon is now halting the system"}))
    return;
  switch (action) {
    case record::FailureAction::kSyslog:
      msg(LOG_ALERT, "Audit daemon is low on disk space for logging");
      break;
    case record::FailureAction::kRotate:
      rotate_for_space();
      break;
    case record::FailureAction::kEmail:
      if (!admin) {
        sendmail("Audit Disk Space Alert",
                 "The audit daemon is low on disk space for logging! Please take action\nto "
                 "ensure no loss of service.");
        msg(LOG_ALERT, "Audit daemon is low on disk space for logging");
      } else {
        sendmail("Audit Admin Space Alert",
                 "The audit daemon is very low on disk space for logging! Immediate action\nis "
                 "required to ensure no loss of service.");
        msg(LOG_ALERT, "Audit daemon is very low on disk space for logging");
      }
      break;
    default:  // ignore
      break;
  }
}

void LogFile::disk_full_action() {
  msg(LOG_ALERT, "Audit daemon has no space left on logging partition");
  if (drastic_action(
          conf_.disk_full_action, conf_.disk_full_exe,
          {"Audit daemon is suspending logging due to no space left on logging partition.",
           "The audit daemon is now changing the system to single user mode due to no space "
           "left on logging partition",
           "The audit daemon is now halting the system due to no space left on logging "
           "partition"}))
    return;
  // ignore and syslog log nothing more; email is refused by the parser.
  if (conf_.disk_full_action == record::FailureAction::kRotate) rotate_for_space();
}

void LogFile::disk_error_action(const char* func, int err) {
  if (drastic_action(conf_.disk_error_action, conf_.disk_error_exe,
                     {"Audit daemon is suspending logging due to previously mentioned write error",
                      "The audit daemon is now changing the system to single user mode due to "
                      "previously mentioned write error",
                      "The audit daemon is now halting the system due to previously mentioned "
                      "write error."}))
    return;
  // ignore and email do nothing here; rotate is refused by the parser.
  if (conf_.disk_error_action == record::FailureAction::kSyslog && disk_err_warnings_ < 5) {
    msg(LOG_ALERT, std::string(func) +
                       ": Audit daemon detected an error writing an event to disk (" +
                       std::strerror(err) + ")");
    ++disk_err_warnings_;
  }
}

void LogFile::rotate_now() {
  if (conf_.max_log_file_action == record::SizeAction::kKeepLogs)
    shift_logs();
  else
    rotate(0, false);
}

void LogFile::rotate(unsigned num_logs, bool keep) {
  if (conf_.num_logs < 2 && !keep) {
    msg(LOG_NOTICE, "Log rotation disabled (num_logs < 2), skipping");
    return;
  }
  // The rotated file becomes read-only: nothing writes it again.
  if (fd_) {
    if (fchmod(fd_.get(), conf_.log_group ? 0440 : 0400) < 0)
      msg(LOG_WARNING, std::string("Couldn't change permissions while rotating log file (") +
                           std::strerror(errno) + ")");
    if (fchown(fd_.get(), 0, conf_.log_group) < 0)
      msg(LOG_WARNING, std::string("Couldn't change ownership while rotating log file (") +
                           std::strerror(errno) + ")");
  }
  close();
  if (num_logs == 0) num_logs = conf_.num_logs;
  for (const auto& [from, to] : rotation_renames(conf_.log_file, num_logs)) {
    if (rename(from.c_str(), to.c_str()) == 0) indexer_.renamed(from, to);
    else if (errno != ENOENT) {
      int e = errno;
      msg(LOG_ERR,
          "Error rotating logs from " + from + " to " + to + " (" + std::strerror(e) + ")");
      if (e == ENOSPC && fs_space_left_) {
        fs_space_left_ = false;
        disk_full_action();
      } else {
        disk_error_action(from == conf_.log_file ? "rotate2" : "rotate", e);
      }
      if (from == conf_.log_file) chmod(conf_.log_file.c_str(), conf_.log_group ? 0640 : 0600);
    }
  }
  // The file just closed is LOG.1 now.
  if (access(numbered(conf_.log_file, 1).c_str(), R_OK) == 0)
    indexer_.index_later(numbered(conf_.log_file, 1));
  if (!open()) {
    int e = errno;
    msg(LOG_CRIT, "Could not reopen a log after rotating.");
    suspended_ = true;
    disk_error_action("reopen", e);
  }
}

void LogFile::shift_logs() {
  // keep_logs: never delete; rotate into the first free number.
  unsigned n = last_log_;
  while (access(numbered(conf_.log_file, n).c_str(), R_OK) == 0) ++n;
  if (n <= last_log_ && last_log_ > 1) {
    msg(LOG_WARNING, "Last known log disappeared (" + numbered(conf_.log_file, n) + ")");
    n = last_log_ = 1;
    while (access(numbered(conf_.log_file, n).c_str(), R_OK) == 0) ++n;
    msg(LOG_INFO, "Next log to use will be " + numbered(conf_.log_file, n));
  }
  last_log_ = n;
  rotate(n + 1, true);
}

void LogFile::remove_excess_logs() {
  if (conf_.max_log_file_action != record::SizeAction::kRotate || conf_.num_logs < 2) return;
  for (unsigned i = conf_.num_logs;; ++i) {
    std::string name = numbered(conf_.log_file, i);
    if (unlink(name.c_str()) != 0) break;
    indexer_.removed(name);
    msg(LOG_NOTICE, "Log " + name + " removed as it exceeds num_logs parameter");
  }
}

void LogFile::resume() {
  msg(LOG_NOTICE, "Audit daemon is attempting to resume logging.");
  suspended_ = false;
  fs_space_left_ = true;
  if (!fd_) {
    if (!open()) {
      int e = errno;
      msg(LOG_WARNING, "Could not reopen a log after resume logging");
      suspended_ = true;
      disk_error_action("resume", e);
    } else {
      check_size();
    }
    msg(LOG_NOTICE, "Audit daemon resumed logging.");
  }
  disk_err_warnings_ = 0;
  space_warning_ = admin_space_warning_ = false;
}

void LogFile::reconfigure(const record::AuditdConf& conf) {
  bool reopen = conf.log_file != conf_.log_file || conf.flush != conf_.flush ||
                conf.log_group != conf_.log_group || conf.write_logs != conf_.write_logs;
  if (reopen) close();
  conf_ = conf;
  disk_err_warnings_ = 0;
  space_warning_ = admin_space_warning_ = false;
  if (reopen && !suspended_ && !open()) suspended_ = true;
  check_size();
  check_space();
}

}  // namespace bpfaudit::collector
