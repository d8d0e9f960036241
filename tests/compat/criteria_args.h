// ausearch-style criteria arguments for the search-item tests and drivers:
// fills Criteria the way stock's option parser fills its globals (-ua sets
// uid, euid and loginuid; -se sets subject and object). Unrecognised
// arguments are returned (log paths).
#pragma once

#include <pwd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "criteria.h"

namespace bpfaudit::testing {

inline void set_user(const char* arg, std::uint32_t& id, std::optional<std::string>& name) {
  if (arg[0] >= '0' && arg[0] <= '9') {
    id = static_cast<std::uint32_t>(std::strtoul(arg, nullptr, 10));
    return;
  }
  struct passwd* pw = ::getpwnam(arg);
  if (pw == nullptr) {
    std::fprintf(stderr, "unknown user %s\n", arg);
    std::exit(2);
  }
  id = pw->pw_uid;
  name = arg;
}

inline std::vector<std::string> criteria_from_args(const std::vector<std::string>& args,
                                                   search::Criteria& c) {
  std::vector<std::string> logs;
  int argc = static_cast<int>(args.size());
  for (int i = 0; i < argc; ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return args[++i].c_str();
    };
    if (a == "-p")
      c.pid = std::strtol(next(), nullptr, 10);
    else if (a == "-pp")
      c.ppid = std::strtol(next(), nullptr, 10);
    else if (a == "-ui")
      set_user(next(), c.uid, c.tuid);
    else if (a == "-ue")
      set_user(next(), c.euid, c.teuid);
    else if (a == "-ul")
      set_user(next(), c.loginuid, c.tauid);
    else if (a == "-ua") {
      const char* v = next();
      set_user(v, c.uid, c.tuid);
      c.euid = c.loginuid = c.uid;
      if (c.tuid) c.teuid = c.tauid = c.tuid;
      c.uid_all = true;
    } else if (a == "-gi")
      c.gid = static_cast<std::uint32_t>(std::strtoul(next(), nullptr, 10));
    else if (a == "-ge")
      c.egid = static_cast<std::uint32_t>(std::strtoul(next(), nullptr, 10));
    else if (a == "-sv")
      c.success =
          std::strcmp(next(), "yes") == 0 ? search::Success::kSuccess : search::Success::kFailed;
    else if (a == "-k")
      c.key = next();
    else if (a == "-f")
      c.filename = next();
    else if (a == "-x")
      c.exe = next();
    else if (a == "-c")
      c.comm = next();
    else if (a == "-hn")
      c.hostname = next();
    else if (a == "-tm")
      c.terminal = next();
    else if (a == "-se") {
      c.subject = c.object = next();
      c.context_either = true;
    } else if (a == "-su")
      c.subject = next();
    else if (a == "-o")
      c.object = next();
    else if (a == "--session")
      c.session_id = static_cast<std::uint32_t>(std::strtoul(next(), nullptr, 10));
    else if (a == "-e")
      c.exit = std::strtoll(next(), nullptr, 0);
    else if (a == "-i")
      c.format = search::ReportFormat::kInterpret;
    else if (a == "-vm")
      c.vmname = next();
    else if (a == "-uu")
      c.uuid = next();
    else
      logs.push_back(a);
  }
  return logs;
}

}  // namespace bpfaudit::testing
