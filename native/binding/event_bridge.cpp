// Batching of native events into JS calls.
#include "binding/event_bridge.h"

namespace sb::binding {

namespace {
const char* level_name(util::log_level l) {
  switch (l) {
    case util::log_level::debug:
      return "debug";
    case util::log_level::info:
      return "info";
    case util::log_level::warn:
      return "warn";
    case util::log_level::error:
      return "error";
  }
  return "info";
}
}  // namespace

event_bridge::event_bridge(Napi::Env env, Napi::Function on_batch) {
  auto state = state_;
  tsfn_ =
      Napi::ThreadSafeFunction::New(env, on_batch, "switchboard-events", 0, 1, [state](Napi::Env) {
        std::lock_guard<std::mutex> lock(state->tsfn_mu);
        state->gone = true;
      });
  tsfn_.Unref(env);
}

event_bridge::~event_bridge() { release(); }

void event_bridge::ref(Napi::Env env) { tsfn_.Ref(env); }
void event_bridge::unref(Napi::Env env) { tsfn_.Unref(env); }

void event_bridge::release() {
  std::lock_guard<std::mutex> lock(state_->tsfn_mu);
  if (state_->gone || state_->released) return;
  state_->released = true;
  tsfn_.Release();
}

bool event_bridge::push(item&& it) {
  bool schedule = false;
  auto& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.queue_mu);
    st.queue.push_back(std::move(it));
    if (!st.scheduled) schedule = st.scheduled = true;
  }
  if (schedule) {
    napi_status rc = napi_closing;
    {
      // Held across the call so the finalizer cannot free the function meanwhile.
      std::lock_guard<std::mutex> lock(st.tsfn_mu);
      if (!st.gone && !st.released) {
        auto state = state_;
        rc = tsfn_.NonBlockingCall(
            [state](Napi::Env env, Napi::Function fn) { drain(*state, env, fn); });
      }
    }
    if (rc != napi_ok) {
      std::lock_guard<std::mutex> lock(st.queue_mu);
      st.scheduled = false;
      st.queue.clear();
      return false;
    }
  }
  return true;
}

void event_bridge::emit(hub::hub_event&& e) { push(std::move(e)); }

bool event_bridge::forward(transport::http_request&& req) { return push(std::move(req)); }

void event_bridge::log_line(util::log_level level, const std::string& line) {
  push(log_item{level, line});
}

void event_bridge::drain(shared_state& st, Napi::Env env, Napi::Function fn) {
  std::vector<item> batch;
  {
    std::lock_guard<std::mutex> lock(st.queue_mu);
    batch.swap(st.queue);
    st.scheduled = false;
  }
  if (batch.empty() || env == nullptr) return;
  Napi::HandleScope scope(env);
  auto arr = Napi::Array::New(env, batch.size());
  uint32_t i = 0;
  for (auto& it : batch) {
    auto o = Napi::Object::New(env);
    if (auto* e = std::get_if<hub::hub_event>(&it)) {
      o.Set("type", e->type);
      o.Set("conv", e->conv);
      if (!e->site.empty()) o.Set("site", e->site);
      if (e->type == "message") {
        auto from = Napi::Object::New(env);
        from.Set("kind", e->msg.sender_kind);
        from.Set("id", e->msg.sender_id);
        from.Set("name", e->msg.sender_name);
        o.Set("seq", Napi::Number::New(env, static_cast<double>(e->msg.seq)));
        o.Set("id", std::to_string(e->msg.id));
        o.Set("from", from);
        o.Set("text", e->msg.text);
        o.Set("ts", Napi::Number::New(env, static_cast<double>(e->msg.ts_ms)));
      } else {
        if (!e->visitor.empty()) o.Set("visitor", e->visitor);
        if (!e->agent.empty()) o.Set("agent", e->agent);
      }
    } else if (auto* r = std::get_if<transport::http_request>(&it)) {
      o.Set("type", "http");
      o.Set("id", Napi::Number::New(env, static_cast<double>(r->id)));
      o.Set("method", r->method);
      o.Set("url", r->target);
      o.Set("remote", r->remote);
      auto headers = Napi::Object::New(env);
      for (auto& h : r->headers) headers.Set(h.first, h.second);
      o.Set("headers", headers);
      o.Set("body", Napi::Buffer<char>::Copy(env, r->body.data(), r->body.size()));
    } else if (auto* l = std::get_if<log_item>(&it)) {
      o.Set("type", "log");
      o.Set("level", level_name(l->level));
      o.Set("line", l->line);
    }
    arr.Set(i++, o);
  }
  fn.Call({arr});
}

}  // namespace sb::binding
