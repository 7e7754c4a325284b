// ws_pool.cpp — visitors over Switchboard's protocol v1, on the load generator's WebSocket
// client (bench/loadgen/ws_client.cpp). A reply is the deltas of one stream ended by the stored
// `msg` that carries that stream (or by a delta-end / error, counted as a short reply).
#include <sys/epoll.h>

#include <cstdio>
#include <string_view>

#include "../loadgen/json_fields.h"
#include "../loadgen/ws_client.h"
#include "common.h"
#include "pools.h"

namespace aibench {

std::string request_text(int i, uint32_t n) {
  return "bqtag-" + std::to_string(i) + "-" + std::to_string(n) + " where is my order?";
}

namespace {

class ws_pool;

struct visitor final : io_handler {
  ws_pool* pool = nullptr;
  int index = 0;
  loadgen::ws_conn c;
  bool welcomed = false, gone = false;
  void on_io(uint32_t ev) override;
};

class ws_pool final : public client_pool {
 public:
  ws_pool(loop& l, const target& t) : loop_(l), t_(t), scratch_(256 * 1024) {}
  ~ws_pool() override { close_all(); }

  void open(int n) override {
    for (int k = 0; k < n; ++k) {
      auto v = std::make_unique<visitor>();
      v->pool = this;
      v->index = int(vs_.size());
      replies.emplace_back();
      if (!loadgen::ws_connect(v->c, t_.addr, nullptr)) {
        v->gone = true;
        closed++;
      } else {
        loadgen::ws_queue_upgrade(v->c, t_.host_port, t_.path);
        loop_.add(v->c.fd, EPOLLOUT | EPOLLIN, v.get());
        v->c.want_write = true;
      }
      vs_.push_back(std::move(v));
    }
  }

  void request(int i, int64_t) override {
    visitor& v = *vs_[size_t(i)];
    if (v.gone || !v.welcomed) return;
    reply_state& r = replies[size_t(i)];
    uint32_t n = r.n + 1;
    r = reply_state{};
    r.n = n;
    r.active = true;
    char frame[160];
    std::snprintf(frame, sizeof frame, "{\"t\":\"send\",\"id\":\"r%u\",\"text\":\"%s\"}", n,
                  request_text(i, n).c_str());
    loadgen::ws_queue_text(v.c, frame);
    r.send_ns = now_ns();
    write_now(v);
  }

  void flush() override {
    for (int i : dirty_) {
      visitor& v = *vs_[size_t(i)];
      if (!v.gone) write_now(v);
    }
    dirty_.clear();
  }

  void reap() override {}  // visitors live as long as the pool; closed ones keep their slot

  void close_all() override {
    for (auto& v : vs_) {
      if (v->gone) continue;
      loop_.del(v->c.fd);
      loadgen::ws_close(v->c);
      v->gone = true;
    }
    ready = 0;
  }

  void on_io(visitor& v, uint32_t ev) {
    if (v.gone) return;
    if (v.c.state == loadgen::ws_state::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(v.c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err || (ev & (EPOLLERR | EPOLLHUP))) return lose(v, "connect failed");
      v.c.state = loadgen::ws_state::upgrading;
    }
    if (ev & EPOLLOUT) write_now(v);
    if (v.gone || !(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    read_ns_ = now_ns();  // before recv(): the bytes were there by then
    static const loadgen::ws_events events{
        [](void* ctx, int i) { static_cast<ws_pool*>(ctx)->on_open(i); },
        [](void* ctx, int i, std::string_view m) { static_cast<ws_pool*>(ctx)->on_text(i, m); },
        [](void*, int) {}};
    if (!loadgen::ws_on_readable(v.c, v.index, scratch_.data(), scratch_.size(), events, this))
      return lose(v, v.c.close_code ? "closed by server " + std::to_string(v.c.close_code) : "connection lost");
    if (!v.c.out.empty()) dirty_.push_back(v.index);  // pongs
  }

 private:
  void write_now(visitor& v) {
    if (!loadgen::ws_flush(v.c)) return lose(v, "write failed");
    bool want = !v.c.out.empty() || v.c.state == loadgen::ws_state::connecting;
    if (want != v.c.want_write) {
      loop_.mod(v.c.fd, EPOLLIN | (want ? uint32_t(EPOLLOUT) : 0u), &v);
      v.c.want_write = want;
    }
  }

  void lose(visitor& v, const std::string& why) {
    if (v.gone) return;
    rec->note("visitor " + std::to_string(v.index) + ": " + why);
    loop_.del(v.c.fd);
    loadgen::ws_close(v.c);
    v.gone = true;
    if (v.welcomed) ready--;
    closed++;
    reply_state& r = replies[size_t(v.index)];
    if (r.active) {
      rec->on_reply_end(r, expected_tokens);
      if (on_reply_done) on_reply_done(v.index);
    }
  }

  void on_open(int i) {
    loadgen::ws_queue_text(vs_[size_t(i)]->c, "{\"t\":\"hello\",\"role\":\"visitor\",\"site\":\"demo\"}");
    dirty_.push_back(i);
  }

  void on_text(int i, std::string_view m) {
    loadgen::frame_fields f;
    if (!loadgen::parse_frame_fields(m, f)) return rec->note(std::string("unparsable frame: ") + std::string(m.substr(0, 120)));
    reply_state& r = replies[size_t(i)];
    if (f.t == "delta") {
      if (r.active) rec->on_content(r, f.text, read_ns_);
    } else if (f.t == "msg") {
      // The visitor's own message comes back as a msg too; the bot's final one names its stream.
      if (r.active && m.find("\"stream\":\"") != std::string_view::npos) end_reply(i);
    } else if (f.t == "welcome") {
      visitor& v = *vs_[size_t(i)];
      if (!v.welcomed) {
        v.welcomed = true;
        ready++;
      }
    } else if (f.t == "delta-end" || f.t == "error") {
      rec->note(std::string(m.substr(0, 200)));
      if (r.active) end_reply(i);
    }
  }

  void end_reply(int i) {
    rec->on_reply_end(replies[size_t(i)], expected_tokens);
    if (on_reply_done) on_reply_done(i);
  }

  loop& loop_;
  target t_;
  std::vector<std::unique_ptr<visitor>> vs_;
  std::vector<int> dirty_;
  std::vector<char> scratch_;
  int64_t read_ns_ = 0;
};

void visitor::on_io(uint32_t ev) { pool->on_io(*this, ev); }

}  // namespace

std::unique_ptr<client_pool> make_ws_pool(loop& l, const target& t) {
  return std::make_unique<ws_pool>(l, t);
}

}  // namespace aibench
