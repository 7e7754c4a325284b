// The conversation hub: sites, visitors, agents, conversations, the waiting queue, automatic
// assignment and the routing of every protocol frame. Called from any I/O thread; the message
// path takes only the lock of one conversation shard, never a global lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ai/client.h"
#include "ai/prompt.h"
#include "ai/settings.h"
#include "hub/admission.h"
#include "hub/client.h"
#include "hub/router.h"
#include "hub/tokens.h"
#include "protocol/client_frame.h"
#include "store/store.h"

namespace sb::hub {

struct hub_options {
  std::size_t max_queue_items = 200;        // items per queue frame sent to agents
  std::size_t history_page = 200;           // store page size for resume replays
  std::uint64_t max_store_backlog = 50000;  // queued writes before reads pause
  std::string ai_defaults_json;             // config `ai` (JSON object): every site's defaults
  std::string rate_limits_json;             // config `rateLimits` (JSON object): the defaults
  admission_options admission;
};

/** What the embedding layer (the JS API) hears about. */
struct hub_event {
  std::string type;  // conversation.opened|assigned|queued|closed, message
  std::string conv, site, visitor, agent;
  store::message msg;  // type == "message"
};

class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual void emit(hub_event&& e) = 0;
  /** Message events are produced only when somebody listens (they cost a copy each). */
  virtual bool wants_messages() const = 0;
};

struct peer_info {
  std::string origin;  // the WebSocket handshake's Origin header, empty if none
  std::string remote;  // "ip:port"
};

struct hello_outcome {
  client_ptr client;  // null when refused
  std::uint16_t close_code = 0;
  std::string close_reason;
};

struct hub_stats {
  std::uint64_t connections = 0;
  std::uint64_t visitors_connected = 0;
  std::uint64_t agents_connected = 0;
  std::uint64_t conversations_open = 0;
  std::uint64_t queued = 0;
  std::uint64_t messages_acked = 0;
  std::uint64_t messages_failed = 0;
  std::uint64_t bot_streams = 0;   // bot replies being generated now
  std::uint64_t bot_replies = 0;   // stored bot replies since start
  std::uint64_t bot_failures = 0;  // replies the upstream did not finish
  std::uint64_t bot_handoffs = 0;  // conversations the bot handed to humans
  std::uint64_t assist_requests = 0;
};

class hub {
 public:
  /** `post` runs work off the store's writer thread (gap backfills read the store). */
  using executor = std::function<void(std::function<void()>)>;

  hub(hub_options opts, store::store& st, router& rt, event_sink* events);
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  /** Loads sites, agents and open conversations; creates the `demo` site and the token secret
   *  on first start. */
  store::status start(std::string& error);
  void set_executor(executor post) { post_ = std::move(post); }
  /** The AI client for bot replies and agent assist (owned by the caller, outlives the hub);
   *  without one the assistant is off everywhere. */
  void set_ai(ai::client* c) { ai_ = c; }

  // Transport entry points, from any I/O thread.
  hello_outcome hello(const std::shared_ptr<connection>& conn, protocol::client_frame& f,
                      const peer_info& peer);
  void on_frame(const client_ptr& c, protocol::client_frame& f);
  void goodbye(const client_ptr& c);

  // Admin entry points (the binding), from any thread. Durable on return.
  store::status put_site(const store::site& s);
  store::status put_agent(const store::agent& a);
  std::string sign_agent_token(const std::string& agent_id, std::int64_t ttl_s);
  /** For the admin API: the same check an agent's hello gets. */
  token_error verify_agent_token(std::string_view token, std::string& agent_id) const;
  hub_stats stats();
  admission& admit() { return admit_; }
  /** Rate limits for a login attempt (from the admin API): by address and by account. */
  limiter::decision check_login(std::string_view remote, std::string_view account);
  /** True while the store has more writes waiting than it should: transports then stop reading
   *  for a moment, so that a flood turns into TCP back-pressure instead of memory. */
  bool backlogged() const { return store_.stats().writes_queued > opts_.max_store_backlog; }

 private:
  struct conv_state {
    store::conversation rec;
    std::string visitor_name;
    std::string preview;  // latest visitor text, shown in the queue
    int bot_turns = 0;    // bot replies since the conversation opened (or the server started)
  };
  struct conv_shard {
    std::mutex mu;
    std::unordered_map<std::string, conv_state> convs;  // guarded by mu
  };
  struct agent_state {
    store::agent rec;
    int connections = 0;
    bool away = false;
    int active = 0;  // open conversations assigned to this agent
  };
  struct site_state {
    store::site rec;
    std::deque<std::string> queue;  // waiting conversation ids, oldest first
    int agents_online = 0;
    std::shared_ptr<const ai::bot_settings> bot;  // never null once loaded
    std::shared_ptr<const rate_rules> limits;     // never null once loaded
  };

  conv_shard& shard_of(const std::string& conv) {
    return shards_[std::hash<std::string>{}(conv) % shards_.size()];
  }
  bool conv_snapshot(const std::string& id, conv_state& out);

  // hub.cpp
  hello_outcome hello_visitor(const std::shared_ptr<connection>& conn, protocol::client_frame& f,
                              const peer_info& peer);
  hello_outcome hello_agent(const std::shared_ptr<connection>& conn, protocol::client_frame& f);
  void send_error(const client_ptr& c, const std::string& ref, const char* code,
                  const std::string& message, std::optional<std::int64_t> retry_after_ms = {});

  // hub_messages.cpp
  void on_send(const client_ptr& c, protocol::client_frame& f);
  void on_typing(const client_ptr& c, const protocol::client_frame& f);
  void on_read(const client_ptr& c, const protocol::client_frame& f);
  void on_history(const client_ptr& c, const protocol::client_frame& f);
  void on_committed(const client_ptr& sender, const std::string& ref, store::write_result&& r);
  /** After commit: updates the hub's view, acks the sender (if any), then delivers `m` to the
   *  conversation's participants; a visitor's message to the bot starts the bot's reply. */
  void deliver(const client_ptr& sender, const std::string& ref, const store::message& m,
               const std::string& stream);
  void backfill(const client_ptr& c);
  void request_backfill(const client_ptr& c, const std::string& conv);
  /** May `c` act on `conv`? Its visitor and its assigned agent may; with `peek`, any agent of
   *  its site too. Returns nullptr and fills `out`, or an error code and `why`. */
  const char* access(const client_ptr& c, const std::string& conv, bool peek, conv_state& out,
                     std::string& why);
  bool may_access(const client_ptr& c, const std::string& conv, bool peek, conv_state& out) {
    std::string why;
    return access(c, conv, peek, out, why) == nullptr;
  }

  // hub_bot.cpp
  class bot_stream;
  friend class bot_stream;
  /** The site's assistant settings (never null). */
  void keep_ai_key(store::site& s);
  std::shared_ptr<const rate_rules> parse_site_limits(const store::site& s);
  std::shared_ptr<const rate_rules> rules_of(const client& c);
  /** Rate-limits one event of `c`; on refusal sends `rate_limited` (ref `ref`) and closes the
   *  connection with 4429 when it keeps flooding. True when allowed. */
  bool admit(const client_ptr& c, action a, const std::string& ref);
  /** The server is near saturation: new connections and conversations wait. */
  bool saturated();
  std::shared_ptr<const ai::bot_settings> bot_settings_of(const std::string& site);
  std::shared_ptr<const ai::bot_settings> parse_bot_settings(const store::site& s);
  void bot_on_visitor_message(const store::message& m, const std::string& site, int bot_turns);
  void bot_reply(const std::string& conv, const std::string& site, const std::string& visitor);
  void bot_finished(bot_stream& s, ai::stream_result&& r);
  /** Moves a conversation from the bot to the humans' queue, with a system message saying so
   *  (`text`, or the offline text when no agent is online). */
  /** bot -> queued (assigned at once if an agent is free), with a system message saying so. */
  enum class handoff_notice { none, unavailable, busy };
  void bot_handoff(const std::string& conv, const char* reason,
                   handoff_notice notice = handoff_notice::none);
  /** Stops the bot's reply in flight for `conv`, if any: delta-end, upstream closed. */
  void stop_bot(const std::string& conv, const char* reason);
  /** Stops a reply stream once: delta-end to the visitor if it saw any, upstream cancelled. */
  void end_stream(bot_stream& s, const char* reason);
  /** Stores a bot or system message and delivers it after commit. */
  void post_message(const std::string& conv, const char* kind, const std::string& sender_id,
                    const std::string& sender_name, std::string text, std::string stream);
  std::vector<ai::turn> load_turns(const std::string& conv, int limit);
  void record_usage(const std::string& conv, const std::string& site, const char* kind,
                    const ai::token_usage& u);
  void on_assist(const client_ptr& c, const protocol::client_frame& f);

  // hub_conversations.cpp
  /** The visitor's open conversation, opened (and assigned or queued) if there is none. */
  std::string open_or_get_conversation(const client_ptr& visitor);
  /** With assign_mu_ and the conversation's shard held, calls `act(state, shard_lock, fx)`
   *  (not_found when it is not open), then carries out the collected effects. */
  template <class Act>
  void change_conversation(const client_ptr& c, const std::string& conv, Act&& act);
  void on_accept(const client_ptr& c, const protocol::client_frame& f);
  void on_transfer(const client_ptr& c, const protocol::client_frame& f);
  void on_close(const client_ptr& c, const protocol::client_frame& f);
  void on_handoff(const client_ptr& c, const protocol::client_frame& f);
  void on_status(const client_ptr& c, const protocol::client_frame& f);
  void agent_connected(const client_ptr& c);
  void agent_disconnected(const client_ptr& c);
  // The following run with assign_mu_ held and collect work to do after unlocking.
  struct effects;
  std::string pick_agent(const std::string& site, const std::string& team);
  void assign(conv_state& cs, const std::string& agent_id, effects& fx);
  void drain_queues(const std::vector<std::string>& sites, effects& fx);
  void refresh_presence(const std::vector<std::string>& sites, effects& fx);
  void persist(const store::conversation& rec, const std::string& old_agent, const char* event,
               effects& fx);
  void queue_changed(const std::string& site, effects& fx);
  void run(effects& fx);
  frame_ptr conv_frame(const store::conversation& rec);  // assign_mu_ held
  /** The site's queue frame (takes assign_mu_); also lists the site's connected agents when
   *  `agents` is given. Null for an unknown site. */
  frame_ptr queue_frame(const std::string& site, std::vector<std::string>* agents);
  /** Sends the site's queue to its connected agents. */
  void notify_queue(const std::string& site);
  bool serves(const agent_state& a, const std::string& site) const;
  void send_agent_snapshot(const client_ptr& agent);

  hub_options opts_;
  store::store& store_;
  router& router_;
  event_sink* events_;
  executor post_;
  std::unique_ptr<token_service> tokens_;

  std::array<conv_shard, 64> shards_;

  // Assignment state: changes on conversation open/assign/close and agent presence, never on
  // the per-message path. Lock order: assign_mu_, then a conversation shard.
  std::mutex assign_mu_;
  std::unordered_map<std::string, agent_state> agents_;
  std::unordered_map<std::string, site_state> sites_;
  std::unordered_map<std::string, std::string> open_conv_by_visitor_;

  std::atomic<std::uint64_t> visitors_connected_{0};
  std::atomic<std::uint64_t> agents_connected_{0};
  std::atomic<std::uint64_t> messages_acked_{0};
  std::atomic<std::uint64_t> messages_failed_{0};

  admission admit_;
  std::shared_ptr<const rate_rules> rate_defaults_;  // never null
  std::atomic<std::uint64_t> rules_version_{1};      // bumped when a site's limits change

  ai::client* ai_ = nullptr;
  std::mutex bots_mu_;
  std::unordered_map<std::string, std::shared_ptr<bot_stream>> bots_;  // conv -> reply in flight
  std::atomic<std::uint64_t> bot_replies_{0}, bot_failures_{0}, bot_handoffs_{0};
  std::atomic<std::uint64_t> assist_requests_{0};
};

}  // namespace sb::hub
