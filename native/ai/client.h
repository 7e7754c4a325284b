// The streaming chat-completions client: one libcurl multi handle driven by its own thread, so
// no AI request ever runs on an I/O thread or the JS thread. Connections and DNS answers are
// pooled by the multi handle (keep-alive, HTTP/2 multiplexing where the upstream offers it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ai/gate.h"
#include "ai/settings.h"
#include "ai/wire.h"

namespace sb::ai {

struct chat_request {
  upstream_settings upstream;
  std::string site;  // whose request: the upstream's wait queue is fair across sites
  std::vector<chat_message> messages;
  std::vector<tool_spec> tools;
};

enum class stream_end { completed, cancelled, failed };

struct stream_result {
  stream_end end = stream_end::completed;
  /** Why it failed: connect, timeout_connect, timeout_first_token, timeout_idle, timeout_total,
   *  http_<status> (after retries when retryable), invalid_stream, upstream_error, cut;
   *  overloaded (shed by the upstream's gate: throttled, queue full, or the wait would exceed
   *  the budget) or queue_timeout (waited past the budget): the upstream is at capacity. */
  std::string error;
  std::string detail;  // human-readable, for logs and admin stats; never contains the key
  int http_status = 0;
  bool delivered = false;  // some content reached on_delta (no retry after that)
  std::string text;        // all content, as delivered
  std::string tool_name, tool_args;
  std::string finish_reason;
  token_usage usage;
  int attempts = 0;
};

/** Receives one stream's events, on the client's thread: keep them short and non-blocking. */
class stream_handler {
 public:
  virtual ~stream_handler() = default;
  /** New content; everything that arrived in one pass of the client's loop comes as one call. */
  virtual void on_delta(std::string_view text) = 0;
  /** Exactly once per started stream, cancelled ones included. */
  virtual void on_end(stream_result&& r) = 0;
};

struct client_options {
  long max_cached_connections = 1024;  // idle keep-alive connections kept for reuse
  std::size_t max_event_bytes = 1 << 20;
  std::size_t max_body_bytes = 1 << 20;  // non-streamed answers and error bodies
};

struct client_stats {
  std::vector<gate_stats> upstreams;  // one per upstream (base URL + model) used so far
  std::uint64_t active = 0;           // streams started and not ended
  std::uint64_t started = 0, completed = 0, failed = 0, cancelled = 0, retries = 0;
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
  std::string last_error;  // "<kind>: <detail>" of the latest failure, for the admin stats
};

class client {
 public:
  explicit client(client_options opts = {});
  /** Cancels every stream (their handlers hear `cancelled`) and joins the thread. */
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /** Starts a stream; returns its id (never 0). Thread-safe. */
  std::uint64_t start(chat_request req, std::shared_ptr<stream_handler> handler);
  /** Cancels every stream and stops the thread; afterwards start() ends each new stream at once
   *  as `cancelled` and cancel() does nothing. Lets the owner stop the client before the hub
   *  and store that its handlers call into, while they still hold a valid pointer to it. */
  void shutdown();
  /** Stops a stream: its upstream request is closed at once and its handler hears `cancelled`
   *  (unless it had already ended). Thread-safe; unknown ids are ignored. */
  void cancel(std::uint64_t id);
  client_stats stats() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sb::ai
