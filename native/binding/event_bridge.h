// The one crossing from native threads to JS: hub events, forwarded HTTP requests and core log
// lines are queued and delivered as batches through a single ThreadSafeFunction, so the JS
// thread is woken once per batch, not once per event.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <napi.h>

#include "hub/hub.h"
#include "transport/server.h"
#include "util/log.h"

namespace sb::binding {

class event_bridge final : public hub::event_sink, public transport::http_forwarder {
 public:
  event_bridge(Napi::Env env, Napi::Function on_batch);
  ~event_bridge() override;

  void emit(hub::hub_event&& e) override;
  bool wants_messages() const override { return messages_.load(std::memory_order_relaxed); }
  bool forward(transport::http_request&& req) override;
  void log_line(util::log_level level, const std::string& line);

  void set_messages(bool on) { messages_ = on; }
  /** Keeps the process alive while the server runs; lets it exit once stopped. */
  void ref(Napi::Env env);
  void unref(Napi::Env env);
  /** No events after this. JS thread only. */
  void release();

 private:
  struct log_item {
    util::log_level level;
    std::string line;
  };
  using item = std::variant<hub::hub_event, transport::http_request, log_item>;

  bool push(item&& it);

  /** Shared with the ThreadSafeFunction's calls and finalizer, which may run after this bridge
   *  is gone (or, at process exit, before it): nothing there touches the bridge itself. */
  struct shared_state {
    std::mutex tsfn_mu;
    bool gone = false;      // finalized by Node; guarded by tsfn_mu
    bool released = false;  // released by us; guarded by tsfn_mu
    std::mutex queue_mu;
    std::vector<item> queue;  // guarded by queue_mu
    bool scheduled = false;   // a drain call is queued; guarded by queue_mu
  };
  static void drain(shared_state& st, Napi::Env env, Napi::Function fn);

  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<shared_state> state_ = std::make_shared<shared_state>();
  std::atomic<bool> messages_{false};
};

}  // namespace sb::binding
