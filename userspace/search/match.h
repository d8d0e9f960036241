// ausearch's criteria test over an event's extracted items (stock match()).
#pragma once

#include "criteria.h"
#include "event.h"
#include "search_items.h"

namespace bpfaudit::search {

// True when the event satisfies every criterion. Events whose records stock
// cannot parse never match; with c.debug set, stock's "Malformed event
// skipped" line goes to `debug_out`.
bool matches(const record::Event& ev, const Criteria& c, std::FILE* debug_out);

}  // namespace bpfaudit::search
