// Rule parsing, the scope walk, the flood rule and the health check.
#include "hub/admission.h"

#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "util/ids.h"
#include "util/json_object.h"

namespace sb::hub {

using json = nlohmann::json;

const char* to_string(action a) {
  switch (a) {
    case action::message:
      return "message";
    case action::conversation:
      return "conversation";
    case action::connection:
      return "connection";
    case action::login:
      return "login";
  }
  return "?";
}

namespace {

// "<action>.<scope>": the table's key space per rule (no string building on the hot path).
constexpr const char* scope_keys[action_count][4] = {
    {"message.visitor", "message.ip", "message.site", "message.global"},
    {"conversation.visitor", "conversation.ip", "conversation.site", "conversation.global"},
    {"connection.visitor", "connection.ip", "connection.site", "connection.global"},
    {"login.account", "login.ip", "login.site", "login.global"}};

limiter::rate_rule* rule_slot(rate_rules& r, std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos) return nullptr;
  auto act = name.substr(0, dot), scope = name.substr(dot + 1);
  for (std::size_t a = 0; a < action_count; a++) {
    if (act != to_string(static_cast<action>(a))) continue;
    auto& s = r.by_action[a];
    if (scope == "visitor" || (a == static_cast<std::size_t>(action::login) && scope == "account"))
      return &s.visitor;
    if (scope == "ip") return &s.ip;
    if (scope == "site") return &s.site;
    if (scope == "global") return &s.global;
  }
  return nullptr;
}

bool overlay(const json& j, const char* where, rate_rules& r, std::string& error) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto* slot = rule_slot(r, it.key());
    if (!slot) {
      error = std::string(where) + "." + it.key() + " is not a rate limit";
      return false;
    }
    if (it->is_null() || (it->is_boolean() && !it->get<bool>())) {
      *slot = {};
      continue;
    }
    if (!it->is_object()) {
      error = std::string(where) + "." + it.key() +
              " must be {burst, perSecond, windowMs, windowMax} or null";
      return false;
    }
    limiter::rate_rule rule;
    auto num = [&](const char* k, double& out) {
      auto f = it->find(k);
      if (f == it->end()) return true;
      if (!f->is_number() || f->get<double>() < 0) {
        error = std::string(where) + "." + it.key() + "." + k + " must be a number >= 0";
        return false;
      }
      out = f->get<double>();
      return true;
    };
    double window_ms = 0, window_max = 0;
    if (!num("burst", rule.burst) || !num("perSecond", rule.per_second) ||
        !num("windowMs", window_ms) || !num("windowMax", window_max))
      return false;
    rule.window_ms = static_cast<std::int64_t>(window_ms);
    rule.window_max = static_cast<std::uint32_t>(window_max);
    if (rule.window_max > 0 && rule.window_ms <= 0) {
      error = std::string(where) + "." + it.key() + ".windowMs must be > 0 with windowMax";
      return false;
    }
    *slot = rule;
  }
  return true;
}

std::uint64_t resident_bytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<std::uint64_t>(resident) *
                      static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE))
                : 0;
}

}  // namespace

std::shared_ptr<const rate_rules> parse_rate_rules(std::string_view defaults_json,
                                                   std::string_view site_json, std::string& error) {
  json defaults, site;
  if (!util::parse_json_object(defaults_json, "rateLimits", defaults, error) ||
      !util::parse_json_object(site_json, "site.rateLimits", site, error))
    return nullptr;
  auto r = std::make_shared<rate_rules>();
  if (!overlay(defaults, "rateLimits", *r, error) || !overlay(site, "site.rateLimits", *r, error))
    return nullptr;
  return r;
}

admission::admission(admission_options o) : o_(std::move(o)), table_(o_.table_keys) {}

limiter::decision admission::check(action a, const rate_rules& rules, std::string_view principal,
                                   std::string_view ip, std::string_view site,
                                   std::int64_t now_ms) {
  const auto& s = rules[a];
  const std::pair<const limiter::rate_rule*, std::string_view> walk[] = {
      {&s.visitor, principal}, {&s.ip, ip}, {&s.site, site}, {&s.global, "*"}};
  for (std::size_t i = 0; i < 4; i++) {
    const auto& [rule, key] = walk[i];
    if (!rule->enabled() || key.empty()) continue;
    const char* scope = scope_keys[static_cast<std::size_t>(a)][i];
    auto d = table_.allow(limiter::key_hash(scope, key), *rule, now_ms);
    if (!d.allowed) {
      refused_[static_cast<std::size_t>(a)]++;
      return d;
    }
  }
  return {};
}

bool admission::strike(strike_counter& s, std::int64_t now_ms) {
  if (o_.flood_strikes <= 0) return false;
  if (now_ms - s.window_start_ms > o_.flood_window_ms) {
    s.window_start_ms = now_ms;
    s.count = 0;
  }
  if (++s.count < o_.flood_strikes) return false;
  flood_closes_++;
  return true;
}

std::string admission::ip_scope(std::string_view remote) const {
  std::string_view host = remote;
  // "1.2.3.4:5678", "[::1]:5678", or a bare address from the JS layer.
  if (!host.empty() && host.front() == '[') {
    auto end = host.find(']');
    host = host.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
  } else if (host.find(':') == host.rfind(':') && host.find(':') != std::string_view::npos) {
    host = host.substr(0, host.find(':'));
  }
  std::string key = limiter::ip_key(host);
  for (const auto& e : o_.exempt_ips)
    if (e == key || e == host) return "";
  return key;
}

bool admission::saturated() {
  auto now = util::now_ms();
  if (o_.max_memory_bytes && now - memory_checked_ms_.load(std::memory_order_relaxed) > 1000) {
    memory_checked_ms_.store(now, std::memory_order_relaxed);
    memory_bytes_.store(resident_bytes(), std::memory_order_relaxed);
  }
  return io_lag_ms_.load(std::memory_order_relaxed) > o_.max_io_lag_ms ||
         backlog_.load(std::memory_order_relaxed) > o_.max_store_backlog ||
         (o_.max_memory_bytes &&
          memory_bytes_.load(std::memory_order_relaxed) > o_.max_memory_bytes);
}

admission_stats admission::stats() {
  admission_stats s;
  for (std::size_t i = 0; i < action_count; i++) s.refused[i] = refused_[i].load();
  s.flood_closes = flood_closes_.load();
  s.saturated_refusals = saturated_refusals_.load();
  s.keys = table_.size();
  s.key_capacity = table_.capacity();
  s.table_bytes = table_.memory_bytes();
  s.evictions = table_.evictions();
  s.saturated = saturated();
  s.io_lag_ms = io_lag_ms_.load();
  s.memory_bytes = o_.max_memory_bytes ? memory_bytes_.load() : resident_bytes();
  return s;
}

}  // namespace sb::hub
