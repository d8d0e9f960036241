// augenrules: merges a rules.d directory into one rules file the way stock 3.0.9's
// augenrules script does, and optionally loads it.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace bpfaudit::rules {

// The merged text for the given files' contents, concatenated as `cat` would.
// Stock keeps the last bare -D, -b and -f lines at the top and the last -e line at the
// end; empty and comment lines are dropped. Stock's awk on Debian (mawk) reads "\s" as
// a literal 's', so indented directives stay in place: we match that.
std::string merge_rules(const std::string& source_dir, const std::string& concatenated);

// Version order as GNU `ls -v` sorts names (<0, 0, >0).
int filevercmp(const std::string& a, const std::string& b);

// *.rules names in source_dir in `ls -v` order.
std::vector<std::string> rules_files(const std::string& source_dir);

struct AugenOptions {
  std::string program = "augenrules";  // $0 in messages
  std::string source_dir = "/etc/audit/rules.d";
  std::string destination = "/etc/audit/audit.rules";
  bool check = false;
  bool load = false;
};

// Returns the exit code; `load` calls back with the destination file.
int augenrules(const AugenOptions& opts, FILE* out, int (*load)(const std::string& file));

}  // namespace bpfaudit::rules
