// aureport front end: stock 3.0.9 command line, work done by bpfaudit_report.
#include <clocale>
#include <cstdio>

#include "report_options.h"
#include "report.h"
#include "tools.h"

namespace bpfaudit::compat {

int aureport_main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  report::Options opts;
  switch (report::parse_options(argc, argv, opts, stdout, stderr)) {
    case search::ParseOutcome::kExitSuccess: return 0;
    case search::ParseOutcome::kExitFailure: return 1;
    case search::ParseOutcome::kRun: break;
  }
  return report::run(opts, stdout, stderr);
}

}  // namespace bpfaudit::compat
