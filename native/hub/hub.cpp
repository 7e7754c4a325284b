// Hub start-up, the hello handshake for visitors and agents, frame dispatch, and the admin
// entry points. Messages live in hub_messages.cpp, conversation state in hub_conversations.cpp.
#include "hub/hub.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/server_frame.h"
#include "util/ids.h"
#include "util/log.h"
#include "util/sha256.h"

namespace sb::hub {

hub::hub(hub_options opts, store::store& st, router& rt, event_sink* events)
    : opts_(opts), store_(st), router_(rt), events_(events), admit_(opts_.admission) {
  post_ = [](std::function<void()> fn) { fn(); };
  router_.on_gap(
      [this](const client_ptr& c, const std::string& conv) { request_backfill(c, conv); });
}

hub::~hub() { router_.on_gap(nullptr); }

store::status hub::start(std::string& error) {
  rate_defaults_ = parse_rate_rules(opts_.rate_limits_json, "", error);
  if (!rate_defaults_) return store::status::internal;  // the JS layer validated it already
  std::string secret;
  auto st = store_.get_meta("token_secret", secret);
  if (st == store::status::not_found) {
    secret = util::to_hex(util::sha256(util::random_bytes(32)));
    st = store_.put_meta("token_secret", secret);
  }
  if (st != store::status::ok) {
    error = "cannot read or create the token secret";
    return st;
  }
  tokens_ = std::make_unique<token_service>(secret);

  std::vector<store::site> sites;
  if ((st = store_.list_sites(sites)) != store::status::ok) {
    error = "cannot load sites";
    return st;
  }
  if (std::none_of(sites.begin(), sites.end(), [](auto& s) { return s.key == "demo"; })) {
    store::site demo;
    demo.key = "demo";
    demo.name = "Demo";
    demo.allowed_origins = {"*"};
    demo.created_ms = util::now_ms();
    if ((st = store_.put_site(demo)) != store::status::ok) {
      error = "cannot create the demo site";
      return st;
    }
    sites.push_back(demo);
  }
  std::vector<store::agent> agents;
  std::vector<store::conversation> convs;
  if ((st = store_.list_agents(agents)) != store::status::ok ||
      (st = store_.open_conversations(convs)) != store::status::ok) {
    error = "cannot load agents and open conversations";
    return st;
  }
  std::sort(convs.begin(), convs.end(),
            [](auto& a, auto& b) { return a.created_ms < b.created_ms; });

  std::lock_guard<std::mutex> lock(assign_mu_);
  for (auto& s : sites) {
    sites_[s.key].rec = s;
    sites_[s.key].bot = parse_bot_settings(s);
    sites_[s.key].limits = parse_site_limits(s);
  }
  for (auto& a : agents) agents_[a.id].rec = a;
  for (auto& c : convs) {
    if (c.state == "queued" || c.state == "bot") {
      auto it = sites_.find(c.site);
      if (it != sites_.end() && c.state == "queued") it->second.queue.push_back(c.id);
    } else if (c.state == "assigned") {
      auto it = agents_.find(c.agent_id);
      if (it != agents_.end()) it->second.active++;
    }
    open_conv_by_visitor_[c.visitor_id] = c.id;
    store::visitor v;
    conv_state cs;
    cs.rec = c;
    if (store_.get_visitor(c.visitor_id, v) == store::status::ok) cs.visitor_name = v.name;
    auto& sh = shard_of(c.id);
    std::lock_guard<std::mutex> l2(sh.mu);
    sh.convs[c.id] = std::move(cs);
  }
  util::log(util::log_level::info, "hub started",
            {{"sites", std::to_string(sites.size())},
             {"agents", std::to_string(agents.size())},
             {"openConversations", std::to_string(convs.size())}});
  return store::status::ok;
}

bool hub::conv_snapshot(const std::string& id, conv_state& out) {
  auto& sh = shard_of(id);
  std::lock_guard<std::mutex> lock(sh.mu);
  auto it = sh.convs.find(id);
  if (it == sh.convs.end()) return false;
  out = it->second;
  return true;
}

namespace {

bool origin_allowed(const store::site& s, const std::string& origin) {
  // Non-browser clients send no Origin and cannot be driven by a hostile page.
  if (origin.empty()) return true;
  for (const auto& o : s.allowed_origins)
    if (o == "*" || o == origin) return true;
  return false;
}

hello_outcome refuse(std::uint16_t code, std::string reason) {
  hello_outcome out;
  out.close_code = code;
  out.close_reason = std::move(reason);
  return out;
}

}  // namespace

hello_outcome hub::hello(const std::shared_ptr<connection>& conn, protocol::client_frame& f,
                         const peer_info& peer) {
  if (f.role == "visitor") return hello_visitor(conn, f, peer);
  if (f.role == "agent") return hello_agent(conn, f);
  return refuse(4401, "hello.role must be visitor or agent");
}

hello_outcome hub::hello_visitor(const std::shared_ptr<connection>& conn, protocol::client_frame& f,
                                 const peer_info& peer) {
  int agents_online = 0;
  std::shared_ptr<const rate_rules> rules;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = sites_.find(f.site);
    if (it == sites_.end()) return refuse(4401, "unknown site");
    if (!it->second.rec.enabled) return refuse(4401, "site disabled");
    if (!origin_allowed(it->second.rec, peer.origin)) return refuse(1008, "origin not allowed");
    agents_online = it->second.agents_online;
    rules = it->second.limits ? it->second.limits : rate_defaults_;
  }
  // New visitors wait while the server is saturated; returning ones have a conversation to
  // go on with.
  if (f.visitor_token.empty() && saturated()) {
    admit_.count_saturated_refusal();
    return refuse(1013, "the server is busy; try again in a few seconds");
  }
  std::string ip = admit_.ip_scope(peer.remote);
  auto d = admit_.check(action::connection, *rules, "", ip, f.site, util::now_ms());
  if (!d.allowed)
    return refuse(4429, "too many connections; retry in " +
                            std::to_string((d.retry_after_ms + 999) / 1000) + " s");

  std::string visitor_id;
  bool returning = false;
  if (!f.visitor_token.empty()) {
    std::string token_site;
    auto e = tokens_->verify_visitor(f.visitor_token, token_site, visitor_id);
    if (e != token_error::none) return refuse(4401, "invalid visitor token");
    if (token_site != f.site) return refuse(4401, "visitor token belongs to another site");
    returning = true;
  } else {
    visitor_id = util::random_id("v_");
  }

  const auto& p = f.profile;
  bool has_profile = !p.name.empty() || !p.email.empty() || !p.lang.empty() || !p.page.empty() ||
                     !p.referrer.empty();
  std::string name = p.name;
  if (!returning || has_profile) {
    store::visitor v;
    if (returning) store_.get_visitor(visitor_id, v);
    v.id = visitor_id;
    v.site = f.site;
    if (!p.name.empty()) v.name = p.name;
    if (!p.email.empty()) v.email = p.email;
    if (!p.lang.empty()) v.lang = p.lang;
    if (!p.page.empty()) v.page = p.page;
    if (!p.referrer.empty()) v.referrer = p.referrer;
    auto now = util::now_ms();
    if (!v.created_ms) v.created_ms = now;
    v.last_seen_ms = now;
    name = v.name;
    store_.submit(store::put_visitor{std::move(v)}, nullptr);
  }

  auto c = std::make_shared<client>(conn, role::visitor, visitor_id, f.site, name);
  c->set_ip_scope(std::move(ip));

  std::string open_conv;
  std::uint64_t last_seq = 0;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = open_conv_by_visitor_.find(visitor_id);
    if (it != open_conv_by_visitor_.end()) open_conv = it->second;
  }
  conv_state cs;
  if (!open_conv.empty() && conv_snapshot(open_conv, cs)) last_seq = cs.rec.last_seq;

  // Resume a conversation of this visitor's (open or closed).
  std::string resume_conv;
  bool resume_forbidden = false;
  if (f.resume) {
    store::conversation rec;
    bool found = conv_snapshot(f.resume->conv, cs)
                     ? (rec = cs.rec, true)
                     : store_.get_conversation(f.resume->conv, rec) == store::status::ok;
    if (found && rec.visitor_id == visitor_id) {
      resume_conv = rec.id;
      c->track(resume_conv, f.resume->after);
    } else {
      resume_forbidden = true;
    }
  }

  c->send(make_frame(protocol::welcome_visitor(
      visitor_id, tokens_->visitor_token(f.site, visitor_id), open_conv, last_seq, agents_online)));
  if (resume_forbidden) send_error(c, "", "forbidden", "resume.conv is not your conversation");
  router_.attach(c);
  visitors_connected_++;
  if (!resume_conv.empty()) request_backfill(c, resume_conv);
  hello_outcome out;
  out.client = std::move(c);
  return out;
}

hello_outcome hub::hello_agent(const std::shared_ptr<connection>& conn, protocol::client_frame& f) {
  std::string agent_id;
  auto e = tokens_->verify_agent(f.token, util::now_ms() / 1000, agent_id);
  if (e == token_error::expired) return refuse(4401, "agent token expired");
  if (e != token_error::none) return refuse(4401, "invalid agent token");
  store::agent rec;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) return refuse(4401, "unknown agent");
    rec = it->second.rec;
  }
  auto c = std::make_shared<client>(conn, role::agent, agent_id, "", rec.name);
  c->send(make_frame(protocol::welcome_agent(rec.id, rec.name, rec.sites)));
  router_.attach(c);
  agents_connected_++;
  // The resume point first: the snapshot below tracks assigned conversations at their last
  // seq, and tracking never moves backwards.
  bool resuming = false;
  if (f.resume) {
    conv_state cs;
    resuming = may_access(c, f.resume->conv, true, cs);
    if (resuming)
      c->track(f.resume->conv, f.resume->after);
    else
      send_error(c, "", "forbidden", "resume.conv is not visible to you");
  }
  // The snapshot before going online: conversations the arrival assigns from the queue then
  // reach the agent once, as a state change, not a second time in the snapshot.
  send_agent_snapshot(c);
  agent_connected(c);
  if (resuming) request_backfill(c, f.resume->conv);
  hello_outcome out;
  out.client = std::move(c);
  return out;
}

void hub::on_frame(const client_ptr& c, protocol::client_frame& f) {
  using t = protocol::client_type;
  bool agent_only = f.type == t::accept || f.type == t::transfer || f.type == t::status;
  if (agent_only && !c->is_agent()) {
    send_error(c, "", "forbidden", "only agents may send this frame");
    return;
  }
  switch (f.type) {
    case t::hello:
      send_error(c, "", "invalid", "hello was already received");
      break;
    case t::ping:
      c->send(make_frame(protocol::pong()));
      break;
    case t::send:
      on_send(c, f);
      break;
    case t::typing:
      on_typing(c, f);
      break;
    case t::read:
      on_read(c, f);
      break;
    case t::history:
      on_history(c, f);
      break;
    case t::accept:
      on_accept(c, f);
      break;
    case t::transfer:
      on_transfer(c, f);
      break;
    case t::close:
      on_close(c, f);
      break;
    case t::handoff:
      on_handoff(c, f);
      break;
    case t::status:
      on_status(c, f);
      break;
    case t::assist:
      on_assist(c, f);
      break;
  }
}

void hub::goodbye(const client_ptr& c) {
  router_.detach(c);
  if (c->is_agent()) {
    agents_connected_--;
    agent_disconnected(c);
  } else {
    visitors_connected_--;
  }
}

void hub::send_error(const client_ptr& c, const std::string& ref, const char* code,
                     const std::string& message, std::optional<std::int64_t> retry_after_ms) {
  c->send(make_frame(protocol::error(ref, code, message, retry_after_ms)));
}

std::shared_ptr<const rate_rules> hub::parse_site_limits(const store::site& s) {
  std::string error;
  auto rules = parse_rate_rules(opts_.rate_limits_json, s.rate_limits_json, error);
  if (rules) return rules;
  util::log(util::log_level::error, "site rate limits ignored",
            {{"site", s.key}, {"error", error}});
  return rate_defaults_;
}

std::shared_ptr<const rate_rules> hub::rules_of(const client& c) {
  if (c.site().empty()) return rate_defaults_;
  // Cached on the client: the site map is locked only after a site's limits changed.
  auto version = rules_version_.load(std::memory_order_acquire);
  if (auto cached = c.cached_rules(version)) return cached;
  std::shared_ptr<const rate_rules> rules;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = sites_.find(c.site());
    rules = it != sites_.end() && it->second.limits ? it->second.limits : rate_defaults_;
  }
  c.cache_rules(version, rules);
  return rules;
}

bool hub::admit(const client_ptr& c, action a, const std::string& ref) {
  auto now = util::now_ms();
  auto rules = rules_of(*c);
  auto d = admit_.check(a, *rules, c->principal(), c->ip_scope(), c->site(), now);
  if (d.allowed) return true;
  const char* what = a == action::conversation ? "too many new conversations" : "too many messages";
  send_error(
      c, ref, "rate_limited",
      std::string(what) + "; retry in " + std::to_string((d.retry_after_ms + 999) / 1000) + " s",
      d.retry_after_ms);
  if (c->strike([&](strike_counter& s) { return admit_.strike(s, now); })) {
    util::log(util::log_level::warn, "connection closed for flooding",
              {{"principal", c->principal()}, {"site", c->site()}});
    c->close(4429, "flooding after warnings");
  }
  return false;
}

bool hub::saturated() {
  admit_.report_store_backlog(store_.stats().writes_queued);
  return admit_.saturated();
}

limiter::decision hub::check_login(std::string_view remote, std::string_view account) {
  return admit_.check(action::login, *rate_defaults_, account, admit_.ip_scope(remote), "",
                      util::now_ms());
}

store::status hub::put_site(const store::site& in) {
  store::site s = in;
  keep_ai_key(s);
  auto st = store_.put_site(s);
  if (st != store::status::ok) return st;
  auto bot = parse_bot_settings(s);
  auto limits = parse_site_limits(s);
  std::lock_guard<std::mutex> lock(assign_mu_);
  sites_[s.key].rec = s;
  sites_[s.key].bot = std::move(bot);
  sites_[s.key].limits = std::move(limits);
  rules_version_++;
  return st;
}

void hub::keep_ai_key(store::site& s) {
  // Sites are read back with their AI key shown as "(set)"; writing that back keeps the key.
  auto ai = nlohmann::json::parse(s.ai_json, nullptr, false);
  if (!ai.is_object() || ai.value("apiKey", "") != "(set)") return;
  std::string old_json;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = sites_.find(s.key);
    if (it != sites_.end()) old_json = it->second.rec.ai_json;
  }
  auto old = nlohmann::json::parse(old_json, nullptr, false);
  if (old.is_object() && old.contains("apiKey"))
    ai["apiKey"] = old["apiKey"];
  else
    ai.erase("apiKey");
  s.ai_json = ai.dump();
}

store::status hub::put_agent(const store::agent& a) {
  auto st = store_.put_agent(a);
  if (st != store::status::ok) return st;
  std::lock_guard<std::mutex> lock(assign_mu_);
  agents_[a.id].rec = a;
  return st;
}

std::string hub::sign_agent_token(const std::string& agent_id, std::int64_t ttl_s) {
  return tokens_->agent_token(agent_id, util::now_ms() / 1000 + ttl_s);
}

token_error hub::verify_agent_token(std::string_view token, std::string& agent_id) const {
  return tokens_->verify_agent(token, util::now_ms() / 1000, agent_id);
}

hub_stats hub::stats() {
  hub_stats s;
  s.visitors_connected = visitors_connected_.load();
  s.agents_connected = agents_connected_.load();
  s.connections = s.visitors_connected + s.agents_connected;
  s.messages_acked = messages_acked_.load();
  s.messages_failed = messages_failed_.load();
  s.bot_replies = bot_replies_.load();
  s.bot_failures = bot_failures_.load();
  s.bot_handoffs = bot_handoffs_.load();
  s.assist_requests = assist_requests_.load();
  {
    std::lock_guard<std::mutex> lock(bots_mu_);
    s.bot_streams = bots_.size();
  }
  std::lock_guard<std::mutex> lock(assign_mu_);
  s.conversations_open = open_conv_by_visitor_.size();
  for (auto& kv : sites_) s.queued += kv.second.queue.size();
  return s;
}

}  // namespace sb::hub
