// Hub behaviour over in-memory connections and the memory store: handshake, assignment,
// queueing, access control, resume, state changes.
#include "hub/hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <nlohmann/json.hpp>

#include "hub/registry.h"
#include "util/ids.h"

using namespace sb;
using json = nlohmann::json;

namespace {

/** Records every frame; tests wait on it for frames produced by the store's thread. */
class fake_connection : public hub::connection {
 public:
  void send(hub::frame_ptr f) override {
    std::lock_guard<std::mutex> lock(mu_);
    frames_.push_back(json::parse(*f));
    cv_.notify_all();
  }
  void close(std::uint16_t code, std::string_view) override {
    std::lock_guard<std::mutex> lock(mu_);
    close_code_ = code;
    cv_.notify_all();
  }
  /** The first frame after `from` matching `pred`, waiting up to 2 s; null json if none. */
  json wait(const std::function<bool(const json&)>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    json found;
    cv_.wait_for(lock, std::chrono::seconds(2), [&] {
      for (std::size_t i = seen_; i < frames_.size(); i++) {
        if (pred(frames_[i])) {
          found = frames_[i];
          seen_ = i + 1;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  json wait_type(const std::string& t) {
    return wait([&](const json& j) { return j.value("t", "") == t; });
  }
  std::vector<json> all() {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> frames_;
  std::size_t seen_ = 0;
  std::uint16_t close_code_ = 0;
};

class hub_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_memory_store();
    hub_ = std::make_unique<hub::hub>(hub::hub_options{}, *store_, registry_, nullptr);
    std::string error;
    ASSERT_EQ(hub_->start(error), store::status::ok) << error;
  }
  void TearDown() override {
    store_->close();
    hub_.reset();
  }

  struct peer {
    std::shared_ptr<fake_connection> conn;
    hub::client_ptr client;
    json welcome;
  };

  peer visitor(const std::string& token = "", const std::string& site = "demo") {
    protocol::client_frame f;
    f.type = protocol::client_type::hello;
    f.role = "visitor";
    f.site = site;
    f.visitor_token = token;
    return connect(f);
  }

  peer agent(const std::string& id, int max_chats = 5) {
    store::agent a;
    a.id = id;
    a.email = id + "@example.com";
    a.name = "Agent " + id;
    a.max_chats = max_chats;
    a.sites = {"demo"};
    EXPECT_EQ(hub_->put_agent(a), store::status::ok);
    protocol::client_frame f;
    f.type = protocol::client_type::hello;
    f.role = "agent";
    f.token = hub_->sign_agent_token(id, 3600);
    return connect(f);
  }

  peer connect(protocol::client_frame& f) {
    peer p;
    p.conn = std::make_shared<fake_connection>();
    auto out = hub_->hello(p.conn, f, hub::peer_info{});
    p.client = out.client;
    if (p.client) p.welcome = p.conn->wait_type("welcome");
    return p;
  }

  json send(peer& p, const std::string& id, const std::string& text, const std::string& conv = "") {
    protocol::client_frame f;
    f.type = protocol::client_type::send;
    f.id = id;
    f.text = text;
    f.conv = conv;
    hub_->on_frame(p.client, f);
    return p.conn->wait([&](const json& j) {
      return (j["t"] == "ack" || j["t"] == "error") && j.value("id", j.value("ref", "")) == id;
    });
  }

  void frame(peer& p, protocol::client_type t, const std::string& conv) {
    protocol::client_frame f;
    f.type = t;
    f.conv = conv;
    hub_->on_frame(p.client, f);
  }

  std::unique_ptr<store::store> store_;
  hub::registry registry_;
  std::unique_ptr<hub::hub> hub_;
};

}  // namespace

TEST_F(hub_test, visitor_first_send_opens_a_conversation_assigned_to_the_online_agent) {
  auto a = agent("a1");
  auto v = visitor();
  ASSERT_TRUE(v.client);
  EXPECT_EQ(v.welcome["conv"], nullptr);
  EXPECT_EQ(v.welcome["agentsOnline"], 1);
  auto ack = send(v, "m1", "hello");
  ASSERT_EQ(ack["t"], "ack");
  EXPECT_EQ(ack["seq"], 1);
  auto conv = a.conn->wait_type("conv");
  EXPECT_EQ(conv["state"], "assigned");
  EXPECT_EQ(conv["agent"]["id"], "a1");
  auto msg = a.conn->wait_type("msg");
  EXPECT_EQ(msg["text"], "hello");
  EXPECT_FALSE(msg.contains("clientId"));
  auto own = v.conn->wait_type("msg");
  EXPECT_EQ(own["clientId"], "m1");

  auto reply = send(a, "r1", "hi there", ack["conv"]);
  EXPECT_EQ(reply["seq"], 2);
  EXPECT_EQ(v.conn->wait_type("msg")["text"], "hi there");
}

TEST_F(hub_test, conversation_waits_in_queue_until_an_agent_comes_online) {
  auto v = visitor();
  auto ack = send(v, "m1", "anyone?");
  ASSERT_EQ(ack["t"], "ack");
  auto a = agent("a1");
  auto q = a.conn->wait_type("queue");
  ASSERT_TRUE(q.is_object());
  auto conv =
      a.conn->wait([](const json& j) { return j["t"] == "conv" && j["state"] == "assigned"; });
  EXPECT_EQ(conv["conv"], ack["conv"]);
}

TEST_F(hub_test, new_conversations_go_to_the_least_busy_agent_within_max_chats) {
  auto a1 = agent("a1", 1);
  auto a2 = agent("a2", 1);
  auto v1 = visitor();
  auto v2 = visitor();
  auto v3 = visitor();
  send(v1, "x", "one");
  send(v2, "x", "two");
  send(v3, "x", "three");
  auto c1 =
      a1.conn->wait([](const json& j) { return j["t"] == "conv" && j["state"] == "assigned"; });
  auto c2 =
      a2.conn->wait([](const json& j) { return j["t"] == "conv" && j["state"] == "assigned"; });
  EXPECT_TRUE(c1.is_object());
  EXPECT_TRUE(c2.is_object());
  EXPECT_EQ(hub_->stats().queued, 1u);  // the third waits: both agents are full
}

TEST_F(hub_test, send_to_a_conversation_of_another_visitor_is_forbidden) {
  auto v1 = visitor();
  auto v2 = visitor();
  auto ack = send(v1, "m1", "mine");
  auto err = send(v2, "m1", "intrusion", ack["conv"]);
  EXPECT_EQ(err["t"], "error");
  EXPECT_EQ(err["code"], "forbidden");
  EXPECT_EQ(err["ref"], "m1");
}

TEST_F(hub_test, resend_with_the_same_id_gets_the_same_ack_and_stores_once) {
  auto v = visitor();
  auto first = send(v, "same", "once");
  auto again = send(v, "same", "once", first["conv"]);
  EXPECT_EQ(again["seq"], first["seq"]);
  EXPECT_EQ(again["ts"], first["ts"]);
  std::vector<store::message> stored;
  store_->messages_after(first["conv"], 0, 10, stored);
  EXPECT_EQ(stored.size(), 1u);
}

TEST_F(hub_test, returning_visitor_gets_its_open_conversation_and_resume_replays_the_gap) {
  auto v = visitor();
  auto ack = send(v, "m1", "one");
  send(v, "m2", "two", ack["conv"]);
  send(v, "m3", "three", ack["conv"]);
  std::string token = v.welcome["visitorToken"];

  protocol::client_frame f;
  f.type = protocol::client_type::hello;
  f.role = "visitor";
  f.site = "demo";
  f.visitor_token = token;
  f.resume = protocol::resume_point{ack["conv"], 1};
  auto back = connect(f);
  ASSERT_TRUE(back.client);
  EXPECT_EQ(back.welcome["conv"], ack["conv"]);
  EXPECT_EQ(back.welcome["lastSeq"], 3);
  auto m2 = back.conn->wait_type("msg");
  auto m3 = back.conn->wait_type("msg");
  EXPECT_EQ(m2["seq"], 2);
  EXPECT_EQ(m3["seq"], 3);
  EXPECT_EQ(m3["clientId"], "m3");  // the visitor's own messages carry its ids
  // Live messages continue the sequence on the resumed connection, with no duplicate.
  send(v, "m4", "four", ack["conv"]);
  EXPECT_EQ(back.conn->wait_type("msg")["seq"], 4);
  int count = 0;
  for (auto& j : back.conn->all()) count += j["t"] == "msg";
  EXPECT_EQ(count, 3);
}

TEST_F(hub_test, forged_or_foreign_visitor_tokens_are_refused) {
  auto v = visitor();
  std::string token = v.welcome["visitorToken"];
  std::string forged = token;
  forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
  protocol::client_frame f;
  f.type = protocol::client_type::hello;
  f.role = "visitor";
  f.site = "demo";
  f.visitor_token = forged;
  auto conn = std::make_shared<fake_connection>();
  auto out = hub_->hello(conn, f, {});
  EXPECT_FALSE(out.client);
  EXPECT_EQ(out.close_code, 4401);

  store::site other;
  other.key = "other";
  other.allowed_origins = {"*"};
  ASSERT_EQ(hub_->put_site(other), store::status::ok);
  f.site = "other";
  f.visitor_token = token;
  out = hub_->hello(conn, f, {});
  EXPECT_FALSE(out.client);
  EXPECT_EQ(out.close_code, 4401);
}

TEST_F(hub_test, unknown_site_disabled_site_and_bad_origin_are_refused) {
  protocol::client_frame f;
  f.type = protocol::client_type::hello;
  f.role = "visitor";
  f.site = "nope";
  auto conn = std::make_shared<fake_connection>();
  EXPECT_EQ(hub_->hello(conn, f, {}).close_code, 4401);

  store::site shop;
  shop.key = "shop";
  shop.allowed_origins = {"https://shop.example"};
  ASSERT_EQ(hub_->put_site(shop), store::status::ok);
  f.site = "shop";
  EXPECT_EQ(hub_->hello(conn, f, {"https://evil.example", ""}).close_code, 1008);
  EXPECT_TRUE(hub_->hello(conn, f, {"https://shop.example", ""}).client);

  shop.enabled = false;
  ASSERT_EQ(hub_->put_site(shop), store::status::ok);
  EXPECT_EQ(hub_->hello(conn, f, {"https://shop.example", ""}).close_code, 4401);
}

TEST_F(hub_test, expired_or_invalid_agent_tokens_are_refused) {
  store::agent a;
  a.id = "a1";
  a.sites = {"demo"};
  ASSERT_EQ(hub_->put_agent(a), store::status::ok);
  protocol::client_frame f;
  f.type = protocol::client_type::hello;
  f.role = "agent";
  f.token = hub_->sign_agent_token("a1", -1);
  auto conn = std::make_shared<fake_connection>();
  auto out = hub_->hello(conn, f, {});
  EXPECT_EQ(out.close_code, 4401);
  EXPECT_EQ(out.close_reason, "agent token expired");
  f.token = "a.garbage.token";
  EXPECT_EQ(hub_->hello(conn, f, {}).close_code, 4401);
  f.token = hub_->sign_agent_token("ghost", 3600);
  EXPECT_EQ(hub_->hello(conn, f, {}).close_code, 4401);
}

TEST_F(hub_test, close_frees_the_agent_slot_and_the_queue_moves_on) {
  auto a = agent("a1", 1);
  auto v1 = visitor();
  auto v2 = visitor();
  auto ack1 = send(v1, "x", "first");
  auto ack2 = send(v2, "x", "second");
  a.conn->wait([&](const json& j) { return j["t"] == "conv" && j["conv"] == ack1["conv"]; });
  frame(a, protocol::client_type::close, ack1["conv"]);
  auto closed =
      v1.conn->wait([](const json& j) { return j["t"] == "conv" && j["state"] == "closed"; });
  EXPECT_TRUE(closed.is_object());
  auto next = a.conn->wait([&](const json& j) {
    return j["t"] == "conv" && j["conv"] == ack2["conv"] && j["state"] == "assigned";
  });
  EXPECT_TRUE(next.is_object());
  auto err = send(v1, "y", "after close", ack1["conv"]);
  EXPECT_EQ(err["code"], "invalid") << err.dump();
}

TEST_F(hub_test, accept_of_a_conversation_assigned_to_another_agent_is_forbidden) {
  auto a1 = agent("a1");
  auto v = visitor();
  auto ack = send(v, "x", "hi");
  auto a2 = agent("a2");
  frame(a2, protocol::client_type::accept, ack["conv"]);
  auto err = a2.conn->wait_type("error");
  EXPECT_EQ(err["code"], "forbidden");
}

TEST_F(hub_test, transfer_to_another_agent_moves_the_conversation_and_its_messages) {
  auto a1 = agent("a1");
  auto v = visitor();
  auto ack = send(v, "x", "hi");
  a1.conn->wait_type("conv");
  auto a2 = agent("a2");
  protocol::client_frame f;
  f.type = protocol::client_type::transfer;
  f.conv = ack["conv"];
  f.to_agent = "a2";
  hub_->on_frame(a1.client, f);
  auto conv =
      a2.conn->wait([](const json& j) { return j["t"] == "conv" && j["state"] == "assigned"; });
  EXPECT_EQ(conv["agent"]["id"], "a2");
  send(v, "y", "still there?", ack["conv"]);
  EXPECT_EQ(a2.conn->wait_type("msg")["text"], "still there?");
  auto err = send(a1, "z", "me too", ack["conv"]);
  EXPECT_EQ(err["code"], "forbidden");
}

TEST_F(hub_test, typing_is_relayed_to_the_other_participant) {
  auto a = agent("a1");
  auto v = visitor();
  auto ack = send(v, "x", "hi");
  a.conn->wait_type("conv");
  protocol::client_frame f;
  f.type = protocol::client_type::typing;
  f.conv = ack["conv"];
  f.on = true;
  hub_->on_frame(v.client, f);
  auto t = a.conn->wait_type("typing");
  EXPECT_EQ(t["on"], true);
  EXPECT_EQ(t["from"]["kind"], "visitor");
}

TEST(client_seq, live_delivery_skips_stale_and_reports_gaps) {
  auto conn = std::make_shared<fake_connection>();
  hub::client c(conn, hub::role::visitor, "v", "demo", "");
  auto f = hub::make_frame(R"({"t":"msg"})");
  c.track("c1", 3);
  EXPECT_EQ(c.send_seq("c1", 3, f), hub::client::seq_verdict::stale);
  EXPECT_EQ(c.send_seq("c1", 5, f), hub::client::seq_verdict::gap);
  EXPECT_EQ(c.send_seq("c1", 4, f), hub::client::seq_verdict::sent);
  EXPECT_EQ(c.send_seq("c1", 5, f), hub::client::seq_verdict::sent);
  EXPECT_EQ(c.last_seq("c1"), 5u);
}
