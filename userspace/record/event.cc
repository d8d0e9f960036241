#include "event.h"

#include <libaudit.h>
#include <linux/audit.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <tuple>

#include "log_reader.h"

namespace bpfaudit::record {

bool is_single_record_type(int type) {
  return type == AUDIT_PROCTITLE || type < AUDIT_FIRST_EVENT || type >= AUDIT_FIRST_ANOM_MSG ||
         type == AUDIT_KERNEL || (type >= AUDIT_MAC_UNLBL_ALLOW && type <= AUDIT_MAC_CALIPSO_DEL);
}

// Record text of open events, in 64 KiB chunks recycled as soon as no open
// record uses them: one allocation per chunk instead of one per record.
class EventAssembler::TextArena {
 public:
  std::uint64_t put(std::string_view s) {
    if (chunks_.empty() || chunks_.back().size - chunks_.back().used < s.size()) {
      if (!chunks_.empty() && chunks_.back().live == 0) retire(chunks_.back());
      std::size_t size = std::max(kChunk, s.size());
      std::unique_ptr<char[]> data;
      if (size == kChunk && !spare_.empty()) {
        data = std::move(spare_.back());
        spare_.pop_back();
      } else {
        data = std::make_unique_for_overwrite<char[]>(size);
      }
      chunks_.push_back(Chunk{std::move(data), size, 0, 0});
      drop_dead_front();
    }
    Chunk& c = chunks_.back();
    std::uint64_t pos = (static_cast<std::uint64_t>(first_id_ + chunks_.size() - 1) << 32) | c.used;
    // A placeholder of the history index has no text (a null data());
    // memcpy from null is undefined even for 0 bytes (fuzz.history_index).
    if (!s.empty()) std::memcpy(c.data.get() + c.used, s.data(), s.size());
    c.used += s.size();
    ++c.live;
    live_bytes_ += s.size();
    return pos;
  }

  std::string_view get(std::uint64_t pos, std::size_t len) const {
    const Chunk& c = chunks_[(pos >> 32) - first_id_];
    return {c.data.get() + (pos & 0xffffffffu), len};
  }

  void release(std::uint64_t pos, std::size_t len) {
    live_bytes_ -= len;
    Chunk& c = chunks_[(pos >> 32) - first_id_];
    if (--c.live == 0) {
      // An empty current chunk starts over: the same few pages stay warm
      // instead of every record landing on a fresh one.
      if (&c == &chunks_.back())
        c.used = 0;
      else
        retire(c);
    }
    drop_dead_front();
  }

 private:
  static constexpr std::size_t kChunk = 64 << 10;
  static constexpr std::size_t kMaxSpare = 16;
  struct Chunk {
    std::unique_ptr<char[]> data;
    std::size_t size, used, live;
  };
  // A freed chunk is kept for reuse: a fresh one costs a page fault per
  // page, which on small logs costs more than the search itself.
  void retire(Chunk& c) {
    if (c.size == kChunk && spare_.size() < kMaxSpare) spare_.push_back(std::move(c.data));
    c.data.reset();
  }
  std::vector<std::unique_ptr<char[]>> spare_;
  void drop_dead_front() {
    while (chunks_.size() > 1 && !chunks_.front().data) {
      chunks_.pop_front();
      ++first_id_;
    }
  }
  std::deque<Chunk> chunks_;
  std::uint64_t first_id_ = 0;
  std::size_t live_bytes_ = 0;

 public:
  std::size_t live_bytes() const { return live_bytes_; }
};

EventAssembler::EventAssembler(std::uint64_t eoe_timeout, std::size_t arena_budget)
    : eoe_timeout_(eoe_timeout),
      arena_budget_(arena_budget),
      arena_(std::make_unique<TextArena>()),
      open_(64, SlotHash{this}, SlotEq{this}) {}

EventAssembler::~EventAssembler() = default;

EventAssembler::Probe EventAssembler::identity(std::uint32_t slot) const {
  if (slot == kProbe) return probe_;
  const PendingEvent& e = slots_[slot];
  return {e.sec, e.serial, e.msec, e.node};
}

std::size_t EventAssembler::SlotHash::operator()(std::uint32_t slot) const {
  Probe p = a->identity(slot);
  std::size_t h = std::hash<std::uint64_t>()(p.serial);
  h ^= std::hash<std::uint64_t>()(p.sec * 1000 + p.msec) + 0x9e3779b97f4a7c15ull + (h << 6) +
       (h >> 2);
  return h ^ (std::hash<std::uint32_t>()(p.node) + (h << 6) + (h >> 2));
}

bool EventAssembler::SlotEq::operator()(std::uint32_t x, std::uint32_t y) const {
  Probe p = a->identity(x), q = a->identity(y);
  return p.sec == q.sec && p.msec == q.msec && p.serial == q.serial && p.node == q.node;
}

std::uint32_t EventAssembler::take_slot() {
  if (!free_slots_.empty()) {
    std::pop_heap(free_slots_.begin(), free_slots_.end(), std::greater<>());
    std::uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

std::uint32_t EventAssembler::intern_node(const std::optional<std::string>& node) {
  if (!node) return 0;
  auto [it, inserted] = node_index_.try_emplace(*node, static_cast<std::uint32_t>(nodes_.size()));
  if (inserted) nodes_.push_back(*node);
  return it->second;
}

std::uint32_t EventAssembler::store_record(const RecordView& record,
                                           std::optional<FileSpan> origin, std::uint64_t tag) {
  PendingRecord pr{};
  pr.tag = tag;
  pr.length = static_cast<std::uint32_t>(record.text.size());
  pr.raw_length = static_cast<std::uint32_t>(record.raw_length);
  pr.type = record.type;
  pr.enriched = record.enriched;
  pr.next = kNone;
  // Reading text back costs a syscall per record, so it is only worth it
  // once open events hold more text than the arena budget.
  if (origin && origin->fd >= 0 && arena_->live_bytes() >= arena_budget_) {
    pr.fd = origin->fd;
    pr.where = origin->offset;
  } else {
    pr.fd = -1;
    pr.where = arena_->put(record.text);
  }
  if (!free_records_.empty()) {
    std::uint32_t i = free_records_.back();
    free_records_.pop_back();
    records_[i] = pr;
    return i;
  }
  records_.push_back(pr);
  return static_cast<std::uint32_t>(records_.size() - 1);
}

bool EventAssembler::add(const RecordHeader& header, const RecordView& record,
                         std::optional<FileSpan> origin, std::uint64_t tag) {
  probe_ = {header.id.sec, header.id.serial, header.id.msec, intern_node(header.id.node)};
  std::uint32_t found = kNone;
  if (last_open_ != kNone) {
    // Open events have distinct identities, so an open one with this
    // identity is the one the set would find.
    const PendingEvent& e = slots_[last_open_];
    if (e.used && !e.complete && e.sec == probe_.sec && e.msec == probe_.msec &&
        e.serial == probe_.serial && e.node == probe_.node)
      found = last_open_;
  }
  if (found == kNone)
    if (auto it = open_.find(kProbe); it != open_.end()) found = *it;
  if (found != kNone) {
    last_open_ = found;
    PendingEvent& ev = slots_[found];
    ev.enriched = ev.enriched || record.enriched;
    std::uint32_t r = store_record(record, origin, tag);
    records_[ev.tail].next = r;
    ev.tail = r;
    ++ev.count;
    return true;
  }
  if (header.type == AUDIT_EOE) return false;

  {
    auto key = std::tie(probe_.sec, probe_.msec, probe_.serial);
    if (!any_opened_ || key > std::tie(max_sec_, max_msec_, max_serial_)) {
      max_sec_ = probe_.sec;
      max_msec_ = probe_.msec;
      max_serial_ = probe_.serial;
      any_opened_ = true;
    } else {
      for (const OrderKey& k : order_)
        if (k.sec == probe_.sec && k.msec == probe_.msec && k.serial == probe_.serial) {
          ++ties_;
          break;
        }
    }
  }
  std::uint32_t slot = take_slot();
  PendingEvent& ev = slots_[slot];
  ev = PendingEvent{};
  ev.sec = probe_.sec;
  ev.serial = probe_.serial;
  ev.msec = probe_.msec;
  ev.node = probe_.node;
  ev.first_type = header.type;
  ev.enriched = record.enriched;
  ev.used = true;
  ev.head = ev.tail = store_record(record, origin, tag);
  ev.count = 1;
  order_.push_back({ev.sec, ev.serial, ev.msec, slot});
  std::push_heap(order_.begin(), order_.end(), std::greater<>());
  if (is_single_record_type(header.type)) {
    ev.complete = true;
  } else {
    open_.insert(slot);
    last_open_ = slot;
    timeouts_.push_back({ev.sec, slot});
    std::push_heap(timeouts_.begin(), timeouts_.end(),
                   [](const TimeoutKey& a, const TimeoutKey& b) { return a.sec > b.sec; });
  }

  // Stock re-checks every building event whenever an event opens. A timeout
  // entry is stale when its slot has since been reused by a newer event.
  const std::uint64_t now = header.id.sec;
  auto later = [](const TimeoutKey& a, const TimeoutKey& b) { return a.sec > b.sec; };
  while (!timeouts_.empty() && timeouts_.front().sec + eoe_timeout_ <= now) {
    TimeoutKey t = timeouts_.front();
    std::pop_heap(timeouts_.begin(), timeouts_.end(), later);
    timeouts_.pop_back();
    PendingEvent& e = slots_[t.slot];
    if (e.used && !e.complete && e.sec == t.sec) {
      open_.erase(t.slot);
      e.complete = true;
    }
  }
  return true;
}

void EventAssembler::materialize(std::uint32_t slot, Event& ev,
                                 std::vector<std::uint64_t>* tags) {
  PendingEvent& pe = slots_[slot];
  ev.id.sec = pe.sec;
  ev.id.msec = pe.msec;
  ev.id.serial = pe.serial;
  if (pe.node)
    ev.id.node = nodes_[pe.node];
  else
    ev.id.node.reset();
  ev.first_type = pe.first_type;
  ev.enriched = pe.enriched;
  // `ev` may be a previous event handed back: its records keep their string
  // buffers, so a steady stream of events allocates almost nothing.
  ev.records.resize(pe.count);
  if (tags) tags->clear();
  std::size_t k = 0;
  for (std::uint32_t i = pe.head; i != kNone; ++k) {
    PendingRecord& pr = records_[i];
    Record& r = ev.records[k];
    if (tags) tags->push_back(pr.tag);
    r.type = pr.type;
    r.raw_length = pr.raw_length;
    r.enriched = pr.enriched;
    if (pr.fd >= 0) {
      read_back(pr, r.text);
      r.raw_length = std::min<std::size_t>(r.raw_length, r.text.size());
    } else {
      r.text.assign(arena_->get(pr.where, pr.length));
      arena_->release(pr.where, pr.length);
    }
    free_records_.push_back(i);
    i = pr.next;
  }
  pe = PendingEvent{};
}


void EventAssembler::read_back(const PendingRecord& pr, std::string& text) {
  ReadBack& w = read_back_;
  const std::uint64_t end = pr.where + pr.length;
  bool hit = w.fd == pr.fd && pr.where >= w.offset && end <= w.offset + w.length;
  if (!hit && pr.length <= kReadBackBytes / 2) {
    if (!w.data) w.data = std::make_unique<char[]>(kReadBackBytes);
    // A little before the record too: the next event's first records may
    // precede this one's last.
    w.fd = pr.fd;
    w.offset = pr.where - std::min<std::uint64_t>(pr.where, 4 << 10);
    w.length = pread_full(pr.fd, w.data.get(), kReadBackBytes, w.offset);
    hit = end <= w.offset + w.length;
    // The file shrank under us: keep what is left.
    if (!hit && pr.where < w.offset + w.length) {
      text.assign(w.data.get() + (pr.where - w.offset), w.offset + w.length - pr.where);
      return;
    }
  }
  if (hit) {
    text.assign(w.data.get() + (pr.where - w.offset), pr.length);
    return;
  }
  text.resize(pr.length);
  text.resize(pread_full(pr.fd, text.data(), pr.length, pr.where));
}

bool EventAssembler::pop_ready(Event& out, std::vector<std::uint64_t>* tags) {
  if (order_.empty()) return false;
  std::uint32_t slot = order_.front().slot;
  if (!slots_[slot].complete) return false;
  std::pop_heap(order_.begin(), order_.end(), std::greater<>());
  order_.pop_back();
  materialize(slot, out, tags);
  if (order_.empty()) read_back_.fd = -1;
  free_slots_.push_back(slot);
  std::push_heap(free_slots_.begin(), free_slots_.end(), std::greater<>());
  return true;
}

std::unique_ptr<Event> EventAssembler::pop_ready() {
  auto ev = std::make_unique<Event>();
  if (!pop_ready(*ev)) return nullptr;
  return ev;
}

void EventAssembler::fingerprint(std::vector<std::uint64_t>& out) const {
  out.clear();
  std::vector<OrderKey> keys(order_);
  std::sort(keys.begin(), keys.end());
  for (const OrderKey& k : keys) {
    const PendingEvent& e = slots_[k.slot];
    out.push_back((static_cast<std::uint64_t>(e.count) << 1) | (e.complete ? 1 : 0));
    for (std::uint32_t i = e.head; i != kNone; i = records_[i].next) out.push_back(records_[i].tag);
  }
}

void EventAssembler::complete(const EventId& id) {
  probe_ = {id.sec, id.serial, id.msec, intern_node(id.node)};
  auto it = open_.find(kProbe);
  if (it == open_.end()) return;
  std::uint32_t slot = *it;
  open_.erase(it);
  slots_[slot].complete = true;
  if (last_open_ == slot) last_open_ = kNone;
}

void EventAssembler::close_all() {
  // order_ holds every occupied slot in one array: walking it touches far
  // fewer cache lines than the open set's nodes.
  for (const OrderKey& k : order_) slots_[k.slot].complete = true;
  open_.clear();
  timeouts_.clear();
}

}  // namespace bpfaudit::record
