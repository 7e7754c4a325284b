// ws_client.h — one client WebSocket over a non-blocking TCP socket: connect (optionally from a
// chosen source address), the HTTP upgrade, masked outbound text frames, and an incremental
// parser for server frames (split across reads, many per read, fragmented, ping/close).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

enum class ws_state : uint8_t { connecting, upgrading, open, closed };

struct ws_conn {
  int fd = -1;
  ws_state state = ws_state::closed;
  bool want_write = false;    // EPOLLOUT currently registered
  std::string out;            // bytes not yet written
  size_t out_off = 0;
  std::string in;             // bytes of an incomplete frame (or the upgrade response)
  std::string frag;           // payload of a fragmented message being assembled
  uint8_t frag_opcode = 0;
  uint16_t close_code = 0;    // from the server's close frame, 0 if none
  std::string close_reason;
  uint32_t mask_seed = 0x9e3779b9;
};

// Callbacks from ws_on_readable; `ctx` is the caller's.
struct ws_events {
  void (*on_open)(void* ctx, int index);                       // upgrade accepted
  void (*on_text)(void* ctx, int index, std::string_view msg); // one complete text message
  void (*on_closed)(void* ctx, int index);                     // socket closed, any reason
};

// Starts a non-blocking connect to `dst`, bound to `src` (address only, port chosen by the
// kernel at connect time) when `src` is non-null. Returns false if the socket call failed.
bool ws_connect(ws_conn& c, const sockaddr_in& dst, const sockaddr_in* src);

// Queues the HTTP upgrade request (sent once the TCP connect completes).
void ws_queue_upgrade(ws_conn& c, std::string_view host_port, std::string_view path);

// Appends one masked text frame to the outbound buffer (call ws_flush to write it).
void ws_queue_text(ws_conn& c, std::string_view payload);

// Writes as much of the outbound buffer as the socket takes. Returns false on a fatal error.
// Leaves c.out non-empty (caller should watch EPOLLOUT) when the socket is full.
bool ws_flush(ws_conn& c);

// Reads once from the socket into `scratch` and dispatches every complete frame. Returns
// false when the connection is finished (EOF, error, close frame, bad upgrade).
bool ws_on_readable(ws_conn& c, int index, char* scratch, size_t scratch_len,
                    const ws_events& ev, void* ctx);

// Closes the socket (no close handshake; the bench only needs the fd gone).
void ws_close(ws_conn& c);

}  // namespace loadgen
