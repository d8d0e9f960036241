// ausearch's criteria test over an event's extracted items (stock match()).
#pragma once

#include "criteria.h"
#include "event.h"
#include "search_items.h"

namespace bpfaudit::search {

// True when the event satisfies every criterion; `items` receives what was
// extracted (including stock's diagnostics and in-place text changes, which
// the caller prints). Events whose records stock cannot parse never match.
bool matches(const record::Event& ev, const Criteria& c, SearchItems& items);

}  // namespace bpfaudit::search
