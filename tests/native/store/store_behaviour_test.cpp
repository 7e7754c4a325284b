// Store behaviour both implementations share, one suite run against each: seq assignment,
// idempotent resends, callback order, paging, conversations, read marks, agents, sites, meta,
// close. SQLite-only behaviour (durability, migrations, failures) is in sqlite_store_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/store.h"
#include "store_test_support.h"

using namespace sb::store;
using namespace sb::store::testing;

using store_behaviour = store_fixture;

TEST_P(store_behaviour, seqs_are_contiguous_from_1_per_conversation_under_concurrent_submitters) {
  constexpr int convs = 20, threads = 8, per_thread = 1000;
  for (int c = 0; c < convs; c++) put_conv(conv_record("c" + std::to_string(c)));
  std::mutex mu;
  std::map<std::string, std::vector<std::uint64_t>> acked;  // in callback order
  std::set<std::int64_t> ids;
  int failed = 0;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; i++) {
        std::string conv = "c" + std::to_string((t + i) % convs);
        store_->submit(append_message{draft(conv, "s" + std::to_string(t), std::to_string(i))},
                       [&](write_result&& r) {
                         std::lock_guard<std::mutex> lock(mu);
                         if (r.st != status::ok || r.duplicate) failed++;
                         acked[r.msg.conv].push_back(r.msg.seq);
                         ids.insert(r.msg.id);
                       });
      }
    });
  }
  for (auto& t : ts) t.join();
  submit_wait(*store_, put_visitor{visitor{"last", "demo", "", "", "", "", "", 0, 0}});
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(ids.size(), std::size_t(threads * per_thread));  // server ids are unique
  ASSERT_EQ(acked.size(), std::size_t(convs));
  for (auto& [conv, seqs] : acked) {
    // Callbacks run in commit order, so each conversation's seqs are acked as 1, 2, 3, ...
    for (std::size_t i = 0; i < seqs.size(); i++) ASSERT_EQ(seqs[i], i + 1) << conv;
    std::vector<message> stored;
    ASSERT_EQ(store_->messages_after(conv, 0, 100000, stored), status::ok);
    ASSERT_EQ(stored.size(), seqs.size()) << conv;
    EXPECT_EQ(stored.back().seq, seqs.size()) << conv;
    conversation c;
    ASSERT_EQ(store_->get_conversation(conv, c), status::ok);
    EXPECT_EQ(c.last_seq, seqs.size()) << conv;
  }
  EXPECT_EQ(store_->stats().writes_total, std::uint64_t(convs + threads * per_thread + 1));
  EXPECT_EQ(store_->stats().writes_queued, 0u);
}

TEST_P(store_behaviour, callbacks_run_in_submission_order_on_one_writer_thread) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  constexpr int n = 300;
  for (int i = 0; i < n; i++) {
    write_op op;
    switch (i % 4) {
      case 0:
        op = put_conversation{conv_record("c" + std::to_string(i % 7))};
        break;
      case 1:
        op = append_message{draft("c" + std::to_string(i % 7), "v", std::to_string(i))};
        break;
      case 2:
        op = put_read_mark{read_mark{"c1", "a" + std::to_string(i % 3), std::uint64_t(i)}};
        break;
      default:
        op = put_visitor{visitor{"v" + std::to_string(i), "demo", "", "", "", "", "", 0, 0}};
        break;
    }
    // Only the writer thread touches `order` until close() has joined it.
    store_->submit(std::move(op), [&order, &threads, i](write_result&&) {
      order.push_back(i);
      threads.insert(std::this_thread::get_id());
    });
  }
  store_->close();
  ASSERT_EQ(order.size(), std::size_t(n));
  for (int i = 0; i < n; i++) ASSERT_EQ(order[i], i);
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST_P(store_behaviour, resend_with_the_same_client_id_returns_the_original_and_uses_no_seq) {
  put_conv(conv_record("c1"));
  auto first = append(draft("c1", "v1", "m1", "hello"));
  auto resend = draft("c1", "v1", "m1", "hello");
  resend.ts_ms += 5000;  // a resend arrives later: the stored time wins
  auto again = append(resend);
  EXPECT_FALSE(first.duplicate);
  ASSERT_EQ(again.st, status::ok);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.msg.seq, first.msg.seq);
  EXPECT_EQ(again.msg.id, first.msg.id);
  EXPECT_EQ(again.msg.ts_ms, first.msg.ts_ms);
  EXPECT_EQ(again.msg.text, "hello");
  EXPECT_EQ(append(draft("c1", "v1", "m2")).msg.seq, 2u);  // the resend consumed no seq
  auto other_sender = append(draft("c1", "v2", "m1"));     // keys are per sender
  EXPECT_FALSE(other_sender.duplicate);
  EXPECT_EQ(other_sender.msg.seq, 3u);
  std::vector<message> stored;
  ASSERT_EQ(store_->messages_after("c1", 0, 10, stored), status::ok);
  EXPECT_EQ(stored.size(), 3u);
}

TEST_P(store_behaviour, resends_inside_one_batch_return_the_first_message) {
  put_conv(conv_record("c1"));
  auto r = submit_batch(*store_, {append_message{draft("c1", "v1", "same", "one")},
                                  append_message{draft("c1", "v1", "other")},
                                  append_message{draft("c1", "v1", "same", "two")},
                                  append_message{draft("c1", "v1", "same", "three")}});
  EXPECT_EQ(store_->stats().last_batch_size, 4u);  // really one transaction
  EXPECT_FALSE(r[0].duplicate);
  EXPECT_EQ(r[0].msg.seq, 1u);
  EXPECT_EQ(r[1].msg.seq, 2u);
  for (int i : {2, 3}) {
    EXPECT_TRUE(r[i].duplicate) << i;
    EXPECT_EQ(r[i].msg.seq, 1u) << i;
    EXPECT_EQ(r[i].msg.id, r[0].msg.id) << i;
    EXPECT_EQ(r[i].msg.text, "one") << i;
  }
  EXPECT_EQ(append(draft("c1", "v1", "next")).msg.seq, 3u);
}

TEST_P(store_behaviour, messages_without_a_client_id_are_never_taken_for_resends) {
  put_conv(conv_record("c1"));
  auto bot = draft("c1", "bot", "");
  bot.sender_kind = "bot";
  auto r = submit_batch(*store_, {append_message{bot}, append_message{bot}});
  EXPECT_FALSE(r[0].duplicate);
  EXPECT_FALSE(r[1].duplicate);
  EXPECT_EQ(r[0].msg.seq, 1u);
  EXPECT_EQ(r[1].msg.seq, 2u);
  EXPECT_EQ(append(bot).msg.seq, 3u);
}

TEST_P(store_behaviour, messages_after_pages_forward_and_messages_before_returns_the_newest) {
  put_conv(conv_record("c1"));
  for (int i = 1; i <= 10; i++)
    append(draft("c1", "v1", std::to_string(i), "t" + std::to_string(i)));
  std::vector<message> page;
  ASSERT_EQ(store_->messages_after("c1", 0, 4, page), status::ok);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page.front().seq, 1u);
  EXPECT_EQ(page.back().seq, 4u);
  ASSERT_EQ(store_->messages_after("c1", 7, 100, page), status::ok);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 8u);
  EXPECT_EQ(page[2].text, "t10");
  EXPECT_EQ(page[2].client_id, "10");
  ASSERT_EQ(store_->messages_after("c1", 10, 100, page), status::ok);
  EXPECT_TRUE(page.empty());
  ASSERT_EQ(store_->messages_before("c1", 6, 3, page), status::ok);  // newest 3 below 6, ascending
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 3u);
  EXPECT_EQ(page[2].seq, 5u);
  ASSERT_EQ(store_->messages_before("c1", UINT64_MAX, 2, page), status::ok);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 9u);
  EXPECT_EQ(page[1].seq, 10u);
  ASSERT_EQ(store_->messages_before("c1", 3, 100, page), status::ok);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 1u);
  ASSERT_EQ(store_->messages_before("c1", 1, 100, page), status::ok);
  EXPECT_TRUE(page.empty());
  ASSERT_EQ(store_->messages_after("c1", 0, 0, page), status::ok);
  EXPECT_TRUE(page.empty());
  ASSERT_EQ(store_->messages_after("nope", 0, 10, page), status::ok);
  EXPECT_TRUE(page.empty());
}

TEST_P(store_behaviour, put_conversation_replaces_the_row_but_keeps_last_seq_and_created_ms) {
  put_conv(conv_record("c1", "v9", 100));
  append(draft("c1", "v9", "a"));
  append(draft("c1", "v9", "b"));
  auto c = conv_record("c1", "v9", 999);
  c.state = "assigned";
  c.agent_id = "a1";
  c.team = "sales";
  c.updated_ms = 500;
  put_conv(c);
  conversation out;
  ASSERT_EQ(store_->get_conversation("c1", out), status::ok);
  EXPECT_EQ(out.state, "assigned");
  EXPECT_EQ(out.agent_id, "a1");
  EXPECT_EQ(out.team, "sales");
  EXPECT_EQ(out.last_seq, 2u);
  EXPECT_EQ(out.created_ms, 100);
  EXPECT_EQ(out.updated_ms, 500);
  EXPECT_EQ(store_->get_conversation("nope", out), status::not_found);
}

// The interface asks for the conversation first; if a caller gets that wrong, seqs must still
// never repeat (a repeated seq would fail every later batch on the unique index).
TEST_P(store_behaviour, messages_that_arrive_before_their_conversation_row_keep_their_seqs) {
  EXPECT_EQ(append(draft("early", "v1", "1")).msg.seq, 1u);
  EXPECT_EQ(append(draft("early", "v1", "2")).msg.seq, 2u);
  put_conv(conv_record("early"));
  conversation out;
  ASSERT_EQ(store_->get_conversation("early", out), status::ok);
  EXPECT_EQ(out.last_seq, 2u);
  EXPECT_EQ(append(draft("early", "v1", "3")).msg.seq, 3u);
}

TEST_P(store_behaviour, appends_after_a_conversation_is_closed_continue_its_seqs) {
  put_conv(conv_record("c1"));
  append(draft("c1", "v1", "1"));
  auto c = conv_record("c1");
  c.state = "closed";
  put_conv(c);  // the SQLite writer drops its cache entry here
  auto bye = draft("c1", "system", "");
  bye.sender_kind = "system";
  EXPECT_EQ(append(bye).msg.seq, 2u);
}

TEST_P(store_behaviour, open_conversations_lists_every_unclosed_one_oldest_first) {
  put_conv(conv_record("c3", "v3", 30));
  put_conv(conv_record("c1", "v1", 10));
  auto closed = conv_record("c2", "v2", 20);
  closed.state = "closed";
  put_conv(closed);
  auto bot = conv_record("c4", "v4", 40);
  bot.state = "bot";
  put_conv(bot);
  std::vector<conversation> open;
  ASSERT_EQ(store_->open_conversations(open), status::ok);
  ASSERT_EQ(open.size(), 3u);
  EXPECT_EQ(open[0].id, "c1");
  EXPECT_EQ(open[1].id, "c3");
  EXPECT_EQ(open[2].id, "c4");
}

TEST_P(store_behaviour, open_conversation_of_returns_the_visitors_newest_open_one) {
  put_conv(conv_record("old", "v1", 10));
  put_conv(conv_record("new", "v1", 20));
  put_conv(conv_record("someone-else", "v2", 30));
  conversation out;
  ASSERT_EQ(store_->open_conversation_of("v1", out), status::ok);
  EXPECT_EQ(out.id, "new");
  auto c = conv_record("new", "v1", 20);
  c.state = "closed";
  put_conv(c);
  ASSERT_EQ(store_->open_conversation_of("v1", out), status::ok);
  EXPECT_EQ(out.id, "old");
  c.id = "old";
  put_conv(c);
  EXPECT_EQ(store_->open_conversation_of("v1", out), status::not_found);
  EXPECT_EQ(store_->open_conversation_of("nobody", out), status::not_found);
}

TEST_P(store_behaviour, read_marks_only_rise) {
  submit_wait(*store_, put_read_mark{{"c1", "a1", 5}});
  submit_wait(*store_, put_read_mark{{"c1", "a1", 3}});
  submit_wait(*store_, put_read_mark{{"c1", "v1", 2}});
  submit_wait(*store_, put_read_mark{{"c1", "v1", 4}});
  submit_wait(*store_, put_read_mark{{"c2", "a1", 9}});
  std::vector<read_mark> marks;
  ASSERT_EQ(store_->read_marks("c1", marks), status::ok);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0].reader_id, "a1");
  EXPECT_EQ(marks[0].seq, 5u);
  EXPECT_EQ(marks[1].reader_id, "v1");
  EXPECT_EQ(marks[1].seq, 4u);
  ASSERT_EQ(store_->read_marks("none", marks), status::ok);
  EXPECT_TRUE(marks.empty());
}

INSTANTIATE_TEST_SUITE_P(both, store_behaviour, ::testing::Values("sqlite", "memory"));
