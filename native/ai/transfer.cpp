// Per-request work of the client: request setup, response classification (status, content
// type), SSE chunks to deltas, and the end-of-body rules.
#include "ai/transfer.h"

#include <string.h>
#include <strings.h>

#include <cstdlib>

#include "util/ids.h"

namespace sb::ai {

namespace {

size_t write_cb(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<transfer*>(ud);
  return t->on_body(std::string_view(p, size * n), util::mono_ms()) ? size * n : 0;
}

size_t header_cb(char* p, size_t size, size_t n, void* ud) {
  static_cast<transfer*>(ud)->on_header(std::string_view(p, size * n));
  return size * n;
}

/** Retry-After: delay-seconds or an HTTP date; -1 when absent or unreadable. */
std::int64_t parse_retry_after(std::string value) {
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.pop_back();
  if (value.empty()) return -1;
  char* end = nullptr;
  double secs = std::strtod(value.c_str(), &end);
  if (end && *end == '\0' && secs >= 0) return static_cast<std::int64_t>(secs * 1000);
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return -1;
  std::int64_t delta = (static_cast<std::int64_t>(when) - time(nullptr)) * 1000;
  return delta < 0 ? 0 : delta;
}

}  // namespace

transfer::transfer(std::uint64_t id_, chat_request r, std::shared_ptr<stream_handler> h,
                   const client_options& o)
    : id(id_), req(std::move(r)), handler(std::move(h)), opts(o), parser(o.max_event_bytes) {
  url = req.upstream.base_url + "/chat/completions";
  body = encode_chat_request(req.upstream.request, req.messages, req.tools, true);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: text/event-stream");
  // No "Expect: 100-continue" wait on large prompts.
  headers = curl_slist_append(headers, "Expect:");
  if (!req.upstream.api_key.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + req.upstream.api_key).c_str());
}

transfer::~transfer() { curl_slist_free_all(headers); }

void transfer::prepare(CURL* e, std::int64_t now_ms) {
  easy = e;
  attempt_ms = now_ms;
  if (!started_ms) started_ms = now_ms;
  result.attempts++;
  // What an earlier attempt read (a tool call's first fragments, a finish reason) is not part
  // of this one. Its content is: none was delivered, or there would be no retry.
  result.tool_name.clear();
  result.tool_args.clear();
  result.finish_reason.clear();
  result.usage = {};
  status = 0;
  is_sse = saw_response = saw_done = false;
  retry_after_ms = -1;
  raw.clear();
  parser.reset();
  fail_kind.clear();
  fail_detail.clear();
  const auto& up = req.upstream;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_PRIVATE, this);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(up.connect_timeout_ms));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(e, CURLOPT_USERAGENT, "switchboard");
  curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 60L);
}

void transfer::on_header(std::string_view line) {
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0)
    retry_after_ms = parse_retry_after(std::string(line.substr(name.size())));
}

void transfer::read_response() {
  if (saw_response) return;
  saw_response = true;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  char* type = nullptr;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
  is_sse = type && strcasestr(type, "text/event-stream") != nullptr;
}

bool transfer::on_body(std::string_view bytes, std::int64_t now_ms) {
  read_response();
  if (status < 200 || status >= 300 || !is_sse) {
    if (raw.size() + bytes.size() > opts.max_body_bytes) {
      fail("invalid_stream", "the answer is larger than the client accepts");
      return false;
    }
    raw.append(bytes);
    return true;
  }
  std::string content;
  bool fits = parser.feed(bytes, [&](std::string_view data) { return on_event(data, content); });
  if (!fits) fail("invalid_stream", "an event is larger than the client accepts");
  deliver(content, now_ms);
  return fail_kind.empty();
}

void transfer::on_body_end() {
  // A response with an empty body (a 429 or 401 often has one) never reached on_body.
  read_response();
  if (status < 200 || status >= 300) return;
  std::string content;
  if (is_sse) {
    parser.finish([&](std::string_view data) { return on_event(data, content); });
  } else {
    chunk c;
    if (!decode_completion(raw, c)) return fail("invalid_stream", "the answer is not JSON");
    if (!c.error.empty()) return fail("upstream_error", c.error);
    content = std::move(c.content);
    result.tool_name = std::move(c.tool_name);
    result.tool_args = std::move(c.tool_args);
    result.finish_reason = c.finish_reason.empty() ? "stop" : c.finish_reason;
    if (c.has_usage) result.usage = c.usage;
  }
  deliver(content, util::mono_ms());
}

bool transfer::on_event(std::string_view data, std::string& content) {
  if (!fail_kind.empty()) return false;
  if (data == "[DONE]") {
    saw_done = true;
    return true;
  }
  chunk c;
  if (!decode_chunk(data, c)) {
    fail("invalid_stream", "a streamed chunk is not JSON");
    return false;
  }
  if (!c.error.empty()) {
    fail("upstream_error", c.error);
    return false;
  }
  content += c.content;
  if (!c.tool_name.empty()) result.tool_name = c.tool_name;
  result.tool_args += c.tool_args;
  if (!c.finish_reason.empty()) result.finish_reason = c.finish_reason;
  if (c.has_usage) result.usage = c.usage;
  return true;
}

void transfer::deliver(const std::string& content, std::int64_t now_ms) {
  if (content.empty()) return;
  last_token_ms = now_ms;
  if (!result.delivered) first_token_ms = now_ms;
  result.delivered = true;
  result.text += content;
  if (pending.empty() && dirty) dirty->push_back(id);
  pending += content;
}

}  // namespace sb::ai
