// The knowledge base: search terms (ASCII words, CJK unigrams and bigrams) and BM25 ranking.
#include "ai/knowledge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace sb::ai;

namespace {

const std::vector<faq_entry> shop_faq = {
    {"How do I reset my password?",
     "Click 'Forgot password' on the sign-in page and follow the email link."},
    {"What are your opening hours?", "We are open Monday to Friday, 9:00 to 18:00."},
    {"How long does shipping take?", "Orders ship within 2 days; delivery takes 3-5 days."},
    {"Can I return an item?", "Returns are accepted within 30 days with the receipt."},
    {"Do you ship internationally?", "We ship to the EU, the UK and Canada."},
    {"\xE5\xA6\x82\xE4\xBD\x95\xE9\x80\x80\xE6\xAC\xBE",  // 如何退款 (how to get a refund)
     "\xE5\x9C\xA8\xE8\xAE\xA2\xE5\x8D\x95\xE9\xA1\xB5\xE9\x9D\xA2\xE7\x94\xB3\xE8\xAF\xB7"},
    {"\xE8\xBF\x90\xE8\xB4\xB9\xE5\xA4\x9A\xE5\xB0\x91",  // 运费多少 (how much is shipping)
     "\xE6\xBB\xA1\xE4\xB8\x80\xE7\x99\xBE\xE5\x85\x83\xE5\x8C\x85\xE9\x82\xAE"},
};

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// --- search_terms ---

TEST(knowledge_terms, ascii_words_are_lower_cased_without_stop_words_or_punctuation) {
  auto t = search_terms("How do I RESET my Password, please?");
  EXPECT_EQ(t, (std::vector<std::string>{"reset", "password", "please"}));
}

TEST(knowledge_terms, digits_belong_to_words) {
  EXPECT_EQ(search_terms("order A1234 in 2024"),
            (std::vector<std::string>{"order", "a1234", "2024"}));
}

TEST(knowledge_terms, cjk_text_gives_each_ideograph_and_each_neighbouring_pair) {
  // 退款 -> 退, 款, 退款
  auto t = search_terms("\xE9\x80\x80\xE6\xAC\xBE");
  EXPECT_EQ(t,
            (std::vector<std::string>{"\xE9\x80\x80", "\xE6\xAC\xBE", "\xE9\x80\x80\xE6\xAC\xBE"}));
}

TEST(knowledge_terms, punctuation_or_latin_between_ideographs_breaks_the_pairs) {
  // 退，款 (full-width comma): no pair across it. 退a款: "a" is a word of its own.
  auto t = search_terms("\xE9\x80\x80\xEF\xBC\x8C\xE6\xAC\xBE");
  EXPECT_FALSE(has(t, "\xE9\x80\x80\xE6\xAC\xBE"));
  EXPECT_TRUE(has(t, "\xE9\x80\x80"));
  t = search_terms(
      "\xE9\x80\x80"
      "iphone\xE6\xAC\xBE");
  EXPECT_FALSE(has(t, "\xE9\x80\x80\xE6\xAC\xBE"));
  EXPECT_TRUE(has(t, "iphone"));
}

TEST(knowledge_terms, kana_and_hangul_count_as_ideographs) {
  EXPECT_EQ(search_terms("\xE3\x81\x82").size(), 1u);  // あ
  EXPECT_EQ(search_terms("\xEA\xB0\x80").size(), 1u);  // 가
}

TEST(knowledge_terms, invalid_or_truncated_utf8_does_not_crash_or_read_past_the_end) {
  EXPECT_NO_THROW(search_terms("\xE9\x80"));
  EXPECT_NO_THROW(search_terms("\xFF\xFE abc \xC3"));
  EXPECT_TRUE(has(search_terms("\xFF\xFE abc \xC3"), "abc"));
  EXPECT_TRUE(search_terms("").empty());
}

// --- knowledge_base::search ---

TEST(knowledge_search, the_relevant_entry_ranks_first) {
  knowledge_base kb(shop_faq);
  auto hits = kb.search("I forgot my password, how can I reset it?", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, "How do I reset my password?");
  hits = kb.search("when are you open", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, "What are your opening hours?");
  hits = kb.search("returns policy: can I send an item back?", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, "Can I return an item?");
}

TEST(knowledge_search, question_words_weigh_more_than_answer_words) {
  // "ship" is in the question of one entry and in the answer of another.
  knowledge_base kb({{"Where is my parcel?", "We ship with DHL."},
                     {"Do you ship abroad?", "Yes, to most countries."}});
  auto hits = kb.search("ship", 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0]->question, "Do you ship abroad?");
}

TEST(knowledge_search, rarer_terms_outrank_common_ones) {
  knowledge_base kb({{"order status", "see account"},
                     {"order cancel", "see account"},
                     {"order invoice", "see account"},
                     {"refund status", "see account"}});
  auto hits = kb.search("refund order", 4);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, "refund status");
}

TEST(knowledge_search, top_k_limits_the_results_best_first) {
  knowledge_base kb(shop_faq);
  auto all = kb.search("ship shipping days", 10);
  ASSERT_GE(all.size(), 2u);
  auto one = kb.search("ship shipping days", 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], all[0]);
  EXPECT_TRUE(kb.search("ship shipping days", 0).empty());
}

TEST(knowledge_search, only_entries_sharing_a_term_are_returned) {
  knowledge_base kb(shop_faq);
  auto hits = kb.search("password", 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]->question, "How do I reset my password?");
}

TEST(knowledge_search, no_match_is_empty) {
  knowledge_base kb(shop_faq);
  EXPECT_TRUE(kb.search("quantum chromodynamics", 3).empty());
  EXPECT_TRUE(kb.search("", 3).empty());
  EXPECT_TRUE(kb.search("the a an is of", 3).empty());  // stop words only
  EXPECT_TRUE(kb.search("?!.,", 3).empty());
}

TEST(knowledge_search, search_is_case_insensitive) {
  knowledge_base kb(shop_faq);
  auto lower = kb.search("password", 3);
  auto upper = kb.search("PASSWORD", 3);
  auto mixed = kb.search("PaSsWoRd", 3);
  ASSERT_EQ(lower.size(), 1u);
  EXPECT_EQ(upper, lower);
  EXPECT_EQ(mixed, lower);
}

TEST(knowledge_search, a_cjk_query_finds_the_cjk_question) {
  knowledge_base kb(shop_faq);
  // 我想退款 (I want a refund): shares 退, 款 and 退款 with 如何退款.
  auto hits = kb.search("\xE6\x88\x91\xE6\x83\xB3\xE9\x80\x80\xE6\xAC\xBE", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, shop_faq[5].question);
  // 运费是多少？ (what is the shipping fee?) inside a longer sentence.
  hits = kb.search(
      "\xE8\xAF\xB7\xE9\x97\xAE\xE8\xBF\x90\xE8\xB4\xB9\xE6\x98\xAF\xE5\xA4\x9A\xE5\xB0\x91\xEF\xBC"
      "\x9F",
      3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]->question, shop_faq[6].question);
}

TEST(knowledge_search, a_bigram_match_outranks_scattered_unigrams) {
  // Both questions hold 退 and 款; only the first holds them side by side (退款).
  knowledge_base kb({{"\xE6\xAC\xBE\xE5\xBC\x8F\xE5\x92\x8C\xE9\x80\x80\xE8\xB4\xA7",  // 款式和退货
                      "x"},
                     {"\xE9\x80\x80\xE6\xAC\xBE\xE6\x97\xB6\xE9\x97\xB4", "y"}});  // 退款时间
  auto hits = kb.search("\xE9\x80\x80\xE6\xAC\xBE", 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0]->answer, "y");
}

TEST(knowledge_search, mixed_language_query_matches_both_kinds_of_entry) {
  knowledge_base kb(shop_faq);
  auto hits = kb.search("password \xE9\x80\x80\xE6\xAC\xBE", 5);
  ASSERT_EQ(hits.size(), 2u);
}

TEST(knowledge_search, empty_knowledge_base_finds_nothing) {
  knowledge_base kb({});
  EXPECT_EQ(kb.size(), 0u);
  EXPECT_TRUE(kb.search("password", 3).empty());
  EXPECT_TRUE(kb.search("", 3).empty());
}

TEST(knowledge_search, entries_with_empty_text_are_harmless) {
  knowledge_base kb({{"", ""}, {"password reset", "use the link"}});
  auto hits = kb.search("password", 3);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]->question, "password reset");
}

TEST(knowledge_search, results_point_into_the_knowledge_base) {
  knowledge_base kb(shop_faq);
  auto hits = kb.search("password", 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0], &kb.entries()[0]);
}

TEST(knowledge_search, repeated_query_words_do_not_change_the_ranking) {
  knowledge_base kb(shop_faq);
  EXPECT_EQ(kb.search("ship return", 5), kb.search("ship ship ship return", 5));
}
