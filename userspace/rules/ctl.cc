#include "ctl.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "log_reader.h"
#include "unique_fd.h"

namespace bpfaudit::rules {

namespace {

constexpr const char* kUsage =
    "usage: auditctl [options]\n"
    "    -a <l,a>                          Append rule to end of <l>ist with <a>ction\n"
    "    -A <l,a>                          Add rule at beginning of <l>ist with <a>ction\n"
    "    -b <backlog>                      Set max number of outstanding audit buffers\n"
    "                                      allowed Default=64\n"
    "    -c                                Continue through errors in rules\n"
    "    -C f=f                            Compare collected fields if available:\n"
    "                                      Field name, operator(=,!=), field name\n"
    "    -d <l,a>                          Delete rule from <l>ist with <a>ction\n"
    "                                      l=task,exit,user,exclude,filesystem\n"
    "                                      a=never,always\n"
    "    -D                                Delete all rules and watches\n"
    "    -e [0..2]                         Set enabled flag\n"
    "    -f [0..2]                         Set failure flag\n"
    "                                      0=silent 1=printk 2=panic\n"
    "    -F f=v                            Build rule: field name, operator(=,!=,<,>,<=,\n"
    "                                      >=,&,&=) value\n"
    "    -h                                Help\n"
    "    -i                                Ignore errors when reading rules from file\n"
    "    -k <key>                          Set filter key on audit rule\n"
    "    -l                                List rules\n"
    "    -m text                           Send a user-space message\n"
    "    -p [r|w|x|a]                      Set permissions filter on watch\n"
    "                                      r=read, w=write, x=execute, a=attribute\n"
    "    -q <mount,subtree>                make subtree part of mount point's dir watches\n"
    "    -r <rate>                         Set limit in messages/sec (0=none)\n"
    "    -R <file>                         read rules from file\n"
    "    -s                                Report status\n"
    "    -S syscall                        Build rule: syscall name or number\n"
    "    --signal <signal>                 Send the specified signal to the daemon\n"
    "    -t                                Trim directory watches\n"
    "    -v                                Version\n"
    "    -w <path>                         Insert watch at <path>\n"
    "    -W <path>                         Remove watch at <path>\n"
    "    --loginuid-immutable              Make loginuids unchangeable once set\n"
    "    --backlog_wait_time               Set the kernel backlog_wait_time\n"
    "    --reset-lost                      Reset the lost record counter\n"
    "    --reset_backlog_wait_time_actual  Reset the actual backlog wait time counter\n"
    "    --prefilter on|off                Evaluate exit rules in the eBPF engine (bpfaudit)\n";

// -v: stock 3.0.9's line, then the behaviours taken from later releases
// (README "auditctl" says the same).
constexpr const char* kVersionText =
    "auditctl version 3.0.9\n"
    "from audit 3.1: the io_uring filter list (-a always,io_uring -S OP, kernel 5.16+)\n"
    "from audit 3.1: exclude rules take every field the kernel's exclude filter takes\n"
    "from audit 3.1.1: --signal stop|reload|rotate|resume|state\n"
    "from audit 3.1.2: -R takes a rules file not owned by root (not a world-writable one)\n"
    "from audit 4.2: syscall names after 3.0.9's tables (fchmodat2 ..), listed as numbers\n";

// Stock's filter/action words; 0 found, 1 "possible" (deprecated), 2 unknown.
int lookup_filter(const std::string& s, int& filter, bool& exclude) {
  if (s == "exit")
    filter = AUDIT_FILTER_EXIT;
  else if (s == "task")
    filter = AUDIT_FILTER_TASK;
  else if (s == "user")
    filter = AUDIT_FILTER_USER;
  else if (s == "exclude") {
    filter = AUDIT_FILTER_EXCLUDE;
    exclude = true;
  } else if (s == "filesystem")
    filter = AUDIT_FILTER_FS;
  else if (s == "io_uring")  // audit 3.1+: the kernel's io_uring op exit list (5.16+)
    filter = AUDIT_FILTER_URING_EXIT;
  else
    return 2;
  return 0;
}

int lookup_action(const std::string& s, int& act) {
  if (s == "always")
    act = AUDIT_ALWAYS;
  else if (s == "never")
    act = AUDIT_NEVER;
  else if (s == "possible")
    return 1;
  else
    return 2;
  return 0;
}

// "list,action" in either order. 0 ok, 1 deprecated, 2 bad, 3 second rule operation.
int rule_setup(const std::string& opt, int& filter, int& act, bool& exclude, int& multiple) {
  if (++multiple != 1) return 3;
  auto comma = opt.find(',');
  if (comma == std::string::npos || opt.find(',', comma + 1) != std::string::npos) return 2;
  std::string first = opt.substr(0, comma), second = opt.substr(comma + 1);
  if (lookup_action(first, act) == 2) {
    if (int rc = lookup_filter(first, filter, exclude)) return rc;
  }
  if (filter == AUDIT_FILTER_UNSET) {
    lookup_filter(second, filter, exclude);
  } else {
    if (int rc = lookup_action(second, act)) return rc;
  }
  if (filter == AUDIT_FILTER_UNSET || act == -1) return 2;
  return 0;
}

std::string strerr(int e) { return std::strerror(e); }

bool numeric_start(const char* s) { return s && std::isdigit(static_cast<unsigned char>(s[0])); }

// getopt_long's values for the long options (none collides with a letter).
enum LongOption : int {
  kOptLoginuidImmutable = 1,
  kOptBacklogWaitTime,
  kOptResetLost,
  kOptResetBacklogWaitActual,
  kOptSignal,
  kOptPrefilter,  // ours: stock 3.0.9 has no such option
};

const option kLongOpts[] = {
    {"loginuid-immutable", 0, nullptr, kOptLoginuidImmutable},
    {"backlog_wait_time", 1, nullptr, kOptBacklogWaitTime},
    {"reset-lost", 0, nullptr, kOptResetLost},
    {"reset_backlog_wait_time_actual", 0, nullptr, kOptResetBacklogWaitActual},
    {"signal", 1, nullptr, kOptSignal},
    {"prefilter", 1, nullptr, kOptPrefilter},
    {nullptr, 0, nullptr, 0},
};

}  // namespace

Ctl::Ctl(kernel::AuditControl& kernel, Environment env, CtlIo io)
    : kernel_(kernel), env_(std::move(env)), io_(std::move(io)) {
  if (!io_.syslog)
    io_.syslog = [](int prio, const std::string& s) { ::syslog(prio, "%s", s.c_str()); };
  if (!io_.kill) io_.kill = [](int pid, int sig) { return ::kill(pid, sig); };
}

void Ctl::amsg(int priority, const std::string& text) {
  if (syslog_mode_)
    io_.syslog(priority, text);
  else
    std::fprintf(io_.err, "%s\n", text.c_str());
}

void Ctl::emsg(const std::string& text) { std::fprintf(io_.err, "%s\n", text.c_str()); }

// -k KEY and -F key=KEY, as stock: keys join with the separator up to
// AUDIT_MAX_KEY_LEN in all; a key holding the separator is said to be
// illegal but kept (stock goes on too).
bool Ctl::append_key(const std::string& k) {
  if (k.size() + key_.size() + (key_.empty() ? 0 : 1) > AUDIT_MAX_KEY_LEN) {
    amsg(LOG_ERR, "key option exceeds size limit");
    return false;
  }
  if (k.find(static_cast<char>(AUDIT_KEY_SEPARATOR)) != std::string::npos)
    amsg(LOG_ERR, "key " + k + " has illegal character");
  if (!key_.empty()) key_ += static_cast<char>(AUDIT_KEY_SEPARATOR);
  key_ += k;
  return true;
}

void Ctl::reset_vars() {
  rule_.reset();
  st_ = BuildState{};
  add_ = del_ = AUDIT_FILTER_UNSET;
  action_ = -1;
  exclude_ = false;
  multiple_ = 0;
  list_requested_ = false;
  key_.clear();
  steps_.clear();
  status_reply_pending_ = false;
}

void Ctl::print_status(const kernel::Status& s, bool with_features_line) {
  const auto& st = s.status;
  if (json_) {
    std::fprintf(io_.out,
                 "{\"enabled\":%u,\"failure\":%u,\"pid\":%u,\"rate_limit\":%u,"
                 "\"backlog_limit\":%u,\"lost\":%u,\"backlog\":%u,\"backlog_wait_time\":%u",
                 st.enabled, st.failure, st.pid, st.rate_limit, st.backlog_limit, st.lost,
                 st.backlog, st.backlog_wait_time);
    if (s.length >= sizeof(audit_status))
      std::fprintf(io_.out, ",\"backlog_wait_time_actual\":%u", st.backlog_wait_time_actual);
    if (with_features_line) {
      auto f = kernel_.get_features();
      uint32_t mask = AUDIT_FEATURE_TO_MASK(AUDIT_FEATURE_LOGINUID_IMMUTABLE);
      if (f.ok() && (f->mask & mask))
        std::fprintf(io_.out, ",\"loginuid_immutable\":%u,\"loginuid_immutable_locked\":%s",
                     (f->features & mask) ? 1u : 0u,
                     (f->lock & mask) ? "true" : "false");
    }
    if (prefilter_ && prefilter_->chosen()) {
      auto e = prefilter_->engine_state();
      std::fprintf(io_.out, ",\"prefilter\":\"%s\"", e ? "on" : "unloaded");
      if (e) {
        std::uint64_t lost = 0;
        for (auto v : e->losses) lost += v;
        std::fprintf(io_.out,
                     ",\"prefilter_path\":\"%s\",\"prefilter_rules\":%u,\"prefilter_lost\":%llu,"
                     "\"prefilter_reader\":%u",
                     e->path.c_str(), e->rules, static_cast<unsigned long long>(lost),
                     prefilter_->reader_tgid());
      }
    }
    std::fprintf(io_.out, "}\n");
    return;
  }
  if (interpret_) {
    static const char* kEnabled[] = {"disable", "enabled", "enabled+immutable"};
    static const char* kFailure[] = {"silent", "printk", "panic"};
    std::fprintf(io_.out, "enabled %s\nfailure %s\n",
                 st.enabled < 3 ? kEnabled[st.enabled] : "unknown",
                 st.failure < 3 ? kFailure[st.failure] : "unknown");
  } else {
    std::fprintf(io_.out, "enabled %u\nfailure %u\n", st.enabled, st.failure);
  }
  std::fprintf(io_.out, "pid %u\nrate_limit %u\nbacklog_limit %u\nlost %u\nbacklog %u\n", st.pid,
               st.rate_limit, st.backlog_limit, st.lost, st.backlog);
  std::fprintf(io_.out, "backlog_wait_time %u\n", st.backlog_wait_time);
  if (s.length == sizeof(audit_status))
    std::fprintf(io_.out, "backlog_wait_time_actual %u\n", st.backlog_wait_time_actual);
  if (with_features_line) {
    auto f = kernel_.get_features();
    uint32_t mask = AUDIT_FEATURE_TO_MASK(AUDIT_FEATURE_LOGINUID_IMMUTABLE);
    if (f.ok() && (f->mask & mask))
      std::fprintf(io_.out, "loginuid_immutable %u %s\n", (f->features & mask) ? 1u : 0u,
                   (f->lock & mask) ? "locked" : "unlocked");
  }
  print_prefilter_status();
}

// Ours, after stock's lines and only while the prefilter is chosen, so that
// a host without it prints exactly what stock prints.
void Ctl::print_prefilter_status() {
  if (!prefilter_ || !prefilter_->chosen()) return;
  auto e = prefilter_->engine_state();
  if (!e) {
    // Chosen but not loaded: after a reboot, until rules are loaded again.
    std::fprintf(io_.out, "prefilter unloaded (loads with the next rule change)\n");
    return;
  }
  std::uint64_t lost = 0;
  for (auto v : e->losses) lost += v;
  std::uint32_t reader = prefilter_->reader_tgid();
  std::fprintf(io_.out,
               "prefilter %s\nprefilter_path %s%s\nprefilter_rules %u\nprefilter_lost %llu\n",
               e->enabled ? "on" : "on (disabled with audit)", e->path.c_str(),
               e->attached ? "" : " (detached: no rule on the engine)", e->rules,
               static_cast<unsigned long long>(lost));
  if (reader)
    std::fprintf(io_.out, "prefilter_reader %u\n", reader);
  else
    std::fprintf(io_.out, "prefilter_reader none (records wait in the ring)\n");
}

int Ctl::switch_prefilter(const std::string& word) {
  if (!prefilter_) {
    amsg(LOG_ERR, "The prefilter is not available in this build");
    return -1;
  }
  if (!io_.is_root) {
    amsg(LOG_ERR, "You must be root to change the prefilter");
    return -1;
  }
  auto switched = word == "on" ? prefilter_->switch_on() : prefilter_->switch_off();
  if (!switched) {
    amsg(LOG_ERR, "Error switching the prefilter " + word + ": " + switched.error().text());
    return -1;
  }
  return 0;
}

int Ctl::print_listing(const std::string& key) {
  auto rules = kernel_.list_rules();
  if (!rules.ok()) {
    // Stock prints the kernel's error reply as it arrives.
    std::fprintf(io_.out, "NLMSG_ERROR %d (%s)\n", -rules.code(), strerr(-rules.code()).c_str());
    return 0;
  }
  if (rules->empty()) {
    std::fprintf(io_.out, "No rules\n");
    return 0;
  }
  std::vector<Rule> shown;
  for (auto& b : *rules) {
    Rule r(std::move(b));
    if (key_matches(r, key)) shown.push_back(std::move(r));
  }
  PrintOptions po;
  po.interpret = interpret_;
  po.host_machine = env_.machine;
  std::fputs(print_rules(shown, po).c_str(), io_.out);
  return 0;
}

int Ctl::send_signal(const std::string& name) {
  // The keywords (stop, reload, rotate, resume, state) are audit 3.1.1's.
  auto is = [&](const char* sig_name, const char* keyword) {
    return strcasecmp(name.c_str(), sig_name) == 0 || strcasecmp(name.c_str(), keyword) == 0;
  };
  int sig = 0;
  if (is("TERM", "stop"))
    sig = SIGTERM;
  else if (is("HUP", "reload"))
    sig = SIGHUP;
  else if (is("USR1", "rotate"))
    sig = SIGUSR1;
  else if (is("USR2", "resume"))
    sig = SIGUSR2;
  else if (is("CONT", "state"))
    sig = SIGCONT;
  if (sig == 0) {
    amsg(LOG_ERR, name + " is an unsupported signal");
    return -1;
  }
  auto s = kernel_.get_status();
  if (!s.ok()) {
    if (s.code() == -ECONNREFUSED)
      amsg(LOG_INFO, "The audit system is disabled");
    else
      amsg(LOG_WARNING, "Failed sending signal to auditd (timeout)");
    return -1;
  }
  if (s->status.pid == 0) {
    amsg(LOG_INFO, "Auditd is not running");
    return -2;
  }
  if (io_.kill(static_cast<int>(s->status.pid), sig) < 0) {
    amsg(LOG_WARNING, "Failed sending signal to auditd (" + strerr(errno) + ")");
    return -1;
  }
  return -2;
}

// Mirrors stock setopt() (see Setopt). Kernel work is queued in steps_.
Ctl::Setopt Ctl::setopt(int count, int lineno, std::vector<char*>& vars) {
  Setopt retval = kReplyDue;
  int c, lidx = 0;
  optind = 0;
  opterr = 0;
  key_.clear();
  vars.push_back(nullptr);  // getopt wants argv[argc] == NULL
  while (retval >= kReplyDue &&
         (c = getopt_long(count, vars.data(),
                          "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:", kLongOpts, &lidx)) != -1) {
    int flags = AUDIT_FILTER_UNSET;
    int rc;
    switch (c) {
      case 'h':
        std::fputs(kUsage, io_.out);
        retval = kError;
        break;
      case 'i':
        ignore_ = true;
        retval = kDone;
        break;
      case 'c':
        ignore_ = true;
        continue_error_ = 1;
        retval = kDone;
        break;
      case 's':
        if (count > 3) {
          amsg(LOG_ERR, "Too many options for status command");
          retval = kError;
          break;
        } else if (optind == 2 && count == 3) {
          if (std::strcmp(vars[optind], "-i") == 0) {
            interpret_ = true;
            count -= 1;
          } else if (std::strcmp(vars[optind], "--json") == 0) {
            json_ = true;  // ours: the same status as one JSON object
            count -= 1;
          } else {
            amsg(LOG_ERR, "Only -i option is allowed");
            retval = kError;
            break;
          }
        }
        steps_.push_back({StepKind::kStatus, "", 0});
        retval = kDone;
        break;
      case 'e':
      case 'f':
        if (optarg &&
            (!std::strcmp(optarg, "0") || !std::strcmp(optarg, "1") || !std::strcmp(optarg, "2"))) {
          steps_.push_back({c == 'e' ? StepKind::kSetEnabled : StepKind::kSetFailure, "",
                            static_cast<uint32_t>(std::strtoul(optarg, nullptr, 0))});
          status_reply_pending_ = true;
        } else {
          amsg(LOG_ERR, std::string(c == 'e' ? "Enable" : "Failure") + " must be 0, 1, or 2 was " +
                            (optarg ? optarg : "(null)"));
          retval = kError;
        }
        break;
      case 'r':
      case 'b':
      case kOptBacklogWaitTime: {
        const char* what = c == 'r' ? "rate" : c == 'b' ? "backlog" : "backlog_wait_time";
        if (numeric_start(optarg)) {
          errno = 0;
          unsigned long v = std::strtoul(optarg, nullptr, 0);
          if (errno) {
            amsg(LOG_ERR, std::string("Error converting ") + what);
            return kError;
          }
          steps_.push_back({c == 'r'   ? StepKind::kSetRate
                            : c == 'b' ? StepKind::kSetBacklog
                                       : StepKind::kSetBacklogWait,
                            "", static_cast<uint32_t>(v)});
          status_reply_pending_ = true;
        } else {
          const char* cap = c == 'r' ? "Rate" : c == 'b' ? "Backlog" : "Backlog_wait_time";
          amsg(LOG_ERR,
               std::string(cap) + " must be a numeric value was " + (optarg ? optarg : "(null)"));
          retval = kError;
        }
        break;
      }
      case 'l':
        if (count > 4) {
          amsg(LOG_ERR, "Wrong number of options for list request");
          retval = kError;
          break;
        }
        if (count == 3) {
          // `auditctl x -l`: getopt moves the word last, so nothing follows
          // -l (stock 3.0.9 dereferences NULL here and crashes).
          if (vars[optind] && std::strcmp(vars[optind], "-i") == 0) {
            interpret_ = true;
            count -= 1;
          } else {
            amsg(LOG_ERR, "Only -k or -i options are allowed");
            retval = kError;
            break;
          }
        } else if (count == 4) {
          if (vars[optind] && std::strcmp(vars[optind], "-k") == 0) {
            key_ += std::string(vars[3]).substr(0, AUDIT_MAX_KEY_LEN);
            count -= 2;
          } else {
            amsg(LOG_ERR, "Only -k or -i options are allowed");
            retval = kError;
            break;
          }
        }
        list_requested_ = true;
        steps_.push_back({StepKind::kList, key_, 0});
        retval = kDone;
        break;
      case 'a':
      case 'A':
        if (std::strstr(optarg, "task") && st_.syscall_added) {
          amsg(LOG_ERR, c == 'a' ? "Syscall auditing requested for task list"
                                 : "Error: syscall auditing requested for task list");
          retval = kError;
        } else {
          rc = rule_setup(optarg, add_, action_, exclude_, multiple_);
          if (rc == 3) {
            amsg(LOG_ERR, c == 'a' ? "Multiple rule insert/delete operations are not allowed\n"
                                   : "Multiple rule insert/delete operations are not allowed");
            retval = kError;
          } else if (rc == 2) {
            amsg(LOG_ERR,
                 std::string(c == 'a' ? "Append" : "Add") + " rule - bad keyword " + optarg);
            retval = kError;
          } else if (rc == 1) {
            amsg(c == 'a' ? LOG_ERR : LOG_WARNING, "Append rule - possible is deprecated");
            return kDeprecated;
          } else {
            if (c == 'A') add_ |= AUDIT_FILTER_PREPEND;
            retval = kRuleReady;
          }
        }
        break;
      case 'd':
        rc = rule_setup(optarg, del_, action_, exclude_, multiple_);
        if (rc == 3) {
          amsg(LOG_ERR, "Multiple rule insert/delete operations are not allowed");
          retval = kError;
        } else if (rc == 2) {
          amsg(LOG_ERR, std::string("Delete rule - bad keyword ") + optarg);
          retval = kError;
        } else if (rc == 1) {
          amsg(LOG_INFO, "Delete rule - possible is deprecated");
          return kDeprecated;
        } else {
          retval = kRuleReady;
        }
        break;
      case 'S': {
        if (do_rule_syscall_checks(optarg, lineno, retval) < 0) return kError;
        break;
      }
      case 'F': {
        if (add_ != AUDIT_FILTER_UNSET)
          flags = add_ & AUDIT_FILTER_MASK;
        else if (del_ != AUDIT_FILTER_UNSET)
          flags = del_ & AUDIT_FILTER_MASK;
        else if (optind >= count || !std::strstr(optarg, "arch=") ||
                 std::strcmp(vars[optind], "-t") != 0) {
          amsg(LOG_ERR, "List must be given before field");
          retval = kError;
          break;
        }
        std::string pair = optarg;
        if (pair.compare(0, 4, "key=") == 0) {
          if (!append_key(pair.substr(4))) retval = kError;
          break;
        }
        std::string opt, diag;
        RuleError e = add_field_pair(rule_, pair, flags, st_, env_, &opt, &diag);
        if (e != RuleError::kNone) {
          if (!diag.empty()) amsg(LOG_ERR, diag);
          std::string m = rule_error_message(e, opt);
          if (e != RuleError::kPrintNothing) emsg(m);
          retval = kError;
        } else if (st_.exclude_unevaluated >= 0 && add_ != AUDIT_FILTER_UNSET) {
          const char* fname = audit_field_to_name(st_.exclude_unevaluated);
          amsg(LOG_WARNING, std::string("WARNING - the kernel's exclude filter does not evaluate ") +
                                (fname ? fname : "this field") +
                                ": this rule never matches and ends the exclude list");
          st_.exclude_unevaluated = -1;
        }
        break;
      }
      case 'C': {
        if (add_ != AUDIT_FILTER_UNSET)
          flags = add_ & AUDIT_FILTER_MASK;
        else if (del_ != AUDIT_FILTER_UNSET)
          flags = del_ & AUDIT_FILTER_MASK;
        std::string opt;
        RuleError e = add_field_compare(rule_, optarg, flags, &opt);
        if (e != RuleError::kNone) {
          emsg(rule_error_message(e, opt));
          retval = kError;
        }
        break;
      }
      case 'm':
        if (count > 3) {
          amsg(LOG_ERR, "The -m option must be only the only option and takes 1 parameter");
          retval = kError;
        } else {
          for (const char* s = optarg; *s; ++s) {
            if (*s < 32) {
              amsg(LOG_ERR, "Illegal character in audit event");
              return kError;
            }
          }
          steps_.push_back({StepKind::kUserMessage, std::string("text=") + optarg, 0});
          retval = kDone;
        }
        break;
      case 'R':
        amsg(LOG_ERR, "Error - nested rule files not supported");
        retval = kError;
        break;
      case 'D':
        if (count > 4 || count == 3) {
          amsg(LOG_ERR, "Wrong number of options for Delete all request");
          retval = kError;
          break;
        }
        if (count == 4) {
          // `auditctl x y -D`: as for -l, nothing follows -D (stock crashes).
          if (vars[optind] && std::strcmp(vars[optind], "-k") == 0) {
            key_ += std::string(vars[3]).substr(0, AUDIT_MAX_KEY_LEN);
            count -= 2;
          } else {
            amsg(LOG_ERR, "Only the -k option is allowed");
            retval = kError;
            break;
          }
        }
        steps_.push_back({StepKind::kDeleteAll, key_, 0});
        key_.clear();
        retval = kDone;
        break;
      case 'w':
      case 'W': {
        if (c == 'w' && (add_ != AUDIT_FILTER_UNSET || del_ != AUDIT_FILTER_UNSET)) {
          amsg(LOG_ERR, "watch option can't be given with a syscall");
          retval = kError;
          break;
        }
        if (c == 'w')
          add_ = AUDIT_FILTER_EXIT;
        else
          del_ = AUDIT_FILTER_EXIT;
        action_ = AUDIT_ALWAYS;
        st_.syscall_added = true;
        std::string path = optarg;
        if (path.size() >= PATH_MAX) {
          amsg(LOG_ERR, "The path passed for the watch is too big");
          retval = kError;
          break;
        }
        if (path[0] != '/') {
          amsg(LOG_ERR, "The path must start with '/'");
          retval = kError;
          break;
        }
        {
          std::string copy = path;
          if (std::strlen(basename(copy.data())) > NAME_MAX) {
            amsg(LOG_ERR, "The base name of the path is too big");
            retval = kError;
            break;
          }
        }
        if (path.find("..") != std::string::npos)
          amsg(LOG_WARNING, "Warning - relative path notation is not supported");
        if (path.find_first_of("*?") != std::string::npos)
          amsg(LOG_WARNING, "Warning - wildcard notation is not supported");
        if (path.size() > 2 && path.back() == '/')
          while (path.size() > 1 && path.back() == '/') path.pop_back();
        uint32_t type = AUDIT_WATCH;
        struct stat sb;
        if (::stat(path.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode)) type = AUDIT_DIR;
        if (rule_.field_count()) {
          amsg(LOG_ERR, "Rule is not empty\n");
          retval = kError;
          break;
        }
        rule_.make_watch(type, path);
        st_.perm_added = true;
        retval = kRuleReady;
        break;
      }
      case 'k': {
        if (!(st_.syscall_added || st_.perm_added || st_.exe_added || st_.filterfs_added) ||
            (add_ == AUDIT_FILTER_UNSET && del_ == AUDIT_FILTER_UNSET)) {
          amsg(LOG_ERR, "key option needs a watch or syscall given prior to it");
          retval = kError;
          break;
        }
        if (!append_key(optarg)) retval = kError;
        break;
      }
      case 'p': {
        if (add_ == AUDIT_FILTER_UNSET && del_ == AUDIT_FILTER_UNSET) {
          amsg(LOG_ERR, "permission option needs a watch given prior to it");
          retval = kError;
          break;
        }
        std::string p = optarg;
        if (p.size() > 4) {
          amsg(LOG_ERR, "permission " + p + " is too long");
          retval = kError;
          break;
        }
        char bad = 0;
        auto perms = parse_perms(p, &bad);
        if (!perms) {
          amsg(LOG_ERR, std::string("Permission ") + bad + " isn't supported");
          retval = kError;
          break;
        }
        if (!rule_.set_perm(*perms)) {
          amsg(LOG_ERR, rule_.field_count() < 1 ? "Permissions should be preceeded by other fields"
                                                : "Too many fields when adding permissions");
          retval = kError;
          break;
        }
        st_.perm_added = true;
        retval = kRuleReady;
        break;
      }
      case 'q': {
        if (st_.syscall_added) {
          amsg(LOG_ERR, "Syscall auditing requested for make equivalent");
          retval = kError;
          break;
        }
        std::string a = optarg;
        auto comma = a.find(',');
        if (comma == std::string::npos || comma + 1 == a.size() ||
            a.find(',', comma + 1) != std::string::npos) {
          amsg(LOG_ERR, "Error parsing equivalent parts");
          retval = kError;
          break;
        }
        steps_.push_back({StepKind::kMakeEquivalent, a, static_cast<uint32_t>(comma)});
        retval = kDone;
        break;
      }
      case 't':
        steps_.push_back({StepKind::kTrim, "", 0});
        retval = kDone;
        break;
      case 'v':
        steps_.push_back({StepKind::kVersion, "", 0});
        retval = kDone;
        break;
      case kOptLoginuidImmutable:
        steps_.push_back({StepKind::kLoginuidImmutable, "", 0});
        retval = kDone;
        break;
      case kOptResetLost:
        steps_.push_back({StepKind::kResetLost, "", 0});
        retval = kDone;
        break;
      case kOptResetBacklogWaitActual:
        steps_.push_back({StepKind::kResetBacklogWaitActual, "", 0});
        retval = kDone;
        break;
      case kOptSignal:
        steps_.push_back({StepKind::kSignal, optarg, 0});
        retval = kDone;
        break;
      case kOptPrefilter:
        if (!optarg || (std::strcmp(optarg, "on") != 0 && std::strcmp(optarg, "off") != 0)) {
          amsg(LOG_ERR,
               std::string("Prefilter must be on or off was ") + (optarg ? optarg : "(null)"));
          retval = kError;
          break;
        }
        steps_.push_back({StepKind::kPrefilter, optarg, 0});
        retval = kDone;
        break;
      default: {
        std::string bad = optind >= 2 ? vars[optind - 1] : " ";
        if (lineno)
          amsg(LOG_ERR, "Option " + bad + " on line " + std::to_string(lineno) + " is invalid");
        else
          amsg(LOG_ERR, "Option " + bad + " is invalid");
        retval = kError;
        break;
      }
    }
  }
  if (optind == 1) {
    retval = kError;
  } else if (optind < count && retval != kError) {
    amsg(LOG_ERR, "parameter passed without an option given");
    retval = kError;
  }
  if (!key_.empty() && !list_requested_) {
    int flags = 0;
    if (add_ != AUDIT_FILTER_UNSET)
      flags = add_ & AUDIT_FILTER_MASK;
    else if (del_ != AUDIT_FILTER_UNSET)
      flags = del_ & AUDIT_FILTER_MASK;
    std::string opt, diag;
    RuleError e = add_field_pair(rule_, "key=" + key_, flags, st_, env_, &opt, &diag);
    if (e != RuleError::kNone) {
      if (!diag.empty()) amsg(LOG_ERR, diag);
      if (e != RuleError::kPrintNothing) emsg(rule_error_message(e, opt));
      retval = kError;
    }
  }
  if (retval >= kReplyDue && status_reply_pending_ && retval != kRuleReady) retval = kReplyDue;
  return retval;
}

int Ctl::do_rule_syscall_checks(const char* optarg, int lineno, Setopt& retval) {
  auto list_is = [&](int list) {
    return (add_ & (AUDIT_FILTER_MASK | AUDIT_FILTER_UNSET)) == list ||
           (del_ & (AUDIT_FILTER_MASK | AUDIT_FILTER_UNSET)) == list;
  };
  if (list_is(AUDIT_FILTER_URING_EXIT)) {
    // Audit 3.1+: on the io_uring list -S names io_uring operations; no arch.
    std::string arg = optarg;
    int rc = 0;
    for (const auto& part : record::split_pieces(arg, ',')) {
      if (part.empty()) continue;
      if ((rc = add_uring_op(rule_, part)) != 0) break;
    }
    if (rc != 0) {
      amsg(LOG_ERR, "io_uring op unknown: " + arg);
      retval = kError;
    } else {
      st_.syscall_added = true;
      retval = kRuleReady;
    }
    return 0;
  }
  bool unknown_arch = st_.elf == 0;
  if (list_is(AUDIT_FILTER_TASK)) {
    amsg(LOG_ERR, "Error: syscall auditing being added to task list");
    return -1;
  } else if (list_is(AUDIT_FILTER_USER)) {
    amsg(LOG_ERR, "Error: syscall auditing being added to user list");
    return -1;
  } else if (list_is(AUDIT_FILTER_FS)) {
    amsg(LOG_ERR, "Error: syscall auditing being added to filesystem list");
    return -1;
  } else if (exclude_) {
    amsg(LOG_ERR, "Error: syscall auditing cannot be put on exclude list");
    return -1;
  }
  if (unknown_arch) {
    if (env_.machine < 0) {
      amsg(LOG_ERR, "Error detecting machine type");
      return -1;
    }
    unsigned elf = audit_machine_to_elf(env_.machine);
    if (elf == 0) {
      amsg(LOG_ERR, "Error looking up elf type " + std::to_string(env_.machine));
      return -1;
    }
    st_.elf = elf;
  }
  std::string arg = optarg;
  int rc = 0;
  if (arg.find(',') != std::string::npos) {
    for (const auto& part : record::split_pieces(arg, ',')) {
      if (part.empty()) continue;
      rc = add_syscall(rule_, part, st_.elf, env_.machine);
      if (rc != 0) {
        if (rc == -1) {
          amsg(LOG_ERR, "Syscall name unknown: " + part);
          rc = -3;
        }
        break;
      }
    }
  } else {
    rc = add_syscall(rule_, arg, st_.elf, env_.machine);
  }
  switch (rc) {
    case 0:
      st_.syscall_added = true;
      if (unknown_arch && add_ != AUDIT_FILTER_UNSET) {
        // Stock warns when the same names mean other numbers in the 32-bit table.
        unsigned compat_elf = st_.elf == AUDIT_ARCH_X86_64  ? AUDIT_ARCH_I386
                              : st_.elf == AUDIT_ARCH_PPC64 ? AUDIT_ARCH_PPC
                              : st_.elf == AUDIT_ARCH_S390X ? AUDIT_ARCH_S390
                                                            : st_.elf;
        Rule tmp;
        for (const auto& part : record::split_pieces(arg, ','))
          if (!part.empty()) add_syscall(tmp, part, compat_elf, env_.machine);
        if (std::memcmp(tmp.data().mask, rule_.data().mask, sizeof(tmp.data().mask)) != 0) {
          if (lineno)
            amsg(LOG_WARNING, "WARNING - 32/64 bit syscall mismatch in line " +
                                  std::to_string(lineno) + ", you should specify an arch");
          else
            amsg(LOG_WARNING, "WARNING - 32/64 bit syscall mismatch, you should specify an arch");
        }
      }
      break;
    case -1:
      amsg(LOG_ERR, "Syscall name unknown: " + arg);
      retval = kError;
      break;
    case -2: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "Elf type unknown: 0x%x", st_.elf);
      amsg(LOG_ERR, buf);
      retval = kError;
      break;
    }
    default:
      retval = kError;
      break;
  }
  return 0;
}

namespace {

// The audit_status fields one command can set: the mask bit, the field, and
// the words stock prints when the kernel refuses.
struct StatusSetting {
  Ctl::StepKind kind;
  std::uint32_t mask;
  std::uint32_t audit_status::*field;
  const char* refused;
};
constexpr StatusSetting kStatusSettings[] = {
    {Ctl::StepKind::kSetEnabled, AUDIT_STATUS_ENABLED, &audit_status::enabled,
     "Error sending enable request ("},
    {Ctl::StepKind::kSetFailure, AUDIT_STATUS_FAILURE, &audit_status::failure,
     "Error sending failure mode request ("},
    {Ctl::StepKind::kSetRate, AUDIT_STATUS_RATE_LIMIT, &audit_status::rate_limit,
     "Error sending rate limit request ("},
    {Ctl::StepKind::kSetBacklog, AUDIT_STATUS_BACKLOG_LIMIT, &audit_status::backlog_limit,
     "Error sending backlog limit request ("},
    // Stock reuses the backlog limit's words for the wait time.
    {Ctl::StepKind::kSetBacklogWait, AUDIT_STATUS_BACKLOG_WAIT_TIME, &audit_status::backlog_wait_time,
     "Error sending backlog limit request ("},
};

const StatusSetting& status_setting(Ctl::StepKind kind) {
  for (const auto& s : kStatusSettings)
    if (s.kind == kind) return s;
  return kStatusSettings[0];  // not reached: callers pass one of the kinds above
}

}  // namespace

// Runs the queued kernel work of one command in order; stops at the first failure.
int Ctl::execute_steps() {
  for (const auto& step : steps_) {
    audit_status s{};
    const char* what = nullptr;
    switch (step.kind) {
      case StepKind::kStatus: {
        auto st = kernel_.get_status();
        if (!st.ok()) {
          if (st.code() == -ECONNREFUSED) std::fprintf(io_.err, "The audit system is disabled\n");
          return -1;
        }
        print_status(*st, true);
        break;
      }
      case StepKind::kSetEnabled:
      case StepKind::kSetFailure:
      case StepKind::kSetRate:
      case StepKind::kSetBacklog:
      case StepKind::kSetBacklogWait: {
        const StatusSetting& set = status_setting(step.kind);
        s.mask = set.mask;
        s.*set.field = step.value;
        what = set.refused;
        break;
      }
      case StepKind::kResetLost: {
        if ((env_.features ? env_.features() : 0) & AUDIT_FEATURE_BITMAP_LOST_RESET) {
          s.mask = AUDIT_STATUS_LOST;
          int rc = kernel_.set_status(s);
          if (rc < 0) {
            amsg(LOG_ERR, "Error sending lost reset request (" + strerr(-rc) + ")");
            return -1;
          }
          amsg(LOG_INFO, "lost: " + std::to_string(rc));
        } else {
          emsg(rule_error_message(RuleError::kFieldNoSupport, "reset-lost"));
          return -1;
        }
        continue;
      }
      case StepKind::kResetBacklogWaitActual: {
        s.mask = AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL;
        int rc = kernel_.set_status(s);
        if (rc < 0) {
          amsg(LOG_ERR,
               "Error sending backlog wait time actual reset request (" + strerr(-rc) + ")");
          return -1;
        }
        amsg(LOG_INFO, "backlog_wait_time_actual: " + std::to_string(rc));
        continue;
      }
      case StepKind::kLoginuidImmutable: {
        audit_features f{};
        f.mask = f.features = f.lock = AUDIT_FEATURE_TO_MASK(AUDIT_FEATURE_LOGINUID_IMMUTABLE);
        int rc = kernel_.set_feature(f);
        if (rc < 0) {
          amsg(LOG_ERR, "Error setting feature (" + strerr(-rc) + ")");
          return -1;
        }
        continue;
      }
      case StepKind::kList:
        print_listing(step.arg);
        continue;
      case StepKind::kDeleteAll: {
        auto rules = kernel_.list_rules();
        if (!rules.ok()) {
          amsg(LOG_ERR, "Error receiving rules list (" + strerr(-rules.code()) + ")");
          return -1;
        }
        for (auto& b : *rules) {
          Rule r(b);
          if (!key_matches(r, step.arg)) continue;
          int rc = kernel_.delete_rule(b);
          if (rc < 0) {
            amsg(LOG_ERR, "Error deleting rule (" + strerr(-rc) + ")");
            return -1;
          }
        }
        print_listing(step.arg);  // stock lists while the -k filter is still set
        continue;
      }
      case StepKind::kUserMessage: {
        if (kernel_.user_message(step.arg) < 0) return -1;
        continue;
      }
      case StepKind::kTrim:
        if (kernel_.trim_subtrees() < 0) return -1;
        continue;
      case StepKind::kMakeEquivalent:
        if (kernel_.make_equivalent(step.arg.substr(0, step.value),
                                    step.arg.substr(step.value + 1)) < 0)
          return -1;
        continue;
      case StepKind::kSignal:
        if (send_signal(step.arg) == -1) return -1;
        continue;
      case StepKind::kVersion:
        // The first line is stock 3.0.9's; what later releases added follows.
        std::fputs(kVersionText, io_.out);
        continue;
      case StepKind::kPrefilter:
        if (switch_prefilter(step.arg) < 0) return -1;
        continue;
    }
    if (what) {
      int rc = kernel_.set_status(s);
      if (rc < 0) {
        amsg(LOG_ERR, what + strerr(-rc) + ")");
        if (rc == -ECONNREFUSED) amsg(LOG_ERR, "The audit system is disabled");
        return -1;
      }
    }
  }
  return 0;
}

bool Ctl::is_ready() {
  auto st = kernel_.get_status();
  if (st.ok() && st->status.enabled == 2) {
    amsg(LOG_ERR, "The audit system is in immutable mode, no rule changes allowed");
    return false;
  }
  if (!st.ok() && st.code() == -ECONNREFUSED) {
    amsg(LOG_ERR, "The audit system is disabled");
    return false;
  }
  return true;
}

// After setopt: run what the command queued, then send the rule or print the status.
int Ctl::handle_request(Setopt status) {
  if (status == kError) return -1;
  if (execute_steps() < 0) return -1;
  if (status == kReplyDue) {
    if (st_.syscall_added) {
      amsg(LOG_ERR, "Error - no list specified");
      return -1;
    }
    if (status_reply_pending_) {
      auto st = kernel_.get_status();
      if (st.ok()) print_status(*st, false);
    }
    return 0;
  }
  if (status == kDone) return 0;
  if (status == kRuleReady) {
    bool adding = add_ != AUDIT_FILTER_UNSET;
    int list = adding ? add_ : del_;
    if (!adding && del_ == AUDIT_FILTER_UNSET) {
      std::fputs(kUsage, io_.out);
      return -2;  // stock exits 1 here
    }
    if ((list & AUDIT_FILTER_MASK) != AUDIT_FILTER_TASK && !st_.syscall_added)
      rule_.set_all_syscalls();
    rule_.data().flags = static_cast<uint32_t>(list);
    rule_.data().action = static_cast<uint32_t>(action_);
    int rc = adding ? kernel_.add_rule(rule_.bytes()) : kernel_.delete_rule(rule_.bytes());
    // Stock silences libaudit around the add/delete request and then sets its message
    // mode to stderr, and never back: from the first rule request of a -R file on, its
    // messages (this one, "There was an error in line", later lines' errors) reach
    // stderr instead of syslog (issue 21).
    syslog_mode_ = false;
    if (rc < 0 && rc == -EINVAL && rule_.data().fields[0] == AUDIT_DIR) {
      rule_.data().fields[0] = AUDIT_WATCH;  // kernels before directory watches
      rc = adding ? kernel_.add_rule(rule_.bytes()) : kernel_.delete_rule(rule_.bytes());
    } else if (rc < 0) {
      std::string why = adding && rc == -EEXIST ? "Rule exists" : strerr(-rc);
      amsg(LOG_ERR, std::string(adding ? "Error sending add rule data request ("
                                       : "Error sending delete rule data request (") +
                        why + ")");
    }
    return rc < 0 ? -1 : 0;
  }
  return -1;
}

namespace {

// Stock's rules-file tokenizer: split on spaces; "\ " is a literal space and "\\" a
// backslash inside a word.
std::vector<std::string> split_rule_line(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool have = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (ch == '\\' && i + 1 < line.size() && (line[i + 1] == ' ' || line[i + 1] == '\\')) {
      cur += line[i + 1];
      have = true;
      ++i;
    } else if (ch == ' ') {
      if (have) words.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (have) words.push_back(cur);
  return words;
}

}  // namespace

int Ctl::file_load(const std::string& file) {
  base::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) {
      amsg(LOG_ERR, "Error opening " + file + " (" + strerr(errno) + ")");
      return 1;
    }
    amsg(LOG_ERR, "audit rules file " + file + " doesn't exist");
    return 2;
  }
  struct stat sb;
  if (::fstat(fd.get(), &sb) < 0) {
    amsg(LOG_ERR, "Error fstat'ing " + file + " (" + strerr(errno) + ")");
    return 1;
  }
  // Audit 3.1.2 dropped 3.0.9's "isn't owned by root" refusal ("Don't be as
  // paranoid about auditctl -R file permissions"); a world-writable file is
  // still refused, as in every release.
  if ((sb.st_mode & S_IWOTH) == S_IWOTH) {
    amsg(LOG_ERR, "Error - " + file + " is world writable");
    return 1;
  }
  if (!S_ISREG(sb.st_mode)) {
    amsg(LOG_ERR, "Error - " + file + " is not a regular file");
    return 1;
  }
  std::string content;
  record::read_all(fd.get(), content);
  fd.reset();

  int lineno = 1;
  for (const auto& line : record::split_pieces(content, '\n')) {
    size_t idx = line.find_first_not_of(' ');
    if (idx == std::string::npos) {
      ++lineno;
      continue;
    }
    auto words = split_rule_line(line);
    if (words.empty()) break;
    if (words[0][0] == '#') {
      ++lineno;
      continue;
    }
    std::vector<std::string> args{"auditctl"};
    args.insert(args.end(), words.begin(), words.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    reset_vars();
    Setopt rc = setopt(static_cast<int>(args.size()), lineno, argv);
    if (rc != kDeprecated) {
      if (handle_request(rc) == -1) {
        amsg(LOG_ERR, "There was an error in line " + std::to_string(lineno) + " of " + file);
        if (!ignore_) return -1;
        if (continue_error_) continue_error_ = -1;
      }
    }
    ++lineno;
  }
  return 0;
}

int Ctl::run(const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  return run(static_cast<int>(argv.size()), argv.data());
}

int Ctl::run(int argc, char** argv) {
  syslog_mode_ = false;
  if (argc == 1) {
    std::fputs(kUsage, io_.out);
    return 1;
  }
  bool help_only = argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"));
  bool list_only = argc == 2 && !std::strcmp(argv[1], "-l") && geteuid() == 0;
  if (!(help_only || list_only) && !io_.is_root) {
    std::fprintf(io_.err, "You must be root to run this program.\n");
    return 4;
  }
  if (argc == 3 && !std::strcmp(argv[1], "-R")) {
    // Like stock: loading a file is mostly boot time, so its messages go to syslog.
    syslog_mode_ = true;
    if (!is_ready()) return 0;
    int rc = file_load(argv[2]);
    if (rc) return 1;
    return continue_error_ < 0 ? 1 : 0;
  }
  reset_vars();
  std::vector<char*> vars(argv, argv + argc);
  Setopt retval = setopt(argc, 0, vars);
  if (retval == kDeprecated) return 0;
  if ((add_ != AUDIT_FILTER_UNSET || del_ != AUDIT_FILTER_UNSET) && retval == kRuleReady &&
      !is_ready())
    return 0;
  int rc = handle_request(retval);
  if (rc == -2) return 1;
  return rc == 0 ? 0 : 255;
}

}  // namespace bpfaudit::rules
