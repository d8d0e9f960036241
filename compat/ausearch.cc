// ausearch front end: stock 3.0.9 command line, work done by bpfaudit_search.
#include <clocale>
#include <cstdio>

#include "options.h"
#include "search.h"
#include "tools.h"

namespace bpfaudit::compat {

int ausearch_main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  search::Options opts;
  switch (search::parse_options(argc, argv, opts, stdout, stderr)) {
    case search::ParseOutcome::kExitSuccess: return 0;
    case search::ParseOutcome::kExitFailure: return 1;
    case search::ParseOutcome::kRun: break;
  }
  return search::run(opts, stdout, stderr);
}

}  // namespace bpfaudit::compat
