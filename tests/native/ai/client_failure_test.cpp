// The streaming client's failures against a real upstream on loopback: retries (429 with
// Retry-After, 5xx, cuts before content) and none once content was delivered, status errors
// that are not retried, refused connections, and the first-token and idle timeouts.
#include <gtest/gtest.h>

#include "client_test_support.h"

using namespace sb::ai;
using namespace sb::ai::testing;
using nlohmann::json;

// --- retries ---

TEST_F(ai_client, http_429_is_retried_after_retry_after_then_completes) {
  fake_upstream up([](const http_request&, upstream_conn& c, int index) {
    if (index == 0)
      c.respond(429, "application/json", R"({"error":{"message":"slow down"}})",
                "Retry-After: 1\r\n", true);
    else
      stream_answer(c, {"after ", "waiting"});
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end(4000));
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::completed) << r.error << ": " << r.detail;
  EXPECT_EQ(r.text, "after waiting");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(cl().stats().retries, 1u);
  auto reqs = up.requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The one-second Retry-After wins over the 10 ms backoff.
  long long gap = ms_between(reqs[0].at, reqs[1].at);
  std::cout << "[          ] retry after Retry-After: 1 came after " << gap << " ms\n";
  EXPECT_GE(gap, 900);
  EXPECT_LT(gap, 2500);
}

TEST_F(ai_client, http_429_with_an_empty_body_is_still_a_429_and_retried) {
  fake_upstream up([](const http_request&, upstream_conn& c, int index) {
    if (index == 0)
      c.respond(429, "text/plain", "");
    else
      stream_answer(c, {"ok"});
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::completed) << r.error << ": " << r.detail;
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(cl().stats().retries, 1u);
}

TEST_F(ai_client, http_500_is_retried_up_to_max_retries_then_fails) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.respond(500, "application/json", R"({"error":{"message":"boom","type":"server_error"}})");
  });
  auto [id, rec] = start(request_to(up.base_url()));  // max_retries 2
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "http_500");
  EXPECT_EQ(r.detail, "boom");
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(up.request_count(), 3u);
  client_stats st = cl().stats();
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(st.last_error, "http_500: boom");
}

TEST_F(ai_client, http_401_fails_at_once_without_retry) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.respond(401, "application/json",
              R"({"error":{"message":"Incorrect API key provided.","code":"invalid_api_key"}})");
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "http_401");
  EXPECT_EQ(r.detail, "Incorrect API key provided.");
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(up.request_count(), 1u);
  EXPECT_EQ(cl().stats().retries, 0u);
  EXPECT_EQ(r.detail.find(api_key), std::string::npos);
}

TEST_F(ai_client, http_401_with_an_empty_body_is_http_401) {
  fake_upstream up(
      [](const http_request&, upstream_conn& c, int) { c.respond(401, "text/plain", ""); });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  EXPECT_EQ(rec->result().error, "http_401");
  EXPECT_EQ(rec->result().http_status, 401);
  EXPECT_EQ(rec->result().attempts, 1);
}

TEST_F(ai_client, a_stream_cut_before_any_content_is_retried) {
  fake_upstream up([](const http_request&, upstream_conn& c, int index) {
    if (index == 0) {
      c.sse_head();
      c.chunk(role_event());
      c.pause(10);
      c.cut();
    } else {
      stream_answer(c, {"second ", "try"});
    }
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::completed) << r.error << ": " << r.detail;
  EXPECT_EQ(r.text, "second try");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(cl().stats().retries, 1u);
}

TEST_F(ai_client, a_retried_tool_call_does_not_keep_the_first_attempts_fragments) {
  fake_upstream up([](const http_request&, upstream_conn& c, int index) {
    c.sse_head();
    c.chunk(tool_event("transfer_to_human", "{\"rea"));
    if (index == 0) {
      c.pause(10);
      c.cut();
      return;
    }
    c.chunk(tool_event("", "son\":\"x\"}"));
    c.chunk(finish_event("tool_calls"));
    c.chunk(done_event);
    c.end_chunks();
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::completed) << r.error << ": " << r.detail;
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.tool_name, "transfer_to_human");
  EXPECT_EQ(r.tool_args, R"({"reason":"x"})");
}

TEST_F(ai_client, a_cut_after_content_fails_as_cut_without_retry) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.sse_head();
    c.chunk(role_event());
    c.chunk(content_event("Hel"));
    c.pause(20);
    c.chunk(content_event("lo"));
    c.pause(20);
    c.cut();  // mid chunked body: curl sees a transfer that ended early
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "cut");
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.text, "Hello");
  EXPECT_EQ(rec->text(), "Hello");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(up.request_count(), 1u);
  EXPECT_EQ(cl().stats().retries, 0u);
}

TEST_F(ai_client, a_clean_close_after_content_but_before_the_end_is_cut) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.sse_head_until_close();
    c.send(role_event());
    c.send(content_event("partial"));
    c.pause(20);
    c.cut();  // for this body, the close is a clean end: no finish_reason, no [DONE]
  });
  auto [id, rec] = start(request_to(up.base_url()));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "cut");
  EXPECT_EQ(r.detail, "the stream ended before its last chunk");  // not a curl error
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(up.request_count(), 1u);
}

TEST_F(ai_client, a_refused_connection_is_retried_then_fails_connect) {
  int port;
  {
    fake_upstream closed([](const http_request&, upstream_conn&, int) {});
    port = closed.port();
  }  // nobody listens there any more
  auto req = request_to("http://127.0.0.1:" + std::to_string(port) + "/v1");
  req.upstream.max_retries = 1;
  auto [id, rec] = start(std::move(req));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "connect");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(cl().stats().retries, 1u);
}

TEST_F(ai_client, a_retry_after_longer_than_the_total_timeout_fails_at_once) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.respond(429, "application/json", R"({"error":{"message":"quota"}})", "Retry-After: 60\r\n");
  });
  auto start_at = test_clock::now();
  auto [id, rec] = start(request_to(up.base_url()));  // total_timeout 5 s
  ASSERT_TRUE(rec->wait_end());
  EXPECT_LT(ms_between(start_at, rec->ended_at()), 1500);
  EXPECT_EQ(rec->result().error, "http_429");
  EXPECT_NE(rec->result().detail.find("quota"), std::string::npos);
  EXPECT_EQ(up.request_count(), 1u);
}

// --- timeouts ---

TEST_F(ai_client, an_upstream_that_never_answers_fails_timeout_first_token) {
  std::promise<bool> closed;
  fake_upstream up([&](const http_request&, upstream_conn& c, int) {
    closed.set_value(c.wait_closed(3000).has_value());
  });
  auto req = request_to(up.base_url());
  req.upstream.first_token_timeout_ms = 300;
  auto start_at = test_clock::now();
  auto [id, rec] = start(std::move(req));
  ASSERT_TRUE(rec->wait_end());
  long long took = ms_between(start_at, rec->ended_at());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "timeout_first_token");
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 1500);
  auto f = closed.get_future();
  ASSERT_EQ(f.wait_for(milliseconds(2000)), std::future_status::ready);
  EXPECT_TRUE(f.get()) << "the upstream connection was left open";
}

TEST_F(ai_client, a_stream_that_goes_silent_after_content_fails_timeout_idle) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.sse_head();
    c.chunk(content_event("Hi"));
    c.wait_closed(3000);
  });
  auto req = request_to(up.base_url());
  req.upstream.idle_timeout_ms = 300;
  auto [id, rec] = start(std::move(req));
  ASSERT_TRUE(rec->wait_end());
  const stream_result& r = rec->result();
  EXPECT_EQ(r.end, stream_end::failed);
  EXPECT_EQ(r.error, "timeout_idle");
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.text, "Hi");
}

// A retry that could only start after the wait budget is handed over at once, not late.
TEST_F(ai_client, a_retry_past_the_wait_budget_fails_at_once) {
  fake_upstream up([](const http_request&, upstream_conn& c, int) {
    c.respond(429, "text/plain", "slow down", "Retry-After: 5\r\n");
  });
  auto req = request_to(up.base_url());
  req.upstream.queue_timeout_ms = 1000;
  auto started = test_clock::now();
  auto [id, rec] = start(std::move(req));
  ASSERT_TRUE(rec->wait_end());
  EXPECT_LT(ms_between(started, rec->ended_at()), 900);
  EXPECT_EQ(rec->result().end, stream_end::failed);
  EXPECT_EQ(rec->result().error, "http_429");
  EXPECT_EQ(up.request_count(), 1u);
}
