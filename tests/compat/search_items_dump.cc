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

#include "criteria_args.h"
#include "event.h"
#include "log_reader.h"
#include "search_items.h"

using namespace bpfaudit;

namespace {

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
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> logs = testing::criteria_from_args(args, c);
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
      assembler.add(*h, record::view_record(*line, h->type));
      while (auto ev = assembler.pop_ready()) dump_event(*ev, c);
    }
    ::close(fd);
  }
  assembler.close_all();
  while (auto ev = assembler.pop_ready()) dump_event(*ev, c);
  return 0;
}
