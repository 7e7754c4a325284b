// Signed visitor and agent tokens: round trips, tampering, expiry, kind confusion.
#include "hub/tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using sb::hub::token_error;
using sb::hub::token_service;

TEST(tokens, visitor_token_round_trips_site_and_id) {
  token_service t("secret");
  std::string site, id;
  ASSERT_EQ(t.verify_visitor(t.visitor_token("demo", "v_123"), site, id), token_error::none);
  EXPECT_EQ(site, "demo");
  EXPECT_EQ(id, "v_123");
}

TEST(tokens, any_changed_character_is_detected) {
  token_service t("secret");
  std::string token = t.visitor_token("demo", "v_123");
  for (std::size_t i = 2; i < token.size(); i++) {
    std::string bad = token;
    bad[i] = bad[i] == 'x' ? 'y' : 'x';
    std::string site, id;
    EXPECT_NE(t.verify_visitor(bad, site, id), token_error::none) << "position " << i;
  }
}

TEST(tokens, token_from_another_secret_is_rejected) {
  token_service a("secret-a"), b("secret-b");
  std::string site, id;
  EXPECT_EQ(b.verify_visitor(a.visitor_token("demo", "v"), site, id), token_error::bad_signature);
}

TEST(tokens, agent_token_expires) {
  token_service t("secret");
  std::string id;
  auto token = t.agent_token("a1", 1000);
  EXPECT_EQ(t.verify_agent(token, 999, id), token_error::none);
  EXPECT_EQ(id, "a1");
  EXPECT_EQ(t.verify_agent(token, 1000, id), token_error::expired);
}

TEST(tokens, visitor_token_is_not_an_agent_token) {
  token_service t("secret");
  std::string id;
  EXPECT_EQ(t.verify_agent(t.visitor_token("demo", "a1"), 0, id), token_error::wrong_kind);
}

TEST(tokens, garbage_is_malformed_not_a_crash) {
  token_service t("secret");
  std::string site, id;
  const std::vector<std::string> garbage = {
      "", "v", "v.", "v..", "v.%%%.x", "v.abc", std::string(600, 'v')};
  for (const auto& g : garbage) EXPECT_NE(t.verify_visitor(g, site, id), token_error::none) << g;
}
