// The assistant's knowledge base: FAQ entries ranked against the visitor's question with BM25,
// in memory, no external service. Built once per settings change, then read-only (shared
// across threads without locks).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sb::ai {

struct faq_entry {
  std::string question, answer;
};

/** Search terms of `text`: lower-cased ASCII words (letters and digits), and for CJK text each
 *  ideograph and each pair of neighbouring ideographs, since Chinese has no spaces. */
std::vector<std::string> search_terms(std::string_view text);

class knowledge_base {
 public:
  explicit knowledge_base(std::vector<faq_entry> entries);

  /** The best `k` entries for `query` (BM25, k1 = 1.2, b = 0.75), best first; only entries that
   *  share at least one term with the query. */
  std::vector<const faq_entry*> search(std::string_view query, std::size_t k) const;
  std::size_t size() const { return entries_.size(); }
  const std::vector<faq_entry>& entries() const { return entries_; }

 private:
  struct doc {
    std::unordered_map<std::string, int> tf;
    double length = 0;
  };
  std::vector<faq_entry> entries_;
  std::vector<doc> docs_;
  std::unordered_map<std::string, int> df_;  // documents containing each term
  double avg_length_ = 0;
};

}  // namespace sb::ai
