// Admission: rule parsing (errors name the key), the scope walk (narrowest first, stop at the
// first refusal), address keys (ports stripped, IPv6 by /64, exemptions), the flood rule, and
// saturation from each health signal.
#include "hub/admission.h"

#include <gtest/gtest.h>

namespace sb::hub {
namespace {

std::shared_ptr<const rate_rules> rules(const char* defaults, const char* site = "") {
  std::string error;
  auto r = parse_rate_rules(defaults, site, error);
  EXPECT_TRUE(r) << error;
  return r;
}

std::string parse_error(const char* defaults, const char* site = "") {
  std::string error;
  EXPECT_FALSE(parse_rate_rules(defaults, site, error));
  return error;
}

TEST(admission_rules, parse_per_action_and_scope_and_a_site_overrides_one_rule) {
  auto r = rules(
      R"({"message.visitor":{"burst":2,"perSecond":1},"message.site":{"burst":9,"perSecond":3}})",
      R"({"message.visitor":{"burst":5,"perSecond":1,"windowMs":1000,"windowMax":4}})");
  EXPECT_EQ(r->by_action[0].visitor.burst, 5);
  EXPECT_EQ(r->by_action[0].visitor.window_max, 4u);
  EXPECT_EQ(r->by_action[0].site.burst, 9);  // the site left it alone
  EXPECT_FALSE(r->by_action[1].visitor.enabled());
}

TEST(admission_rules, null_or_false_switches_a_rule_off_and_login_account_is_the_visitor_scope) {
  auto r =
      rules(R"({"message.ip":{"burst":1,"perSecond":1},"login.account":{"burst":3,"perSecond":1}})",
            R"({"message.ip":null})");
  EXPECT_FALSE(r->by_action[0].ip.enabled());
  EXPECT_EQ(r->by_action[static_cast<std::size_t>(action::login)].visitor.burst, 3);
}

TEST(admission_rules, errors_name_the_key) {
  EXPECT_EQ(parse_error(R"({"message.visiter":null})"),
            "rateLimits.message.visiter is not a rate limit");
  EXPECT_EQ(parse_error("", R"({"message.site":5})"),
            "site.rateLimits.message.site must be {burst, perSecond, windowMs, windowMax} or null");
  EXPECT_EQ(parse_error(R"({"message.site":{"burst":-1}})"),
            "rateLimits.message.site.burst must be a number >= 0");
  EXPECT_EQ(parse_error(R"({"message.site":{"windowMax":3}})"),
            "rateLimits.message.site.windowMs must be > 0 with windowMax");
  EXPECT_EQ(parse_error("[1]"), "rateLimits must be a JSON object");
}

TEST(admission, walks_the_scopes_narrowest_first_and_a_refusal_counts_nowhere_else) {
  admission a({});
  auto r = rules(
      R"({"message.visitor":{"burst":2,"perSecond":0.001},"message.site":{"burst":3,"perSecond":0.001}})");
  std::int64_t now = 1000;
  EXPECT_TRUE(a.check(action::message, *r, "v1", "", "demo", now).allowed);
  EXPECT_TRUE(a.check(action::message, *r, "v1", "", "demo", now).allowed);
  auto refused = a.check(action::message, *r, "v1", "", "demo", now);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after_ms, 0);
  // v1's refusal took nothing from the site: one more visitor still fits its last token.
  EXPECT_TRUE(a.check(action::message, *r, "v2", "", "demo", now).allowed);
  EXPECT_FALSE(a.check(action::message, *r, "v3", "", "demo", now).allowed);  // site empty now
  EXPECT_EQ(a.stats().refused[0], 2u);
}

TEST(admission, address_keys_strip_ports_group_ipv6_by_64_and_honour_exemptions) {
  admission_options o;
  o.exempt_ips = {"127.0.0.1", "::1"};
  admission a(o);
  EXPECT_EQ(a.ip_scope("203.0.113.7:5123"), "203.0.113.7");
  EXPECT_EQ(a.ip_scope("[2001:db8:1:2:aaaa::1]:443"), a.ip_scope("[2001:db8:1:2:bbbb::9]:80"));
  EXPECT_NE(a.ip_scope("[2001:db8:1:2::1]:443"), a.ip_scope("[2001:db8:1:3::1]:443"));
  EXPECT_EQ(a.ip_scope("127.0.0.1:9"), "");
  EXPECT_EQ(a.ip_scope("[::1]:9"), "");
  EXPECT_EQ(a.ip_scope("203.0.113.7"), "203.0.113.7");
}

TEST(admission, floods_close_after_the_strikes_within_the_window_only) {
  admission_options o;
  o.flood_strikes = 3;
  o.flood_window_ms = 1000;
  admission a(o);
  strike_counter s;
  EXPECT_FALSE(a.strike(s, 0));
  EXPECT_FALSE(a.strike(s, 10));
  EXPECT_FALSE(a.strike(s, 2000));  // a new window
  EXPECT_FALSE(a.strike(s, 2001));
  EXPECT_TRUE(a.strike(s, 2002));
  EXPECT_EQ(a.stats().flood_closes, 1u);
}

TEST(admission, saturation_follows_io_lag_and_store_backlog) {
  admission_options o;
  o.max_io_lag_ms = 100;
  o.max_store_backlog = 50;
  admission a(o);
  EXPECT_FALSE(a.saturated());
  a.report_io_lag(150);
  EXPECT_TRUE(a.saturated());
  a.report_io_lag(5);
  EXPECT_FALSE(a.saturated());
  a.report_store_backlog(51);
  EXPECT_TRUE(a.saturated());
  a.report_store_backlog(0);
  EXPECT_FALSE(a.saturated());
}

TEST(admission, saturation_follows_memory_when_capped) {
  admission_options o;
  o.max_memory_bytes = 1;  // any process is larger
  admission a(o);
  EXPECT_TRUE(a.saturated());
  EXPECT_GT(a.stats().memory_bytes, 1u);
}

}  // namespace
}  // namespace sb::hub
