// The in-memory store: same ordering, seq and idempotency rules as the durable stores, no
// disk. Used for benchmarks with persistence off and for tests.
#include <algorithm>
#include <map>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>

#include "store/store.h"
#include "store/write_queue.h"

namespace sb::store {

namespace {

class memory_store final : public store {
 public:
  memory_store()
      : writer_(4096, [this](std::vector<write_queue::pending>& b) { return apply(b); }) {}
  ~memory_store() override { close(); }

  void submit(write_op op, write_callback cb) override {
    writer_.submit(std::move(op), std::move(cb));
  }

  status messages_after(const std::string& conv, std::uint64_t after, std::size_t limit,
                        std::vector<message>& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    out.clear();
    auto it = messages_.find(conv);
    if (it == messages_.end()) return status::ok;
    const auto& v = it->second;  // v[i].seq == i + 1
    for (std::size_t i = after; i < v.size() && out.size() < limit; i++) out.push_back(v[i]);
    return status::ok;
  }

  status messages_before(const std::string& conv, std::uint64_t before, std::size_t limit,
                         std::vector<message>& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    out.clear();
    auto it = messages_.find(conv);
    if (it == messages_.end()) return status::ok;
    const auto& v = it->second;
    std::size_t end = std::min<std::uint64_t>(v.size(), before > 0 ? before - 1 : 0);
    std::size_t start = end > limit ? end - limit : 0;
    out.assign(v.begin() + start, v.begin() + end);
    return status::ok;
  }

  status get_conversation(const std::string& id, conversation& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    auto it = convs_.find(id);
    if (it == convs_.end()) return status::not_found;
    out = it->second;
    return status::ok;
  }

  status open_conversations(std::vector<conversation>& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    out.clear();
    for (auto& kv : convs_)
      if (kv.second.state != "closed") out.push_back(kv.second);
    // The SQLite store's order, so callers see the same thing from both.
    std::sort(out.begin(), out.end(), [](const conversation& a, const conversation& b) {
      return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
    });
    return status::ok;
  }

  status open_conversation_of(const std::string& visitor_id, conversation& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    const conversation* best = nullptr;
    for (auto& kv : convs_)
      if (kv.second.visitor_id == visitor_id && kv.second.state != "closed" &&
          (!best ||
           std::tie(kv.second.created_ms, kv.second.id) > std::tie(best->created_ms, best->id)))
        best = &kv.second;
    if (!best) return status::not_found;
    out = *best;
    return status::ok;
  }

  status get_visitor(const std::string& id, visitor& out) override {
    return find(visitors_, id, out);
  }

  status ai_usage(const std::string& site, const std::string& conv, ai_usage_totals& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    out = {};
    for (const auto& u : usage_) {
      if ((!site.empty() && u.site != site) || (!conv.empty() && u.conv != conv)) continue;
      out.requests++;
      out.prompt_tokens += u.prompt_tokens;
      out.completion_tokens += u.completion_tokens;
    }
    return status::ok;
  }

  status read_marks(const std::string& conv, std::vector<read_mark>& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    out.clear();
    for (auto& kv : marks_)
      if (kv.second.conv == conv) out.push_back(kv.second);
    std::sort(out.begin(), out.end(),
              [](const read_mark& a, const read_mark& b) { return a.reader_id < b.reader_id; });
    return status::ok;
  }

  status list_sites(std::vector<site>& out) override { return list(sites_, out); }
  status put_site(const site& s) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    keep_created(sites_, s.key, s);
    return status::ok;
  }
  status list_agents(std::vector<agent>& out) override {
    if (auto st = list(agents_, out); st != status::ok) return st;
    std::sort(out.begin(), out.end(), [](const agent& a, const agent& b) {
      return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
    });
    return status::ok;
  }
  status get_agent(const std::string& id, agent& out) override { return find(agents_, id, out); }
  status find_agent_by_email(const std::string& email, agent& out) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    for (auto& kv : agents_)
      if (kv.second.email == email) {
        out = kv.second;
        return status::ok;
      }
    return status::not_found;
  }
  status put_agent(const agent& a) override {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    // Emails are unique, as the SQLite store's index makes them.
    for (auto& kv : agents_)
      if (kv.second.email == a.email && kv.first != a.id) return status::internal;
    keep_created(agents_, a.id, a);
    return status::ok;
  }
  status get_meta(const std::string& key, std::string& out) override {
    return find(meta_, key, out);
  }
  status put_meta(const std::string& key, const std::string& value) override {
    return put(meta_, key, value);
  }

  store_stats stats() const override {
    store_stats s;
    writer_.fill(s);
    return s;
  }

  void close() override {
    writer_.close();
    // Like the SQLite store, a closed store answers nothing; from a callback the writer is
    // still draining, so the store stays open until a close from another thread.
    if (writer_.on_writer_thread()) return;
    std::unique_lock<std::shared_mutex> lock(mu_);
    closed_ = true;
  }

 private:
  template <class Map, class T>
  status find(const Map& m, const std::string& key, T& out) {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    auto it = m.find(key);
    if (it == m.end()) return status::not_found;
    out = it->second;
    return status::ok;
  }
  template <class Map, class T>
  status list(const Map& m, std::vector<T>& out) {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    out.clear();
    for (auto& kv : m) out.push_back(kv.second);
    return status::ok;
  }
  /** Upsert that keeps the first created_ms, as the SQLite upserts do. Caller holds mu_. */
  template <class Map, class T>
  static void keep_created(Map& m, const std::string& key, const T& v) {
    auto [it, inserted] = m.try_emplace(key, v);
    if (inserted) return;
    std::int64_t created = it->second.created_ms;
    it->second = v;
    it->second.created_ms = created;
  }
  template <class Map, class T>
  status put(Map& m, const std::string& key, const T& v) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (closed_) return status::unavailable;
    m[key] = v;
    return status::ok;
  }

  static std::string client_key(const message& m) {
    // Length-prefixed, so no sender id or client id can make two pairs look alike.
    return std::to_string(m.sender_id.size()) + ':' + m.sender_id + m.client_id;
  }

  bool apply(std::vector<write_queue::pending>& batch) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    for (auto& p : batch) {
      if (auto* a = std::get_if<append_message>(&p.op)) {
        message& m = a->msg;
        if (!m.client_id.empty()) {
          auto key = client_key(m);
          auto it = by_client_id_.find(key);
          if (it != by_client_id_.end()) {
            p.result.duplicate = true;
            p.result.msg = messages_[it->second.first][it->second.second - 1];
            continue;
          }
          by_client_id_[key] = {m.conv, messages_[m.conv].size() + 1};
        }
        auto& v = messages_[m.conv];
        m.seq = v.size() + 1;
        m.id = ++next_id_;
        v.push_back(m);
        auto c = convs_.find(m.conv);
        if (c != convs_.end()) c->second.last_seq = m.seq;
        p.result.msg = std::move(m);
      } else if (auto* c = std::get_if<put_conversation>(&p.op)) {
        auto& slot = convs_[c->conv.id];
        std::uint64_t last = slot.last_seq;
        std::int64_t created = slot.created_ms;
        slot = c->conv;
        slot.last_seq = std::max(last, messages_[c->conv.id].size());
        if (created) slot.created_ms = created;
      } else if (auto* v = std::get_if<put_visitor>(&p.op)) {
        // Like the SQLite upsert: a known visitor keeps its site and first-seen time.
        auto [it, inserted] = visitors_.try_emplace(v->v.id, v->v);
        if (!inserted) {
          std::string site = std::move(it->second.site);
          std::int64_t created = it->second.created_ms;
          it->second = v->v;
          it->second.site = std::move(site);
          it->second.created_ms = created;
        }
      } else if (auto* r = std::get_if<put_read_mark>(&p.op)) {
        auto& slot =
            marks_[std::to_string(r->mark.conv.size()) + ':' + r->mark.conv + r->mark.reader_id];
        slot.conv = r->mark.conv;
        slot.reader_id = r->mark.reader_id;
        slot.seq = std::max(slot.seq, r->mark.seq);
      } else if (auto* u = std::get_if<record_ai_usage>(&p.op)) {
        usage_.push_back(u->usage);
      }
    }
    return true;  // nothing here can fail
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::vector<message>> messages_;
  std::unordered_map<std::string, std::pair<std::string, std::uint64_t>> by_client_id_;
  std::unordered_map<std::string, conversation> convs_;
  std::unordered_map<std::string, visitor> visitors_;
  std::unordered_map<std::string, read_mark> marks_;
  std::vector<ai_usage_record> usage_;
  std::map<std::string, site> sites_;
  std::map<std::string, agent> agents_;
  std::unordered_map<std::string, std::string> meta_;
  std::int64_t next_id_ = 0;
  bool closed_ = false;  // guarded by mu_
  write_queue writer_;   // last: its thread stops before the maps go
};

}  // namespace

std::unique_ptr<store> open_memory_store() { return std::make_unique<memory_store>(); }

}  // namespace sb::store
