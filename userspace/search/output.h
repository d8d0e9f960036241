// Output formats of ausearch: raw and default (JSON: record/json.h).
#pragma once

#include <cstdio>
#include <string>

#include "event.h"
#include "options.h"

namespace bpfaudit::search {

// Appends one event in stock's --raw form.
void write_raw(const record::Event& ev, std::string& out);
// Appends one event in stock's default form ("----", "time->", records last-first).
void write_default(const record::Event& ev, EscapeMode mode, std::string& out);

// Appends `text` escaped as stock escapes untrusted output in `mode`;
// returns false (appending nothing) when no byte needs escaping.
bool append_escaped(std::string_view text, EscapeMode mode, std::string& out);

}  // namespace bpfaudit::search
