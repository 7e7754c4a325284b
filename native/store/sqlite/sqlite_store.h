// The SQLite store: one writer connection on the write queue's thread (group commit), a small
// pool of read connections for any thread, one connection for rare synchronous admin writes.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"
#include "store/write_queue.h"

namespace sb::store::sqlite {

class sqlite_store final : public store {
 public:
  sqlite_store(const sqlite_options& opts, sqlite3* writer, sqlite3* admin);
  ~sqlite_store() override;

  void submit(write_op op, write_callback cb) override;
  status messages_after(const std::string& conv, std::uint64_t after, std::size_t limit,
                        std::vector<message>& out) override;
  status messages_before(const std::string& conv, std::uint64_t before, std::size_t limit,
                         std::vector<message>& out) override;
  status get_conversation(const std::string& id, conversation& out) override;
  status open_conversations(std::vector<conversation>& out) override;
  status open_conversation_of(const std::string& visitor_id, conversation& out) override;
  status get_visitor(const std::string& id, visitor& out) override;
  status read_marks(const std::string& conv, std::vector<read_mark>& out) override;
  status ai_usage(const std::string& site, const std::string& conv, ai_usage_totals& out) override;
  status list_sites(std::vector<site>& out) override;
  status put_site(const site& s) override;
  status list_agents(std::vector<agent>& out) override;
  status get_agent(const std::string& id, agent& out) override;
  status find_agent_by_email(const std::string& email, agent& out) override;
  status put_agent(const agent& a) override;
  status get_meta(const std::string& key, std::string& out) override;
  status put_meta(const std::string& key, const std::string& value) override;
  store_stats stats() const override;
  void close() override;

  /** Test hook, set before the first submit: called before each commit with the batch number
   *  (from 1); returning true makes that batch fail as a disk error would. */
  void set_fault(std::function<bool(std::uint64_t)> f) { fault_ = std::move(f); }

 private:
  struct read_conn;
  class reader;  // a read connection borrowed from the pool for one call
  std::unique_ptr<read_conn> borrow();
  void give_back(std::unique_ptr<read_conn> c);
  status admin_write(const char* sql, const std::function<void(stmt&)>& bind);

  // Writer thread only.
  struct seq_slot {
    std::uint64_t last = 0;  // last seq assigned, committed or in the open transaction
    bool touched = false;    // assigned a seq in the open transaction
  };
  using seq_map = std::unordered_map<std::string, seq_slot>;
  bool apply(std::vector<write_queue::pending>& batch);
  bool apply_one(write_queue::pending& p);
  bool append(append_message& a, write_result& result);
  seq_map::value_type* seq_entry(const std::string& conv);
  bool flush_last_seqs();
  void fail_batch(std::vector<write_queue::pending>& batch);

  sqlite_options opts_;
  sqlite3* writer_db_;
  struct writer_statements;
  struct writer_statements_deleter {
    void operator()(writer_statements* p) const;
  };
  static std::unique_ptr<writer_statements, writer_statements_deleter> make_writer_statements(
      sqlite3* db);
  std::unique_ptr<writer_statements, writer_statements_deleter> ws_;
  seq_map seqs_;                               // writer thread only
  std::vector<seq_map::value_type*> touched_;  // writer thread only; nodes of seqs_
  std::uint64_t batch_no_ = 0;                 // writer thread only
  std::uint64_t failed_batches_ = 0;           // writer thread only: failures in a row
  std::function<bool(std::uint64_t)> fault_;

  std::mutex admin_mu_;
  sqlite3* admin_db_;  // guarded by admin_mu_; null once closed

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<read_conn>> pool_;  // idle read connections; guarded by pool_mu_
  bool closed_ = false;                           // guarded by pool_mu_

  std::unique_ptr<write_queue> queue_;  // last: its thread stops before the rest goes
};

}  // namespace sb::store::sqlite
