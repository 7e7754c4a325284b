// Writer thread with batching (group commit) and in-order callbacks.
#include "store/write_queue.h"

#include <algorithm>

namespace sb::store {

write_queue::write_queue(std::size_t max_batch, apply_fn apply)
    : max_batch_(std::max<std::size_t>(1, max_batch)), apply_(std::move(apply)) {
  thread_ = std::thread([this] { run(); });
  thread_id_ = thread_.get_id();
}

write_queue::~write_queue() { close(); }

void write_queue::submit(write_op op, write_callback cb) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      bool was_empty = queue_.empty();
      queue_.push_back(pending{std::move(op), std::move(cb), {}});
      queued_++;
      // The writer only sleeps on an empty queue, so only the first submission must wake it.
      if (was_empty) cv_.notify_one();
      return;
    }
  }
  if (cb) {
    write_result r;
    r.st = status::unavailable;
    cb(std::move(r));
  }
}

void write_queue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    cv_.notify_one();
  }
  // A thread cannot join itself; the writer drains and exits once the callback returns.
  if (on_writer_thread()) return;
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void write_queue::run() {
  std::vector<pending> taken, batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty() && closing_) return;
      // Take everything at once: the lock is held for a swap, not for the work.
      taken.swap(queue_);
    }
    for (std::size_t start = 0; start < taken.size(); start += max_batch_) {
      std::size_t end = std::min(taken.size(), start + max_batch_);
      batch.assign(std::make_move_iterator(taken.begin() + start),
                   std::make_move_iterator(taken.begin() + end));
      bool committed = apply_(batch);
      queued_ -= batch.size();
      total_ += batch.size();
      if (committed) batches_++;
      last_batch_ = batch.size();
      if (batch.size() > max_batch_seen_) max_batch_seen_ = batch.size();
      for (auto& p : batch)
        if (p.cb) p.cb(std::move(p.result));
      batch.clear();
    }
    taken.clear();
  }
}

void write_queue::fill(store_stats& s) const {
  s.writes_queued = queued_;
  s.writes_total = total_;
  s.batches_total = batches_;
  s.last_batch_size = last_batch_;
  s.max_batch_size = max_batch_seen_;
  s.last_commit_ms = static_cast<double>(last_commit_us_) / 1000.0;
}

}  // namespace sb::store
