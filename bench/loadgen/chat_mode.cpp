// chat_mode.cpp — `loadgen chat P`: P agents then P visitors connect; each visitor opens a
// conversation (auto-assigned 1:1 to an agent), then both sides keep K messages in flight for
// warmup + duration seconds. Reports throughput, ack and delivery latency, its own CPU use,
// and correctness (per-connection seq strictly +1, nothing lost) as one JSON object.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "json_fields.h"
#include "latency.h"
#include "net_loop.h"
#include "options.h"

namespace loadgen {
namespace {

struct peer {
  bool agent = false;
  bool welcomed = false;
  std::string conv;
  int64_t last_seq = 0;
  int inflight = 0;
  uint64_t next_n = 0;
};

struct chat_ctx {
  const options* o = nullptr;
  net_loop* loop = nullptr;
  std::vector<std::string> tokens;
  std::vector<peer> peers;  // index = connection index: agents 0..P-1, visitors P..2P-1
  std::string padding;
  bool sending = false;
  int64_t win_start = 0, win_end = 0;
  int welcomed = 0, convs_known = 0, closed = 0, multi_assigned = 0;
  uint64_t sent = 0, acked = 0, delivered = 0, echoes = 0;
  uint64_t acked_win = 0, delivered_win = 0, msg_frames_win = 0;
  uint64_t gaps = 0, dups = 0, foreign = 0, bad_frames = 0, bad_acks = 0, error_frames = 0;
  latency_samples ack_lat, del_lat;
  std::vector<std::string> first_errors;
  std::map<int, int> close_codes;
  char buf[4096];
};

void note_error(chat_ctx& c, std::string_view what) {
  if (c.first_errors.size() < 8) c.first_errors.emplace_back(what);
}

int64_t parse_hex(std::string_view s) {
  int64_t v = 0;
  for (char ch : s) {
    int d = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + d;
  }
  return v;
}

// id = "<n hex>.<send time ns hex>"; text = "<v|a><send time ns hex> xxxx…".
void send_one(chat_ctx& c, int i) {
  peer& p = c.peers[size_t(i)];
  int64_t t = now_ns();
  int n = 0;
  if (p.conv.empty()) {
    n = std::snprintf(c.buf, sizeof c.buf, "{\"t\":\"send\",\"id\":\"%llx.%llx\",\"text\":\"%c%llx %s\"}",
                      (unsigned long long)p.next_n, (unsigned long long)t, p.agent ? 'a' : 'v',
                      (unsigned long long)t, c.padding.c_str());
  } else {
    n = std::snprintf(c.buf, sizeof c.buf,
                      "{\"t\":\"send\",\"id\":\"%llx.%llx\",\"conv\":\"%s\",\"text\":\"%c%llx %s\"}",
                      (unsigned long long)p.next_n, (unsigned long long)t, p.conv.c_str(),
                      p.agent ? 'a' : 'v', (unsigned long long)t, c.padding.c_str());
  }
  if (n <= 0 || size_t(n) >= sizeof c.buf) return;
  ++p.next_n;
  ++p.inflight;
  ++c.sent;
  c.loop->send_text(i, std::string_view(c.buf, size_t(n)));
}

void top_up(chat_ctx& c, int i) {
  peer& p = c.peers[size_t(i)];
  if (!c.sending || p.conv.empty()) return;
  while (p.inflight < c.o->inflight) send_one(c, i);
}

bool in_window(const chat_ctx& c, int64_t t) { return t >= c.win_start && t < c.win_end; }

void learn_conv(chat_ctx& c, peer& p, std::string_view conv) {
  if (conv.empty()) return;
  if (p.conv.empty()) {
    p.conv.assign(conv);
    ++c.convs_known;
  } else if (p.conv != conv) {
    ++c.multi_assigned;
  }
}

void on_msg(chat_ctx& c, int i, const frame_fields& f, int64_t now) {
  peer& p = c.peers[size_t(i)];
  if (p.conv.empty() && p.agent) learn_conv(c, p, f.conv);
  if (f.conv != p.conv) {
    ++c.foreign;
    return;
  }
  if (f.seq == p.last_seq + 1) {
    p.last_seq = f.seq;
  } else if (f.seq <= p.last_seq) {
    ++c.dups;
  } else {
    ++c.gaps;
    p.last_seq = f.seq;
  }
  if (in_window(c, now)) ++c.msg_frames_win;
  if (f.text.size() < 2) return;
  bool from_agent = f.text[0] == 'a';
  if (from_agent == p.agent) {
    ++c.echoes;  // the sender's own copy
    return;
  }
  ++c.delivered;
  if (in_window(c, now)) {
    ++c.delivered_win;
    c.del_lat.add_ns(now - parse_hex(f.text.substr(1)));
  }
}

void on_ack(chat_ctx& c, int i, const frame_fields& f, int64_t now) {
  peer& p = c.peers[size_t(i)];
  size_t dot = f.id.find('.');
  if (dot == std::string_view::npos || p.inflight <= 0) {
    ++c.bad_acks;
    return;
  }
  --p.inflight;
  ++c.acked;
  if (!p.agent) learn_conv(c, p, f.conv);
  if (in_window(c, now)) {
    ++c.acked_win;
    c.ack_lat.add_ns(now - parse_hex(f.id.substr(dot + 1)));
  }
  top_up(c, i);
}

void chat_open(void* ctx, int i) {
  auto& c = *static_cast<chat_ctx*>(ctx);
  std::string hello =
      c.peers[size_t(i)].agent
          ? "{\"t\":\"hello\",\"role\":\"agent\",\"token\":\"" + json_escape(c.tokens[size_t(i)]) + "\"}"
          : "{\"t\":\"hello\",\"role\":\"visitor\",\"site\":\"" + c.o->site + "\"}";
  c.loop->send_text(i, hello);
}

void chat_text(void* ctx, int i, std::string_view msg) {
  auto& c = *static_cast<chat_ctx*>(ctx);
  frame_fields f;
  if (!parse_frame_fields(msg, f)) {
    ++c.bad_frames;
    note_error(c, msg);
    return;
  }
  int64_t now = now_ns();
  peer& p = c.peers[size_t(i)];
  if (f.t == "msg") {
    on_msg(c, i, f, now);
  } else if (f.t == "ack") {
    on_ack(c, i, f, now);
  } else if (f.t == "conv") {
    if (p.agent && f.state == "assigned") learn_conv(c, p, f.conv);
  } else if (f.t == "welcome") {
    if (!p.welcomed) ++c.welcomed;
    p.welcomed = true;
  } else if (f.t == "error") {
    ++c.error_frames;
    note_error(c, msg);  // the send it refers to stays in flight and is reported as unacked
  }
}

void chat_closed(void* ctx, int i) {
  auto& c = *static_cast<chat_ctx*>(ctx);
  ++c.closed;
  const ws_conn& w = c.loop->conn(i);
  ++c.close_codes[w.close_code];
  if (w.close_code != 0) note_error(c, "close " + std::to_string(w.close_code) + " " + w.close_reason);
}

double cpu_seconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs the loop until `done()` or `seconds` pass; returns whether done() became true.
template <class F>
bool run_until(chat_ctx& c, const ws_events& ev, double seconds, F done) {
  int64_t end = now_ns() + int64_t(seconds * 1e9);
  while (!done()) {
    if (now_ns() >= end) return false;
    c.loop->poll_once(5, ev, &c);
  }
  return true;
}

// Opens connections [from, to) with at most max_pending unwelcomed at once.
bool connect_range(chat_ctx& c, const ws_events& ev, int from, int to) {
  int64_t end = now_ns() + int64_t(c.o->setup_timeout * 1e9);
  int next = from;
  while (c.welcomed < to) {
    if (now_ns() >= end || c.closed > 0) return false;
    while (next < to && next - c.welcomed < c.o->max_pending) {
      if (c.loop->add_conn() != next) return false;
      ++next;
    }
    c.loop->poll_once(5, ev, &c);
  }
  return true;
}

std::string report(chat_ctx& c, double setup_s, double cpu, const char* fatal) {
  const options& o = *c.o;
  double secs = o.duration;
  uint64_t unacked = 0;
  for (auto& p : c.peers) unacked += uint64_t(p.inflight > 0 ? p.inflight : 0);
  std::string errs = "[";
  for (auto& e : c.first_errors) errs += (errs.size() > 1 ? ",\"" : "\"") + json_escape(e) + "\"";
  errs += "]";
  std::string codes = "{";
  for (auto& [code, n] : c.close_codes)
    codes += (codes.size() > 1 ? ",\"" : "\"") + std::to_string(code) + "\":" + std::to_string(n);
  codes += "}";
  char head[1024];
  std::snprintf(head, sizeof head,
                "{\"mode\":\"chat\",\"pairs\":%d,\"inflight\":%d,\"duration_s\":%.1f,"
                "\"warmup_s\":%.1f,\"text_bytes\":%d,\"setup_s\":%.3f,\"fatal\":%s%s%s,"
                "\"acked_per_s\":%.0f,\"delivered_per_s\":%.0f,\"msg_frames_per_s\":%.0f,"
                "\"loadgen_cpu\":%.3f,",
                o.count, o.inflight, o.duration, o.warmup, o.size, setup_s, fatal ? "\"" : "",
                fatal ? fatal : "null", fatal ? "\"" : "", double(c.acked_win) / secs,
                double(c.delivered_win) / secs, double(c.msg_frames_win) / secs, cpu);
  char corr[768];
  std::snprintf(corr, sizeof corr,
                "\"correctness\":{\"seq_gaps\":%llu,\"seq_dups\":%llu,\"foreign_conv\":%llu,"
                "\"sent\":%llu,\"acked\":%llu,\"delivered\":%llu,\"echoes\":%llu,"
                "\"lost\":%lld,\"unacked\":%llu,\"multi_assigned\":%d,\"bad_acks\":%llu},"
                "\"errors\":{\"error_frames\":%llu,\"bad_frames\":%llu,\"closed\":%d,"
                "\"close_codes\":%s,\"first\":%s}}",
                (unsigned long long)c.gaps, (unsigned long long)c.dups,
                (unsigned long long)c.foreign, (unsigned long long)c.sent,
                (unsigned long long)c.acked, (unsigned long long)c.delivered,
                (unsigned long long)c.echoes, (long long)c.sent - (long long)c.delivered,
                (unsigned long long)unacked, c.multi_assigned, (unsigned long long)c.bad_acks,
                (unsigned long long)c.error_frames, (unsigned long long)c.bad_frames, c.closed,
                codes.c_str(), errs.c_str());
  return std::string(head) + "\"ack_ms\":" + c.ack_lat.json() +
         ",\"delivery_ms\":" + c.del_lat.json() + "," + corr;
}

}  // namespace

int run_chat(const options& o) {
  signal(SIGPIPE, SIG_IGN);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &dst.sin_addr) != 1) return 64;
  static chat_ctx c;  // large (latency vectors); one per process
  c.o = &o;
  std::ifstream tf(o.tokens);
  for (std::string line; std::getline(tf, line) && int(c.tokens.size()) < o.count;)
    if (!line.empty()) c.tokens.push_back(line);
  if (int(c.tokens.size()) < o.count) {
    std::fprintf(stderr, "loadgen: need %d agent tokens in %s, found %zu\n", o.count,
                 o.tokens.c_str(), c.tokens.size());
    return 64;
  }
  net_loop loop(dst, o.host + ":" + std::to_string(o.port), o.path, o.sources);
  c.loop = &loop;
  c.peers.resize(size_t(2 * o.count));
  for (int i = 0; i < o.count; ++i) c.peers[size_t(i)].agent = true;
  c.padding.assign(size_t(o.size > 20 ? o.size - 20 : 1), 'x');
  c.ack_lat.reserve(size_t(1) << 23);  // ~1M samples/s for 8 s before any regrowth
  c.del_lat.reserve(size_t(1) << 23);
  ws_events ev{chat_open, chat_text, chat_closed};

  int64_t t0 = now_ns();
  const char* fatal = nullptr;
  if (!connect_range(c, ev, 0, o.count)) fatal = "agents did not all get a welcome";
  if (!fatal && !connect_range(c, ev, o.count, 2 * o.count))
    fatal = "visitors did not all get a welcome";
  if (!fatal) {
    for (int i = o.count; i < 2 * o.count; ++i) send_one(c, i);
    bool ok = run_until(c, ev, o.setup_timeout,
                        [&] { return c.convs_known >= 2 * o.count || c.closed > 0; });
    if (!ok || c.closed > 0) fatal = "conversations were not all opened and assigned";
    if (c.multi_assigned > 0) fatal = "an agent was assigned more than one conversation";
  }
  double setup_s = double(now_ns() - t0) / 1e9;
  double cpu = 0;
  if (!fatal) {
    c.sending = true;
    int64_t start = now_ns();
    c.win_start = start + int64_t(o.warmup * 1e9);
    c.win_end = c.win_start + int64_t(o.duration * 1e9);
    for (int i = 0; i < 2 * o.count; ++i) top_up(c, i);
    run_until(c, ev, o.warmup, [] { return false; });
    double cpu0 = cpu_seconds();
    int64_t w0 = now_ns();
    int64_t next_tick = w0;
    for (int tick = 0; now_ns() < c.win_end && tick < 100000; ++tick) {
      if (now_ns() >= next_tick) {
        std::fprintf(stderr, "{\"tick_ns\":%lld,\"acked\":%llu,\"delivered\":%llu}\n",
                     (long long)now_ns(), (unsigned long long)c.acked,
                     (unsigned long long)c.delivered);
        next_tick += 1000000000;
      }
      run_until(c, ev, 0.05, [] { return false; });
    }
    cpu = (cpu_seconds() - cpu0) / (double(now_ns() - w0) / 1e9);
    c.sending = false;
    run_until(c, ev, o.drain, [&] {
      for (auto& p : c.peers)
        if (p.inflight > 0) return false;
      return c.delivered >= c.sent;
    });
  }
  std::printf("%s\n", report(c, setup_s, cpu, fatal).c_str());
  std::fflush(stdout);
  loop.close_all();
  return fatal ? 2 : 0;
}

}  // namespace loadgen
