// Versioned schema migrations, applied in order at open, each in its own transaction. The
// schema is plain SQL that MySQL/TiDB can mirror (no SQLite-only types in the interface).
#include "store/sqlite/sqlite_db.h"

namespace sb::store::sqlite {

namespace {

struct migration {
  int version;
  const char* sql;
};

constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sites (
  key TEXT PRIMARY KEY, name TEXT NOT NULL, enabled INTEGER NOT NULL,
  allowed_origins TEXT NOT NULL, settings TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE agents (
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  password_hash TEXT NOT NULL, role TEXT NOT NULL, max_chats INTEGER NOT NULL,
  sites TEXT NOT NULL, teams TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE visitors (
  id TEXT PRIMARY KEY, site TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
  lang TEXT NOT NULL, page TEXT NOT NULL, referrer TEXT NOT NULL,
  created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY, site TEXT NOT NULL, visitor_id TEXT NOT NULL, state TEXT NOT NULL,
  agent_id TEXT NOT NULL, team TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX conversations_by_site_state ON conversations (site, state, updated_ms);
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, state);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY, conv TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT,
  sender_kind TEXT NOT NULL, sender_id TEXT NOT NULL, sender_name TEXT NOT NULL,
  text TEXT NOT NULL, ts_ms INTEGER NOT NULL);
CREATE UNIQUE INDEX messages_by_conv_seq ON messages (conv, seq);
CREATE UNIQUE INDEX messages_by_sender_client_id ON messages (sender_id, client_id);
CREATE TABLE read_marks (
  conv TEXT NOT NULL, reader_id TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (conv, reader_id));
)sql"},
};

}  // namespace

bool migrate(sqlite3* db, std::string& error) {
  if (!exec(db,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_ms INTEGER NOT NULL)",
            &error))
    return false;
  std::int64_t current = 0;
  {
    stmt s(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!s.ok() || s.step() != SQLITE_ROW) {
      error = "cannot read the schema version";
      return false;
    }
    current = s.integer(0);
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    if (!exec(db, "BEGIN IMMEDIATE", &error)) return false;
    stmt record(db,
                "INSERT INTO schema_migrations (version, applied_ms) "
                "VALUES (?, CAST(strftime('%s','now') AS INTEGER) * 1000)");
    if (!exec(db, m.sql, &error) || !record.ok() ||
        record.bind(1, std::int64_t(m.version)).step() != SQLITE_DONE) {
      if (error.empty()) error = "cannot record migration " + std::to_string(m.version);
      exec(db, "ROLLBACK");
      return false;
    }
    if (!exec(db, "COMMIT", &error)) return false;
  }
  return true;
}

}  // namespace sb::store::sqlite
