// SQLite connection and statement helpers.
#include "store/sqlite/sqlite_db.h"

namespace sb::store::sqlite {

stmt::stmt(sqlite3* db, const char* sql) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
    s_ = nullptr;
}

stmt::~stmt() {
  if (s_) sqlite3_finalize(s_);
}

stmt& stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

stmt& stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

stmt& stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

int stmt::step() { return sqlite3_step(s_); }

void stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

std::int64_t stmt::integer(int col) const { return sqlite3_column_int64(s_, col); }

bool exec(sqlite3* db, const char* sql, std::string* error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  if (error) *error = msg ? msg : "sqlite error";
  sqlite3_free(msg);
  return false;
}

sqlite3* open_connection(const std::string& path, int busy_timeout_ms, bool synchronous_full,
                         std::string& error) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    error = "cannot open the database " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::string pragma_error;
  // A 64 MiB page cache and memory-mapped reads keep the index pages of a growing messages
  // table in memory (the default 2 MiB cache made every insert a pread); a larger
  // auto-checkpoint interval means fewer checkpoints stalling the writer.
  std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; "
      "PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=4000; PRAGMA temp_store=MEMORY; "
      "PRAGMA synchronous=";
  pragmas += synchronous_full ? "FULL;" : "NORMAL;";
  if (!exec(db, pragmas.c_str(), &pragma_error)) {
    error = "cannot use the database " + path + ": " + pragma_error;
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

}  // namespace sb::store::sqlite
