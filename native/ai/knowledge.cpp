// BM25 over FAQ entries. A question's terms count twice: a visitor's words usually match how a
// question is asked better than how it is answered.
#include "ai/knowledge.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_set>

namespace sb::ai {

namespace {

/** Decodes one UTF-8 code point at `i` (advancing it); invalid bytes decode as themselves. */
char32_t next_code_point(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  char32_t cp = len == 1 ? c : c & (0x7F >> len);
  for (int k = 1; k < len; k++) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool is_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x3040 && cp <= 0x30FF) ||  // kana
         (cp >= 0xAC00 && cp <= 0xD7AF);                                      // hangul
}

const std::unordered_set<std::string>& stop_words() {
  static const std::unordered_set<std::string> words = {
      "a",    "an",   "the", "is",   "are",  "was",  "to",  "of",  "and", "or",  "in",
      "on",   "for",  "it",  "do",   "does", "i",    "you", "my",  "me",  "can", "how",
      "what", "with", "be",  "this", "that", "your", "we",  "our", "at",  "as",  "if"};
  return words;
}

}  // namespace

std::vector<std::string> search_terms(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  std::string prev_ideograph;
  auto flush_word = [&] {
    if (!word.empty() && !stop_words().count(word)) out.push_back(word);
    word.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    std::size_t start = i;
    char32_t cp = next_code_point(text, i);
    if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<int>(cp))));
      prev_ideograph.clear();
      continue;
    }
    flush_word();
    if (!is_ideograph(cp)) {
      prev_ideograph.clear();
      continue;
    }
    std::string ch(text.substr(start, i - start));
    out.push_back(ch);
    if (!prev_ideograph.empty()) out.push_back(prev_ideograph + ch);
    prev_ideograph = std::move(ch);
  }
  flush_word();
  return out;
}

knowledge_base::knowledge_base(std::vector<faq_entry> entries) : entries_(std::move(entries)) {
  double total = 0;
  for (const auto& e : entries_) {
    doc d;
    for (int twice = 0; twice < 2; twice++)
      for (auto& t : search_terms(e.question)) d.tf[t]++, d.length++;
    for (auto& t : search_terms(e.answer)) d.tf[t]++, d.length++;
    for (const auto& kv : d.tf) df_[kv.first]++;
    total += d.length;
    docs_.push_back(std::move(d));
  }
  avg_length_ = docs_.empty() ? 1 : std::max(1.0, total / docs_.size());
}

std::vector<const faq_entry*> knowledge_base::search(std::string_view query, std::size_t k) const {
  constexpr double k1 = 1.2, b = 0.75;
  auto terms = search_terms(query);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  const double n = static_cast<double>(docs_.size());
  std::vector<std::pair<double, std::size_t>> scored;
  for (std::size_t i = 0; i < docs_.size(); i++) {
    const doc& d = docs_[i];
    double score = 0;
    for (const auto& t : terms) {
      auto it = d.tf.find(t);
      if (it == d.tf.end()) continue;
      double df = df_.at(t);
      double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      double tf = it->second;
      score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * d.length / avg_length_));
    }
    if (score > 0) scored.emplace_back(score, i);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<const faq_entry*> out;
  for (std::size_t i = 0; i < scored.size() && i < k; i++)
    out.push_back(&entries_[scored[i].second]);
  return out;
}

}  // namespace sb::ai
