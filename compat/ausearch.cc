// ausearch front end: command line as stock 3.0.9, work done by bpfaudit_search.
#include <cstdio>
#include <string>

#include "search.h"
#include "tools.h"

namespace bpfaudit::compat {

int ausearch_main(int argc, char** argv) {
  search::Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-if" || a == "--input") && i + 1 < argc) opts.input_files.push_back(argv[++i]);
  }
  return search::run(opts, stdout, stderr);
}

}  // namespace bpfaudit::compat
