// Micro-benchmark of the sensitive-word filter on generated mixed Chinese/English chat text:
// MB/s and ns per ~100-byte message with 10,000 and 100,000 words (normalisation included),
// the stream guard, build time and memory. Word lists and text come from fixed seeds; times are
// the thread's CPU time, best of 5, one thread. Not part of the test suite. Build (one line), run:
//   g++ -std=c++17 -O2 -DNDEBUG -Inative bench/micro/filter_bench.cpp native/filter/fold.cpp
//       native/filter/normalize.cpp native/filter/word_matcher*.cpp native/filter/word_list.cpp
//       native/filter/stream_guard.cpp -o /tmp/filter_bench && /tmp/filter_bench
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "filter/stream_guard.h"
#include "filter/word_matcher.h"

namespace {

using namespace sb::filter;

std::atomic<long> sink{0};

void put_utf8(std::string& s, char32_t c) {
  s += static_cast<char>(0xE0 | (c >> 12));
  s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  s += static_cast<char>(0x80 | (c & 0x3F));
}

// 3,000 "common" Han characters (a fixed random draw from U+4E00-U+9FA5): words and text use them.
std::vector<char32_t> han_pool(std::mt19937_64& rng) {
  std::vector<char32_t> all;
  for (char32_t c = 0x4E00; c <= 0x9FA5; c++) all.push_back(c);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(3000);
  return all;
}

const char* const k_english[] = {
    "the",    "and",   "you",     "that",     "was",   "for",    "are",      "with",  "his",
    "they",   "this",  "have",    "from",     "one",   "had",    "word",     "but",   "not",
    "what",   "all",   "were",    "when",     "your",  "can",    "said",     "there", "use",
    "each",   "which", "she",     "how",      "their", "will",   "other",    "about", "out",
    "many",   "then",  "them",    "these",    "some",  "her",    "would",    "make",  "like",
    "him",    "into",  "time",    "has",      "look",  "two",    "more",     "write", "see",
    "number", "way",   "could",   "people",   "than",  "first",  "water",    "been",  "call",
    "who",    "now",   "find",    "long",     "down",  "day",    "did",      "get",   "come",
    "made",   "may",   "part",    "order",    "price", "refund", "shipping", "hello", "thanks",
    "please", "help",  "account", "password", "login", "error",  "update"};

std::string random_latin(std::mt19937_64& rng) {
  std::string w;
  for (int n = 4 + static_cast<int>(rng() % 5); n > 0; n--)
    w += static_cast<char>('a' + rng() % 26);
  return w;
}

// 60% Han words of 2-4 characters, 40% made-up English words of 4-8 letters, 1% allow-listed.
std::vector<word_entry> word_list(std::size_t n, const std::vector<char32_t>& han,
                                  std::mt19937_64& rng) {
  std::vector<word_entry> out;
  for (std::size_t i = 0; i < n; i++) {
    word_entry e;
    if (rng() % 10 < 6) {
      for (int k = 2 + static_cast<int>(rng() % 3); k > 0; k--)
        put_utf8(e.word, han[rng() % han.size()]);
    } else {
      e.word = random_latin(rng);
    }
    e.action = rng() % 20 == 0 ? verdict::block : rng() % 10 == 0 ? verdict::flag : verdict::mask;
    e.allow = rng() % 100 == 0;
    out.push_back(std::move(e));
  }
  return out;
}

// Chat messages of about 100 bytes: runs of Han characters (han_percent of the runs) and English
// words with spaces and punctuation; one in twenty has a listed word in it.
std::vector<std::string> messages(std::size_t n, const std::vector<char32_t>& han,
                                  const std::vector<word_entry>& words, std::mt19937_64& rng,
                                  unsigned han_percent = 50) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; i++) {
    std::string m;
    bool inject = rng() % 20 == 0;
    while (m.size() < 96) {
      if (inject && m.size() >= 48) {
        m += words[rng() % words.size()].word;
        m += ' ';
        inject = false;
      } else if (rng() % 100 < han_percent) {
        for (int k = 2 + static_cast<int>(rng() % 10); k > 0; k--)
          put_utf8(m, han[rng() % han.size()]);
        m += rng() % 3 ? "，" : "。";
      } else {
        for (int k = 1 + static_cast<int>(rng() % 5); k > 0; k--) {
          m += k_english[rng() % (sizeof(k_english) / sizeof(k_english[0]))];
          m += rng() % 6 ? " " : ", ";
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string key;
  long v = 0;
  while (f >> key) {
    if (key == "VmRSS:") {
      f >> v;
      return v;
    }
  }
  return 0;
}

// CPU time of this thread, so that a shared machine's other load counts less (it still costs
// caches and turbo).
double cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

template <class F>
double best_ns(int rounds, F&& body) {
  double best = 1e300;
  for (int r = 0; r < rounds; r++) {
    double t0 = cpu_ns();
    body();
    best = std::min(best, cpu_ns() - t0);
  }
  return best;
}

void run(std::size_t n_words) {
  std::mt19937_64 rng(20240611);
  std::vector<char32_t> han = han_pool(rng);
  std::vector<word_entry> words = word_list(n_words, han, rng);
  std::vector<std::string> msgs = messages(20000, han, words, rng);
  std::size_t bytes = 0;
  for (const std::string& m : msgs) bytes += m.size();
  std::string big;
  for (const std::string& m : msgs) big += m;

  long rss0 = rss_kib();
  std::string error;
  std::shared_ptr<const word_matcher> m;
  double build_ns = best_ns(1, [&] { m = word_matcher::build(words, error); });
  if (!m) {
    std::printf("build failed: %s\n", error.c_str());
    return;
  }
  long rss1 = rss_kib();
  std::printf("%zu words: build %.0f ms, %zu states, matcher %.1f MB (RSS +%.1f MB)\n", n_words,
              build_ns / 1e6, m->state_count(), m->memory_bytes() / 1e6, (rss1 - rss0) / 1024.0);

  const double avg = static_cast<double>(bytes) / msgs.size();
  auto per_message = [&](const char* name, auto&& f) {
    f(msgs[0]);  // warm the thread-local buffers
    double ns = best_ns(5, [&] {
      for (const std::string& s : msgs) f(s);
    });
    std::printf("  %-34s %7.0f MB/s  %6.0f ns per %.0f-byte message\n", name,
                bytes / (ns / 1e9) / 1e6, ns / msgs.size(), avg);
  };
  normalized_text t;
  per_message("normalise only", [&](const std::string& s) {
    normalize(s, t);
    sink += static_cast<long>(t.size());
  });
  {
    std::vector<normalized_text> pre(msgs.size());
    for (std::size_t k = 0; k < msgs.size(); k++) normalize(msgs[k], pre[k]);
    double ns = best_ns(5, [&] {
      for (const normalized_text& x : pre) m->scan(x, [](const match& h) { sink += h.entry; });
    });
    std::printf("  %-34s %7.0f MB/s  %6.0f ns per %.0f-byte message\n",
                "scan only (normalised before)", bytes / (ns / 1e9) / 1e6, ns / msgs.size(), avg);
  }
  per_message("check (verdict)",
              [&](const std::string& s) { sink += static_cast<int>(m->check(s)); });
  per_message("apply (verdict + masked text)",
              [&](const std::string& s) { sink += static_cast<long>(m->apply(s).masked.size()); });
  std::string out;
  per_message("stream guard (10-byte deltas)", [&](const std::string& s) {
    stream_guard g(m);
    out.clear();
    for (std::size_t i = 0; i < s.size(); i += 10) g.feed(std::string_view(s).substr(i, 10), out);
    g.finish(out);
    sink += static_cast<long>(out.size());
  });
  double ns = best_ns(5, [&] { sink += static_cast<int>(m->check(big)); });
  std::printf("  %-34s %7.0f MB/s  (%.1f MB in one piece)\n", "check (whole corpus)",
              big.size() / (ns / 1e9) / 1e6, big.size() / 1e6);
  long hit = 0;
  for (const std::string& s : msgs) hit += m->check(s) != verdict::allow;
  std::printf("  messages with a verdict: %ld of %zu\n", hit, msgs.size());
  for (unsigned percent : {100u, 0u}) {
    std::vector<std::string> one = messages(20000, han, words, rng, percent);
    std::size_t total = 0;
    for (const std::string& x : one) total += x.size();
    double t = best_ns(5, [&] {
      for (const std::string& x : one) sink += static_cast<int>(m->check(x));
    });
    std::printf("  %-34s %7.0f MB/s  %6.0f ns per %.0f-byte message\n",
                percent ? "check, Chinese only" : "check, English only", total / (t / 1e9) / 1e6,
                t / one.size(), static_cast<double>(total) / one.size());
  }
}

}  // namespace

int main() {
  run(10000);
  run(100000);
  return sink.load() == 42 ? 1 : 0;
}
