// Single-node routing: principal -> connections, site -> visitor connections.
#include "hub/registry.h"

#include <algorithm>

namespace sb::hub {

void registry::attach(const client_ptr& c) {
  {
    shard& s = shard_of(c->principal());
    std::lock_guard<std::mutex> lock(s.mu);
    s.by_principal[c->principal()].push_back(c);
  }
  if (!c->is_agent()) {
    std::lock_guard<std::mutex> lock(sites_mu_);
    visitors_by_site_[c->site()].insert(c);
  }
}

void registry::detach(const client_ptr& c) {
  {
    shard& s = shard_of(c->principal());
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.by_principal.find(c->principal());
    if (it != s.by_principal.end()) {
      auto& v = it->second;
      v.erase(std::remove(v.begin(), v.end(), c), v.end());
      if (v.empty()) s.by_principal.erase(it);
    }
  }
  if (!c->is_agent()) {
    std::lock_guard<std::mutex> lock(sites_mu_);
    auto it = visitors_by_site_.find(c->site());
    if (it != visitors_by_site_.end()) {
      it->second.erase(c);
      if (it->second.empty()) visitors_by_site_.erase(it);
    }
  }
}

void registry::send(const std::string& principal, const frame_ptr& frame) {
  shard& s = shard_of(principal);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.by_principal.find(principal);
  if (it == s.by_principal.end()) return;
  for (const auto& c : it->second) c->send(frame);
}

void registry::send_msg(const std::string& principal, const std::string& conv, std::uint64_t seq,
                        const frame_ptr& frame) {
  // Gapped connections are collected and handled outside the shard lock: the handler reads
  // the store.
  std::vector<client_ptr> gapped;
  {
    shard& s = shard_of(principal);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.by_principal.find(principal);
    if (it == s.by_principal.end()) return;
    for (const auto& c : it->second) {
      if (c->send_seq(conv, seq, frame) == client::seq_verdict::gap) gapped.push_back(c);
    }
  }
  for (const auto& c : gapped)
    if (on_gap_) on_gap_(c, conv);
}

void registry::send_site_visitors(const std::string& site, const frame_ptr& frame) {
  std::lock_guard<std::mutex> lock(sites_mu_);
  auto it = visitors_by_site_.find(site);
  if (it == visitors_by_site_.end()) return;
  for (const auto& c : it->second) c->send(frame);
}

void registry::track(const std::string& principal, const std::string& conv, std::uint64_t after) {
  shard& s = shard_of(principal);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.by_principal.find(principal);
  if (it == s.by_principal.end()) return;
  for (const auto& c : it->second) c->track(conv, after);
}

std::size_t registry::local_connections(const std::string& principal) {
  shard& s = shard_of(principal);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.by_principal.find(principal);
  return it == s.by_principal.end() ? 0 : it->second.size();
}

std::size_t registry::total_connections() {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    for (const auto& kv : s.by_principal) n += kv.second.size();
  }
  return n;
}

}  // namespace sb::hub
