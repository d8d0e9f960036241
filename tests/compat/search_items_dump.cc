// Differential driver for extract_search_items: reads logs the way stock
// ausearch does and writes to stdout exactly what stock `ausearch --debug`
// writes to stderr while extracting (the "Malformed event skipped, rc=N."
// lines and friends), for a few ausearch-style criteria.
//
// usage: search_items_dump [criteria...] LOG...
//   -p PID  -pp PPID  -ui UID  -ue EUID  -ul AUID  -ua UID  -gi GID  -ge EGID
//   -sv yes|no  -k KEY  -f FILE  -x EXE  -c COMM  -hn HOST  -tm TERM
//   -se CTX  -su CTX  -o CTX  --session N  -e EXIT  -i  -vm NAME  -uu UUID
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "event.h"
#include "log_reader.h"
#include "search_items.h"

using namespace bpfaudit;

namespace {

void set_user(const char* arg, std::uint32_t& id, std::optional<std::string>& name) {
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

void dump_event(const record::Event& ev, const search::Criteria& c) {
  search::SearchItems s;
  search::extract_search_items(ev, c, s);
  std::fwrite(s.diagnostics.data(), 1, s.diagnostics.size(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  search::Criteria c;
  c.debug = true;
  c.format = search::ReportFormat::kDefault;
  std::vector<std::string> logs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
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
  record::EventAssembler assembler;
  for (const auto& path : logs) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::perror(path.c_str());
      return 2;
    }
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    while (auto line = reader.next()) {
      auto h = record::parse_header(*line);
      if (!h) continue;
      assembler.add(*h, record::make_record(*line, h->type));
      while (auto ev = assembler.pop_ready()) dump_event(*ev, c);
    }
    ::close(fd);
  }
  assembler.close_all();
  while (auto ev = assembler.pop_ready()) dump_event(*ev, c);
  return 0;
}
