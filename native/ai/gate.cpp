// The gate's queue discipline and bookkeeping; the limit itself is limiter::adaptive_limit.
#include "ai/gate.h"

#include <algorithm>

namespace sb::ai {

gate::gate(std::string name, gate_options o)
    : name_(std::move(name)), o_(o), limit_(o.limit), throttle_(o.throttle) {}

gate::verdict gate::admit(const std::string& site, std::int64_t deadline_ms, std::int64_t now_ms,
                          std::string& why) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (throttle_.should_reject(u(rng_), now_ms)) {
    shed_++;
    why = "the upstream is refusing most requests; throttled before sending";
    return verdict::shed;
  }
  // Nobody waits ahead: take a slot if one is free. Otherwise join the queue (first come, first
  // served within fairness), unless the wait would outlast the budget or the queue is full.
  if (queued_ == 0 && limit_.try_acquire()) {
    sites_[site].in_flight++;
    admitted_++;
    max_in_flight_ = std::max<std::uint64_t>(max_in_flight_, limit_.in_flight());
    return verdict::go;
  }
  if (queued_ >= o_.max_queue) {
    shed_++;
    why = "too many requests waiting for the upstream";
    return verdict::shed;
  }
  if (now_ms + expected_wait_ms() > deadline_ms) {
    shed_++;
    why = "the upstream is at capacity; the wait would exceed the budget";
    return verdict::shed;
  }
  return verdict::wait;
}

bool gate::try_take(const std::string& site) {
  if (queued_ != 0 || !limit_.try_acquire()) return false;
  sites_[site].in_flight++;
  max_in_flight_ = std::max<std::uint64_t>(max_in_flight_, limit_.in_flight());
  return true;
}

void gate::enqueue(const std::string& site, std::uint64_t id, std::int64_t deadline_ms,
                   bool front) {
  auto& q = sites_[site].queue;
  if (front)
    q.push_front({id, deadline_ms});
  else
    q.push_back({id, deadline_ms});
  queued_++;
}

bool gate::next(std::uint64_t& id, std::int64_t now_ms) {
  if (queued_ == 0 || now_ms < cooldown_until_ms_) return false;
  site_state* best = nullptr;
  for (auto& kv : sites_)
    if (!kv.second.queue.empty() && (!best || kv.second.in_flight < best->in_flight))
      best = &kv.second;
  if (!best || !limit_.try_acquire()) return false;
  id = best->queue.front().id;
  best->queue.pop_front();
  queued_--;
  best->in_flight++;
  admitted_++;
  max_in_flight_ = std::max<std::uint64_t>(max_in_flight_, limit_.in_flight());
  return true;
}

void gate::expire(std::int64_t now_ms, std::vector<std::uint64_t>& out) {
  if (queued_ == 0) return;
  for (auto& kv : sites_) {
    auto& q = kv.second.queue;
    for (auto it = q.begin(); it != q.end();) {
      if (it->deadline_ms <= now_ms) {
        out.push_back(it->id);
        it = q.erase(it);
        queued_--;
        shed_++;
      } else {
        ++it;
      }
    }
  }
}

void gate::drop(std::uint64_t id) {
  for (auto& kv : sites_) {
    auto& q = kv.second.queue;
    auto it = std::find_if(q.begin(), q.end(), [&](const waiting& w) { return w.id == id; });
    if (it != q.end()) {
      q.erase(it);
      queued_--;
      return;
    }
  }
}

void gate::release(const std::string& site, std::int64_t held_ms) {
  service_ms_ = service_ms_ <= 0 ? static_cast<double>(held_ms)
                                 : 0.9 * service_ms_ + 0.1 * static_cast<double>(held_ms);
  auto it = sites_.find(site);
  if (it == sites_.end()) return;
  it->second.in_flight = std::max(0, it->second.in_flight - 1);
  if (it->second.in_flight == 0 && it->second.queue.empty()) sites_.erase(it);
}

void gate::succeeded(const std::string& site, std::int64_t latency_ms, std::int64_t held_ms,
                     std::int64_t now_ms) {
  if (o_.adaptive)
    limit_.on_success(latency_ms, now_ms);
  else
    limit_.on_ignore();
  throttle_.record(true, now_ms);
  release(site, held_ms);
}

void gate::overloaded(const std::string& site, std::int64_t held_ms, std::int64_t now_ms) {
  if (o_.adaptive)
    limit_.on_overload(now_ms);
  else
    limit_.on_ignore();
  throttle_.record(false, now_ms);
  overloads_++;
  // The upstream refused what is in flight now: nothing starts from the queue for a round trip,
  // or a capacity drop would send the whole queue into refusals, each freeing its slot for the
  // next, before the cut limit takes effect.
  double rtt = std::max(100.0, limit_.baseline_ms());
  cooldown_until_ms_ = now_ms + static_cast<std::int64_t>(rtt);
  release(site, held_ms);
}

void gate::ignored(const std::string& site, std::int64_t held_ms) {
  limit_.on_ignore();
  release(site, held_ms);
}

std::int64_t gate::expected_wait_ms() const {
  // Little's law: slots free up at about limit / service time; everyone queued goes first.
  if (service_ms_ <= 0) return 0;
  double rate = std::max(1, limit_.limit()) / service_ms_;
  return static_cast<std::int64_t>((static_cast<double>(queued_) + 1) / rate);
}

std::int64_t gate::next_deadline() const {
  std::int64_t soonest = -1;
  for (const auto& kv : sites_)
    for (const auto& w : kv.second.queue)
      if (soonest < 0 || w.deadline_ms < soonest) soonest = w.deadline_ms;
  return soonest;
}

gate_stats gate::stats(std::int64_t now_ms) {
  gate_stats s;
  s.upstream = name_;
  s.limit = limit_.limit();
  s.in_flight = limit_.in_flight();
  s.queued = queued_;
  s.baseline_ms = limit_.baseline_ms();
  s.reject_probability = throttle_.reject_probability(now_ms);
  s.admitted = admitted_;
  s.shed = shed_;
  s.overloads = overloads_;
  s.max_in_flight = max_in_flight_;
  return s;
}

}  // namespace sb::ai
