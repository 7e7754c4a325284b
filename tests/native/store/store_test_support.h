// Helpers shared by the store tests: record builders, waiting for a write, and shaping the
// writer's batches exactly (so a test can say "these ops commit together").
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace sb::store::testing {

inline write_result submit_wait(store& s, write_op op) {
  std::promise<write_result> p;
  auto f = p.get_future();
  s.submit(std::move(op), [&p](write_result&& r) { p.set_value(std::move(r)); });
  return f.get();
}

/**
 * Submits `ops` so that the writer applies exactly them as one batch: a first write's callback
 * holds the writer thread (callbacks run there) until all of `ops` are queued, then the
 * writer takes them at once. That first write is a batch of its own. Returns the results in
 * submission order, after every callback has run.
 */
inline std::vector<write_result> submit_batch(store& s, std::vector<write_op> ops) {
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  // A read mark of a conversation no test uses: harmless in every store.
  s.submit(put_read_mark{read_mark{"gate-conv", "gate-reader", 0}}, [&](write_result&&) {
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  std::vector<write_result> results(ops.size());
  std::vector<std::promise<void>> done(ops.size());
  for (std::size_t i = 0; i < ops.size(); i++)
    s.submit(std::move(ops[i]), [&results, &done, i](write_result&& r) {
      results[i] = std::move(r);
      done[i].set_value();
    });
  release.set_value();
  for (auto& d : done) d.get_future().wait();
  return results;
}

inline message draft(const std::string& conv, const std::string& sender,
                     const std::string& client_id, const std::string& text = "hi") {
  message m;
  m.conv = conv;
  m.sender_kind = "visitor";
  m.sender_id = sender;
  m.sender_name = "Ann";
  m.client_id = client_id;
  m.text = text;
  m.ts_ms = 1700000000000;
  return m;
}

inline conversation conv_record(const std::string& id, const std::string& visitor = "v1",
                                std::int64_t created_ms = 1) {
  conversation c;
  c.id = id;
  c.site = "demo";
  c.visitor_id = visitor;
  c.state = "queued";
  c.created_ms = c.updated_ms = created_ms;
  return c;
}

/** A fresh directory per test, removed afterwards. */
class temp_dir {
 public:
  temp_dir() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      if (c == '/') c = '_';  // parameterised names contain a slash
    path_ = std::filesystem::temp_directory_path() /
            ("sb-store-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/** A fresh store of the kind the test parameter names: "sqlite" or "memory". */
class store_fixture : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (std::string(GetParam()) == "memory") {
      store_ = open_memory_store();
    } else {
      sqlite_options o;
      o.path = dir_.file("db.sqlite");
      std::string error;
      store_ = open_sqlite_store(o, error);
      ASSERT_TRUE(store_) << error;
    }
  }

  void put_conv(const conversation& c) {
    ASSERT_EQ(submit_wait(*store_, put_conversation{c}).st, status::ok);
  }
  write_result append(const message& m) { return submit_wait(*store_, append_message{m}); }

  temp_dir dir_;
  std::unique_ptr<store> store_;
};

}  // namespace sb::store::testing
