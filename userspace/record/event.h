// Event assembly with stock ausearch 3.0.9's grouping, in O(log n) per record.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "record.h"

namespace bpfaudit::record {

struct Event {
  EventId id;
  int first_type = -1;  // decides stock's "one-record event" completion
  bool enriched = false;
  std::vector<Record> records;
};

// Groups records into events exactly as stock does:
//  - a record joins the still-open event with the same (sec, msec, serial, node);
//  - an event opened by a type stock treats as single-record is closed at once,
//    so later records with its identity open another event;
//  - an EOE record that finds no open event is dropped;
//  - opening an event closes every open event end_of_event_timeout seconds older;
//  - events leave in time order, and only when the oldest is closed.
// Stock scans every open event per record; here a hash map and ordered sets do
// the same work, so dense logs stay linear.
class EventAssembler {
 public:
  explicit EventAssembler(std::uint64_t eoe_timeout = 2) : eoe_timeout_(eoe_timeout) {}

  // Returns false when the record was dropped (a stray EOE).
  bool add(const RecordHeader& header, Record record);

  // Next event ready to leave, if any.
  std::unique_ptr<Event> pop_ready();

  // Closes every open event (end of the last input).
  void close_all();

  bool empty() const { return order_.empty(); }
  std::size_t open_count() const { return open_.size(); }

 private:
  struct Slot {
    std::unique_ptr<Event> event;
    bool complete = false;
  };
  struct IdHash {
    std::size_t operator()(const EventId& id) const;
  };
  // Stock breaks time ties by array slot; slots are reused lowest-first.
  struct OrderKey {
    std::uint64_t sec;
    std::uint32_t msec;
    std::uint64_t serial;
    std::size_t slot;
    auto operator<=>(const OrderKey&) const = default;
  };

  std::size_t take_slot();
  void complete(std::size_t slot);

  std::uint64_t eoe_timeout_;
  std::vector<Slot> slots_;
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> free_slots_;
  std::unordered_map<EventId, std::size_t, IdHash> open_;  // building events
  std::multimap<std::uint64_t, std::size_t> open_by_sec_;   // for the timeout sweep
  std::set<OrderKey> order_;                                // every non-empty slot
};

// True for the types stock closes as soon as they open an event.
bool is_single_record_type(int type);

}  // namespace bpfaudit::record
