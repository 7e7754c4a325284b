// SQLite store: opening and migrating, reads on pooled connections, admin writes.
#include "store/sqlite/sqlite_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>

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

constexpr const char* message_columns =
    "id, conv, seq, client_id, sender_kind, sender_id, sender_name, text, ts_ms";
constexpr const char* conversation_columns =
    "id, site, visitor_id, state, agent_id, team, "
    // The last seq is read from the messages index instead of being kept in the row: keeping
    // it cost the writer one more B-tree update per conversation per batch.
    "(SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.conv = conversations.id), "
    "created_ms, updated_ms";
constexpr const char* agent_columns =
    "id, email, name, password_hash, role, max_chats, sites, teams, created_ms";

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

std::int64_t clamp_seq(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(LLONG_MAX) ? LLONG_MAX : static_cast<std::int64_t>(v);
}

}  // namespace

/** A read connection borrowed from the pool for the duration of one call. */
class sqlite_store::reader {
 public:
  explicit reader(sqlite_store& s) : s_(s), db_(s.borrow()) {}
  ~reader() { s_.give_back(db_); }
  sqlite3* db() const { return db_; }

 private:
  sqlite_store& s_;
  sqlite3* db_;
};

namespace {

/** Runs a query on a borrowed read connection: `bind` fills the parameters, `row` is called
 *  per result row. `not_found` when `one` and there is no row. */
template <class Bind, class Row>
status run_query(sqlite3* db, const std::string& sql, Bind&& bind, Row&& row, bool one) {
  if (!db) return status::unavailable;
  stmt s(db, sql.c_str());
  if (!s.ok()) return status::unavailable;
  bind(s);
  int rc;
  bool any = false;
  while ((rc = s.step()) == SQLITE_ROW) {
    any = true;
    row(s);
    if (one) return status::ok;
  }
  if (rc != SQLITE_DONE) return status::unavailable;
  return one && !any ? status::not_found : status::ok;
}

const auto no_params = [](stmt&) {};

}  // namespace

sqlite_store::sqlite_store(const sqlite_options& opts, sqlite3* writer, sqlite3* admin)
    : opts_(opts), writer_db_(writer), admin_db_(admin) {
  ws_ = make_writer_statements(writer_db_);
  queue_ = std::make_unique<write_queue>(
      opts_.max_batch, [this](std::vector<write_queue::pending>& b) { apply(b); });
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::close() {
  if (queue_) queue_->close();
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (closed_) return;
  closed_ = true;
  ws_.reset();
  sqlite3_close_v2(writer_db_);
  for (auto* db : pool_) sqlite3_close_v2(db);
  pool_.clear();
  std::lock_guard<std::mutex> l2(admin_mu_);
  sqlite3_close_v2(admin_db_);
}

void sqlite_store::submit(write_op op, write_callback cb) {
  queue_->submit(std::move(op), std::move(cb));
}

store_stats sqlite_store::stats() const {
  store_stats s;
  queue_->fill(s);
  return s;
}

sqlite3* sqlite_store::borrow() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (closed_) return nullptr;
    if (!pool_.empty()) {
      sqlite3* db = pool_.back();
      pool_.pop_back();
      return db;
    }
  }
  std::string error;
  return open_connection(opts_.path, opts_.busy_timeout_ms, opts_.synchronous_full, error);
}

void sqlite_store::give_back(sqlite3* db) {
  if (!db) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (closed_ || pool_.size() >= 8) {
    sqlite3_close_v2(db);
    return;
  }
  pool_.push_back(db);
}

status sqlite_store::messages_after(const std::string& conv, std::uint64_t after, std::size_t limit,
                                    std::vector<message>& out) {
  out.clear();
  reader r(*this);
  return run_query(
      r.db(),
      std::string("SELECT ") + message_columns +
          " FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?",
      [&](stmt& s) { s.bind(1, conv).bind(2, clamp_seq(after)).bind(3, std::int64_t(limit)); },
      [&](stmt& s) { out.push_back(read_message(s)); }, false);
}

status sqlite_store::messages_before(const std::string& conv, std::uint64_t before,
                                     std::size_t limit, std::vector<message>& out) {
  out.clear();
  reader r(*this);
  auto st = run_query(
      r.db(),
      std::string("SELECT ") + message_columns +
          " FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      [&](stmt& s) { s.bind(1, conv).bind(2, clamp_seq(before)).bind(3, std::int64_t(limit)); },
      [&](stmt& s) { out.push_back(read_message(s)); }, false);
  std::reverse(out.begin(), out.end());
  return st;
}

status sqlite_store::get_conversation(const std::string& id, conversation& out) {
  reader r(*this);
  return run_query(
      r.db(), std::string("SELECT ") + conversation_columns + " FROM conversations WHERE id = ?",
      [&](stmt& s) { s.bind(1, id); }, [&](stmt& s) { out = read_conversation(s); }, true);
}

status sqlite_store::open_conversations(std::vector<conversation>& out) {
  out.clear();
  reader r(*this);
  return run_query(
      r.db(),
      std::string("SELECT ") + conversation_columns +
          " FROM conversations WHERE state <> 'closed' ORDER BY created_ms",
      no_params, [&](stmt& s) { out.push_back(read_conversation(s)); }, false);
}

status sqlite_store::open_conversation_of(const std::string& visitor_id, conversation& out) {
  reader r(*this);
  return run_query(
      r.db(),
      std::string("SELECT ") + conversation_columns +
          " FROM conversations WHERE visitor_id = ? AND state <> 'closed' "
          "ORDER BY created_ms DESC LIMIT 1",
      [&](stmt& s) { s.bind(1, visitor_id); }, [&](stmt& s) { out = read_conversation(s); }, true);
}

status sqlite_store::get_visitor(const std::string& id, visitor& out) {
  reader r(*this);
  return run_query(
      r.db(),
      "SELECT id, site, name, email, lang, page, referrer, created_ms, last_seen_ms FROM visitors "
      "WHERE id = ?",
      [&](stmt& s) { s.bind(1, id); },
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
  reader r(*this);
  return run_query(
      r.db(), "SELECT conv, reader_id, seq FROM read_marks WHERE conv = ?",
      [&](stmt& s) { s.bind(1, conv); },
      [&](stmt& s) {
        out.push_back({s.text(0), s.text(1), static_cast<std::uint64_t>(s.integer(2))});
      },
      false);
}

status sqlite_store::list_sites(std::vector<site>& out) {
  out.clear();
  reader r(*this);
  return run_query(
      r.db(),
      "SELECT key, name, enabled, allowed_origins, settings, created_ms FROM sites ORDER BY key",
      no_params,
      [&](stmt& s) {
        site x;
        x.key = s.text(0);
        x.name = s.text(1);
        x.enabled = s.integer(2) != 0;
        x.allowed_origins = from_json(s.text(3));
        x.settings_json = s.text(4);
        x.created_ms = s.integer(5);
        out.push_back(std::move(x));
      },
      false);
}

status sqlite_store::list_agents(std::vector<agent>& out) {
  out.clear();
  reader r(*this);
  return run_query(
      r.db(), std::string("SELECT ") + agent_columns + " FROM agents ORDER BY created_ms",
      no_params, [&](stmt& s) { out.push_back(read_agent(s)); }, false);
}

status sqlite_store::get_agent(const std::string& id, agent& out) {
  reader r(*this);
  return run_query(
      r.db(), std::string("SELECT ") + agent_columns + " FROM agents WHERE id = ?",
      [&](stmt& s) { s.bind(1, id); }, [&](stmt& s) { out = read_agent(s); }, true);
}

status sqlite_store::find_agent_by_email(const std::string& email, agent& out) {
  reader r(*this);
  return run_query(
      r.db(), std::string("SELECT ") + agent_columns + " FROM agents WHERE email = ?",
      [&](stmt& s) { s.bind(1, email); }, [&](stmt& s) { out = read_agent(s); }, true);
}

status sqlite_store::get_meta(const std::string& key, std::string& out) {
  reader r(*this);
  return run_query(
      r.db(), "SELECT value FROM meta WHERE key = ?", [&](stmt& s) { s.bind(1, key); },
      [&](stmt& s) { out = s.text(0); }, true);
}

status sqlite_store::put_site(const site& x) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  stmt s(admin_db_,
         "INSERT INTO sites (key, name, enabled, allowed_origins, settings, created_ms) VALUES "
         "(?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET name = excluded.name, enabled = "
         "excluded.enabled, allowed_origins = excluded.allowed_origins, settings = "
         "excluded.settings");
  if (!s.ok()) return status::unavailable;
  s.bind(1, x.key).bind(2, x.name).bind(3, std::int64_t(x.enabled ? 1 : 0));
  s.bind(4, to_json(x.allowed_origins)).bind(5, x.settings_json).bind(6, x.created_ms);
  return s.step() == SQLITE_DONE ? status::ok : status::unavailable;
}

status sqlite_store::put_agent(const agent& a) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  std::string sql = std::string("INSERT INTO agents (") + agent_columns +
                    ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET email = "
                    "excluded.email, name = excluded.name, password_hash = excluded.password_hash, "
                    "role = excluded.role, max_chats = excluded.max_chats, sites = excluded.sites, "
                    "teams = excluded.teams";
  stmt s(admin_db_, sql.c_str());
  if (!s.ok()) return status::unavailable;
  s.bind(1, a.id).bind(2, a.email).bind(3, a.name).bind(4, a.password_hash).bind(5, a.role);
  s.bind(6, std::int64_t(a.max_chats)).bind(7, to_json(a.sites)).bind(8, to_json(a.teams));
  s.bind(9, a.created_ms);
  return s.step() == SQLITE_DONE ? status::ok : status::unavailable;
}

status sqlite_store::put_meta(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  stmt s(admin_db_,
         "INSERT INTO meta (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value = "
         "excluded.value");
  if (!s.ok()) return status::unavailable;
  s.bind(1, key).bind(2, value);
  return s.step() == SQLITE_DONE ? status::ok : status::unavailable;
}

}  // namespace sb::store::sqlite

namespace sb::store {

std::unique_ptr<store> open_sqlite_store(const sqlite_options& opts, std::string& error) {
  sqlite3* writer =
      sqlite::open_connection(opts.path, opts.busy_timeout_ms, opts.synchronous_full, error);
  if (!writer) return nullptr;
  if (!sqlite::migrate(writer, error)) {
    error = "cannot migrate the database " + opts.path + ": " + error;
    sqlite3_close_v2(writer);
    return nullptr;
  }
  sqlite3* admin =
      sqlite::open_connection(opts.path, opts.busy_timeout_ms, opts.synchronous_full, error);
  if (!admin) {
    sqlite3_close_v2(writer);
    return nullptr;
  }
  return std::make_unique<sqlite::sqlite_store>(opts, writer, admin);
}

}  // namespace sb::store
