// Store behaviour, run against both implementations: seq assignment, idempotency, ordering,
// paging, durability across reopen (SQLite), and failed batches leaving no trace and no gap.
#include "store/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "store/sqlite/sqlite_store.h"

using namespace sb::store;
namespace fs = std::filesystem;

namespace {

write_result submit_wait(store& s, write_op op) {
  std::promise<write_result> p;
  auto f = p.get_future();
  s.submit(std::move(op), [&p](write_result&& r) { p.set_value(std::move(r)); });
  return f.get();
}

message draft(const std::string& conv, const std::string& sender, const std::string& client_id,
              const std::string& text = "hi") {
  message m;
  m.conv = conv;
  m.sender_kind = "visitor";
  m.sender_id = sender;
  m.sender_name = "Ann";
  m.client_id = client_id;
  m.text = text;
  m.ts_ms = 1700000000000;
  return m;
}

conversation conv_record(const std::string& id, const std::string& visitor = "v1") {
  conversation c;
  c.id = id;
  c.site = "demo";
  c.visitor_id = visitor;
  c.state = "queued";
  c.created_ms = c.updated_ms = 1;
  return c;
}

class store_test : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      if (c == '/') c = '_';  // parameterised names contain a slash
    dir_ = fs::temp_directory_path() / ("sb-store-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    if (GetParam() == "memory") {
      store_ = open_memory_store();
      return;
    }
    sqlite_options o;
    o.path = (dir_ / "db.sqlite").string();
    std::string error;
    store_ = open_sqlite_store(o, error);
    ASSERT_TRUE(store_) << error;
  }
  bool durable() const { return GetParam() == "sqlite"; }

  fs::path dir_;
  std::unique_ptr<store> store_;
};

}  // namespace

TEST_P(store_test, seqs_are_contiguous_per_conversation_under_concurrent_submitters) {
  constexpr int convs = 20, threads = 8, per_thread = 500;
  for (int c = 0; c < convs; c++)
    submit_wait(*store_, put_conversation{conv_record("c" + std::to_string(c))});
  std::mutex mu;
  std::map<std::string, std::vector<std::uint64_t>> seen;
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; i++) {
        std::string conv = "c" + std::to_string((t * per_thread + i) % convs);
        store_->submit(append_message{draft(conv, "s" + std::to_string(t), std::to_string(i))},
                       [&](write_result&& r) {
                         ASSERT_EQ(r.st, status::ok);
                         std::lock_guard<std::mutex> lock(mu);
                         seen[r.msg.conv].push_back(r.msg.seq);
                         done++;
                       });
      }
    });
  }
  for (auto& t : ts) t.join();
  store_->close();
  ASSERT_EQ(done.load(), threads * per_thread);
  for (auto& [conv, seqs] : seen) {
    // Callbacks run in commit order, so each conversation's seqs arrive as 1, 2, 3, ...
    for (std::size_t i = 0; i < seqs.size(); i++) ASSERT_EQ(seqs[i], i + 1) << conv;
  }
}

TEST_P(store_test, resend_with_same_client_id_returns_the_original_and_stores_nothing) {
  submit_wait(*store_, put_conversation{conv_record("c1")});
  auto first = submit_wait(*store_, append_message{draft("c1", "v1", "m1", "hello")});
  auto again = submit_wait(*store_, append_message{draft("c1", "v1", "m1", "hello")});
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.seq, first.msg.seq);
  EXPECT_EQ(again.msg.id, first.msg.id);
  auto next = submit_wait(*store_, append_message{draft("c1", "v1", "m2")});
  EXPECT_EQ(next.msg.seq, 2u);  // the duplicate consumed no seq
  // Another sender may reuse the same client id.
  auto other = submit_wait(*store_, append_message{draft("c1", "v2", "m1")});
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.msg.seq, 3u);
}

TEST_P(store_test, duplicates_inside_one_batch_are_detected) {
  submit_wait(*store_, put_conversation{conv_record("c1")});
  std::promise<void> all;
  std::vector<write_result> results(3);
  std::atomic<int> n{0};
  for (int i = 0; i < 3; i++)
    store_->submit(append_message{draft("c1", "v1", "same")}, [&, i](write_result&& r) {
      results[i] = std::move(r);
      if (++n == 3) all.set_value();
    });
  all.get_future().wait();
  EXPECT_EQ(results[0].msg.seq, 1u);
  EXPECT_TRUE(results[1].duplicate);
  EXPECT_TRUE(results[2].duplicate);
  EXPECT_EQ(results[2].msg.seq, 1u);
}

TEST_P(store_test, bot_messages_without_client_id_are_never_deduplicated) {
  submit_wait(*store_, put_conversation{conv_record("c1")});
  auto a = submit_wait(*store_, append_message{draft("c1", "bot", "")});
  auto b = submit_wait(*store_, append_message{draft("c1", "bot", "")});
  EXPECT_EQ(a.msg.seq, 1u);
  EXPECT_EQ(b.msg.seq, 2u);
}

TEST_P(store_test, paging_after_and_before) {
  submit_wait(*store_, put_conversation{conv_record("c1")});
  for (int i = 1; i <= 10; i++)
    submit_wait(*store_,
                append_message{draft("c1", "v1", std::to_string(i), "t" + std::to_string(i))});
  std::vector<message> page;
  ASSERT_EQ(store_->messages_after("c1", 7, 100, page), status::ok);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 8u);
  EXPECT_EQ(page[2].text, "t10");
  ASSERT_EQ(store_->messages_before("c1", 6, 3, page), status::ok);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 3u);
  EXPECT_EQ(page[2].seq, 5u);
  ASSERT_EQ(store_->messages_before("c1", UINT64_MAX, 2, page), status::ok);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[1].seq, 10u);
  ASSERT_EQ(store_->messages_after("nope", 0, 10, page), status::ok);
  EXPECT_TRUE(page.empty());
}

TEST_P(store_test, conversation_upsert_keeps_last_seq_and_open_lookups_work) {
  submit_wait(*store_, put_conversation{conv_record("c1", "v9")});
  submit_wait(*store_, append_message{draft("c1", "v9", "a")});
  auto c = conv_record("c1", "v9");
  c.state = "assigned";
  c.agent_id = "a1";
  submit_wait(*store_, put_conversation{c});
  conversation out;
  ASSERT_EQ(store_->get_conversation("c1", out), status::ok);
  EXPECT_EQ(out.state, "assigned");
  EXPECT_EQ(out.last_seq, 1u);
  ASSERT_EQ(store_->open_conversation_of("v9", out), status::ok);
  EXPECT_EQ(out.id, "c1");
  c.state = "closed";
  submit_wait(*store_, put_conversation{c});
  EXPECT_EQ(store_->open_conversation_of("v9", out), status::not_found);
  std::vector<conversation> open;
  ASSERT_EQ(store_->open_conversations(open), status::ok);
  EXPECT_TRUE(open.empty());
}

TEST_P(store_test, read_marks_only_rise) {
  submit_wait(*store_, put_read_mark{{"c1", "a1", 5}});
  submit_wait(*store_, put_read_mark{{"c1", "a1", 3}});
  std::vector<read_mark> marks;
  ASSERT_EQ(store_->read_marks("c1", marks), status::ok);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].seq, 5u);
}

TEST_P(store_test, agents_sites_visitors_and_meta_round_trip) {
  agent a;
  a.id = "a1";
  a.email = "ann@example.com";
  a.name = "Ann";
  a.password_hash = "scrypt$x";
  a.role = "admin";
  a.max_chats = 3;
  a.sites = {"demo", "shop"};
  a.teams = {"sales"};
  ASSERT_EQ(store_->put_agent(a), status::ok);
  agent out;
  ASSERT_EQ(store_->find_agent_by_email("ann@example.com", out), status::ok);
  EXPECT_EQ(out.id, "a1");
  EXPECT_EQ(out.sites, a.sites);
  EXPECT_EQ(out.teams, a.teams);
  EXPECT_EQ(store_->find_agent_by_email("bob@example.com", out), status::not_found);

  site s;
  s.key = "shop";
  s.allowed_origins = {"https://shop.example"};
  s.settings_json = R"({"color":"#123"})";
  ASSERT_EQ(store_->put_site(s), status::ok);
  std::vector<site> sites;
  ASSERT_EQ(store_->list_sites(sites), status::ok);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].allowed_origins, s.allowed_origins);
  EXPECT_EQ(sites[0].settings_json, s.settings_json);

  visitor v;
  v.id = "v1";
  v.site = "shop";
  v.name = "Vi";
  submit_wait(*store_, put_visitor{v});
  visitor vo;
  ASSERT_EQ(store_->get_visitor("v1", vo), status::ok);
  EXPECT_EQ(vo.name, "Vi");

  std::string value;
  EXPECT_EQ(store_->get_meta("k", value), status::not_found);
  ASSERT_EQ(store_->put_meta("k", "v"), status::ok);
  ASSERT_EQ(store_->get_meta("k", value), status::ok);
  EXPECT_EQ(value, "v");
}

TEST_P(store_test, writes_after_close_fail_with_unavailable) {
  store_->close();
  auto r = submit_wait(*store_, put_conversation{conv_record("c1")});
  EXPECT_EQ(r.st, status::unavailable);
}

TEST_P(store_test, committed_messages_survive_reopen) {
  if (!durable()) GTEST_SKIP() << "memory store forgets by design";
  submit_wait(*store_, put_conversation{conv_record("c1")});
  auto first = submit_wait(*store_, append_message{draft("c1", "v1", "m1")});
  submit_wait(*store_, append_message{draft("c1", "v1", "m2")});
  reopen();
  std::vector<message> all;
  ASSERT_EQ(store_->messages_after("c1", 0, 10, all), status::ok);
  ASSERT_EQ(all.size(), 2u);
  auto again = submit_wait(*store_, append_message{draft("c1", "v1", "m1")});
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.ts_ms, first.msg.ts_ms);
  auto next = submit_wait(*store_, append_message{draft("c1", "v1", "m3")});
  EXPECT_EQ(next.msg.seq, 3u);
  EXPECT_GT(next.msg.id, all[1].id);  // server ids keep growing across restarts
}

INSTANTIATE_TEST_SUITE_P(both, store_test, ::testing::Values("sqlite", "memory"));

TEST(sqlite_store, failed_batch_stores_nothing_and_the_next_batch_has_no_gap) {
  // Fail loop: fail the n-th batch, for every n over a short run.
  for (std::uint64_t fail_at = 1; fail_at <= 4; fail_at++) {
    auto dir = fs::temp_directory_path() /
               ("sb-fault-" + std::to_string(::getpid()) + "-" + std::to_string(fail_at));
    fs::remove_all(dir);
    fs::create_directories(dir);
    sqlite_options o;
    o.path = (dir / "db.sqlite").string();
    std::string error;
    auto s = open_sqlite_store(o, error);
    ASSERT_TRUE(s) << error;
    static_cast<sb::store::sqlite::sqlite_store*>(s.get())->set_fault(
        [fail_at](std::uint64_t n) { return n == fail_at; });
    std::vector<std::uint64_t> acked;
    int failed = 0;
    submit_wait(*s, put_conversation{conv_record("c1")});  // batch 1 (may fail: then retried)
    submit_wait(*s, put_conversation{conv_record("c1")});
    for (int i = 0; i < 6; i++) {
      auto r = submit_wait(*s, append_message{draft("c1", "v1", std::to_string(i))});
      if (r.st == status::ok)
        acked.push_back(r.msg.seq);
      else
        failed++;
    }
    EXPECT_LE(failed, 1);
    for (std::size_t i = 0; i < acked.size(); i++)
      EXPECT_EQ(acked[i], i + 1) << "fail_at " << fail_at;
    std::vector<message> stored;
    ASSERT_EQ(s->messages_after("c1", 0, 100, stored), status::ok);
    EXPECT_EQ(stored.size(), acked.size());
    s.reset();
    fs::remove_all(dir);
  }
}

TEST(sqlite_store, opening_in_a_missing_directory_names_the_path) {
  sqlite_options o;
  o.path = "/nonexistent-dir-for-switchboard/db.sqlite";
  std::string error;
  auto s = open_sqlite_store(o, error);
  EXPECT_FALSE(s);
  EXPECT_NE(error.find("/nonexistent-dir-for-switchboard/db.sqlite"), std::string::npos) << error;
}
