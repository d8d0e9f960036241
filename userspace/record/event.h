// Event assembly with stock ausearch 3.0.9's grouping, in O(log n) per record.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "record.h"

namespace bpfaudit::record {

struct Event {
  EventId id;
  int first_type = -1;  // decides stock's "one-record event" completion
  bool enriched = false;
  std::vector<Record> records;
};

// Where a record's text can be read back from (pread on a regular file), so
// that open events need not keep it in memory.
struct FileSpan {
  int fd = -1;
  std::uint64_t offset = 0;  // of the line the record was made from
};

// Groups records into events exactly as stock does:
//  - a record joins the still-open event with the same (sec, msec, serial, node);
//  - an event opened by a type stock treats as single-record is closed at once,
//    so later records with its identity open another event;
//  - an EOE record that finds no open event is dropped;
//  - opening an event closes every open event end_of_event_timeout seconds older;
//  - events leave in time order, and only when the oldest is closed.
// Stock scans every open event per record; here a hash set and heaps do the
// same work, so dense logs stay linear. Because events stay open for the
// whole timeout, a busy second of log is held at once: open events are kept
// compact (a few dozen bytes each, text in a chunked arena; past
// arena_budget bytes of open text, records of regular files keep only their
// file offset) and become Events when they leave.
class EventAssembler {
 public:
  // `arena_budget`: bytes of open-event text kept in memory before records
  // that have a FileSpan are read back from their file instead.
  explicit EventAssembler(std::uint64_t eoe_timeout = 2, std::size_t arena_budget = 8 << 20);
  ~EventAssembler();
  EventAssembler(const EventAssembler&) = delete;
  EventAssembler& operator=(const EventAssembler&) = delete;

  // Returns false when the record was dropped (a stray EOE). With `origin`,
  // the record's text is read back from the file when the event leaves; the
  // fd must stay open and the file unchanged at that offset until then.
  // `tag` is the caller's name for the record, handed back by pop_ready in
  // the event's record order (the parallel scan tells by it which records
  // an event holds).
  bool add(const RecordHeader& header, const RecordView& record,
           std::optional<FileSpan> origin = {}, std::uint64_t tag = 0);

  // Next event ready to leave, if any.
  std::unique_ptr<Event> pop_ready();
  // The same into `out`, reusing its storage; false when nothing is ready.
  // With `tags`, also the tags its records were added with.
  bool pop_ready(Event& out, std::vector<std::uint64_t>* tags = nullptr);

  // Closes every open event (end of the last input).
  void close_all();
  // Closes the open event with this identity, if any: a realtime stream's
  // EOE ends its event at once, where a log (which has no EOE) waits for
  // the timeout. The EOE itself is not added.
  void complete(const EventId& id);

  bool empty() const { return order_.empty(); }
  std::size_t open_count() const { return open_.size(); }

  // Events opened while an event with the same time and serial was held:
  // only then does stock's tie-break by array slot decide an order, and slot
  // numbers depend on the whole history read before (the parallel scan
  // cannot reproduce them, so it counts on there being none).
  std::uint64_t ties() const { return ties_; }
  void reset_ties() { ties_ = 0; }
  // The held events in leaving order, each as its record count, whether it
  // is complete, and its records' tags: two assemblers that give the same
  // fingerprint (and see no ties) behave the same from here on.
  void fingerprint(std::vector<std::uint64_t>& out) const;

 private:
  static constexpr std::uint32_t kNone = ~0u;

  struct PendingRecord {
    std::uint64_t where;  // arena position, or file offset when fd >= 0
    std::uint64_t tag;
    std::uint32_t length;
    std::uint32_t raw_length;
    std::int32_t fd;
    std::int32_t type;
    std::uint32_t next;  // next record of the same event, kNone at the tail
    bool enriched;
  };
  struct PendingEvent {
    std::uint64_t sec = 0;
    std::uint64_t serial = 0;
    std::uint32_t msec = 0;
    std::uint32_t node = 0;  // index into nodes_; 0 = no node=
    std::int32_t first_type = -1;
    std::uint32_t head = kNone, tail = kNone;
    std::uint32_t count = 0;  // records linked from head
    bool enriched = false;
    bool complete = false;
    bool used = false;
  };
  // Stock breaks time ties by array slot; slots are reused lowest-first.
  struct OrderKey {
    std::uint64_t sec;
    std::uint64_t serial;
    std::uint32_t msec;
    std::uint32_t slot;
    auto operator<=>(const OrderKey& o) const {
      if (auto c = sec <=> o.sec; c != 0) return c;
      if (auto c = msec <=> o.msec; c != 0) return c;
      if (auto c = serial <=> o.serial; c != 0) return c;
      return slot <=> o.slot;
    }
  };
  struct TimeoutKey {
    std::uint64_t sec;
    std::uint32_t slot;
  };
  // The open set holds slot numbers; kProbe stands for the identity being
  // looked up, so lookups need no temporary PendingEvent.
  static constexpr std::uint32_t kProbe = ~0u - 1;
  struct SlotHash {
    const EventAssembler* a;
    std::size_t operator()(std::uint32_t slot) const;
  };
  struct SlotEq {
    const EventAssembler* a;
    bool operator()(std::uint32_t x, std::uint32_t y) const;
  };
  struct Probe {
    std::uint64_t sec, serial;
    std::uint32_t msec, node;
  };
  Probe identity(std::uint32_t slot) const;

  class TextArena;

  std::uint32_t take_slot();
  std::uint32_t intern_node(const std::optional<std::string>& node);
  std::uint32_t store_record(const RecordView& record, std::optional<FileSpan> origin,
                             std::uint64_t tag);
  void materialize(std::uint32_t slot, Event& ev, std::vector<std::uint64_t>* tags);
  // The text of a record kept as a file offset.
  void read_back(const PendingRecord& pr, std::string& text);

  // Events leave in about the order their records were read, so records kept
  // as file offsets are read back through one window: a pread per window,
  // not per record (a syscall per 200-byte record made a log twice the
  // arena's budget cost 2.4x the time of half of it). Dropped whenever no
  // event is open: the fds may be closed and their numbers reused then.
  static constexpr std::size_t kReadBackBytes = 128 << 10;
  struct ReadBack {
    int fd = -1;
    std::uint64_t offset = 0;
    std::size_t length = 0;
    std::unique_ptr<char[]> data;
  };
  ReadBack read_back_;

  std::uint64_t eoe_timeout_;
  std::size_t arena_budget_;
  std::deque<PendingEvent> slots_;
  std::vector<std::uint32_t> free_slots_;  // min-heap
  std::deque<PendingRecord> records_;
  std::vector<std::uint32_t> free_records_;
  std::unique_ptr<TextArena> arena_;
  std::vector<std::string> nodes_{std::string()};
  std::unordered_map<std::string, std::uint32_t> node_index_;
  Probe probe_{};
  std::unordered_set<std::uint32_t, SlotHash, SlotEq> open_;  // building events
  // The building event the last record joined or opened: an event's records
  // usually come in a row, so most records need no lookup in open_.
  std::uint32_t last_open_ = kNone;
  std::vector<TimeoutKey> timeouts_;  // min-heap by sec; stale entries skipped
  std::vector<OrderKey> order_;       // min-heap: every occupied slot
  // The greatest (sec, msec, serial) an event was opened with: an event
  // opened above it cannot tie, so only the others are looked up.
  std::uint64_t max_sec_ = 0, max_serial_ = 0;
  std::uint32_t max_msec_ = 0;
  bool any_opened_ = false;
  std::uint64_t ties_ = 0;
};

// True for the types stock closes as soon as they open an event.
bool is_single_record_type(int type);

}  // namespace bpfaudit::record
