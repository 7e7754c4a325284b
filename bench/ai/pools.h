// pools.h — the two kinds of client aibench drives through the same phases: visitors over
// Switchboard's WebSocket protocol (hello, send, delta…, final msg) and plain HTTP clients of
// an OpenAI-compatible SSE endpoint (the upstream itself, or a gateway in front of it).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loop.h"
#include "recorder.h"

namespace aibench {

class client_pool {
 public:
  virtual ~client_pool() = default;
  virtual void open(int n) = 0;                   // starts connecting n clients
  virtual void request(int i, int64_t now) = 0;   // one chat request, tagged bqtag-<i>-<n>
  virtual void flush() = 0;                       // writes queued bytes (end of a loop turn)
  virtual void reap() = 0;                        // frees clients closed in the last turn
  virtual void close_all() = 0;

  int size() const { return int(replies.size()); }
  int ready = 0;   // connected (WebSocket: welcomed) and not closed
  int closed = 0;  // closed for any reason after opening
  std::vector<reply_state> replies;  // index = client
  std::function<void(int)> on_reply_done;
  recorder* rec = nullptr;
  int expected_tokens = 0;
};

struct target {
  sockaddr_in addr{};
  std::string host_port;  // for Host headers
  std::string path;       // /ws, or the chat-completions path
  std::vector<std::string> headers;  // extra HTTP headers (SSE): "name: value"
};

std::unique_ptr<client_pool> make_ws_pool(loop& l, const target& t);
std::unique_ptr<client_pool> make_sse_pool(loop& l, const target& t);

// The text every request carries: its tag first, so the upstream finds it in any prompt.
std::string request_text(int i, uint32_t n);

}  // namespace aibench
