// SQLite-only behaviour: data and idempotency keys survive a reopen, migrations run once and
// upgrade older files, a failed transaction leaves nothing and no seq gap (a fail loop over
// every batch, and a real lock), and opening explains what is wrong with the file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace sb::store;
using namespace sb::store::testing;

namespace {

/** A raw connection to look at (or age) the file behind the store's back. */
class raw_db {
 public:
  explicit raw_db(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~raw_db() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err << sql;
  }
  /** The first column of every row, as text. */
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    while (s && sqlite3_step(s) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class sqlite_store_test : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    std::string error;
    store_ = open_sqlite_store(opts_, error);
    ASSERT_TRUE(store_) << error;
  }
  void set_fault(std::function<bool(std::uint64_t)> f) {
    static_cast<sqlite::sqlite_store*>(store_.get())->set_fault(std::move(f));
  }
  std::vector<message> all(const std::string& conv) {
    std::vector<message> out;
    EXPECT_EQ(store_->messages_after(conv, 0, 100000, out), status::ok);
    return out;
  }

  temp_dir dir_;
  sqlite_options opts_ = [this] {
    sqlite_options o;
    o.path = dir_.file("db.sqlite");
    return o;
  }();
  std::unique_ptr<store> store_;
};

}  // namespace

TEST_F(sqlite_store_test, committed_data_survives_close_and_reopen) {
  submit_wait(*store_, put_conversation{conv_record("c1", "v1", 10)});
  submit_wait(*store_, put_visitor{visitor{"v1", "demo", "Vi", "", "", "", "", 0, 0}});
  submit_wait(*store_, put_read_mark{{"c1", "a1", 2}});
  auto first = submit_wait(*store_, append_message{draft("c1", "v1", "m1", "one")});
  auto second = submit_wait(*store_, append_message{draft("c1", "v1", "m2", "two")});
  ASSERT_EQ(store_->put_meta("k", "v"), status::ok);
  EXPECT_EQ(raw_db(opts_.path).column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  reopen();

  auto stored = all("c1");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].text, "two");
  EXPECT_EQ(stored[1].id, second.msg.id);
  conversation c;
  ASSERT_EQ(store_->get_conversation("c1", c), status::ok);
  EXPECT_EQ(c.last_seq, 2u);
  visitor v;
  EXPECT_EQ(store_->get_visitor("v1", v), status::ok);
  std::vector<read_mark> marks;
  ASSERT_EQ(store_->read_marks("c1", marks), status::ok);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].seq, 2u);
  std::string value;
  EXPECT_EQ(store_->get_meta("k", value), status::ok);

  // The idempotency key outlives the process that stored it.
  auto again = submit_wait(*store_, append_message{draft("c1", "v1", "m1", "one")});
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.seq, first.msg.seq);
  EXPECT_EQ(again.msg.ts_ms, first.msg.ts_ms);
  EXPECT_EQ(again.msg.id, first.msg.id);
  auto next = submit_wait(*store_, append_message{draft("c1", "v1", "m3")});
  EXPECT_EQ(next.msg.seq, 3u);
  EXPECT_GT(next.msg.id, second.msg.id);  // server ids keep growing across restarts
}

TEST_F(sqlite_store_test, reopening_applies_no_migration_again) {
  store_.reset();
  const char* q = "SELECT version || ':' || applied_ms FROM schema_migrations ORDER BY version";
  auto before = raw_db(opts_.path).column(q);
  ASSERT_EQ(before.size(), 4u);
  raw_db(opts_.path).exec("UPDATE schema_migrations SET applied_ms = 1");  // marks the rows
  reopen();
  store_.reset();
  EXPECT_EQ(raw_db(opts_.path).column(q), (std::vector<std::string>{"1:1", "2:1", "3:1", "4:1"}));
}

// Version 1 shipped twice: with conversations.last_seq and, later, without it. Migration 2
// must bring both shapes to the same schema and fill last_seq from the messages.
TEST_F(sqlite_store_test, version_1_files_of_either_shape_are_migrated_and_last_seq_backfilled) {
  for (bool had_column : {false, true}) {
    SCOPED_TRACE(had_column ? "with last_seq" : "without last_seq");
    store_.reset();
    std::filesystem::remove(opts_.path);
    reopen();
    submit_wait(*store_, put_conversation{conv_record("c1")});
    for (int i = 0; i < 3; i++)
      submit_wait(*store_, append_message{draft("c1", "v1", std::to_string(i))});
    store_.reset();
    {
      raw_db db(opts_.path);
      // Back to a true version-1 file: later migrations undone, newest first.
      db.exec("DELETE FROM schema_migrations WHERE version >= 2");
      db.exec("DROP TABLE ai_usage");
      db.exec("ALTER TABLE sites DROP COLUMN ai");
      db.exec("ALTER TABLE sites DROP COLUMN rate_limits");
      db.exec(had_column ? "UPDATE conversations SET last_seq = 0"
                         : "ALTER TABLE conversations DROP COLUMN last_seq");
    }
    reopen();
    conversation c;
    ASSERT_EQ(store_->get_conversation("c1", c), status::ok);
    EXPECT_EQ(c.last_seq, 3u);
    EXPECT_EQ(submit_wait(*store_, append_message{draft("c1", "v1", "next")}).msg.seq, 4u);
  }
}

TEST_F(sqlite_store_test, a_file_from_a_newer_schema_is_refused) {
  store_.reset();
  raw_db(opts_.path).exec("INSERT INTO schema_migrations VALUES (99, 0)");
  std::string error;
  EXPECT_FALSE(open_sqlite_store(opts_, error));
  EXPECT_NE(error.find(opts_.path), std::string::npos) << error;
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
}

// Fail loop: run the same scripted workload once per batch number n, failing batch n. The
// batches are shaped exactly (submit_batch), so each run fails a known set of writes.
TEST_F(sqlite_store_test, a_failed_batch_is_unavailable_as_a_whole_and_leaves_no_seq_gap) {
  constexpr std::uint64_t rounds = 4, batches = 1 + 2 * rounds;  // conv, then gate + work each
  for (std::uint64_t fail_at = 1; fail_at <= batches + 1; fail_at++) {
    SCOPED_TRACE("failing batch " + std::to_string(fail_at));
    store_.reset();
    std::filesystem::remove(opts_.path);
    reopen();
    set_fault([fail_at](std::uint64_t n) { return n == fail_at; });
    bool conv_ok = submit_wait(*store_, put_conversation{conv_record("c1")}).st == status::ok;
    if (!conv_ok) submit_wait(*store_, put_conversation{conv_record("c1")});  // batch 2
    std::uint64_t batch = conv_ok ? 1 : 2;
    std::vector<std::string> lost;  // client ids of messages whose batch failed
    std::uint64_t acked = 0;
    for (std::uint64_t r = 0; r < rounds; r++) {
      std::string k = std::to_string(r);
      auto res = submit_batch(
          *store_,
          {append_message{draft("c1", "v1", "a" + k)}, put_read_mark{{"c1", "v1", 100 + r}},
           append_message{draft("c1", "v1", "a" + k)},  // resend inside the batch
           append_message{draft("c1", "bot", "")}, append_message{draft("c1", "v1", "b" + k)}});
      batch += 2;
      bool failed = batch == fail_at;
      for (auto& x : res) EXPECT_EQ(x.st, failed ? status::unavailable : status::ok);
      if (failed) {
        lost = {"a" + k, "b" + k};
        continue;
      }
      EXPECT_TRUE(res[2].duplicate);
      for (int i : {0, 3, 4}) EXPECT_EQ(res[i].msg.seq, ++acked);  // no gap after a failure
    }
    auto stored = all("c1");
    ASSERT_EQ(stored.size(), acked);
    for (std::size_t i = 0; i < stored.size(); i++) EXPECT_EQ(stored[i].seq, i + 1);
    conversation c;
    ASSERT_EQ(store_->get_conversation("c1", c), status::ok);
    EXPECT_EQ(c.last_seq, acked);
    // The keys of a failed batch were never stored: resending them stores them now.
    for (auto& id : lost) {
      auto r = submit_wait(*store_, append_message{draft("c1", "v1", id)});
      EXPECT_FALSE(r.duplicate);
      EXPECT_EQ(r.msg.seq, ++acked);
    }
    std::vector<read_mark> marks;
    ASSERT_EQ(store_->read_marks("c1", marks), status::ok);
    ASSERT_EQ(marks.size(), 1u);
    // The last round's mark (103) is lost only when the last round's batch failed.
    EXPECT_EQ(marks[0].seq, fail_at == batch ? 102u : 103u);
  }
}

TEST_F(sqlite_store_test, a_locked_database_fails_the_batch_and_the_next_one_continues_the_seqs) {
  opts_.busy_timeout_ms = 20;
  reopen();
  submit_wait(*store_, put_conversation{conv_record("c1")});
  EXPECT_EQ(submit_wait(*store_, append_message{draft("c1", "v1", "1")}).msg.seq, 1u);
  {
    raw_db other(opts_.path);
    other.exec("BEGIN IMMEDIATE");  // another writer holds the lock past the busy timeout
    auto res = submit_batch(
        *store_, {append_message{draft("c1", "v1", "2")}, append_message{draft("c1", "v1", "3")}});
    for (auto& r : res) EXPECT_EQ(r.st, status::unavailable);
    EXPECT_EQ(store_->put_meta("k", "v"), status::unavailable);  // admin writes wait too
    std::vector<message> readable;  // readers are not blocked by a writer in WAL mode
    EXPECT_EQ(store_->messages_after("c1", 0, 10, readable), status::ok);
    EXPECT_EQ(readable.size(), 1u);
    other.exec("ROLLBACK");
  }
  auto r = submit_wait(*store_, append_message{draft("c1", "v1", "2")});
  EXPECT_EQ(r.st, status::ok);
  EXPECT_EQ(r.msg.seq, 2u);
  EXPECT_EQ(store_->put_meta("k", "v"), status::ok);
}

TEST(sqlite_open, a_path_in_a_missing_directory_fails_naming_the_path) {
  sqlite_options o;
  o.path = "/nonexistent-dir-for-switchboard/db.sqlite";
  std::string error;
  EXPECT_FALSE(open_sqlite_store(o, error));
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
}

TEST(sqlite_open, a_file_that_is_not_a_database_fails_naming_the_file) {
  temp_dir dir;
  sqlite_options o;
  o.path = dir.file("notes.txt");
  std::ofstream(o.path) << std::string(8192, 'x');
  std::string error;
  EXPECT_FALSE(open_sqlite_store(o, error));
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}
