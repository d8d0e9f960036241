// The auditctl engine: stock 3.0.9's command line and rules-file semantics over an
// AuditControl (the kernel, or a fake in unit tests).
//
// Unlike stock, a command line is parsed and validated completely before anything is
// sent to the kernel, so a failing command line changes nothing.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "control.h"
#include "prefilter_control.h"
#include "rule.h"

namespace bpfaudit::rules {

struct CtlIo {
  FILE* out = stdout;
  FILE* err = stderr;
  // Where stock's audit_msg() text goes while loading a rules file (stock: syslog).
  std::function<void(int priority, const std::string&)> syslog;
  // Signal delivery for --signal (kill(2) by default).
  std::function<int(int pid, int sig)> kill;
  bool is_root = true;
};

class Ctl {
 public:
  Ctl(kernel::AuditControl& kernel, Environment env, CtlIo io);
  // Behaves as stock auditctl's main(): returns the process exit code.
  int run(int argc, char** argv);
  // Convenience for tests and scripts.
  int run(const std::vector<std::string>& args);
  // The prefilter beside the kernel (auditctl over PrefilterControl): enables
  // --prefilter and the engine's lines in -s. Null: the kernel alone.
  void set_prefilter(PrefilterControl* prefilter) { prefilter_ = prefilter; }

  // Kernel work a command line queues, run in order by execute_steps().
  enum class StepKind {
    kStatus,
    kSetEnabled,
    kSetFailure,
    kSetRate,
    kSetBacklog,
    kSetBacklogWait,
    kResetLost,
    kResetBacklogWaitActual,
    kLoginuidImmutable,
    kList,
    kDeleteAll,
    kUserMessage,
    kTrim,
    kMakeEquivalent,
    kSignal,
    kVersion,
    kPrefilter,
  };

 private:
  struct Step {
    StepKind kind;
    std::string arg;
    uint32_t value = 0;
  };

  // What stock's setopt() tells its caller, with stock's values: parsing
  // goes on while the value is kReplyDue or more.
  enum Setopt : int {
    kDeprecated = -3,  // a deprecated form: warned, nothing to do
    kDone = -2,        // handled; no reply due
    kError = -1,
    kReplyDue = 0,   // a status reply is due (-e, -f, -r, -b ...)
    kRuleReady = 1,  // a rule is built and goes to the kernel
  };

  void reset_vars();
  bool append_key(const std::string& k);
  Setopt setopt(int count, int lineno, std::vector<char*>& vars);
  int execute_steps();
  int handle_request(Setopt status);
  int file_load(const std::string& path);
  bool is_ready();

  void amsg(int priority, const std::string& text);  // stock audit_msg
  void emsg(const std::string& text);                // direct stderr
  void print_status(const kernel::Status& s, bool with_features_line);
  int print_listing(const std::string& key);
  int send_signal(const std::string& name);
  int do_rule_syscall_checks(const char* optarg, int lineno, Setopt& retval);

  int switch_prefilter(const std::string& word);
  void print_prefilter_status();

  kernel::AuditControl& kernel_;
  PrefilterControl* prefilter_ = nullptr;
  Environment env_;
  CtlIo io_;

  // Per command (stock's reset_vars globals).
  Rule rule_;
  BuildState st_;
  int add_ = AUDIT_FILTER_UNSET;
  int del_ = AUDIT_FILTER_UNSET;
  int action_ = -1;
  bool exclude_ = false;
  int multiple_ = 0;
  bool list_requested_ = false;
  bool interpret_ = false;
  bool json_ = false;
  std::string key_;
  std::vector<Step> steps_;
  bool status_reply_pending_ = false;

  // Across a rules file.
  bool syslog_mode_ = false;
  bool ignore_ = false;
  int continue_error_ = 0;
};

}  // namespace bpfaudit::rules
