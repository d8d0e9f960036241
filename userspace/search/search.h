// ausearch engine: reads logs, assembles events, matches criteria, formats output.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace bpfaudit::search {

struct Options {
  std::vector<std::string> input_files;  // -if
};

// Runs a search; returns ausearch's exit status.
int run(const Options& opts, std::FILE* out, std::FILE* err);

}  // namespace bpfaudit::search
