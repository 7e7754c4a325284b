// One chat-completions request as the client's thread drives it: the curl easy handle's
// callbacks, the SSE parser, what has been delivered, and the retry bookkeeping. Used only on
// the client's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "ai/client.h"
#include "ai/sse_parser.h"

namespace sb::ai {

struct transfer {
  transfer(std::uint64_t id, chat_request req, std::shared_ptr<stream_handler> handler,
           const client_options& opts);
  ~transfer();
  transfer(const transfer&) = delete;
  transfer& operator=(const transfer&) = delete;

  /** Sets up `easy` for the next attempt (the handle may be a reused one). */
  void prepare(CURL* easy, std::int64_t now_ms);

  /** curl's write callback: body bytes. False aborts the transfer (fail_kind says why). */
  bool on_body(std::string_view bytes, std::int64_t now_ms);
  /** curl's header callback: one header line. */
  void on_header(std::string_view line);
  /** After a clean end of the body: reads what the parser still holds. */
  void on_body_end();
  /** Records a failure found in a callback; the transfer is then aborted. */
  void fail(const char* kind, std::string detail) {
    if (fail_kind.empty()) fail_kind = kind, fail_detail = std::move(detail);
  }
  bool stream_complete() const { return saw_done || !result.finish_reason.empty(); }

  const std::uint64_t id;
  const chat_request req;
  const std::shared_ptr<stream_handler> handler;
  const client_options& opts;
  std::string url, body;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;  // while an attempt runs

  std::int64_t started_ms = 0;      // first attempt
  std::int64_t attempt_ms = 0;      // this attempt
  std::int64_t last_token_ms = 0;   // latest content
  std::int64_t first_token_ms = 0;  // first content of the attempt that delivered it
  // Content not yet handed to the handler: the client flushes it once per loop pass, so that
  // chunks arriving together become one delta (one frame to the visitor) instead of many.
  std::string pending;
  std::vector<std::uint64_t>* dirty = nullptr;  // the client's list of transfers with pending
  void flush() {
    if (pending.empty()) return;
    handler->on_delta(pending);
    pending.clear();
  }
  bool waiting = false;     // between attempts
  std::int64_t due_ms = 0;  // when waiting: next attempt

  // Admission at the upstream's gate (ai/gate.h).
  gate* gate_of = nullptr;
  bool queued = false;       // waiting for a slot
  bool holding = false;      // holds a slot
  std::int64_t slot_ms = 0;  // when it took the slot

  // Per attempt.
  long status = 0;
  bool is_sse = false;
  bool saw_response = false;
  bool saw_done = false;
  std::int64_t retry_after_ms = -1;
  std::string raw;  // error body, or a whole non-streamed answer
  sse_parser parser;
  std::string fail_kind, fail_detail;

  stream_result result;

 private:
  /** Reads the status and content type, once per attempt, when the response is first seen. */
  void read_response();
  /** One SSE event's data; false stops parsing (failure recorded). */
  bool on_event(std::string_view data, std::string& content);
  void deliver(const std::string& content, std::int64_t now_ms);
};

}  // namespace sb::ai
