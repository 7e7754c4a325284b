// Versioned schema migrations, applied in order at open, each in its own transaction and only
// once (recorded in schema_migrations). The schema is plain SQL that MySQL/TiDB can mirror.
// Never edit a step that has shipped: add a new one.
#include <iterator>
#include <string>

#include "store/sqlite/sqlite_db.h"

namespace sb::store::sqlite {

namespace {

/** One step: optional C++ for what plain SQL cannot say portably, then SQL. */
struct migration {
  int version;
  bool (*prepare)(sqlite3* db, std::string& error);
  const char* sql;
};

bool has_column(sqlite3* db, const char* table, const char* column) {
  stmt s(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  if (!s.ok()) return false;
  s.bind(1, table).bind(2, column);
  return s.step() == SQLITE_ROW;
}

// Step 1 once had conversations.last_seq and later shipped without it, so databases at
// version 1 exist in both shapes: add the column only where it is missing.
bool add_conversation_last_seq(sqlite3* db, std::string& error) {
  if (has_column(db, "conversations", "last_seq")) return true;
  return exec(db, "ALTER TABLE conversations ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0",
              &error);
}

constexpr migration migrations[] = {
    {1, nullptr, R"sql(
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
    // The writer keeps conversations.last_seq in step with the messages it appends; rows
    // written while the column was missing get it from the messages themselves.
    {2, add_conversation_last_seq, R"sql(
UPDATE conversations SET last_seq = (
  SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.conv = conversations.id);
)sql"},
    // The assistant: per-site settings and the tokens each AI call used.
    {3, nullptr, R"sql(
ALTER TABLE sites ADD COLUMN ai TEXT NOT NULL DEFAULT '{}';
CREATE TABLE ai_usage (
  id INTEGER PRIMARY KEY, conv TEXT NOT NULL, site TEXT NOT NULL, kind TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
  estimated INTEGER NOT NULL, ts_ms INTEGER NOT NULL);
CREATE INDEX ai_usage_by_site ON ai_usage (site, ts_ms);
CREATE INDEX ai_usage_by_conv ON ai_usage (conv);
)sql"},
    // Per-site rate limits (hub/admission.h), over the server's defaults.
    {4, nullptr, R"sql(
ALTER TABLE sites ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '{}';
)sql"},
};

std::int64_t current_version(sqlite3* db) {
  stmt s(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!s.ok() || s.step() != SQLITE_ROW) return -1;
  return s.integer(0);
}

bool apply(sqlite3* db, const migration& m, std::string& error) {
  // Read the version again under the write lock: another process may have migrated since.
  std::int64_t current = current_version(db);
  if (current < 0) {
    error = "cannot read the schema version";
    return false;
  }
  if (m.version <= current) return true;
  if (m.prepare && !m.prepare(db, error)) return false;
  if (!exec(db, m.sql, &error)) return false;
  stmt record(db,
              "INSERT INTO schema_migrations (version, applied_ms) "
              "VALUES (?, CAST(strftime('%s','now') AS INTEGER) * 1000)");
  if (!record.ok() || record.bind(1, std::int64_t(m.version)).step() != SQLITE_DONE) {
    error = "cannot record migration " + std::to_string(m.version);
    return false;
  }
  return true;
}

}  // namespace

bool migrate(sqlite3* db, std::string& error) {
  if (!exec(db,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_ms INTEGER NOT NULL)",
            &error))
    return false;
  std::int64_t current = current_version(db);
  if (current < 0) {
    error = "cannot read the schema version";
    return false;
  }
  if (current > migrations[std::size(migrations) - 1].version) {
    error = "the schema version " + std::to_string(current) +
            " is newer than this build knows; upgrade Switchboard";
    return false;
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    if (!exec(db, "BEGIN IMMEDIATE", &error)) return false;
    if (!apply(db, m, error)) {
      error = "migration " + std::to_string(m.version) + ": " + error;
      exec(db, "ROLLBACK");
      return false;
    }
    if (!exec(db, "COMMIT", &error)) {
      exec(db, "ROLLBACK");
      return false;
    }
  }
  return true;
}

}  // namespace sb::store::sqlite
