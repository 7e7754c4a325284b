// The client's thread: a curl multi loop that takes new and cancelled streams from an inbox,
// enforces the timeouts curl does not know (first token, idle, total) and schedules retries
// with exponential backoff and jitter, honouring Retry-After.
#include "ai/client.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <curl/curl.h>

#include "ai/prompt.h"
#include "ai/transfer.h"
#include "util/ids.h"
#include "util/log.h"

namespace sb::ai {

namespace {

/** Errors that mean the request never reached a server that answered: safe to retry. */
bool is_connect_error(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return true;
    default:
      return false;
  }
}

constexpr std::int64_t max_poll_ms = 50;    // the loop checks timers at least this often
constexpr std::int64_t scan_period_ms = 5;  // and at most this often
constexpr std::size_t max_spare_handles = 64;

}  // namespace

struct client::impl {
  explicit impl(client_options o) : opts(o), rng(std::random_device{}()) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, opts.max_cached_connections);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    shutdown();
    for (CURL* e : spare) curl_easy_cleanup(e);
    curl_multi_cleanup(multi);
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    curl_multi_wakeup(multi);
    std::lock_guard<std::mutex> lock(join_mu);
    if (thread.joinable()) thread.join();
  }
  void run();
  /** A new stream at its upstream's gate: started, queued, or shed (finished). */
  void admit(transfer& t, std::int64_t now);
  /** A retry that is due: started if a slot is free, else queued first in line. */
  void readmit(transfer& t, std::int64_t now);
  /** Gives back the slot `t` holds, telling the gate how it went. */
  void release(transfer& t, bool overloaded, std::int64_t now);
  /** Starts waiting requests while their gate has free slots. */
  void pump(gate& g, std::int64_t now);
  gate& gate_for(const transfer& t);
  void launch(transfer& t, std::int64_t now);
  void on_done(transfer& t, CURLcode code, std::int64_t now);
  void retry_or_fail(transfer& t, const char* kind, std::string detail, std::int64_t now);
  void finish(transfer& t, stream_end end, const char* kind = "", std::string detail = {});
  /** Fires due retries and timeouts; returns how long the loop may sleep. */
  std::int64_t check_timers(std::int64_t now);

  client_options opts;
  CURLM* multi = nullptr;
  std::thread thread;
  std::mutex join_mu;  // shutdown() may race with the destructor's
  std::mt19937 rng;

  mutable std::mutex mu;  // guards the inbox and st
  std::vector<std::unique_ptr<transfer>> starts;
  std::vector<std::uint64_t> cancels;
  bool stopping = false;
  client_stats st;
  std::uint64_t next_id = 1;

  // The client's thread only.
  std::unordered_map<std::uint64_t, std::unique_ptr<transfer>> live;
  std::vector<CURL*> spare;
  std::unordered_map<std::string, std::unique_ptr<gate>> gates;  // by "<base URL> <model>"
  std::int64_t stats_ms = 0;
  std::int64_t scanned_ms = 0;
  std::vector<std::uint64_t> dirty;  // streams with content to flush after this pass
};

namespace {
/** Failures that say the upstream is past its capacity: they cut the gate's limit. */
bool signals_overload(std::string_view kind) {
  return kind == "connect" || kind == "timeout_connect" || kind == "timeout_first_token" ||
         kind == "timeout_idle" || kind == "timeout_total" || kind == "http_429" ||
         (kind.size() == 8 && kind.substr(0, 6) == "http_5");
}
}  // namespace

gate& client::impl::gate_for(const transfer& t) {
  const auto& up = t.req.upstream;
  std::string key = up.base_url + " " + up.request.model;
  auto& g = gates[key];
  if (!g) {
    gate_options o;
    o.limit.max_limit = up.max_concurrency;
    o.limit.initial_limit = std::min(up.initial_concurrency, up.max_concurrency);
    o.adaptive = up.adaptive_concurrency;
    // Shown in stats and metrics: without any user:password@ in the URL.
    std::string name = key;
    auto scheme = name.find("://");
    auto at = name.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at < name.find('/', scheme + 3))
      name.erase(scheme + 3, at - scheme - 2);
    g = std::make_unique<gate>(std::move(name), o);
  }
  return *g;
}

void client::impl::admit(transfer& t, std::int64_t now) {
  gate& g = gate_for(t);
  t.gate_of = &g;
  t.started_ms = now;  // the total timeout and the wait budget count from here
  std::int64_t deadline = now + t.req.upstream.queue_timeout_ms;
  std::string why;
  switch (g.admit(t.req.site, deadline, now, why)) {
    case gate::verdict::go:
      t.holding = true;
      t.slot_ms = now;
      return launch(t, now);
    case gate::verdict::wait:
      t.queued = true;
      return g.enqueue(t.req.site, t.id, deadline, false);
    case gate::verdict::shed:
      return finish(t, stream_end::failed, "overloaded", why);
  }
}

void client::impl::readmit(transfer& t, std::int64_t now) {
  gate& g = *t.gate_of;
  if (g.try_take(t.req.site)) {
    t.holding = true;
    t.slot_ms = now;
    return launch(t, now);
  }
  // The wait budget counts from the request's start, retries included: a visitor never waits
  // for a slot longer than that in all.
  std::int64_t deadline = t.started_ms + t.req.upstream.queue_timeout_ms;
  if (deadline <= now)
    return finish(t, stream_end::failed, "queue_timeout",
                  "no slot at the upstream for the retry within the wait budget");
  t.waiting = false;
  t.queued = true;
  g.enqueue(t.req.site, t.id, deadline, true);
}

void client::impl::release(transfer& t, bool overloaded, std::int64_t now) {
  if (!t.holding) return;
  t.holding = false;
  gate& g = *t.gate_of;
  std::int64_t held = now - t.slot_ms;
  if (overloaded)
    g.overloaded(t.req.site, held, now);
  else if (t.first_token_ms)
    g.succeeded(t.req.site, t.first_token_ms - t.attempt_ms, held, now);
  else
    g.ignored(t.req.site, held);
}

void client::impl::pump(gate& g, std::int64_t now) {
  std::uint64_t id;
  while (g.next(id, now)) {
    auto it = live.find(id);
    if (it == live.end()) {
      g.ignored("", 0);  // cannot happen: finished streams leave the queue
      continue;
    }
    transfer& t = *it->second;
    t.queued = false;
    t.holding = true;
    t.slot_ms = now;
    launch(t, now);
  }
}

void client::impl::run() {
  std::int64_t sleep_ms = max_poll_ms;
  for (;;) {
    std::vector<std::unique_ptr<transfer>> new_streams;
    std::vector<std::uint64_t> cancelled;
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mu);
      new_streams.swap(starts);
      cancelled.swap(cancels);
      stop = stopping;
    }
    std::int64_t now = util::mono_ms();
    for (auto& t : new_streams) {
      t->dirty = &dirty;
      transfer& ref = *t;
      live.emplace(t->id, std::move(t));
      admit(ref, now);
    }
    for (auto id : cancelled) {
      auto it = live.find(id);
      if (it != live.end()) finish(*it->second, stream_end::cancelled);
    }
    if (stop) {
      std::vector<std::uint64_t> ids;
      for (auto& kv : live) ids.push_back(kv.first);
      for (auto id : ids) finish(*live.at(id), stream_end::cancelled);
      return;
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    // What this pass read, one delta per stream (finish() flushes its own first).
    for (auto id : dirty) {
      auto it = live.find(id);
      if (it != live.end()) it->second->flush();
    }
    dirty.clear();
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      if (t) on_done(*t, m->data.result, util::mono_ms());
    }
    // The timers walk every live stream: at most every few ms, not on every read (their
    // deadlines are seconds long).
    now = util::mono_ms();
    if (now - scanned_ms >= scan_period_ms) {
      scanned_ms = now;
      sleep_ms = std::min(check_timers(now), scan_period_ms);
    } else {
      sleep_ms = scan_period_ms - (now - scanned_ms);
    }
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(sleep_ms), nullptr);
  }
}

void client::impl::launch(transfer& t, std::int64_t now) {
  CURL* e;
  if (spare.empty()) {
    e = curl_easy_init();
  } else {
    e = spare.back();
    spare.pop_back();
    curl_easy_reset(e);
  }
  t.waiting = false;
  t.prepare(e, now);
  curl_multi_add_handle(multi, e);
}

void client::impl::on_done(transfer& t, CURLcode code, std::int64_t now) {
  if (code == CURLE_OK) t.on_body_end();
  if (!t.fail_kind.empty())
    return finish(t, stream_end::failed, t.fail_kind.c_str(), t.fail_detail);
  if (code != CURLE_OK) {
    std::string why = curl_easy_strerror(code);
    if (t.result.delivered) return finish(t, stream_end::failed, "cut", why);
    if (t.status == 0 && is_connect_error(code))
      return retry_or_fail(t, code == CURLE_OPERATION_TIMEDOUT ? "timeout_connect" : "connect", why,
                           now);
    return retry_or_fail(t, "cut", why, now);  // nothing reached the visitor yet
  }
  if (t.status == 429 || t.status >= 500) {
    std::string kind = "http_" + std::to_string(t.status);
    return retry_or_fail(t, kind.c_str(), error_message_of(t.raw), now);
  }
  if (t.status < 200 || t.status >= 300) {
    std::string kind = "http_" + std::to_string(t.status);
    return finish(t, stream_end::failed, kind.c_str(), error_message_of(t.raw));
  }
  if (!t.is_sse || t.stream_complete()) return finish(t, stream_end::completed);
  if (t.result.delivered)
    return finish(t, stream_end::failed, "cut", "the stream ended before its last chunk");
  retry_or_fail(t, "cut", "the stream ended before any content", now);
}

void client::impl::retry_or_fail(transfer& t, const char* kind, std::string detail,
                                 std::int64_t now) {
  const auto& up = t.req.upstream;
  if (t.result.attempts > up.max_retries) return finish(t, stream_end::failed, kind, detail);
  std::int64_t delay = t.retry_after_ms;
  if (delay < 0) {
    std::int64_t backoff = std::min<std::int64_t>(
        up.retry_max_ms, static_cast<std::int64_t>(up.retry_base_ms) << (t.result.attempts - 1));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    delay = static_cast<std::int64_t>(backoff * jitter(rng));
  }
  if (now + delay - t.started_ms > up.total_timeout_ms)
    return finish(t, stream_end::failed, kind, detail + " (no time left to retry)");
  // Nothing reached the visitor yet: a retry that could only start after the wait budget
  // would tell them later than promised. Hand over now instead.
  if (now + delay - t.started_ms > up.queue_timeout_ms)
    return finish(t, stream_end::failed, kind,
                  detail + " (the retry would exceed the wait budget)");
  if (t.easy) {
    curl_multi_remove_handle(multi, t.easy);
    spare.push_back(t.easy);
    t.easy = nullptr;
  }
  // The slot goes back while the retry waits; the retry queues for one like any request.
  release(t, signals_overload(kind), now);
  pump(*t.gate_of, now);
  t.result.http_status = static_cast<int>(t.status);
  t.waiting = true;
  t.due_ms = now + delay;
  std::lock_guard<std::mutex> lock(mu);
  st.retries++;
}

std::int64_t client::impl::check_timers(std::int64_t now) {
  std::int64_t sleep = max_poll_ms;
  std::vector<std::pair<transfer*, const char*>> expired;
  std::vector<transfer*> due;
  std::vector<std::uint64_t> shed;
  for (auto& kv : gates) {
    pump(*kv.second, now);  // a cooldown after an overload may have ended
    kv.second->expire(now, shed);
    auto soonest = kv.second->next_deadline();
    if (soonest >= 0) sleep = std::min(sleep, std::max<std::int64_t>(soonest - now, 1));
  }
  for (auto id : shed) {
    auto it = live.find(id);
    if (it == live.end()) continue;
    it->second->queued = false;
    finish(*it->second, stream_end::failed, "queue_timeout",
           "no slot at the upstream within the wait budget");
  }
  for (auto& kv : live) {
    transfer& t = *kv.second;
    const auto& up = t.req.upstream;
    if (t.queued) continue;  // waiting for a slot: its deadline above applies
    if (now - t.started_ms > up.total_timeout_ms) {
      expired.emplace_back(&t, "timeout_total");
    } else if (t.waiting) {
      if (t.due_ms <= now)
        due.push_back(&t);
      else
        sleep = std::min(sleep, t.due_ms - now);
    } else if (!t.result.delivered && now - t.attempt_ms > up.first_token_timeout_ms) {
      expired.emplace_back(&t, "timeout_first_token");
    } else if (t.result.delivered && now - t.last_token_ms > up.idle_timeout_ms) {
      expired.emplace_back(&t, "timeout_idle");
    }
  }
  for (auto* t : due) readmit(*t, now);
  if (now - stats_ms >= 100) {
    // The gates live on this thread; stats() reads a copy at most 100 ms old.
    stats_ms = now;
    std::vector<gate_stats> snap;
    for (auto& kv : gates) snap.push_back(kv.second->stats(now));
    std::lock_guard<std::mutex> lock(mu);
    st.upstreams = std::move(snap);
  }
  for (auto& [t, kind] : expired) finish(*t, stream_end::failed, kind, "no answer in time");
  return std::max<std::int64_t>(sleep, 1);
}

void client::impl::finish(transfer& t, stream_end end, const char* kind, std::string detail) {
  t.flush();  // content read before the end reaches the handler before on_end
  if (t.easy) {
    // Removing an unfinished transfer closes its connection: the upstream stops generating.
    curl_multi_remove_handle(multi, t.easy);
    if (spare.size() < max_spare_handles)
      spare.push_back(t.easy);
    else
      curl_easy_cleanup(t.easy);
    t.easy = nullptr;
  }
  if (t.queued) t.gate_of->drop(t.id);
  bool overload = end == stream_end::failed && signals_overload(kind);
  if (t.gate_of) release(t, overload, util::mono_ms());
  gate* g = t.gate_of;
  stream_result r = std::move(t.result);
  r.end = end;
  r.error = kind;
  r.detail = std::move(detail);
  if (t.status) r.http_status = static_cast<int>(t.status);
  if (end == stream_end::completed && !r.usage.prompt && !r.usage.completion) {
    for (const auto& m : t.req.messages) r.usage.prompt += estimate_tokens(m.content);
    r.usage.completion = estimate_tokens(r.text) + estimate_tokens(r.tool_args);
    r.usage.estimated = true;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    st.active--;
    st.prompt_tokens += r.usage.prompt;
    st.completion_tokens += r.usage.completion;
    if (end == stream_end::completed) st.completed++;
    if (end == stream_end::cancelled) st.cancelled++;
    if (end == stream_end::failed) {
      st.failed++;
      st.last_error = r.error + ": " + r.detail;
    }
  }
  if (end == stream_end::failed) {
    // Shedding at the gate is the limiter working, and comes in floods under overload: it is
    // counted in the gate's stats and logged at debug only.
    bool shed = r.error == "overloaded" || r.error == "queue_timeout";
    util::log(shed ? util::log_level::debug : util::log_level::warn, "AI request failed",
              {{"upstream", t.req.upstream.base_url},
               {"model", t.req.upstream.request.model},
               {"error", r.error},
               {"status", std::to_string(r.http_status)},
               {"detail", r.detail},
               {"attempts", std::to_string(r.attempts)},
               {"delivered", r.delivered ? "true" : "false"}});
  }
  auto handler = t.handler;
  live.erase(t.id);  // `t` is gone from here on
  if (g) pump(*g, util::mono_ms());
  handler->on_end(std::move(r));
}

client::client(client_options opts) : impl_(std::make_unique<impl>(opts)) {}
client::~client() = default;

void client::shutdown() { impl_->shutdown(); }

std::uint64_t client::start(chat_request req, std::shared_ptr<stream_handler> handler) {
  std::uint64_t id;
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    id = impl_->next_id++;
    stopped = impl_->stopping;
    impl_->st.started++;
    if (stopped) {
      impl_->st.cancelled++;
    } else {
      impl_->st.active++;
      impl_->starts.push_back(std::make_unique<transfer>(id, std::move(req), handler, impl_->opts));
    }
  }
  if (stopped) {
    // Shut down: the stream ends before it begins, still with its one on_end.
    stream_result r;
    r.end = stream_end::cancelled;
    handler->on_end(std::move(r));
    return id;
  }
  curl_multi_wakeup(impl_->multi);
  return id;
}

void client::cancel(std::uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->cancels.push_back(id);
  }
  curl_multi_wakeup(impl_->multi);
}

client_stats client::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->st;
}

}  // namespace sb::ai
