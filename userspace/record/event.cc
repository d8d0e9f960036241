#include "event.h"

#include <libaudit.h>
#include <linux/audit.h>

namespace bpfaudit::record {

bool is_single_record_type(int type) {
  return type == AUDIT_PROCTITLE || type < AUDIT_FIRST_EVENT || type >= AUDIT_FIRST_ANOM_MSG ||
         type == AUDIT_KERNEL || (type >= AUDIT_MAC_UNLBL_ALLOW && type <= AUDIT_MAC_CALIPSO_DEL);
}

std::size_t EventAssembler::IdHash::operator()(const EventId& id) const {
  std::size_t h = std::hash<std::uint64_t>()(id.serial);
  h ^= std::hash<std::uint64_t>()(id.sec * 1000 + id.msec) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  if (id.node) h ^= std::hash<std::string>()(*id.node) + (h << 6) + (h >> 2);
  return h;
}

std::size_t EventAssembler::take_slot() {
  if (!free_slots_.empty()) {
    std::size_t s = free_slots_.top();
    free_slots_.pop();
    return s;
  }
  slots_.emplace_back();
  return slots_.size() - 1;
}

void EventAssembler::complete(std::size_t slot) {
  Slot& s = slots_[slot];
  s.complete = true;
  open_.erase(s.event->id);
}

bool EventAssembler::add(const RecordHeader& header, Record record) {
  if (auto it = open_.find(header.id); it != open_.end()) {
    Event& ev = *slots_[it->second].event;
    ev.enriched = ev.enriched || record.enriched;
    ev.records.push_back(std::move(record));
    return true;
  }
  if (header.type == AUDIT_EOE) return false;

  auto ev = std::make_unique<Event>();
  ev->id = header.id;
  ev->first_type = header.type;
  ev->enriched = record.enriched;
  ev->records.push_back(std::move(record));

  std::size_t slot = take_slot();
  order_.insert({ev->id.sec, ev->id.msec, ev->id.serial, slot});
  bool single = is_single_record_type(header.type);
  if (!single) {
    open_.emplace(ev->id, slot);
    open_by_sec_.emplace(ev->id.sec, slot);
  }
  slots_[slot] = Slot{std::move(ev), single};

  // Stock re-checks every building event whenever an event opens.
  std::uint64_t now = header.id.sec;
  while (!open_by_sec_.empty() && open_by_sec_.begin()->first + eoe_timeout_ <= now) {
    std::size_t s = open_by_sec_.begin()->second;
    open_by_sec_.erase(open_by_sec_.begin());
    complete(s);
  }
  return true;
}

std::unique_ptr<Event> EventAssembler::pop_ready() {
  if (order_.empty()) return nullptr;
  auto first = order_.begin();
  Slot& s = slots_[first->slot];
  if (!s.complete) return nullptr;
  std::size_t slot = first->slot;
  order_.erase(first);
  free_slots_.push(slot);
  s.complete = false;
  return std::move(s.event);
}

void EventAssembler::close_all() {
  for (const auto& [id, slot] : open_) slots_[slot].complete = true;
  open_.clear();
  open_by_sec_.clear();
}

}  // namespace bpfaudit::record
