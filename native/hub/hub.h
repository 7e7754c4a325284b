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

  // Transport entry points, from any I/O thread.
  hello_outcome hello(const std::shared_ptr<connection>& conn, protocol::client_frame& f,
                      const peer_info& peer);
  void on_frame(const client_ptr& c, protocol::client_frame& f);
  void goodbye(const client_ptr& c);

  // Admin entry points (the binding), from any thread. Durable on return.
  store::status put_site(const store::site& s);
  store::status put_agent(const store::agent& a);
  std::string sign_agent_token(const std::string& agent_id, std::int64_t ttl_s);
  hub_stats stats();
  /** True while the store has more writes waiting than it should: transports then stop reading
   *  for a moment, so that a flood turns into TCP back-pressure instead of memory. */
  bool backlogged() const { return store_.stats().writes_queued > opts_.max_store_backlog; }

 private:
  struct conv_state {
    store::conversation rec;
    std::string visitor_name;
    std::string preview;  // latest visitor text, shown in the queue
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
                  const std::string& message);

  // hub_messages.cpp
  void on_send(const client_ptr& c, protocol::client_frame& f);
  void on_typing(const client_ptr& c, const protocol::client_frame& f);
  void on_read(const client_ptr& c, const protocol::client_frame& f);
  void on_history(const client_ptr& c, const protocol::client_frame& f);
  void on_committed(const client_ptr& sender, const std::string& ref, store::write_result&& r);
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
};

}  // namespace sb::hub
