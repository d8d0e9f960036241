// `bpfaudit daemon`: the collector daemon, with stock auditd's options
// (-f foreground with messages on stderr, -n no fork, -l allow links,
// -s startup state, -c config dir) and ours (--readlog, --collector).
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "daemon.h"
#include "sink.h"
#include "tools.h"

namespace bpfaudit::compat {

namespace {
int usage() {
  std::fprintf(stderr,
               "Usage: bpfaudit daemon [-f] [-l] [-n] [-s disable|enable|nochange] "
               "[-c <config_dir>] [--readlog] [--collector PATH|--no-collector]\n");
  return 2;
}
}  // namespace

int daemon_main(int argc, char** argv) {
  static const option opts[] = {{"foreground", no_argument, nullptr, 'f'},
                                {"allow_links", no_argument, nullptr, 'l'},
                                {"disable_fork", no_argument, nullptr, 'n'},
                                {"enable_state", required_argument, nullptr, 's'},
                                {"config_file", required_argument, nullptr, 'c'},
                                {"readlog", no_argument, nullptr, 'r'},
                                {"collector", required_argument, nullptr, 'C'},
                                {"no-collector", no_argument, nullptr, 'N'},
                                {nullptr, 0, nullptr, 0}};
  collector::Options o;
  o.collector_socket = trace::kCollectorSocket;
  static const char* states[] = {"disable", "enable", "nochange"};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "flns:c:", opts, nullptr)) != -1) {
    switch (c) {
      case 'f':
        o.foreground = true;
        break;
      case 'l':
        o.allow_links = true;
        break;
      case 'n':
        o.no_fork = true;
        break;
      case 's': {
        // Stock accepts any prefix of a state name.
        int i = 0;
        for (; i < 3; ++i)
          if (std::strncmp(optarg, states[i], std::strlen(optarg)) == 0) break;
        if (i == 3) {
          std::fprintf(stderr, "unknown startup mode '%s'\n", optarg);
          return usage();
        }
        o.startup = static_cast<collector::StartupState>(i);
        o.startup_given = true;
        break;
      }
      case 'c':
        o.config_dir = optarg;
        break;
      case 'r':
        o.readlog = true;
        break;
      case 'C':
        o.collector_socket = optarg;
        break;
      case 'N':
        o.collector_socket.clear();
        break;
      default:
        return usage();
    }
  }
  if (optind < argc) return usage();
  return collector::run(o);
}

}  // namespace bpfaudit::compat
