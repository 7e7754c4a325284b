// Conversation state: opening, automatic assignment, the waiting queue, accept / transfer /
// close / handoff, agent presence. Decisions are made under assign_mu_; their effects (frames,
// store writes, events) are collected and carried out after it is released.
#include <algorithm>
#include <set>

#include "hub/effects.h"
#include "hub/hub.h"
#include "protocol/server_frame.h"
#include "util/ids.h"
#include "util/log.h"

namespace sb::hub {

bool hub::serves(const agent_state& a, const std::string& site) const {
  const auto& s = a.rec.sites;
  return std::find(s.begin(), s.end(), site) != s.end();
}

frame_ptr hub::conv_frame(const store::conversation& rec) {
  std::optional<protocol::agent_ref> agent;
  if (!rec.agent_id.empty()) {
    auto it = agents_.find(rec.agent_id);
    agent = protocol::agent_ref{rec.agent_id, it == agents_.end() ? "" : it->second.rec.name};
  }
  return make_frame(protocol::conv_state(rec, agent));
}

void hub::persist(const store::conversation& rec, const std::string& old_agent, const char* event,
                  effects& fx) {
  effects::pending p;
  p.rec = rec;
  p.frame = conv_frame(rec);
  p.recipients.push_back(rec.visitor_id);
  if (!rec.agent_id.empty()) p.recipients.push_back(rec.agent_id);
  if (!old_agent.empty() && old_agent != rec.agent_id) p.recipients.push_back(old_agent);
  if (event) p.events.emplace_back(event);
  p.agent = rec.agent_id;
  fx.persists.push_back(std::move(p));
  // Whatever takes a conversation from the bot silences it.
  if (rec.state != "bot")
    fx.stop_bots.emplace_back(rec.id, rec.state == "closed" ? "closed" : "handoff");
}

std::string hub::pick_agent(const std::string& site, const std::string& team) {
  const agent_state* best = nullptr;
  for (const auto& kv : agents_) {
    const agent_state& a = kv.second;
    if (a.connections == 0 || a.away || a.active >= a.rec.max_chats || !serves(a, site)) continue;
    if (!team.empty() &&
        std::find(a.rec.teams.begin(), a.rec.teams.end(), team) == a.rec.teams.end())
      continue;
    if (!best || a.active < best->active) best = &a;
  }
  return best ? best->rec.id : std::string();
}

void hub::assign(conv_state& cs, const std::string& agent_id, effects& fx) {
  auto& rec = cs.rec;
  std::string old = rec.agent_id;
  if (!old.empty() && old != agent_id) {
    auto it = agents_.find(old);
    if (it != agents_.end()) it->second.active--;
  }
  if (old != agent_id) agents_[agent_id].active++;
  auto& q = sites_[rec.site].queue;
  auto qit = std::find(q.begin(), q.end(), rec.id);
  if (qit != q.end()) {
    q.erase(qit);
    fx.queue_sites.insert(rec.site);
  }
  rec.agent_id = agent_id;
  rec.state = "assigned";
  rec.team.clear();
  rec.updated_ms = util::now_ms();
  fx.tracks.emplace_back(agent_id, rec.id, rec.last_seq);
  persist(rec, old, "conversation.assigned", fx);
}

std::string hub::open_or_get_conversation(const client_ptr& visitor) {
  effects fx;
  std::string id;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = open_conv_by_visitor_.find(visitor->principal());
    if (it != open_conv_by_visitor_.end()) return it->second;
    conv_state cs;
    auto& rec = cs.rec;
    id = rec.id = util::random_id("c_");
    rec.site = visitor->site();
    rec.visitor_id = visitor->principal();
    rec.state = "queued";
    rec.created_ms = rec.updated_ms = util::now_ms();
    cs.visitor_name = visitor->name();
    auto& site = sites_[rec.site];
    std::string agent = site.bot && site.bot->enabled && ai_ ? "" : pick_agent(rec.site, "");
    if (site.bot && site.bot->enabled && ai_) {
      // The assistant answers first.
      rec.state = "bot";
      persist(rec, "", "conversation.opened", fx);
      if (!site.bot->greeting.empty()) {
        fx.greet_conv = id;
        fx.greeting = site.bot->greeting;
        fx.bot_id = "bot:" + rec.site;
        fx.bot_name = site.bot->bot_name;
      }
    } else if (!agent.empty()) {
      // Assigned from the start: one state change, one conv frame.
      agents_[agent].active++;
      rec.agent_id = agent;
      rec.state = "assigned";
      fx.tracks.emplace_back(agent, rec.id, 0);
      persist(rec, "", "conversation.opened", fx);
      fx.persists.back().events.emplace_back("conversation.assigned");
    } else {
      sites_[rec.site].queue.push_back(id);
      fx.queue_sites.insert(rec.site);
      persist(rec, "", "conversation.opened", fx);
      fx.persists.back().events.emplace_back("conversation.queued");
    }
    open_conv_by_visitor_[rec.visitor_id] = id;
    auto& sh = shard_of(id);
    std::lock_guard<std::mutex> l2(sh.mu);
    sh.convs[id] = std::move(cs);
  }
  // The visitor's connections follow the new conversation from its first message.
  router_.track(visitor->principal(), id, 0);
  run(fx);
  return id;
}

void hub::run(effects& fx) {
  for (auto& [conv, reason] : fx.stop_bots) stop_bot(conv, reason);
  for (auto& [principal, conv, after] : fx.tracks) router_.track(principal, conv, after);
  for (auto& p : fx.persists) {
    bool closed = p.rec.state == "closed";
    std::string conv = p.rec.id, site = p.rec.site, visitor = p.rec.visitor_id;
    // Copy the record out before `p` is moved into the callback (argument order is unspecified).
    store::write_op op = store::put_conversation{p.rec};
    store_.submit(std::move(op), [this, p = std::move(p), closed, conv, site,
                                  visitor](store::write_result&& r) mutable {
      if (r.st != store::status::ok) {
        util::log(util::log_level::error, "conversation state not stored",
                  {{"conv", conv}, {"status", store::to_string(r.st)}});
      }
      for (const auto& who : p.recipients) router_.send(who, p.frame);
      if (closed) {
        auto& sh = shard_of(conv);
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.convs.erase(conv);
      }
      if (!events_) return;
      for (const auto& type : p.events) {
        hub_event e;
        e.type = type;
        e.conv = conv;
        e.site = site;
        e.visitor = visitor;
        e.agent = p.agent;
        events_->emit(std::move(e));
      }
    });
  }
  // After the conversation's row: the store needs the row before its first message.
  if (!fx.greet_conv.empty())
    post_message(fx.greet_conv, "bot", fx.bot_id, fx.bot_name, fx.greeting, "");
  for (const auto& site : fx.queue_sites) notify_queue(site);
  for (auto& [site, frame] : fx.site_visitor_sends) router_.send_site_visitors(site, frame);
  for (auto& [who, frame] : fx.sends) router_.send(who, frame);
}

frame_ptr hub::queue_frame(const std::string& site, std::vector<std::string>* agents) {
  std::vector<protocol::queue_entry> items;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto sit = sites_.find(site);
    if (sit == sites_.end()) return nullptr;
    for (const auto& id : sit->second.queue) {
      if (items.size() >= opts_.max_queue_items) break;
      conv_state cs;
      if (!conv_snapshot(id, cs)) continue;
      items.push_back({id, site, cs.rec.visitor_id, cs.visitor_name, cs.preview, cs.rec.created_ms,
                       cs.rec.last_seq});
    }
    if (agents)
      for (const auto& kv : agents_)
        if (kv.second.connections > 0 && serves(kv.second, site)) agents->push_back(kv.first);
  }
  return make_frame(protocol::queue(site, items));
}

void hub::notify_queue(const std::string& site) {
  std::vector<std::string> agents;
  auto frame = queue_frame(site, &agents);
  if (!frame) return;
  for (const auto& a : agents) router_.send(a, frame);
}

void hub::drain_queues(const std::vector<std::string>& sites, effects& fx) {
  for (const auto& site : sites) {
    auto sit = sites_.find(site);
    if (sit == sites_.end()) continue;
    std::vector<std::string> waiting(sit->second.queue.begin(), sit->second.queue.end());
    for (const auto& id : waiting) {
      auto& sh = shard_of(id);
      std::lock_guard<std::mutex> lock(sh.mu);
      auto it = sh.convs.find(id);
      if (it == sh.convs.end()) continue;
      std::string agent = pick_agent(site, it->second.rec.team);
      if (!agent.empty()) assign(it->second, agent, fx);
    }
  }
}

void hub::refresh_presence(const std::vector<std::string>& sites, effects& fx) {
  for (const auto& site : sites) {
    auto sit = sites_.find(site);
    if (sit == sites_.end()) continue;
    int online = 0;
    for (const auto& kv : agents_)
      if (kv.second.connections > 0 && !kv.second.away && serves(kv.second, site)) online++;
    if (online != sit->second.agents_online) {
      sit->second.agents_online = online;
      fx.site_visitor_sends.emplace_back(site, make_frame(protocol::presence(site, online)));
    }
  }
}

void hub::agent_connected(const client_ptr& c) {
  effects fx;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(c->principal());
    if (it == agents_.end()) return;
    if (++it->second.connections == 1) {
      refresh_presence(it->second.rec.sites, fx);
      drain_queues(it->second.rec.sites, fx);
    }
  }
  run(fx);
}

void hub::agent_disconnected(const client_ptr& c) {
  effects fx;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(c->principal());
    if (it == agents_.end()) return;
    if (--it->second.connections == 0) refresh_presence(it->second.rec.sites, fx);
  }
  run(fx);
}

void hub::send_agent_snapshot(const client_ptr& c) {
  std::vector<std::string> sites;
  std::vector<frame_ptr> convs;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(c->principal());
    if (it == agents_.end()) return;
    sites = it->second.rec.sites;
    for (const auto& kv : open_conv_by_visitor_) {
      conv_state cs;
      if (!conv_snapshot(kv.second, cs) || cs.rec.agent_id != c->principal()) continue;
      c->track(cs.rec.id, cs.rec.last_seq);
      convs.push_back(conv_frame(cs.rec));
    }
  }
  // To this connection only: the agent may not count as online yet.
  for (const auto& site : sites)
    if (auto q = queue_frame(site, nullptr)) c->send(q);
  for (const auto& f : convs) c->send(f);
}

template <class Act>
void hub::change_conversation(const client_ptr& c, const std::string& conv, Act&& act) {
  effects fx;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto& sh = shard_of(conv);
    std::unique_lock<std::mutex> shard_lock(sh.mu);
    auto it = sh.convs.find(conv);
    if (it == sh.convs.end() || it->second.rec.state == "closed")
      return send_error(c, "", "not_found", "no open conversation");
    act(it->second, shard_lock, fx);
  }
  run(fx);
}

void hub::on_accept(const client_ptr& c, const protocol::client_frame& f) {
  change_conversation(c, f.conv, [&](conv_state& cs, auto&, effects& fx) {
    auto& rec = cs.rec;
    auto me = agents_.find(c->principal());
    if (me == agents_.end() || !serves(me->second, rec.site))
      return send_error(c, "", "forbidden", "not an agent of this site");
    if (rec.agent_id == c->principal()) {
      fx.sends.emplace_back(c->principal(), conv_frame(rec));
    } else if (!rec.agent_id.empty()) {
      send_error(c, "", "forbidden", "already assigned to another agent");
    } else {
      assign(cs, c->principal(), fx);
    }
  });
}

void hub::on_transfer(const client_ptr& c, const protocol::client_frame& f) {
  change_conversation(c, f.conv, [&](conv_state& cs, auto& shard_lock, effects& fx) {
    auto& rec = cs.rec;
    auto me = agents_.find(c->principal());
    bool admin =
        me != agents_.end() && me->second.rec.role == "admin" && serves(me->second, rec.site);
    if (rec.agent_id != c->principal() && !admin)
      return send_error(c, "", "forbidden", "only the assigned agent or an admin may transfer");
    std::string old = rec.agent_id;
    if (!f.to_agent.empty()) {
      auto target = agents_.find(f.to_agent);
      if (target == agents_.end() || !serves(target->second, rec.site))
        return send_error(c, "", "not_found", "no such agent on this site");
      assign(cs, f.to_agent, fx);
    } else {
      if (!old.empty()) agents_[old].active--;
      rec.agent_id.clear();
      rec.state = "queued";
      rec.team = f.to_team;
      rec.updated_ms = util::now_ms();
      sites_[rec.site].queue.push_back(rec.id);
      fx.queue_sites.insert(rec.site);
      persist(rec, old, "conversation.queued", fx);
      std::string agent = pick_agent(rec.site, rec.team);
      if (!agent.empty()) assign(cs, agent, fx);
    }
    shard_lock.unlock();  // drain_queues locks shards itself
    if (!old.empty() && agents_.count(old)) drain_queues(agents_[old].rec.sites, fx);
  });
}

void hub::on_close(const client_ptr& c, const protocol::client_frame& f) {
  change_conversation(c, f.conv, [&](conv_state& cs, auto& shard_lock, effects& fx) {
    auto& rec = cs.rec;
    bool allowed = rec.visitor_id == c->principal() || rec.agent_id == c->principal();
    auto me = agents_.find(c->principal());
    if (!allowed && c->is_agent() && me != agents_.end())
      allowed = me->second.rec.role == "admin" && serves(me->second, rec.site);
    if (!allowed) return send_error(c, "", "forbidden", "not your conversation");
    std::string old = rec.agent_id;
    if (!old.empty() && agents_.count(old)) agents_[old].active--;
    auto& q = sites_[rec.site].queue;
    auto qit = std::find(q.begin(), q.end(), rec.id);
    if (qit != q.end()) {
      q.erase(qit);
      fx.queue_sites.insert(rec.site);
    }
    rec.state = "closed";
    rec.updated_ms = util::now_ms();
    auto vit = open_conv_by_visitor_.find(rec.visitor_id);
    if (vit != open_conv_by_visitor_.end() && vit->second == rec.id)
      open_conv_by_visitor_.erase(vit);
    persist(rec, "", "conversation.closed", fx);
    shard_lock.unlock();  // drain_queues locks shards itself
    if (!old.empty() && agents_.count(old)) drain_queues(agents_[old].rec.sites, fx);
  });
}

void hub::on_handoff(const client_ptr& c, const protocol::client_frame& f) {
  std::string site;
  change_conversation(c, f.conv, [&](conv_state& cs, auto&, effects& fx) {
    auto& rec = cs.rec;
    if (rec.visitor_id != c->principal() && rec.agent_id != c->principal())
      return send_error(c, "", "forbidden", "not your conversation");
    if (rec.state != "bot") {
      fx.sends.emplace_back(c->principal(), conv_frame(rec));  // already with humans
      return;
    }
    site = rec.site;
  });
  // Outside the locks: the handoff takes them itself (and says so in the conversation).
  if (!site.empty()) bot_handoff(f.conv, "visitor_asked");
}

void hub::on_status(const client_ptr& c, const protocol::client_frame& f) {
  effects fx;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(c->principal());
    if (it == agents_.end()) return;
    it->second.away = f.status == "away";
    refresh_presence(it->second.rec.sites, fx);
    if (!it->second.away) drain_queues(it->second.rec.sites, fx);
  }
  fx.sends.emplace_back(c->principal(),
                        make_frame(std::string(R"({"t":"status","status":")") +
                                   (f.status == "away" ? "away" : "online") + "\"}"));
  run(fx);
}

}  // namespace sb::hub
