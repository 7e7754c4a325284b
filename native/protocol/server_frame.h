// Protocol v1 server frames: serialisation to compact JSON text. Each function returns the
// whole frame; the hub serialises a message once and fans the same bytes out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.h"

namespace sb::protocol {

struct agent_ref {
  std::string id, name;
};

std::string welcome_visitor(std::string_view visitor_id, std::string_view visitor_token,
                            std::string_view conv /* empty -> null */, std::uint64_t last_seq,
                            int agents_online);
std::string welcome_agent(std::string_view agent_id, std::string_view name,
                          const std::vector<std::string>& sites);
std::string ack(std::string_view client_id, std::string_view conv, std::uint64_t seq,
                std::int64_t ts_ms);
/** {"t":"msg",...}; `client_id` is included only when `with_client_id` (the sender's copy);
 *  `stream` (a bot reply's stream id) only when not empty. */
std::string msg(const store::message& m, bool with_client_id, std::string_view stream = {});
/** {"t":"delta","conv":..,"stream":..,"text":..}: a piece of a reply being generated. */
std::string delta(std::string_view conv, std::string_view stream, std::string_view text);
/** {"t":"delta-end","conv":..,"stream":..,"reason":..}: a stream that will not finish. */
std::string delta_end(std::string_view conv, std::string_view stream, std::string_view reason);
/** {"t":"assist","conv":..,"ref":..|null,"stream":..,"kind":..,"delta":..}: agent assist. */
std::string assist_delta(std::string_view conv, std::string_view ref, std::string_view stream,
                         std::string_view kind, std::string_view text);
/** {"t":"assist-end","conv":..,"ref":..,"stream":..,"kind":..,"text":..,"error":..|null} */
std::string assist_end(std::string_view conv, std::string_view ref, std::string_view stream,
                       std::string_view kind, std::string_view text, std::string_view error);
/** {"t":"history","conv":..,"messages":[msg...],"more":..}; messages carry no clientId. */
std::string history(std::string_view conv, const std::vector<store::message>& messages, bool more);
/** {"t":"error","ref":..|null,"code":..,"message":..[,"retryAfterMs":..]} */
std::string error(std::string_view ref /* empty -> null */, std::string_view code,
                  std::string_view message, std::optional<std::int64_t> retry_after_ms = {});
/** {"t":"conv","conv":..,"state":..,"agent":{"id","name"}|null[,"site","visitor"]} */
std::string conv_state(const store::conversation& c, const std::optional<agent_ref>& agent);
/** {"t":"typing","conv":..,"from":{"kind","id"},"on":..} */
std::string typing(std::string_view conv, std::string_view from_kind, std::string_view from_id,
                   bool on);
/** {"t":"read","conv":..,"from":{"kind","id"},"seq":..} */
std::string read(std::string_view conv, std::string_view from_kind, std::string_view from_id,
                 std::uint64_t seq);

/** One waiting conversation as agents see it in the queue. */
struct queue_entry {
  std::string conv, site, visitor_id, visitor_name, preview;
  std::int64_t since_ms = 0;
  std::uint64_t last_seq = 0;
};
/** {"t":"queue","site":..,"items":[{conv,site,visitor:{id,name},preview,since,lastSeq}...]} */
std::string queue(std::string_view site, const std::vector<queue_entry>& items);
/** {"t":"presence","site":..,"agentsOnline":n} sent to visitors when it changes. */
std::string presence(std::string_view site, int agents_online);
std::string pong();

/** Appends `s` as a JSON string literal (quotes included) to `out`. */
void append_json_string(std::string& out, std::string_view s);

}  // namespace sb::protocol
