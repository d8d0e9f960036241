// aureport engine: reads inputs as stock 3.0.9 does (shared with ausearch),
// groups records into events in linear time, extracts the fields stock's
// reports use and writes the chosen report byte for byte.
#pragma once

#include <cstdio>

#include "report_options.h"
#include "search.h"

namespace bpfaudit::report {

// Runs a report; returns aureport's exit status (0 printed, 1 nothing of
// interest in a detailed report, or an input error).
int run(const Options& opts, std::FILE* out, std::FILE* err, const search::Environment& env = {});

// Stock's safe_print_string: the text, escaped per mode when it holds control
// characters (or shell metacharacters for the shell modes), then a newline
// when `newline`.
void append_safe(std::string& out, std::string_view s, record::EscapeMode mode, bool newline);

}  // namespace bpfaudit::report
