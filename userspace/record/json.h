// The one JSON form of an event, shared by `ausearch --format json` and the
// daemon's builtin_json sink (README, "ausearch" and "JSON sink"):
//   {"time":SEC.MSEC,"serial":N,"node":NAME,"records":[{"type":NAME,"fields":{...}}]}
// one object per line; "node" only when the records carry node=; fields in
// record order, every value a string, those the kernel hex-encodes decoded;
// a name repeated in one record is written NAME_2, NAME_3... (README).
#pragma once

#include <string>

#include "event.h"

namespace bpfaudit::record {

// Appends one event as a JSON object on one line, newline included.
void write_json(const Event& ev, std::string& out);

}  // namespace bpfaudit::record
