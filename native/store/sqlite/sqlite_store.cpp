// SQLite store: opening and migrating, reads on pooled connections with cached statements,
// and the synchronous admin writes. The writer thread's side is in sqlite_writer.cpp.
#include "store/sqlite/sqlite_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <optional>

namespace sb::store::sqlite {

namespace {

std::string to_json(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

std::vector<std::string> from_json(const std::string& s) {
  auto j = nlohmann::json::parse(s, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (auto& e : j)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// Every read is one of these, prepared once per read connection and reused.
enum query : int {
  q_messages_after,
  q_messages_before,
  q_get_conversation,
  q_open_conversations,
  q_open_conversation_of,
  q_get_visitor,
  q_read_marks,
  q_list_sites,
  q_list_agents,
  q_get_agent,
  q_find_agent_by_email,
  q_get_meta,
  q_ai_usage,
  q_count
};

#define SB_MESSAGE_COLUMNS \
  "id, conv, seq, client_id, sender_kind, sender_id, sender_name, text, ts_ms"
#define SB_CONVERSATION_COLUMNS \
  "id, site, visitor_id, state, agent_id, team, last_seq, created_ms, updated_ms"
#define SB_AGENT_COLUMNS "id, email, name, password_hash, role, max_chats, sites, teams, created_ms"

constexpr const char* query_sql[q_count] = {
    "SELECT " SB_MESSAGE_COLUMNS " FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?",
    "SELECT " SB_MESSAGE_COLUMNS
    " FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
    "SELECT " SB_CONVERSATION_COLUMNS " FROM conversations WHERE id = ?",
    "SELECT " SB_CONVERSATION_COLUMNS
    " FROM conversations WHERE state <> 'closed' ORDER BY created_ms, id",
    "SELECT " SB_CONVERSATION_COLUMNS
    " FROM conversations WHERE visitor_id = ? AND state <> 'closed' "
    "ORDER BY created_ms DESC, id DESC LIMIT 1",
    "SELECT id, site, name, email, lang, page, referrer, created_ms, last_seen_ms FROM visitors "
    "WHERE id = ?",
    "SELECT conv, reader_id, seq FROM read_marks WHERE conv = ? ORDER BY reader_id",
    "SELECT key, name, enabled, allowed_origins, settings, created_ms, ai, rate_limits FROM sites "
    "ORDER BY key",
    "SELECT " SB_AGENT_COLUMNS " FROM agents ORDER BY created_ms, id",
    "SELECT " SB_AGENT_COLUMNS " FROM agents WHERE id = ?",
    "SELECT " SB_AGENT_COLUMNS " FROM agents WHERE email = ?",
    "SELECT value FROM meta WHERE key = ?",
    "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
    "FROM ai_usage WHERE (?1 = '' OR site = ?1) AND (?2 = '' OR conv = ?2)",
};

}  // namespace

message read_message(const stmt& s) {
  message m;
  m.id = s.integer(0);
  m.conv = s.text(1);
  m.seq = static_cast<std::uint64_t>(s.integer(2));
  m.client_id = s.text(3);
  m.sender_kind = s.text(4);
  m.sender_id = s.text(5);
  m.sender_name = s.text(6);
  m.text = s.text(7);
  m.ts_ms = s.integer(8);
  return m;
}

namespace {

conversation read_conversation(const stmt& s) {
  conversation c;
  c.id = s.text(0);
  c.site = s.text(1);
  c.visitor_id = s.text(2);
  c.state = s.text(3);
  c.agent_id = s.text(4);
  c.team = s.text(5);
  c.last_seq = static_cast<std::uint64_t>(s.integer(6));
  c.created_ms = s.integer(7);
  c.updated_ms = s.integer(8);
  return c;
}

agent read_agent(const stmt& s) {
  agent a;
  a.id = s.text(0);
  a.email = s.text(1);
  a.name = s.text(2);
  a.password_hash = s.text(3);
  a.role = s.text(4);
  a.max_chats = static_cast<int>(s.integer(5));
  a.sites = from_json(s.text(6));
  a.teams = from_json(s.text(7));
  a.created_ms = s.integer(8);
  return a;
}

std::int64_t clamp(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(LLONG_MAX) ? LLONG_MAX : static_cast<std::int64_t>(v);
}

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

}  // namespace

/** A read connection and its prepared statements (finalized before the connection closes). */
struct sqlite_store::read_conn {
  std::unique_ptr<sqlite3, db_closer> db;
  std::optional<stmt> stmts[q_count];  // prepared on first use
};

class sqlite_store::reader {
 public:
  explicit reader(sqlite_store& s) : s_(s), c_(s.borrow()) {}
  ~reader() { s_.give_back(std::move(c_)); }

  /** Runs one of the queries: `bind` fills its parameters, `row` takes each result row;
   *  `not_found` when `one` and there is no row. */
  template <class Bind, class Row>
  status run(query q, Bind&& bind, Row&& row, bool one) {
    if (!c_) return status::unavailable;
    auto& slot = c_->stmts[q];
    if (!slot) slot.emplace(c_->db.get(), query_sql[q]);
    if (!slot->ok()) {
      slot.reset();
      return status::unavailable;
    }
    stmt& s = *slot;
    bind(s);
    int rc;
    bool any = false;
    while ((rc = s.step()) == SQLITE_ROW) {
      any = true;
      row(s);
      if (one) break;
    }
    // Reset at once: a statement left mid-result keeps a read snapshot open, and an open
    // snapshot stops checkpoints from recycling the WAL.
    s.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return status::unavailable;
    return one && !any ? status::not_found : status::ok;
  }

 private:
  sqlite_store& s_;
  std::unique_ptr<read_conn> c_;
};

namespace {
const auto no_params = [](stmt&) {};
}  // namespace

sqlite_store::sqlite_store(const sqlite_options& opts, sqlite3* writer, sqlite3* admin)
    : opts_(opts), writer_db_(writer), admin_db_(admin) {
  ws_ = make_writer_statements(writer_db_);
  queue_ = std::make_unique<write_queue>(
      opts_.max_batch, [this](std::vector<write_queue::pending>& b) { return apply(b); });
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::close() {
  if (queue_) queue_->close();
  // From a callback the writer is still draining and needs its connection: the destructor
  // (or a later close) finishes the job.
  if (queue_ && queue_->on_writer_thread()) return;
  std::vector<std::unique_ptr<read_conn>> idle;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (closed_) return;
    closed_ = true;
    idle.swap(pool_);
  }
  ws_.reset();
  sqlite3_close_v2(writer_db_);
  writer_db_ = nullptr;
  idle.clear();  // connections borrowed right now are closed when they come back
  std::lock_guard<std::mutex> lock(admin_mu_);
  sqlite3_close_v2(admin_db_);
  admin_db_ = nullptr;
}

void sqlite_store::submit(write_op op, write_callback cb) {
  queue_->submit(std::move(op), std::move(cb));
}

store_stats sqlite_store::stats() const {
  store_stats s;
  queue_->fill(s);
  return s;
}

std::unique_ptr<sqlite_store::read_conn> sqlite_store::borrow() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (closed_) return nullptr;
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  std::string error;
  sqlite3* db = open_connection(opts_.path, opts_.busy_timeout_ms, opts_.synchronous_full, error);
  if (!db) return nullptr;
  auto c = std::make_unique<read_conn>();
  c->db.reset(db);
  exec(db, "PRAGMA query_only=ON");  // a read path that writes is a bug: fail it loudly
  return c;
}

void sqlite_store::give_back(std::unique_ptr<read_conn> c) {
  if (!c) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  // More idle connections than this only cost memory: reads are not on the per-message path.
  if (closed_ || pool_.size() >= 8) return;
  pool_.push_back(std::move(c));
}

status sqlite_store::messages_after(const std::string& conv, std::uint64_t after, std::size_t limit,
                                    std::vector<message>& out) {
  out.clear();
  return reader(*this).run(
      q_messages_after,
      [&](stmt& s) { s.bind(1, conv).bind(2, clamp(after)).bind(3, clamp(limit)); },
      [&](stmt& s) { out.push_back(read_message(s)); }, false);
}

status sqlite_store::messages_before(const std::string& conv, std::uint64_t before,
                                     std::size_t limit, std::vector<message>& out) {
  out.clear();
  auto st = reader(*this).run(
      q_messages_before,
      [&](stmt& s) { s.bind(1, conv).bind(2, clamp(before)).bind(3, clamp(limit)); },
      [&](stmt& s) { out.push_back(read_message(s)); }, false);
  std::reverse(out.begin(), out.end());
  return st;
}

status sqlite_store::get_conversation(const std::string& id, conversation& out) {
  return reader(*this).run(
      q_get_conversation, [&](stmt& s) { s.bind(1, id); },
      [&](stmt& s) { out = read_conversation(s); }, true);
}

status sqlite_store::open_conversations(std::vector<conversation>& out) {
  out.clear();
  return reader(*this).run(
      q_open_conversations, no_params, [&](stmt& s) { out.push_back(read_conversation(s)); },
      false);
}

status sqlite_store::open_conversation_of(const std::string& visitor_id, conversation& out) {
  return reader(*this).run(
      q_open_conversation_of, [&](stmt& s) { s.bind(1, visitor_id); },
      [&](stmt& s) { out = read_conversation(s); }, true);
}

status sqlite_store::get_visitor(const std::string& id, visitor& out) {
  return reader(*this).run(
      q_get_visitor, [&](stmt& s) { s.bind(1, id); },
      [&](stmt& s) {
        out.id = s.text(0);
        out.site = s.text(1);
        out.name = s.text(2);
        out.email = s.text(3);
        out.lang = s.text(4);
        out.page = s.text(5);
        out.referrer = s.text(6);
        out.created_ms = s.integer(7);
        out.last_seen_ms = s.integer(8);
      },
      true);
}

status sqlite_store::read_marks(const std::string& conv, std::vector<read_mark>& out) {
  out.clear();
  return reader(*this).run(
      q_read_marks, [&](stmt& s) { s.bind(1, conv); },
      [&](stmt& s) {
        out.push_back({s.text(0), s.text(1), static_cast<std::uint64_t>(s.integer(2))});
      },
      false);
}

status sqlite_store::list_sites(std::vector<site>& out) {
  out.clear();
  return reader(*this).run(
      q_list_sites, no_params,
      [&](stmt& s) {
        site x;
        x.key = s.text(0);
        x.name = s.text(1);
        x.enabled = s.integer(2) != 0;
        x.allowed_origins = from_json(s.text(3));
        x.settings_json = s.text(4);
        x.created_ms = s.integer(5);
        x.ai_json = s.text(6);
        x.rate_limits_json = s.text(7);
        out.push_back(std::move(x));
      },
      false);
}

status sqlite_store::ai_usage(const std::string& site, const std::string& conv,
                              ai_usage_totals& out) {
  out = {};
  return reader(*this).run(
      q_ai_usage, [&](stmt& s) { s.bind(1, site).bind(2, conv); },
      [&](stmt& s) {
        out.requests = static_cast<std::uint64_t>(s.integer(0));
        out.prompt_tokens = static_cast<std::uint64_t>(s.integer(1));
        out.completion_tokens = static_cast<std::uint64_t>(s.integer(2));
      },
      false);
}

status sqlite_store::list_agents(std::vector<agent>& out) {
  out.clear();
  return reader(*this).run(
      q_list_agents, no_params, [&](stmt& s) { out.push_back(read_agent(s)); }, false);
}

status sqlite_store::get_agent(const std::string& id, agent& out) {
  return reader(*this).run(
      q_get_agent, [&](stmt& s) { s.bind(1, id); }, [&](stmt& s) { out = read_agent(s); }, true);
}

status sqlite_store::find_agent_by_email(const std::string& email, agent& out) {
  return reader(*this).run(
      q_find_agent_by_email, [&](stmt& s) { s.bind(1, email); },
      [&](stmt& s) { out = read_agent(s); }, true);
}

status sqlite_store::get_meta(const std::string& key, std::string& out) {
  return reader(*this).run(
      q_get_meta, [&](stmt& s) { s.bind(1, key); }, [&](stmt& s) { out = s.text(0); }, true);
}

status sqlite_store::admin_write(const char* sql, const std::function<void(stmt&)>& bind) {
  // Rare (admin actions): prepared per call on their own connection. The writer thread's
  // transactions are short, so busy_timeout covers the wait for the write lock.
  std::lock_guard<std::mutex> lock(admin_mu_);
  if (!admin_db_) return status::unavailable;
  stmt s(admin_db_, sql);
  if (!s.ok()) return status::unavailable;
  bind(s);
  int rc = s.step();
  if (rc == SQLITE_DONE) return status::ok;
  // A broken constraint (an email another agent has) is the caller's mistake, not an outage.
  return (rc & 0xff) == SQLITE_CONSTRAINT ? status::internal : status::unavailable;
}

status sqlite_store::put_site(const site& x) {
  return admin_write(
      "INSERT INTO sites (key, name, enabled, allowed_origins, settings, created_ms, ai, "
      "rate_limits) VALUES "
      "(?,?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET name = excluded.name, enabled = "
      "excluded.enabled, allowed_origins = excluded.allowed_origins, settings = "
      "excluded.settings, ai = excluded.ai, rate_limits = excluded.rate_limits",
      [&](stmt& s) {
        s.bind(1, x.key).bind(2, x.name).bind(3, std::int64_t(x.enabled ? 1 : 0));
        s.bind(4, to_json(x.allowed_origins)).bind(5, x.settings_json).bind(6, x.created_ms);
        s.bind(7, x.ai_json).bind(8, x.rate_limits_json);
      });
}

status sqlite_store::put_agent(const agent& a) {
  return admin_write(
      "INSERT INTO agents (" SB_AGENT_COLUMNS
      ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET email = excluded.email, "
      "name = excluded.name, password_hash = excluded.password_hash, role = excluded.role, "
      "max_chats = excluded.max_chats, sites = excluded.sites, teams = excluded.teams",
      [&](stmt& s) {
        s.bind(1, a.id).bind(2, a.email).bind(3, a.name).bind(4, a.password_hash);
        s.bind(5, a.role).bind(6, std::int64_t(a.max_chats)).bind(7, to_json(a.sites));
        s.bind(8, to_json(a.teams)).bind(9, a.created_ms);
      });
}

status sqlite_store::put_meta(const std::string& key, const std::string& value) {
  return admin_write(
      "INSERT INTO meta (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value",
      [&](stmt& s) { s.bind(1, key).bind(2, value); });
}

}  // namespace sb::store::sqlite
