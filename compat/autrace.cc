// autrace front end: stock 3.0.9's command line (`autrace [-r] program [args]`)
// plus our -k KEY and -o FILE; the work is done by bpfaudit_trace.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools.h"
#include "trace.h"

namespace bpfaudit::compat {

namespace {

int usage() {
  std::fprintf(stderr, "usage: autrace [-r] program\n");
  return 1;
}

}  // namespace

int autrace_main(int argc, char** argv) {
  trace::Options opts;
  int i = 1;
  // Options end at the program name, so the program's own options pass through.
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-r") {
      opts.resource_only = true;
    } else if ((a == "-k" || a == "-o") && i + 1 < argc) {
      (a == "-k" ? opts.key : opts.sink.output_file) = argv[++i];
    } else {
      return usage();  // -h and anything unknown, as stock
    }
  }
  if (i >= argc) return usage();
  for (; i < argc; ++i) opts.command.emplace_back(argv[i]);
  return trace::run(opts, stdout, stderr);
}

}  // namespace bpfaudit::compat
