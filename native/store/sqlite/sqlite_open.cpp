// Opening a SQLite store: checks the path, opens the writer connection, migrates, and when it
// cannot, says which file and why (so the operator knows what to fix).
#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.h"

namespace sb::store {

namespace {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

std::string journal_mode(sqlite3* db) {
  sqlite::stmt s(db, "PRAGMA journal_mode");
  return s.ok() && s.step() == SQLITE_ROW ? s.text(0) : std::string();
}

/** Empty when the connection can take the store's writes, else the reason it cannot. */
std::string unusable_because(sqlite3* db) {
  // SQLite opens a file it may not write read-only without a word; writes would fail later.
  if (sqlite3_db_readonly(db, "main") == 1) return "the file is read-only";
  // Readers beside the writer and group commit both rely on WAL, which a network file system
  // may refuse (SQLite then silently keeps the rollback journal).
  if (journal_mode(db) != "wal") return "WAL mode is not available on this file system";
  return {};
}

std::unique_ptr<store> open(const sqlite_options& opts, std::string& error) {
  const std::string& path = opts.path;
  if (path.empty()) {
    error = "no database path given";
    return nullptr;
  }
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    error =
        "cannot open the database " + path + ": the directory " + dir.string() + " does not exist";
    return nullptr;
  }
  db_ptr writer(sqlite::open_connection(path, opts.busy_timeout_ms, opts.synchronous_full, error));
  if (!writer) return nullptr;
  if (auto cause = unusable_because(writer.get()); !cause.empty()) {
    error = "cannot use the database " + path + ": " + cause;
    return nullptr;
  }
  if (!sqlite::migrate(writer.get(), error)) {
    error = "cannot migrate the database " + path + ": " + error;
    return nullptr;
  }
  db_ptr admin(sqlite::open_connection(path, opts.busy_timeout_ms, opts.synchronous_full, error));
  if (!admin) return nullptr;
  auto s = std::make_unique<sqlite::sqlite_store>(opts, writer.get(), admin.get());
  writer.release();  // the store owns both now
  admin.release();
  return s;
}

}  // namespace

std::unique_ptr<store> open_sqlite_store(const sqlite_options& opts, std::string& error) {
  error.clear();
  try {
    return open(opts, error);
  } catch (const std::exception& e) {  // out of memory, or no thread for the writer
    error = "cannot open the database " + opts.path + ": " + e.what();
    return nullptr;
  }
}

}  // namespace sb::store
