// Personal-data filter: finds phone numbers, e-mail addresses, payment card numbers and Chinese
// resident ID numbers in UTF-8 chat text as byte spans, masks them, and tells a streaming caller
// how much of a text's end to hold back. A hand-written linear scanner; no regex.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sb::filter {

// What is recognised (matching is on code points; full-width forms such as "１３８" and "＠",
// the ideographic space and the no-break space count as their ASCII equivalents):
//
// Digit clusters: digit groups joined by one ' ', '-' or '.', or by parentheses ("(0)20"); a
// cluster may open with '+' or "(+86)". A cluster starts only after a non-word character (not
// an ASCII letter, digit or '_', nor a '-' glued to one, nor a '.' after a digit) and its last
// group must not touch a word either, so nothing matches inside "SKU-13812345678", "abc123..."
// or a 25-digit number. CJK text around a number is a boundary ("电话13812345678谢谢"). Inside
// a cluster a match may begin or end only where groups are joined by a space, so
// "13812345678 13912345678" is two phones but "2023-13812345678" is none. Longest match first;
// for one span: ID number, then card, then phone. No match is longer than 19 digits.
//
// cn_id: 17 digits and a check character (digit or X/x), contiguous or grouped 6-8-4 by
//   spaces; province code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81-83); birth date
//   YYYYMMDD a real calendar date with 1900 <= YYYY <= max year; ISO 7064 MOD 11-2 check.
// card: 13-19 digits, contiguous, or grouped by all-spaces or all-dashes as 4-4-...-4 with a last
//   group of 1-4 (4-4-4-4, 4-4-4-4-3, ...), 4-6-5 (Amex) or 4-6-4 (Diners); Luhn-valid; an IIN
//   that fits its length (Visa 4: 13/16/19; Mastercard 51-55, 2221-2720: 16; Amex 34/37: 15;
//   Diners 300-305/36/38/39; JCB 3528-3589; Mir 2200-2204; Maestro 50/56-59; any 6).
// phone, e164: '+' (or "(+cc)") then 8-15 digits, not counting a "(0)" trunk; groups after the
//   first have 2+ digits. Also "00" + country code: the same count after the "00".
// phone, cn_mobile: 1[3-9] + 9 digits as 11, 3-4-4, 3-8 or 7-4 (one kind of joint), optionally
//   after 86 / 0086 / (86), separate or contiguous ("8613812345678").
// phone, national (7-15 digits, shapes only, since bare digit runs are prices and order numbers):
//   "(area) rest": 2-5 digits in parentheses, then groups of 3+ (7-15 digits in all);
//   trunk 0 + area code: "020-12345678", "0755 8888 9999", "07700 900123" (0[1-9], first group
//     2-5 digits, then 1-3 groups of 3+, the last 4+; 9-13 digits);
//   NANP "415-555-2671", "1 800 555 0199" (area and exchange start with 2-9);
//   "01 23 45 67 89" (five pairs, the first 0[1-9]); contiguous 0[1-9] + 8-10 digits.
//   Not phones: "555-2671" (7-digit local numbers look like ranges such as "100-1000"), 3-3-3
//   groups, dates, times, amounts, IP addresses.
// email: a local part of letters (not of CJK, Thai, Lao, Khmer or Myanmar: scripts without
//   spaces run into the address), digits and . + - _ (at most 64, leading dots dropped), '@',
//   then 2+ labels of letters, digits, '-' and non-ASCII letters (IDN), at most 253 code points,
//   ending with a TLD of 2+ ASCII letters or 2+ non-ASCII letters. A label ends where ASCII
//   meets those scripts ("a@qq.com谢谢" ends before 谢). "a@b" and "a@b.c" are not addresses.
//
// Known gaps: a random 16-19 digit order number passes Luhn and the IIN check about 1 time in
// 20 and is masked as a card; 7-digit local numbers and non-Chinese mobile numbers written
// without '+' and without a trunk 0 are missed; CJK local parts ("用户@例子.中国") are missed.

enum class pii_kind { phone, email, card, cn_id };

/** Per site and direction (visitor to agent, AI to visitor, ...). */
struct pii_options {
  bool phone = true;
  bool email = true;
  bool card = true;
  bool cn_id = true;
  bool phone_e164 = true;       // "+<country> ..." and "00<country> ..."
  bool phone_cn_mobile = true;  // 1[3-9]xxxxxxxxx, optionally after 86 / 0086
  bool phone_national = true;   // trunk-0, "(area)", NANP and paired shapes
  // mask_pii(): keep a non-identifying hint, the domain of an e-mail ("***@example.com") and
  // the last four digits of a card ("***************1111"); phones and IDs are masked whole.
  bool keep_hint = false;
  int cn_id_max_year = 0;  // latest birth year accepted in an ID; 0: the current year (UTC)
};

struct pii_match {
  std::size_t begin = 0;  // bytes of the scanned text, [begin, end), on code point boundaries
  std::size_t end = 0;
  pii_kind kind = pii_kind::phone;
  bool operator==(const pii_match& o) const {
    return begin == o.begin && end == o.end && kind == o.kind;
  }
};

/** The matches in `utf8`, sorted and non-overlapping, into `out` (cleared first; reusing it
 *  avoids allocation). Invalid UTF-8 is skipped byte by byte, never part of a match. */
void find_pii(std::string_view utf8, const pii_options& options, std::vector<pii_match>& out);
std::vector<pii_match> find_pii(std::string_view utf8, const pii_options& options = {});

/** `utf8` with one '*' per code point of each match (sorted, non-overlapping, as find_pii
 *  returns them; others are skipped), keeping the hints of options.keep_hint. */
void mask_pii(std::string_view utf8, const std::vector<pii_match>& matches, std::string& out,
              const pii_options& options = {});
std::string mask_pii(std::string_view utf8, const std::vector<pii_match>& matches,
                     const pii_options& options = {});

/** For streamed text: how many bytes at the end of `tail` must wait for more text because what
 *  follows could change whether (or how) they match: the trailing token of digits, separators,
 *  letters or an e-mail, and an incomplete UTF-8 sequence. Emitting the rest and masking it
 *  alone gives the same output as masking the whole text at once, for any continuation, if
 *  `tail` itself starts where an earlier call cut (or at the start of the text). It is 0 after
 *  punctuation, after a space that follows no digit, and after CJK text outside an e-mail.
 *  Unbounded for pathological text (a long run of spaced digits): callers cap what they hold
 *  (a few hundred bytes), which can only split a match that straddles the cap. */
std::size_t pii_holdback(std::string_view tail);

}  // namespace sb::filter
