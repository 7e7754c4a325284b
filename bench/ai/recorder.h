// recorder.h — turns what a client reads into the AI benchmark's figures. Every content piece
// a client reads (a WebSocket delta or an SSE chunk) carries the upstream write time of each
// token in it; the recorder compares those with the client's read time, counts tokens, and
// checks that each reply arrived whole and in order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common.h"

namespace aibench {

// One client's request in flight.
struct reply_state {
  bool active = false;    // request written, reply not finished
  bool measured = false;  // its samples count (false during warm-up)
  uint32_t n = 0;         // request number of this client (in its "bqtag-<i>-<n>" tag)
  int64_t send_ns = 0;    // the client wrote the request
  int64_t arrival_ns = 0; // the upstream had all of it
  int64_t first_write_ns = 0, first_read_ns = 0, last_token_ns = 0;
  int tokens = 0;
};

class recorder {
 public:
  bool counting = false;    // throughput window open: count tokens and frames
  samples first_token;      // first content chunk: client read - upstream write ("added TTFT")
  samples later_tokens;     // every later chunk: client read - upstream write
  samples request_leg;      // client wrote the request -> upstream has it
  samples added_total;      // (first read - request write) - (first write - request arrival)
  uint64_t window_tokens = 0, window_frames = 0;
  uint64_t tokens = 0, frames = 0, replies = 0, short_replies = 0, bad_text = 0, disorder = 0;
  std::vector<std::string> notes;  // first few problems, verbatim

  void note(std::string_view what) {
    if (notes.size() < 8) notes.emplace_back(what.substr(0, 300));
  }

  void on_arrival(reply_state& r, int64_t arrival_ns) {
    r.arrival_ns = arrival_ns;
    if (r.measured || counting) request_leg.add(arrival_ns - r.send_ns);
  }

  // One piece of content (one delta frame, or one SSE chunk's content) read at `read_ns`.
  void on_content(reply_state& r, std::string_view text, int64_t read_ns) {
    frames++;
    if (counting) window_frames++;
    const bool take = r.measured || counting;  // warm-up replies are read but not sampled
    bool ok = decode_tokens(text, [&](int64_t w) {
      tokens++;
      if (counting) window_tokens++;
      if (w < r.last_token_ns) disorder++;  // a burst shares one write time
      r.last_token_ns = w;
      if (r.tokens++ == 0) {
        r.first_write_ns = w;
        r.first_read_ns = read_ns;
        if (take) first_token.add(read_ns - w);
        if (take && r.arrival_ns)
          added_total.add((read_ns - r.send_ns) - (w - r.arrival_ns));
      } else if (take) {
        later_tokens.add(read_ns - w);
      }
    });
    if (!ok) {
      bad_text++;
      note(std::string("unreadable content: ") + std::string(text.substr(0, 80)));
    }
  }

  void on_reply_end(reply_state& r, int expected_tokens) {
    replies++;
    if (r.tokens != expected_tokens) {
      short_replies++;
      note("reply with " + std::to_string(r.tokens) + " of " + std::to_string(expected_tokens) + " tokens");
    }
    r.active = false;
  }
};

}  // namespace aibench
