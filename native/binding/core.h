// `Core`: the JS class that owns one native server (store, hub, transport, event bridge).
// JS calls are cheap; anything slow runs on a worker thread and returns a Promise.
#pragma once

#include <memory>
#include <string>

#include <napi.h>

#include "ai/client.h"
#include "binding/event_bridge.h"
#include "hub/hub.h"
#include "hub/registry.h"
#include "store/store.h"
#include "transport/server.h"

namespace sb::binding {

class core final : public Napi::ObjectWrap<core> {
 public:
  static Napi::Function define(Napi::Env env);
  core(const Napi::CallbackInfo& info);
  ~core() override;

 private:
  Napi::Value start(const Napi::CallbackInfo& info);
  Napi::Value stop(const Napi::CallbackInfo& info);
  Napi::Value stats(const Napi::CallbackInfo& info);
  Napi::Value respond(const Napi::CallbackInfo& info);
  Napi::Value set_event_mask(const Napi::CallbackInfo& info);
  Napi::Value put_agent(const Napi::CallbackInfo& info);
  Napi::Value get_agent(const Napi::CallbackInfo& info);
  Napi::Value get_agent_by_email(const Napi::CallbackInfo& info);
  Napi::Value list_agents(const Napi::CallbackInfo& info);
  Napi::Value put_site(const Napi::CallbackInfo& info);
  Napi::Value list_sites(const Napi::CallbackInfo& info);
  Napi::Value sign_agent_token(const Napi::CallbackInfo& info);
  Napi::Value verify_agent_token(const Napi::CallbackInfo& info);
  Napi::Value check_login(const Napi::CallbackInfo& info);
  Napi::Value ai_usage(const Napi::CallbackInfo& info);

  void require_started(Napi::Env env) const;
  void shutdown_now();

  struct settings {
    std::string data_dir;
    std::string driver = "sqlite";
    bool synchronous_full = true;
    std::string log_level = "info";
    std::string ai_json;           // config `ai`, as JSON: the assistant's defaults for every site
    std::string rate_limits_json;  // config `rateLimits`, as JSON
    hub::admission_options admission;
    transport::server_options server;
  };
  settings settings_;
  std::unique_ptr<event_bridge> bridge_;
  std::unique_ptr<ai::client> ai_;  // outlives the hub that calls it
  std::unique_ptr<store::store> store_;
  std::unique_ptr<hub::registry> registry_;
  std::unique_ptr<hub::hub> hub_;
  std::unique_ptr<transport::server> server_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace sb::binding
