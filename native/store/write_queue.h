// The writer thread both stores share: callers queue writes without blocking; one thread takes
// them in submission order, a batch at a time, has the store apply the batch (one transaction),
// then runs the callbacks in order. This is where group commit happens.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace sb::store {

class write_queue {
 public:
  struct pending {
    write_op op;
    write_callback cb;
    write_result result;
  };
  /** Applies a batch, filling each `result`; returns true when the batch was committed. Runs
   *  on the writer thread only. */
  using apply_fn = std::function<bool(std::vector<pending>& batch)>;

  write_queue(std::size_t max_batch, apply_fn apply);
  ~write_queue();

  void submit(write_op op, write_callback cb);
  /** Applies everything queued, then joins the thread. Idempotent. From a callback (the writer
   *  thread itself) it only stops new submissions: the drain finishes after the callback. */
  void close();
  bool on_writer_thread() const { return std::this_thread::get_id() == thread_id_; }
  void fill(store_stats& s) const;
  void note_commit(double ms) { last_commit_us_ = static_cast<std::uint64_t>(ms * 1000); }

 private:
  void run();

  std::size_t max_batch_;
  apply_fn apply_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<pending> queue_;  // guarded by mu_
  bool closing_ = false;        // guarded by mu_
  std::mutex join_mu_;          // one closer joins; the others wait for it
  std::thread thread_;
  std::thread::id thread_id_;

  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> last_batch_{0};
  std::atomic<std::uint64_t> max_batch_seen_{0};
  std::atomic<std::uint64_t> last_commit_us_{0};
};

}  // namespace sb::store
