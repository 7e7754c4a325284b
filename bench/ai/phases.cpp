// phases.cpp — ttft, rate and memory (see phases.h). Every phase opens its own clients, points
// the upstream's request hook at them (to time the request leg), and closes them at the end.
#include "phases.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>

namespace aibench {

void bench::turn(int max_wait_ms) {
  lp.wake_at(up.next_due());
  lp.run_once(max_wait_ms);
  up.fire_due(now_ns());
  if (pool) pool->flush();
  up.reap();
  if (pool) pool->reap();
}

namespace {

double self_cpu_seconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

upstream_config config_of(const command& c) {
  upstream_config u;
  u.tokens = int(c.num("tokens", 20));
  u.interval_ns = int64_t(c.num("interval_us", 1000) * 1000);
  u.first_ns = int64_t(c.num("first_us", 2000) * 1000);
  u.burst = std::max(1, int(c.num("burst", 1)));
  return u;
}

// A phase's clients and recorder; undoes the hook and closes the clients when it goes.
struct session {
  bench& b;
  recorder rec;
  std::unique_ptr<client_pool> pool;
  uint64_t unmatched = 0;  // requests the upstream saw that no open reply was waiting for
  std::string error;

  session(bench& bb, const command& c, int expected_tokens) : b(bb) {
    target t;
    t.addr.sin_family = AF_INET;
    t.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = int(c.num("port", 0));
    t.addr.sin_port = htons(uint16_t(port));
    t.host_port = "127.0.0.1:" + std::to_string(port);
    bool ws = c.str("kind", "ws") == "ws";
    t.path = c.str("path", ws ? "/ws" : "/v1/chat/completions");
    for (int k = 1; k <= 8; ++k) {  // h1=name:value … (values without spaces)
      std::string h = c.str(("h" + std::to_string(k)).c_str());
      size_t colon = h.find(':');
      if (colon != std::string::npos) t.headers.push_back(h.substr(0, colon) + ": " + h.substr(colon + 1));
    }
    pool = ws ? make_ws_pool(b.lp, t) : make_sse_pool(b.lp, t);
    pool->rec = &rec;
    pool->expected_tokens = expected_tokens;
    b.pool = pool.get();
    b.rec = &rec;
    b.up.set_hook([this](std::string_view tag, int64_t at) { on_request(tag, at); });
  }

  ~session() {
    pool->close_all();
    b.idle_for(0.3);  // let the server and the upstream see the closes
    b.up.set_hook(nullptr);
    b.pool = nullptr;
    b.rec = nullptr;
  }

  void on_request(std::string_view tag, int64_t at) {
    // tag = bqtag-<client>-<request number>
    int i = std::atoi(std::string(tag.substr(tag.find('-') + 1)).c_str());
    size_t dash = tag.rfind('-');
    uint32_t n = uint32_t(std::strtoul(std::string(tag.substr(dash + 1)).c_str(), nullptr, 10));
    if (tag.empty() || i < 0 || i >= pool->size() || !pool->replies[size_t(i)].active ||
        pool->replies[size_t(i)].n != n) {
      if (unmatched++ < 3) rec.note("request with no reply waiting for it: tag '" + std::string(tag) + "'");
      return;
    }
    rec.on_arrival(pool->replies[size_t(i)], at);
  }

  bool connect(int n, double timeout_s) {
    pool->open(n);
    b.run_until([&] { return pool->ready + pool->closed >= n; }, timeout_s);
    if (pool->ready < n)
      error = std::to_string(pool->ready) + " of " + std::to_string(n) + " clients connected";
    return error.empty();
  }

  std::string common_json() {
    std::string notes = "[";
    for (size_t k = 0; k < rec.notes.size(); ++k) {
      std::string s;
      for (char ch : rec.notes[k]) s += (ch == '"' || ch == '\\') ? '\'' : (ch < 0x20 ? ' ' : ch);
      notes += (k ? ",\"" : "\"") + s + "\"";
    }
    notes += "]";
    char b1[640];
    const upstream_stats& u = b.up.stats;
    std::snprintf(b1, sizeof b1,
                  "\"replies\":%llu,\"short_replies\":%llu,\"tokens\":%llu,\"frames\":%llu,"
                  "\"disorder\":%llu,\"bad_text\":%llu,\"unmatched_requests\":%llu,\"clients_lost\":%d,"
                  "\"upstream\":{\"requests\":%llu,\"tokens\":%llu,\"aborted\":%llu,\"bad_requests\":%llu,"
                  "\"backlogged_writes\":%llu,\"max_backlog_bytes\":%zu,\"max_streams\":%d}",
                  (unsigned long long)rec.replies, (unsigned long long)rec.short_replies,
                  (unsigned long long)rec.tokens, (unsigned long long)rec.frames,
                  (unsigned long long)rec.disorder, (unsigned long long)rec.bad_text,
                  (unsigned long long)unmatched, pool->closed, (unsigned long long)u.requests,
                  (unsigned long long)u.tokens, (unsigned long long)u.aborted,
                  (unsigned long long)u.bad_requests, (unsigned long long)u.backlogged_writes,
                  u.max_backlog_bytes, u.max_streams);
    return std::string(b1) + ",\"upstream_lag\":" + b.up.lag.json() + ",\"notes\":" + notes;
  }
};

std::string err_json(const std::string& phase, const std::string& e) {
  return "{\"phase\":\"" + phase + "\",\"error\":\"" + e + "\"}";
}

}  // namespace

// Low concurrency: `conns` clients each send, wait for the whole reply, send again, until
// `requests` replies; the first `warmup` are not sampled.
std::string run_ttft(bench& b, const command& c) {
  upstream_config cfg = config_of(c);
  b.up.stats = {};
  b.up.lag.clear();
  b.up.configure(cfg);
  session s(b, c, cfg.tokens);
  int conns = int(c.num("conns", 8)), total = int(c.num("requests", 2000)), warmup = int(c.num("warmup", 100));
  if (!s.connect(conns, 30)) return err_json("ttft", s.error);
  int issued = 0, done = 0;
  auto issue = [&](int i) {
    if (issued >= total) return;
    s.pool->request(i, now_ns());
    s.pool->replies[size_t(i)].measured = issued >= warmup;
    issued++;
  };
  s.pool->on_reply_done = [&](int i) {
    done++;
    issue(i);
  };
  int64_t t0 = now_ns();
  for (int i = 0; i < conns; ++i) issue(i);
  bool ok = b.run_until([&] { return done >= total || s.pool->ready == 0; }, c.num("timeout_s", 120), 20);
  double elapsed = double(now_ns() - t0) / 1e9;
  s.pool->on_reply_done = nullptr;
  char head[256];
  std::snprintf(head, sizeof head, "{\"phase\":\"ttft\",\"conns\":%d,\"requests\":%d,\"completed\":%d,\"timed_out\":%s,\"elapsed_s\":%.2f,",
                conns, total, done, ok ? "false" : "true", elapsed);
  return std::string(head) + "\"first_token\":" + s.rec.first_token.json() +
         ",\"later_tokens\":" + s.rec.later_tokens.json() + ",\"request_leg\":" + s.rec.request_leg.json() +
         ",\"added_total\":" + s.rec.added_total.json() + "," + s.common_json() + "}";
}

// Every client asks `rounds` short questions (2 tokens, first one after `first_ns`), one after
// the other. A relay with an adaptive concurrency limit (Switchboard's AI gate) learns the
// upstream's capacity from such round trips; the measured workloads start after it.
bool prewarm(bench& b, session& s, int rounds, int64_t first_ns, double timeout_s) {
  if (rounds <= 0) return true;
  b.up.configure({2, 1000000, first_ns, 1});
  int expected = s.pool->expected_tokens;
  s.pool->expected_tokens = 2;
  std::vector<int> left(size_t(s.pool->size()), rounds);
  int done = 0;
  s.pool->on_reply_done = [&](int i) {
    if (--left[size_t(i)] > 0) s.pool->request(i, now_ns());
    else done++;
  };
  for (int i = 0; i < s.pool->size(); ++i) s.pool->request(i, now_ns());
  bool ok = b.run_until([&] { return done >= s.pool->size(); }, timeout_s);
  s.pool->on_reply_done = nullptr;
  s.pool->expected_tokens = expected;
  return ok;
}

// Many streams: after `prewarm` short rounds, `conns` clients start over `ramp_s` and ask
// again as soon as a reply ends; tokens read during [warmup_s, warmup_s + duration_s) are
// counted, and the server's CPU time (from /proc/<server_pid>/stat) over the same window.
std::string run_rate(bench& b, const command& c) {
  upstream_config cfg = config_of(c);
  b.up.stats = {};
  b.up.lag.clear();
  session s(b, c, cfg.tokens);
  int conns = int(c.num("conns", 1000));
  int pid = int(c.num("server_pid", 0));
  if (!s.connect(conns, 60)) return err_json("rate", s.error);
  int64_t p0 = now_ns();
  if (!prewarm(b, s, int(c.num("prewarm", 5)), cfg.first_ns, 120)) return err_json("rate", "prewarm did not finish");
  double prewarm_s = double(now_ns() - p0) / 1e9;
  b.up.configure(cfg);
  b.up.stats = {};
  b.up.lag.clear();
  s.rec = recorder{};
  double ramp = c.num("ramp_s", 1), warmup = c.num("warmup_s", 3), duration = c.num("duration_s", 10);
  int64_t t0 = now_ns();
  int64_t w0 = t0 + int64_t(warmup * 1e9), w1 = w0 + int64_t(duration * 1e9);
  s.pool->on_reply_done = [&](int i) {
    if (now_ns() < w1) s.pool->request(i, now_ns());
  };
  int started = 0, open0 = 0;
  double srv0 = 0, self0 = 0, open_sum = 0;
  uint64_t up0 = 0, open_samples = 0;
  int64_t win_start = 0, win_end = 0, next_sample = 0;
  while (win_end == 0) {
    int64_t t = now_ns();
    while (started < conns && t >= t0 + int64_t(ramp * 1e9 * started / conns)) s.pool->request(started++, t);
    if (!s.rec.counting && win_start == 0 && t >= w0) {
      s.rec.counting = true;
      win_start = t;
      srv0 = pid ? proc_cpu_seconds(pid) : 0;
      self0 = self_cpu_seconds();
      up0 = b.up.stats.tokens;
      open0 = b.up.open_streams();
    } else if (s.rec.counting && t >= w1) {
      s.rec.counting = false;
      win_end = t;
    }
    if (s.rec.counting && t >= next_sample) {  // streams open at the upstream, every 10 ms
      open_sum += b.up.open_streams();
      open_samples++;
      next_sample = t + 10000000;
    }
    if (s.pool->ready == 0) return err_json("rate", "every client was closed");
    b.turn(1);
  }
  double win = double(win_end - win_start) / 1e9;
  double srv = pid ? (proc_cpu_seconds(pid) - srv0) / win : -1;
  double self = (self_cpu_seconds() - self0) / win;
  double up_rate = double(b.up.stats.tokens - up0) / win;
  // What the upstream would send if every stream were always open: a reply takes the first
  // delay plus one interval per further write.
  double reply_s = (double(cfg.first_ns) + double((cfg.tokens + cfg.burst - 1) / cfg.burst - 1) * double(cfg.interval_ns)) / 1e9;
  s.pool->on_reply_done = nullptr;
  char head[768];
  std::snprintf(head, sizeof head,
                "{\"phase\":\"rate\",\"conns\":%d,\"prewarm_s\":%.2f,\"offered_tokens_per_s\":%.0f,\"window_s\":%.2f,"
                "\"streams_open_start\":%d,\"streams_open_avg\":%.0f,\"streams_open_end\":%d,"
                "\"tokens_per_s\":%.0f,\"frames_per_s\":%.0f,\"tokens_per_frame\":%.2f,"
                "\"upstream_tokens_per_s\":%.0f,\"server_cpu\":%.3f,\"aibench_cpu\":%.3f,",
                conns, prewarm_s, conns * cfg.tokens / reply_s, win, open0,
                open_samples ? open_sum / double(open_samples) : 0.0, b.up.open_streams(),
                double(s.rec.window_tokens) / win, double(s.rec.window_frames) / win,
                s.rec.window_frames ? double(s.rec.window_tokens) / double(s.rec.window_frames) : 0.0,
                up_rate, srv, self);
  return std::string(head) + "\"token_latency\":" + s.rec.later_tokens.json() +
         ",\"first_token\":" + s.rec.first_token.json() + "," + s.common_json() + "}";
}

// Memory: `conns` visitors each finish `prewarm` short replies (the baseline holds visitors,
// conversations, pooled upstream connections and a learned concurrency limit), then each opens
// a reply that trickles one token per `slow_ms`; RSS of `server_pid` is read after `settle_s`
// at both points.
std::string run_memory(bench& b, const command& c) {
  int conns = int(c.num("conns", 1000)), pid = int(c.num("server_pid", 0));
  double settle = c.num("settle_s", 2);
  b.up.stats = {};
  b.up.lag.clear();
  session s(b, c, 2);
  // A Node relay's garbage would blur the difference: with gc=1 the relay is asked to collect
  // it (SIGUSR2, handled by the bench's server scripts) before each reading.
  auto rss = [&] {
    for (int k = 0; k < 2 && c.num("gc", 0) > 0; ++k) {  // twice: V8 frees pages lazily
      kill(pid, SIGUSR2);
      b.idle_for(0.7);
    }
    return proc_rss_bytes(pid);
  };
  int64_t rss_start = rss();
  if (!s.connect(conns, 60)) return err_json("memory", s.error);
  // The same 50 ms to the first token as a fast model: an adaptive limit keyed on it sees
  // little jitter (with 1 ms it would, and would stay small).
  int64_t first_ns = int64_t(c.num("first_us", 50000) * 1000);
  if (!prewarm(b, s, std::max(1, int(c.num("prewarm", 5))), first_ns, 120))
    return err_json("memory", "first replies did not finish");
  b.idle_for(settle);
  int64_t rss_base = rss();
  upstream_config slow{1000000, int64_t(c.num("slow_ms", 1000) * 1e6), first_ns, 1};
  b.up.configure(slow);
  s.pool->expected_tokens = slow.tokens;
  for (int i = 0; i < conns; ++i) s.pool->request(i, now_ns());
  auto first_tokens = [&] {
    int n = 0;
    for (auto& r : s.pool->replies) n += r.active && r.tokens > 0;
    return n;
  };
  bool all = b.run_until([&] { return first_tokens() >= conns; }, c.num("open_timeout_s", 20));
  b.idle_for(settle);
  int64_t rss_open = rss();
  int streaming = b.up.open_streams(), reading = first_tokens();
  s.pool->on_reply_done = nullptr;
  char head[512];
  std::snprintf(head, sizeof head,
                "{\"phase\":\"memory\",\"conns\":%d,\"all_streaming\":%s,\"streams_reading\":%d,"
                "\"upstream_streams_open\":%d,\"rss_start\":%lld,\"rss_baseline\":%lld,\"rss_streams_open\":%lld,"
                "\"bytes_per_stream\":%.0f,\"bytes_per_idle_visitor\":%.0f,",
                conns, all ? "true" : "false", reading, streaming, (long long)rss_start,
                (long long)rss_base, (long long)rss_open,
                reading ? double(rss_open - rss_base) / reading : 0.0,
                double(rss_base - rss_start) / conns);
  return std::string(head) + s.common_json() + "}";
}

}  // namespace aibench
