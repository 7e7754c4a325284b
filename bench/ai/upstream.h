// upstream.h — the scripted OpenAI-compatible upstream every contender talks to: HTTP/1.1 with
// keep-alive, `POST …/chat/completions` answered as an SSE stream (chunked, OpenAI's chunk
// shape) of `tokens` content chunks: the first write `first_ns` after the request arrived,
// then one every `interval_ns`, each of `burst` chunks. Each chunk's content is its own write
// time (common.h), taken just before the send() that carries it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "common.h"
#include "loop.h"

namespace aibench {

struct upstream_config {
  int tokens = 20;
  int64_t interval_ns = 1000000;
  int64_t first_ns = 2000000;  // request arrival -> first content chunk ("thinking")
  int burst = 1;               // content chunks per write (each its own SSE event)
};

struct upstream_stats {
  uint64_t requests = 0, tokens = 0, completed = 0, aborted = 0, bad_requests = 0;
  uint64_t backlogged_writes = 0;  // a write found earlier bytes still queued (reader too slow)
  size_t max_backlog_bytes = 0;
  int max_streams = 0;  // most streams open at once (a relay may queue requests: it shows here)
};

class upstream {
 public:
  // Called for every chat request with the last "bqtag-…" tag of its body (the newest user
  // message: Switchboard sends the history too) and the time the request was complete.
  using request_hook = std::function<void(std::string_view tag, int64_t arrival_ns)>;

  explicit upstream(loop& l);
  ~upstream();

  int listen_loopback();  // binds 127.0.0.1:0; returns the port
  void configure(const upstream_config& c) { cfg_ = c; }
  void set_hook(request_hook h) { hook_ = std::move(h); }

  int64_t next_due() const { return heap_.empty() ? INT64_MAX : heap_.top().due; }
  void fire_due(int64_t now);  // writes every token due by `now`
  void reap();                 // frees connections closed during the last loop turn
  int open_streams() const { return streaming_; }

  upstream_stats stats;
  samples lag;  // write time - scheduled time: how far behind the upstream runs (its own load)

  struct conn;
  struct listener;

 private:
  friend struct conn;
  friend struct listener;
  struct due_entry {
    int64_t due;
    uint32_t slot;
    uint64_t gen;
    bool operator<(const due_entry& o) const { return due > o.due; }  // min-heap
  };
  void accept_all();
  void handle_requests(conn& c);
  void start_stream(conn& c, std::string_view body, int64_t arrival);
  void write_tokens(conn& c, int64_t due);
  void finish_stream(conn& c);
  void close_conn(conn& c);

  loop& loop_;
  int lfd_ = -1;
  std::unique_ptr<listener> listener_;
  upstream_config cfg_;
  request_hook hook_;
  std::vector<std::unique_ptr<conn>> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<std::unique_ptr<conn>> graveyard_;
  std::priority_queue<due_entry> heap_;
  int streaming_ = 0;
  uint64_t next_id_ = 1;
  uint64_t gen_seq_ = 0;  // stream generations, never reused: stale heap entries stay stale
};

}  // namespace aibench
