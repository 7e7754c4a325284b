// Both stores again: the synchronous admin records (agents, sites, visitors, meta), stats,
// reads beside the writer, and the writer's life cycle (close drains, writes after close,
// callbacks that submit or close).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/store.h"
#include "store_test_support.h"

using namespace sb::store;
using namespace sb::store::testing;

using store_lifecycle = store_fixture;

namespace {

agent make_agent(const std::string& id, const std::string& email, std::int64_t created_ms) {
  agent a;
  a.id = id;
  a.email = email;
  a.name = "Ann";
  a.password_hash = "scrypt$16384$8$1$c2FsdA$aGFzaA";
  a.role = "agent";
  a.max_chats = 3;
  a.sites = {"demo", "shop"};
  a.teams = {"sales"};
  a.created_ms = created_ms;
  return a;
}

}  // namespace

TEST_P(store_lifecycle, agents_are_found_by_id_and_email_and_emails_stay_unique) {
  ASSERT_EQ(store_->put_agent(make_agent("a2", "bob@example.com", 20)), status::ok);
  ASSERT_EQ(store_->put_agent(make_agent("a1", "ann@example.com", 10)), status::ok);
  agent out;
  ASSERT_EQ(store_->find_agent_by_email("ann@example.com", out), status::ok);
  EXPECT_EQ(out.id, "a1");
  EXPECT_EQ(out.sites, (std::vector<std::string>{"demo", "shop"}));
  EXPECT_EQ(out.teams, std::vector<std::string>{"sales"});
  EXPECT_EQ(out.password_hash, "scrypt$16384$8$1$c2FsdA$aGFzaA");
  EXPECT_EQ(out.max_chats, 3);
  EXPECT_EQ(store_->find_agent_by_email("carol@example.com", out), status::not_found);
  ASSERT_EQ(store_->get_agent("a2", out), status::ok);
  EXPECT_EQ(out.email, "bob@example.com");
  EXPECT_EQ(store_->get_agent("a9", out), status::not_found);

  // An update may change the email; taking another agent's email is refused.
  auto changed = make_agent("a1", "ann@new.example", 999);
  changed.role = "admin";
  changed.teams.clear();
  ASSERT_EQ(store_->put_agent(changed), status::ok);
  EXPECT_EQ(store_->find_agent_by_email("ann@example.com", out), status::not_found);
  ASSERT_EQ(store_->find_agent_by_email("ann@new.example", out), status::ok);
  EXPECT_EQ(out.role, "admin");
  EXPECT_TRUE(out.teams.empty());
  EXPECT_EQ(out.created_ms, 10);  // first creation time kept
  EXPECT_NE(store_->put_agent(make_agent("a3", "bob@example.com", 30)), status::ok);

  std::vector<agent> all;
  ASSERT_EQ(store_->list_agents(all), status::ok);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "a1");  // oldest first
  EXPECT_EQ(all[1].id, "a2");
}

TEST_P(store_lifecycle, sites_are_upserted_by_key_and_listed_in_key_order) {
  site s;
  s.key = "shop";
  s.name = "Shop";
  s.allowed_origins = {"https://shop.example", "https://www.shop.example"};
  s.settings_json = R"({"color":"#123"})";
  s.created_ms = 5;
  ASSERT_EQ(store_->put_site(s), status::ok);
  site demo;
  demo.key = "demo";
  demo.allowed_origins = {"*"};
  ASSERT_EQ(store_->put_site(demo), status::ok);
  s.enabled = false;
  s.name = "Shop 2";
  ASSERT_EQ(store_->put_site(s), status::ok);
  std::vector<site> sites;
  ASSERT_EQ(store_->list_sites(sites), status::ok);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].key, "demo");
  EXPECT_EQ(sites[1].name, "Shop 2");
  EXPECT_FALSE(sites[1].enabled);
  EXPECT_EQ(sites[1].allowed_origins, s.allowed_origins);
  EXPECT_EQ(sites[1].settings_json, s.settings_json);
  EXPECT_EQ(sites[1].created_ms, 5);
}

TEST_P(store_lifecycle, visitor_upsert_updates_the_profile_and_keeps_first_seen) {
  visitor v{"v1", "demo", "Vi", "vi@example.com", "en", "/pricing", "https://ref.example",
            100,  100};
  ASSERT_EQ(submit_wait(*store_, put_visitor{v}).st, status::ok);
  v.name = "Violet";
  v.page = "/checkout";
  v.created_ms = 999;
  v.last_seen_ms = 200;
  ASSERT_EQ(submit_wait(*store_, put_visitor{v}).st, status::ok);
  visitor out;
  ASSERT_EQ(store_->get_visitor("v1", out), status::ok);
  EXPECT_EQ(out.name, "Violet");
  EXPECT_EQ(out.page, "/checkout");
  EXPECT_EQ(out.lang, "en");
  EXPECT_EQ(out.referrer, "https://ref.example");
  EXPECT_EQ(out.created_ms, 100);
  EXPECT_EQ(out.last_seen_ms, 200);
  EXPECT_EQ(store_->get_visitor("v2", out), status::not_found);
}

TEST_P(store_lifecycle, meta_values_are_read_back_and_overwritten) {
  std::string value;
  EXPECT_EQ(store_->get_meta("token_secret", value), status::not_found);
  ASSERT_EQ(store_->put_meta("token_secret", std::string("a\0b", 3)), status::ok);
  ASSERT_EQ(store_->get_meta("token_secret", value), status::ok);
  EXPECT_EQ(value, std::string("a\0b", 3));  // binary secrets survive
  ASSERT_EQ(store_->put_meta("token_secret", "v2"), status::ok);
  ASSERT_EQ(store_->get_meta("token_secret", value), status::ok);
  EXPECT_EQ(value, "v2");
}

TEST_P(store_lifecycle, stats_count_writes_and_batches) {
  put_conv(conv_record("c1"));
  submit_batch(*store_,
               {append_message{draft("c1", "v", "1")}, append_message{draft("c1", "v", "2")},
                append_message{draft("c1", "v", "3")}});
  auto s = store_->stats();
  EXPECT_EQ(s.writes_total, 5u);  // the conversation, the gate write, three messages
  EXPECT_EQ(s.batches_total, 3u);
  EXPECT_EQ(s.last_batch_size, 3u);
  EXPECT_EQ(s.max_batch_size, 3u);
  EXPECT_EQ(s.writes_queued, 0u);
  EXPECT_GE(s.last_commit_ms, 0.0);
}

TEST_P(store_lifecycle, reads_from_other_threads_see_whole_batches_while_the_writer_runs) {
  put_conv(conv_record("c1"));
  constexpr int total = 2000;
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; t++)
    readers.emplace_back([&] {
      std::vector<message> page;
      while (!stop) {
        if (store_->messages_after("c1", 0, total, page) != status::ok) bad++;
        // Whatever has been committed is a prefix 1..n: never a hole, never a partial batch.
        for (std::size_t i = 0; i < page.size(); i++)
          if (page[i].seq != i + 1) bad++;
        conversation c;
        if (store_->get_conversation("c1", c) != status::ok) bad++;
      }
    });
  for (int i = 0; i < total; i++)
    store_->submit(append_message{draft("c1", "v", std::to_string(i))}, {});
  submit_wait(*store_, put_read_mark{{"c1", "v", 1}});  // after every message
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(store_lifecycle, close_applies_every_queued_write_before_returning) {
  put_conv(conv_record("c1"));
  std::atomic<int> ok{0};
  for (int i = 0; i < 500; i++)
    store_->submit(append_message{draft("c1", "v", std::to_string(i))}, [&](write_result&& r) {
      if (r.st == status::ok) ok++;
    });
  store_->close();
  EXPECT_EQ(ok.load(), 500);
  store_->close();  // idempotent
}

TEST_P(store_lifecycle, writes_after_close_fail_at_once_with_unavailable) {
  store_->close();
  bool called = false;
  store_->submit(put_conversation{conv_record("c1")}, [&](write_result&& r) {
    called = true;
    EXPECT_EQ(r.st, status::unavailable);
  });
  EXPECT_TRUE(called);  // on the caller's thread, before submit returns
  store_->submit(put_conversation{conv_record("c1")}, {});  // no callback: nothing to call
}

TEST_P(store_lifecycle, a_callback_may_submit_further_writes) {
  put_conv(conv_record("c1"));
  std::promise<write_result> second;
  store_->submit(append_message{draft("c1", "v", "1")}, [&](write_result&&) {
    store_->submit(append_message{draft("c1", "v", "2")},
                   [&](write_result&& r) { second.set_value(std::move(r)); });
  });
  auto r = second.get_future().get();
  EXPECT_EQ(r.st, status::ok);
  EXPECT_EQ(r.msg.seq, 2u);
}

TEST_P(store_lifecycle, close_from_a_callback_stops_new_writes_without_deadlock) {
  put_conv(conv_record("c1"));
  std::promise<status> after_close;
  store_->submit(append_message{draft("c1", "v", "1")}, [&](write_result&&) {
    store_->close();
    store_->submit(append_message{draft("c1", "v", "2")},
                   [&](write_result&& r) { after_close.set_value(r.st); });
  });
  EXPECT_EQ(after_close.get_future().get(), status::unavailable);
  store_->close();  // joins the writer from this thread
  EXPECT_EQ(store_->stats().writes_total, 2u);
  std::vector<message> stored;  // closed means closed for reads too, in both stores
  EXPECT_EQ(store_->messages_after("c1", 0, 10, stored), status::unavailable);
  EXPECT_EQ(store_->put_meta("k", "v"), status::unavailable);
}

INSTANTIATE_TEST_SUITE_P(both, store_lifecycle, ::testing::Values("sqlite", "memory"));
