// The assistant inside the hub. A visitor's message to a conversation in state `bot` starts a
// streamed reply (deltas to the visitor, one stored msg at the end). The bot hands over to
// humans when the visitor asks, when the model calls transfer_to_human, when the upstream
// fails, or when its turns run out. Agent assist streams a suggestion or a summary to one
// agent and stores nothing.
#include <limits>

#include "hub/effects.h"
#include "hub/hub.h"
#include "protocol/server_frame.h"
#include "util/ids.h"
#include "util/log.h"

namespace sb::hub {

/** One AI stream: a bot reply to a visitor, or an assist answer to an agent. Its mutex orders
 *  deltas against stop(), so no delta reaches the visitor after its delta-end. */
class hub::bot_stream final : public ai::stream_handler {
 public:
  bot_stream(hub& h, bool assist, std::string conv, std::string site)
      : h_(h),
        assist(assist),
        conv(std::move(conv)),
        site(std::move(site)),
        key(util::random_id("s_")) {}

  void on_delta(std::string_view text) override {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    sent_any = true;
    if (assist)
      agent->send(make_frame(protocol::assist_delta(conv, ref, key, kind, text)));
    else
      h_.router_.send(visitor, make_frame(protocol::delta(conv, key, text)));
  }
  void on_end(ai::stream_result&& r) override { h_.bot_finished(*this, std::move(r)); }

  hub& h_;
  const bool assist;
  const std::string conv, site, key;
  std::string visitor;    // reply: the visitor it streams to
  client_ptr agent;       // assist: the agent connection that asked
  std::string ref, kind;  // assist: the request's id and kind
  std::mutex mu;
  bool stopped = false;     // guarded by mu
  bool sent_any = false;    // guarded by mu
  std::uint64_t ai_id = 0;  // guarded by mu
};

std::shared_ptr<const ai::bot_settings> hub::parse_bot_settings(const store::site& s) {
  std::string error;
  auto settings = ai::make_bot_settings(opts_.ai_defaults_json, s.ai_json, error);
  if (settings) return settings;
  util::log(util::log_level::error, "assistant settings ignored",
            {{"site", s.key}, {"error", error}});
  return ai::make_bot_settings("", R"({"enabled":false})", error);
}

std::shared_ptr<const ai::bot_settings> hub::bot_settings_of(const std::string& site) {
  std::lock_guard<std::mutex> lock(assign_mu_);
  auto it = sites_.find(site);
  if (it != sites_.end() && it->second.bot) return it->second.bot;
  static const auto off = [] {
    std::string error;
    return ai::make_bot_settings("", R"({"enabled":false})", error);
  }();
  return off;
}

void hub::bot_on_visitor_message(const store::message& m, const std::string& site, int bot_turns) {
  auto s = bot_settings_of(site);
  if (!ai_ || !s->enabled) return bot_handoff(m.conv, "assistant_off");
  if (ai::asks_for_human(m.text, s->handoff_words)) return bot_handoff(m.conv, "visitor_asked");
  if (bot_turns >= s->max_bot_turns) return bot_handoff(m.conv, "max_turns");
  bot_reply(m.conv, site, m.sender_id);
}

std::vector<ai::turn> hub::load_turns(const std::string& conv, int limit) {
  std::vector<store::message> page;
  std::vector<ai::turn> out;
  if (store_.messages_before(conv, std::numeric_limits<std::uint64_t>::max(), limit, page) !=
      store::status::ok)
    return out;
  for (auto& m : page) {
    if (m.sender_kind == "visitor")
      out.push_back({ai::turn::speaker::visitor, std::move(m.text)});
    else if (m.sender_kind == "bot")
      out.push_back({ai::turn::speaker::bot, std::move(m.text)});
    else if (m.sender_kind == "agent")
      out.push_back({ai::turn::speaker::agent, std::move(m.text)});
  }
  return out;
}

void hub::bot_reply(const std::string& conv, const std::string& site, const std::string& visitor) {
  auto stream = std::make_shared<bot_stream>(*this, false, conv, site);
  stream->visitor = visitor;
  // Reading the history is a store read: off the writer thread that delivered the message.
  post_([this, stream] {
    auto s = bot_settings_of(stream->site);
    ai::chat_request req;
    req.upstream = s->upstream;
    req.site = stream->site;
    req.messages = ai::bot_prompt(*s, load_turns(stream->conv, s->history_turns));
    if (s->tool_handoff) req.tools.push_back(ai::transfer_tool());
    std::shared_ptr<bot_stream> previous;
    {
      // Registered under the shard lock, so that a state change (which takes it too) either
      // comes first and is seen here, or comes after and finds this stream to stop.
      auto& sh = shard_of(stream->conv);
      std::lock_guard<std::mutex> lock(sh.mu);
      auto it = sh.convs.find(stream->conv);
      if (it == sh.convs.end() || it->second.rec.state != "bot") return;
      std::lock_guard<std::mutex> l2(bots_mu_);
      auto& slot = bots_[stream->conv];
      previous = std::move(slot);
      slot = stream;
    }
    // A newer visitor message: the reply to the older one is no longer wanted.
    if (previous) end_stream(*previous, "superseded");
    std::uint64_t id = ai_->start(std::move(req), stream);
    bool stop_now;
    {
      std::lock_guard<std::mutex> lock(stream->mu);
      stream->ai_id = id;
      stop_now = stream->stopped;
    }
    if (stop_now) ai_->cancel(id);
  });
}

void hub::stop_bot(const std::string& conv, const char* reason) {
  std::shared_ptr<bot_stream> s;
  {
    std::lock_guard<std::mutex> lock(bots_mu_);
    auto it = bots_.find(conv);
    if (it == bots_.end()) return;
    s = std::move(it->second);
    bots_.erase(it);
  }
  end_stream(*s, reason);
}

void hub::end_stream(bot_stream& s, const char* reason) {
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopped) return;
    s.stopped = true;
    id = s.ai_id;
    if (s.sent_any) router_.send(s.visitor, make_frame(protocol::delta_end(s.conv, s.key, reason)));
  }
  if (id && ai_) ai_->cancel(id);
}

void hub::bot_finished(bot_stream& s, ai::stream_result&& r) {
  if (s.assist) {
    if (r.end == ai::stream_end::completed) record_usage(s.conv, s.site, "assist", r.usage);
    std::string error = r.end == ai::stream_end::completed   ? ""
                        : r.end == ai::stream_end::cancelled ? "cancelled"
                                                             : "unavailable";
    s.agent->send(make_frame(protocol::assist_end(s.conv, s.ref, s.key, s.kind, r.text, error)));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopped) return;  // stopped by the hub, which told the visitor
    s.stopped = true;
  }
  {
    std::lock_guard<std::mutex> lock(bots_mu_);
    auto it = bots_.find(s.conv);
    if (it != bots_.end() && it->second.get() == &s) bots_.erase(it);
  }
  if (r.end == ai::stream_end::cancelled) return;  // the client is shutting down
  auto settings = bot_settings_of(s.site);
  if (r.end == ai::stream_end::completed) {
    record_usage(s.conv, s.site, "bot", r.usage);
    bool transfer = r.tool_name == "transfer_to_human";
    bool said_something = !r.text.empty() || !r.tool_name.empty();
    if (!r.text.empty()) {
      bot_replies_++;
      {
        auto& sh = shard_of(s.conv);
        std::lock_guard<std::mutex> lock(sh.mu);
        auto it = sh.convs.find(s.conv);
        if (it != sh.convs.end()) it->second.bot_turns++;
      }
      post_message(s.conv, "bot", "bot:" + s.site, settings->bot_name, std::move(r.text), s.key);
    }
    if (transfer) return bot_handoff(s.conv, "model_asked");
    if (said_something) return;
    r.error = "empty_reply";
  }
  // Failed (or said nothing): the partial reply is not stored as if it were complete.
  bot_failures_++;
  if (r.delivered)
    router_.send(s.visitor, make_frame(protocol::delta_end(s.conv, s.key, "upstream_error")));
  // At capacity (shed by the gate) reads differently from broken.
  bool busy = r.error == "overloaded" || r.error == "queue_timeout" || r.error == "http_429";
  bot_handoff(s.conv, busy ? "assistant_busy" : "assistant_failed",
              busy ? handoff_notice::busy : handoff_notice::unavailable);
}

void hub::bot_handoff(const std::string& conv, const char* reason, handoff_notice notice) {
  effects fx;
  bool someone = false;
  std::string site;
  std::shared_ptr<const ai::bot_settings> settings;
  {
    std::lock_guard<std::mutex> lock(assign_mu_);
    auto& sh = shard_of(conv);
    std::lock_guard<std::mutex> l2(sh.mu);
    auto it = sh.convs.find(conv);
    if (it == sh.convs.end() || it->second.rec.state != "bot") return;
    auto& rec = it->second.rec;
    site = rec.site;
    rec.state = "queued";
    rec.updated_ms = util::now_ms();
    sites_[site].queue.push_back(rec.id);
    fx.queue_sites.insert(site);
    persist(rec, "", "conversation.queued", fx);
    std::string agent = pick_agent(site, rec.team);
    if (!agent.empty()) assign(it->second, agent, fx);
    someone = !agent.empty() || sites_[site].agents_online > 0;
    settings = sites_[site].bot;
  }
  if (!settings) settings = bot_settings_of("");
  bot_handoffs_++;
  util::log(util::log_level::info, "conversation handed to humans",
            {{"conv", conv}, {"site", site}, {"reason", reason}});
  // What happened, then what happens next: "the assistant failed. Connecting you..." or
  // "...nobody is online, leave a message". Stored before the state change is sent.
  std::string text = notice == handoff_notice::unavailable ? settings->unavailable_message
                     : notice == handoff_notice::busy      ? settings->busy_message
                                                           : std::string();
  const std::string& next = someone ? settings->handoff_message : settings->offline_message;
  if (!text.empty() && !next.empty()) text += ' ';
  text += next;
  post_message(conv, "system", "system", "", std::move(text), "");
  run(fx);
}

void hub::post_message(const std::string& conv, const char* kind, const std::string& sender_id,
                       const std::string& sender_name, std::string text, std::string stream) {
  store::message m;
  m.conv = conv;
  m.sender_kind = kind;
  m.sender_id = sender_id;
  m.sender_name = sender_name;
  m.text = std::move(text);
  m.ts_ms = util::now_ms();
  store_.submit(store::append_message{std::move(m)},
                [this, stream = std::move(stream)](store::write_result&& r) {
                  if (r.st != store::status::ok) {
                    util::log(util::log_level::error, "bot message not stored",
                              {{"conv", r.msg.conv}, {"status", store::to_string(r.st)}});
                    return;
                  }
                  deliver(nullptr, "", r.msg, stream);
                });
}

void hub::record_usage(const std::string& conv, const std::string& site, const char* kind,
                       const ai::token_usage& u) {
  store::ai_usage_record rec{conv, site, kind, u.prompt, u.completion, u.estimated, util::now_ms()};
  store_.submit(store::record_ai_usage{std::move(rec)}, nullptr);
}

void hub::on_assist(const client_ptr& c, const protocol::client_frame& f) {
  if (!c->is_agent()) return send_error(c, f.id, "forbidden", "agent assist is for agents");
  conv_state cs;
  std::string why;
  if (const char* code = access(c, f.conv, true, cs, why)) return send_error(c, f.id, code, why);
  auto s = bot_settings_of(cs.rec.site);
  if (!ai_ || s->upstream.base_url.empty() || s->upstream.request.model.empty())
    return send_error(c, f.id, "unavailable", "no AI upstream is configured for this site");
  assist_requests_++;
  auto stream = std::make_shared<bot_stream>(*this, true, f.conv, cs.rec.site);
  stream->agent = c;
  stream->ref = f.id;
  stream->kind = f.kind;
  post_([this, stream, s] {
    // A summary reads more of the conversation than a reply needs.
    int limit = stream->kind == "summary" ? s->history_turns * 5 : s->history_turns;
    ai::chat_request req;
    req.upstream = s->upstream;
    req.site = stream->site;
    req.messages = ai::assist_prompt(
        *s, stream->kind == "summary" ? ai::assist_kind::summary : ai::assist_kind::reply,
        load_turns(stream->conv, limit));
    std::uint64_t id = ai_->start(std::move(req), stream);
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->ai_id = id;
  });
}

}  // namespace sb::hub
