// The message path: send -> store (group commit) -> ack + fan-out, plus typing, read marks,
// history and the backfill that closes any gap a connection sees in a conversation.
#include <algorithm>
#include <limits>

#include "hub/hub.h"
#include "protocol/server_frame.h"
#include "util/ids.h"

namespace sb::hub {

namespace {
/** The start of a message for the queue, cut on a UTF-8 boundary (a split sequence would make
 *  the whole frame invalid UTF-8, which browsers answer by closing the socket). */
std::string preview_of(const std::string& text) {
  constexpr std::size_t max = 120;
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut--;
  return text.substr(0, cut);
}
}  // namespace

const char* hub::access(const client_ptr& c, const std::string& conv, bool peek, conv_state& out,
                        std::string& why) {
  if (!conv_snapshot(conv, out)) {
    // Closed conversations leave memory; they can still be read.
    if (store_.get_conversation(conv, out.rec) != store::status::ok) {
      why = "no such conversation";
      return "not_found";
    }
  }
  const auto& rec = out.rec;
  if (!c->is_agent()) {
    if (rec.visitor_id == c->principal()) return nullptr;
    why = "not your conversation";
    return "forbidden";
  }
  if (rec.agent_id == c->principal()) return nullptr;
  if (peek) {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto it = agents_.find(c->principal());
    if (it != agents_.end()) {
      const auto& sites = it->second.rec.sites;
      if (std::find(sites.begin(), sites.end(), rec.site) != sites.end()) return nullptr;
    }
  }
  why = rec.agent_id.empty() ? "accept the conversation first" : "not your conversation";
  return "forbidden";
}

void hub::on_send(const client_ptr& c, protocol::client_frame& f) {
  if (!admit(c, action::message, f.id)) return;
  std::string conv = f.conv;
  if (conv.empty()) {
    if (c->is_agent()) return send_error(c, f.id, "invalid", "send.conv is required for agents");
    bool opens;
    {
      std::lock_guard<std::mutex> lock(assign_mu_);
      opens = !open_conv_by_visitor_.count(c->principal());
    }
    if (opens) {
      // A new conversation: the first thing to wait when the server is saturated.
      if (saturated()) {
        admit_.count_saturated_refusal();
        return send_error(c, f.id, "rate_limited", "the server is busy; retry in a few seconds",
                          5000);
      }
      if (!admit(c, action::conversation, f.id)) return;
    }
    conv = open_or_get_conversation(c);
    if (conv.empty()) return send_error(c, f.id, "unavailable", "cannot open a conversation");
  }
  conv_state cs;
  std::string why;
  if (const char* code = access(c, conv, false, cs, why)) return send_error(c, f.id, code, why);
  if (cs.rec.state == "closed") return send_error(c, f.id, "invalid", "the conversation is closed");

  store::message m;
  m.conv = std::move(conv);
  m.client_id = f.id;
  m.sender_kind = c->is_agent() ? "agent" : "visitor";
  m.sender_id = c->principal();
  m.sender_name = c->name();
  m.text = std::move(f.text);
  m.ts_ms = util::now_ms();
  store_.submit(store::append_message{std::move(m)},
                [this, c, ref = std::move(f.id)](store::write_result&& r) {
                  on_committed(c, ref, std::move(r));
                });
}

void hub::on_committed(const client_ptr& sender, const std::string& ref, store::write_result&& r) {
  if (r.st != store::status::ok) {
    messages_failed_++;
    return send_error(sender, ref, "unavailable", "the message was not stored; send it again");
  }
  const store::message& m = r.msg;
  if (r.duplicate) {
    sender->send(make_frame(protocol::ack(ref, m.conv, m.seq, m.ts_ms)));
    return;
  }
  messages_acked_++;
  deliver(sender, ref, m, "");
}

void hub::deliver(const client_ptr& sender, const std::string& ref, const store::message& m,
                  const std::string& stream) {
  std::string visitor_id, agent_id, site, state;
  int bot_turns = 0;
  {
    auto& sh = shard_of(m.conv);
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.convs.find(m.conv);
    if (it != sh.convs.end()) {
      auto& rec = it->second.rec;
      rec.last_seq = std::max(rec.last_seq, m.seq);
      rec.updated_ms = m.ts_ms;
      visitor_id = rec.visitor_id;
      agent_id = rec.agent_id;
      site = rec.site;
      state = rec.state;
      bot_turns = it->second.bot_turns;
      if (m.sender_kind == "visitor") it->second.preview = preview_of(m.text);
    }
  }
  // Acked only once the hub's own view (last seq) includes the message, so a client that
  // reconnects right after the ack is welcomed with it.
  if (sender) sender->send(make_frame(protocol::ack(ref, m.conv, m.seq, m.ts_ms)));
  if (visitor_id.empty()) return;  // closed meanwhile: the stored copy is the truth

  // One serialisation for everybody, one more for the sender's own connections (clientId).
  frame_ptr plain = make_frame(protocol::msg(m, false, stream));
  frame_ptr own = m.client_id.empty() ? plain : make_frame(protocol::msg(m, true, stream));
  router_.send_msg(visitor_id, m.conv, m.seq, visitor_id == m.sender_id ? own : plain);
  if (!agent_id.empty())
    router_.send_msg(agent_id, m.conv, m.seq, agent_id == m.sender_id ? own : plain);
  if (state == "queued") notify_queue(site);  // the preview changed
  if (events_ && events_->wants_messages()) {
    hub_event e;
    e.type = "message";
    e.conv = m.conv;
    e.site = site;
    e.msg = m;
    events_->emit(std::move(e));
  }
  if (state == "bot" && m.sender_kind == "visitor") bot_on_visitor_message(m, site, bot_turns);
}

void hub::on_typing(const client_ptr& c, const protocol::client_frame& f) {
  conv_state cs;
  std::string why;
  if (const char* code = access(c, f.conv, false, cs, why)) return send_error(c, "", code, why);
  auto frame = make_frame(
      protocol::typing(f.conv, c->is_agent() ? "agent" : "visitor", c->principal(), f.on));
  const std::string& other = c->is_agent() ? cs.rec.visitor_id : cs.rec.agent_id;
  if (!other.empty()) router_.send(other, frame);
}

void hub::on_read(const client_ptr& c, const protocol::client_frame& f) {
  conv_state cs;
  std::string why;
  if (const char* code = access(c, f.conv, false, cs, why)) return send_error(c, "", code, why);
  std::uint64_t seq = std::min(f.seq, cs.rec.last_seq);
  store_.submit(store::put_read_mark{{f.conv, c->principal(), seq}}, nullptr);
  auto frame =
      make_frame(protocol::read(f.conv, c->is_agent() ? "agent" : "visitor", c->principal(), seq));
  const std::string& other = c->is_agent() ? cs.rec.visitor_id : cs.rec.agent_id;
  if (!other.empty()) router_.send(other, frame);
}

void hub::on_history(const client_ptr& c, const protocol::client_frame& f) {
  conv_state cs;
  std::string why;
  if (const char* code = access(c, f.conv, true, cs, why)) return send_error(c, "", code, why);
  std::uint32_t limit = std::clamp<std::uint32_t>(f.limit, 1, 200);
  std::uint64_t before = f.before ? f.before : std::numeric_limits<std::uint64_t>::max();
  std::vector<store::message> page;
  if (store_.messages_before(f.conv, before, limit + 1, page) != store::status::ok)
    return send_error(c, "", "unavailable", "history is unavailable right now");
  bool more = page.size() > limit;
  if (more) page.erase(page.begin());
  c->send(make_frame(protocol::history(f.conv, page, more)));
}

void hub::request_backfill(const client_ptr& c, const std::string& conv) {
  if (c->request_backfill(conv)) post_([this, c] { backfill(c); });
}

void hub::backfill(const client_ptr& c) {
  std::string conv;
  while (c->next_backfill(conv)) {
    for (;;) {
      std::vector<store::message> page;
      if (store_.messages_after(conv, c->last_seq(conv), opts_.history_page, page) !=
          store::status::ok) {
        send_error(c, "", "unavailable", "could not replay the conversation; reconnect");
        break;
      }
      for (const auto& m : page) {
        c->send_seq(conv, m.seq, make_frame(protocol::msg(m, m.sender_id == c->principal())));
      }
      if (page.size() < opts_.history_page) break;
    }
  }
}

}  // namespace sb::hub
