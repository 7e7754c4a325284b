// The personal-data scanner: each kind's positives and look-alikes, full-width forms, Chinese
// text around matches, byte spans, masking, invalid UTF-8, and streaming with pii_holdback()
// (masking chunk by chunk equals masking the whole, for every split point).
#include "filter/pii.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace sb::filter {
namespace {

// The matched texts of one kind (all kinds when `kind` is null).
std::vector<std::string> found(std::string_view s, const pii_kind* kind,
                               const pii_options& o = {}) {
  std::vector<std::string> r;
  for (const pii_match& m : find_pii(s, o)) {
    if (!kind || m.kind == *kind) r.emplace_back(s.substr(m.begin, m.end - m.begin));
  }
  return r;
}
const pii_kind k_phone = pii_kind::phone, k_email = pii_kind::email, k_card = pii_kind::card,
               k_id = pii_kind::cn_id;
std::vector<std::string> phones(std::string_view s, const pii_options& o = {}) {
  return found(s, &k_phone, o);
}
std::vector<std::string> emails(std::string_view s) { return found(s, &k_email); }
std::vector<std::string> cards(std::string_view s) { return found(s, &k_card); }
std::vector<std::string> ids(std::string_view s, const pii_options& o = {}) {
  return found(s, &k_id, o);
}
std::vector<std::string> any(std::string_view s) { return found(s, nullptr); }
using strings = std::vector<std::string>;

std::string masked(std::string_view s, const pii_options& o = {}) {
  return mask_pii(s, find_pii(s, o), o);
}

// A valid ID number: 17 digits and their ISO 7064 MOD 11-2 check character.
std::string cn_id(const std::string& first17) {
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int k = 0; k < 17; k++) sum += (first17[k] - '0') * w[k];
  return first17 + "10X98765432"[sum % 11];
}

// `prefix` completed with a Luhn check digit.
std::string luhn_complete(const std::string& prefix) {
  for (char d = '0'; d <= '9'; d++) {
    const std::string s = prefix + d;
    int sum = 0;
    for (std::size_t k = 0; k < s.size(); k++) {
      int v = s[s.size() - 1 - k] - '0';
      if (k % 2 == 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 == 0) return s;
  }
  return "";
}

TEST(pii, chinese_mobile_numbers_in_their_usual_shapes) {
  EXPECT_EQ(phones("我的电话是13812345678谢谢"), strings{"13812345678"});
  EXPECT_EQ(phones("138 1234 5678 / 138-1234-5678 / 138.1234.5678"),
            (strings{"138 1234 5678", "138-1234-5678", "138.1234.5678"}));
  EXPECT_EQ(phones("8613812345678, 86 138 1234 5678, 0086-13812345678, (86)13912345678"),
            (strings{"8613812345678", "86 138 1234 5678", "0086-13812345678", "(86)13912345678"}));
  EXPECT_EQ(phones("13812345678 13912345678"), (strings{"13812345678", "13912345678"}));
  EXPECT_EQ(phones("19912345678 call"), strings{"19912345678"});
}

TEST(pii, not_mobile_numbers_second_digit_length_or_glued) {
  EXPECT_TRUE(phones("12812345678").empty());   // 1[3-9] only
  EXPECT_TRUE(phones("1381234567").empty());    // 10 digits
  EXPECT_TRUE(phones("138123456789").empty());  // 12 digits
  EXPECT_TRUE(phones("138 1234 567 8").empty());
  EXPECT_TRUE(any("SKU-13812345678 abc13812345678 13812345678abc 13812345678-x").empty());
  EXPECT_TRUE(any("2023-13812345678 1.13812345678 13812345678.5 13812345678_1").empty());
}

TEST(pii, e164_numbers_with_spaces_dashes_and_parentheses) {
  EXPECT_EQ(phones("call +86 138 1234 5678 now"), strings{"+86 138 1234 5678"});
  EXPECT_EQ(phones("+1 (415) 555-2671"), strings{"+1 (415) 555-2671"});
  EXPECT_EQ(phones("+44 (0)20 7946 0958."), strings{"+44 (0)20 7946 0958"});
  EXPECT_EQ(phones("(+86) 138-1234-5678"), strings{"(+86) 138-1234-5678"});
  EXPECT_EQ(phones("+8613812345678, +49-30-1234567"),
            (strings{"+8613812345678", "+49-30-1234567"}));
  EXPECT_EQ(phones("0044 20 7946 0958"), strings{"0044 20 7946 0958"});
}

TEST(pii, e164_needs_eight_to_fifteen_digits_and_real_groups) {
  EXPECT_TRUE(phones("+1234567").empty());           // 7 digits
  EXPECT_TRUE(phones("+1234567890123456").empty());  // 16 digits
  EXPECT_TRUE(phones("+5 points, +100.00, +20%").empty());
  EXPECT_TRUE(phones("+1 4 1 5 5 5 5 2 6 7 1").empty());  // groups of one digit
  EXPECT_TRUE(phones("+0123456789").empty());             // no country code starts with 0
}

TEST(pii, national_numbers_need_a_phone_shape) {
  EXPECT_EQ(phones("tel: 020-12345678, (020) 8765 4321, 0755 8888 9999"),
            (strings{"020-12345678", "(020) 8765 4321", "0755 8888 9999"}));
  EXPECT_EQ(phones("US 415-555-2671 or 1-800-555-0199 or (415) 555-2671 or 415.555.2671"),
            (strings{"415-555-2671", "1-800-555-0199", "(415) 555-2671", "415.555.2671"}));
  EXPECT_EQ(phones("FR 01 23 45 67 89, UK 07700 900123, 01065529988"),
            (strings{"01 23 45 67 89", "07700 900123", "01065529988"}));
}

TEST(pii, dates_times_prices_order_numbers_and_addresses_are_not_phones) {
  EXPECT_TRUE(any("2023-10-15 14:30, 2023/10/15, 15.10.2023, 20231015, 10-15-2023").empty());
  EXPECT_TRUE(any("¥1380.00, $1,234,567.89, 1 234 567, 13800.00元, 3-4人, 100-1000").empty());
  EXPECT_TRUE(any("订单号 202310151234567890, 20231015123456, 1381234567890").empty());
  EXPECT_TRUE(any("192.168.100.200 10.0.0.1 v1.2.3 555-2671 123 456 789").empty());
  EXPECT_TRUE(any("415-155-2671 115-555-2671 02-15-2023").empty());  // NANP digits, short groups
}

TEST(pii, phone_formats_can_be_turned_off) {
  pii_options o;
  o.phone_cn_mobile = false;
  EXPECT_TRUE(phones("13812345678", o).empty());
  EXPECT_EQ(phones("+86 138 1234 5678", o), strings{"+86 138 1234 5678"});
  o.phone_e164 = false;
  EXPECT_TRUE(phones("+86 138 1234 5678", o).empty());
  EXPECT_EQ(phones("020-12345678", o), strings{"020-12345678"});
  o.phone_national = false;
  EXPECT_TRUE(phones("020-12345678", o).empty());
  pii_options none;
  none.phone = none.email = none.card = none.cn_id = false;
  EXPECT_TRUE(find_pii("13812345678 a@b.com 4111111111111111", none).empty());
}

TEST(pii, cards_are_luhn_checked_and_grouped_like_cards) {
  EXPECT_EQ(cards("card 4111 1111 1111 1111 exp 12/25"), strings{"4111 1111 1111 1111"});
  EXPECT_EQ(cards("4111-1111-1111-1111 5500005555555559"),
            (strings{"4111-1111-1111-1111", "5500005555555559"}));
  EXPECT_EQ(cards("amex 3782 822463 10005, 378282246310005"),
            (strings{"3782 822463 10005", "378282246310005"}));
  EXPECT_EQ(cards("6011111111111117 30569309025904 4222222222222"),
            (strings{"6011111111111117", "30569309025904", "4222222222222"}));
  const std::string unionpay = luhn_complete("621234567890123456");  // 19 digits
  EXPECT_EQ(
      cards(unionpay.substr(0, 4) + " " + unionpay.substr(4, 4) + " " + unionpay.substr(8, 4) +
            " " + unionpay.substr(12, 4) + " " + unionpay.substr(16)),
      strings{unionpay.substr(0, 4) + " " + unionpay.substr(4, 4) + " " + unionpay.substr(8, 4) +
              " " + unionpay.substr(12, 4) + " " + unionpay.substr(16)});
}

TEST(pii, invalid_luhn_odd_groups_and_unknown_prefixes_are_not_cards) {
  EXPECT_TRUE(any("4111111111111112 4111 1111 1111 1112").empty());
  EXPECT_TRUE(any("4111 1111-1111 1111 41111 111111 11111").empty());  // mixed joints, groups
  EXPECT_TRUE(any(luhn_complete("100000000000000")).empty());          // no such IIN
  EXPECT_TRUE(any(luhn_complete("20231015123456")).empty());           // 2023: not a card range
  EXPECT_TRUE(any(luhn_complete("41111111111111")).empty());           // Visa has no 15 digits
  EXPECT_TRUE(any(luhn_complete("4111111111111111111111")).empty());   // 23 digits
}

TEST(pii, chinese_ids_checksum_date_and_region) {
  EXPECT_EQ(ids("身份证号11010519491231002X。"), strings{"11010519491231002X"});
  EXPECT_EQ(ids("11010519491231002x, 320106198512310016"),
            (strings{"11010519491231002x", "320106198512310016"}));
  EXPECT_EQ(ids("110105 19491231 002X"), strings{"110105 19491231 002X"});
  EXPECT_EQ(ids(cn_id("11010120000229001")), strings{cn_id("11010120000229001")});  // leap day
  EXPECT_TRUE(any("110105194912310021 11010519491231002Y 11010519491231002Xabc").empty());
  EXPECT_TRUE(any(cn_id("11010119000229001")).empty());  // 1900 was not a leap year
  EXPECT_TRUE(any(cn_id("11010118991231001")).empty());  // before 1900
  EXPECT_TRUE(any(cn_id("11010119901301001")).empty());  // month 13
  EXPECT_TRUE(any(cn_id("91010119900101001")).empty());  // region starts with 9
  EXPECT_TRUE(any(cn_id("19010119900101001")).empty());  // no province 19
  pii_options o;
  o.cn_id_max_year = 1989;
  EXPECT_TRUE(ids(cn_id("11010119900101001"), o).empty());
  o.cn_id_max_year = 0;
  EXPECT_TRUE(ids(cn_id("11010130000101001"), o).empty());  // born in 3000
}

TEST(pii, a_digit_run_inside_a_longer_run_never_matches_in_part) {
  EXPECT_TRUE(any("1101051949123100231234567").empty());  // an ID inside 25 digits
  EXPECT_TRUE(any("9" + cn_id("11010519491231002")).empty());
  EXPECT_TRUE(any("41111111111111110").empty());
  EXPECT_TRUE(any("A11010519491231002X").empty());
}

TEST(pii, emails_practical_subset) {
  EXPECT_EQ(emails("mail john.doe+tag@example.com, 邮箱abc@qq.com谢谢"),
            (strings{"john.doe+tag@example.com", "abc@qq.com"}));
  EXPECT_EQ(emails("x_y-z@mail.example.co.uk. and 12345678@qq.com"),
            (strings{"x_y-z@mail.example.co.uk", "12345678@qq.com"}));
  EXPECT_EQ(emails("...john@x.org, 用户 x@例子.中国 ok, jürgen@münchen.de"),
            (strings{"john@x.org", "x@例子.中国", "jürgen@münchen.de"}));
  EXPECT_EQ(emails("иван@почта.рф, ติดต่อabc@x.co.th"), (strings{"иван@почта.рф", "abc@x.co.th"}));
  EXPECT_EQ(any("13812345678@qq.com"), strings{"13812345678@qq.com"});  // not a phone
}

TEST(pii, not_emails_without_a_real_domain) {
  EXPECT_TRUE(emails("a@b no, a@b.c no, user@localhost, @alice hi, mail@, a@1.2.3.4").empty());
  EXPECT_TRUE(emails("a@-b.com a@b-.com a@.com").empty());
  EXPECT_TRUE(emails(std::string(65, 'a') + "@example.com").empty());
  EXPECT_EQ(emails(std::string(64, 'a') + "@example.com").size(), 1u);
  EXPECT_EQ(emails("a@b.com@c.com"), strings{"a@b.com"});
}

TEST(pii, full_width_digits_at_sign_and_spaces) {
  EXPECT_EQ(phones("电话：１３８１２３４５６７８。"), strings{"１３８１２３４５６７８"});
  EXPECT_EQ(phones("１３８　１２３４　５６７８"), strings{"１３８　１２３４　５６７８"});
  EXPECT_EQ(phones("＋８６－１３８－１２３４－５６７８"),
            strings{"＋８６－１３８－１２３４－５６７８"});
  EXPECT_EQ(emails("abc＠qq．com"), strings{"abc＠qq．com"});
  EXPECT_EQ(ids("１１０１０５１９４９１２３１００２Ｘ"),
            strings{"１１０１０５１９４９１２３１００２Ｘ"});
  EXPECT_EQ(cards("４１１１ １１１１ １１１１ １１１１"),
            strings{"４１１１ １１１１ １１１１ １１１１"});
}

TEST(pii, spans_are_byte_offsets_of_the_original_text) {
  const std::string s = "我的电话是13812345678谢谢，邮箱ａ＠ｂ.cn";
  const auto m = find_pii(s);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (pii_match{15, 26, pii_kind::phone}));
  EXPECT_EQ(s.substr(m[1].begin, m[1].end - m[1].begin), "ａ＠ｂ.cn");
  EXPECT_EQ(m[1].kind, pii_kind::email);
  EXPECT_LT(m[0].end, m[1].begin);
}

TEST(pii, mask_puts_one_star_per_code_point) {
  EXPECT_EQ(masked("我的电话是13812345678谢谢"), "我的电话是***********谢谢");
  EXPECT_EQ(masked("电话：１３８１２３４５６７８。"), "电话：***********。");
  EXPECT_EQ(masked("mail a@b.cn, id 11010519491231002X!"), "mail ******, id ******************!");
  EXPECT_EQ(masked("nothing here"), "nothing here");
  EXPECT_EQ(masked(""), "");
}

TEST(pii, mask_keep_hint_keeps_email_domains_and_last_card_digits) {
  pii_options o;
  o.keep_hint = true;
  EXPECT_EQ(masked("john@example.com", o), "****@example.com");
  EXPECT_EQ(masked("abc＠qq．com", o), "***＠qq．com");
  EXPECT_EQ(masked("4111 1111 1111 1111", o), "***************1111");
  EXPECT_EQ(masked("13812345678 11010519491231002X", o), "*********** ******************");
}

TEST(pii, mask_skips_spans_out_of_order_or_out_of_range) {
  const std::vector<pii_match> bad{
      {4, 6, pii_kind::phone}, {2, 5, pii_kind::phone}, {5, 99, pii_kind::phone}};
  EXPECT_EQ(mask_pii("abcdefgh", bad), "abcd**gh");
}

TEST(pii, invalid_utf8_never_crashes_and_never_matches) {
  EXPECT_EQ(phones("\xFF"
                   "13812345678\xC0"),
            strings{"13812345678"});
  EXPECT_TRUE(any("\xEF\xBC"
                  "13812345678")
                  .size() == 1);
  EXPECT_EQ(phones("138123\xEF\xBC\x99"
                   "5678")
                .size(),
            1u);  // U+FF19 is a full-width 9
  EXPECT_TRUE(any("1381234\xEF\xBC\x9A"
                  "5678")
                  .empty());  // U+FF1A is a colon
  EXPECT_TRUE(any("\xEF\xBC\x91\xEF\xBC").empty());
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; round++) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>("1\xEF\xBC\x90@.a -+()X\xE8\xB0\xF0\x80"[rng() % 18]);
    const auto m = find_pii(s);
    std::size_t pos = 0;
    for (const pii_match& x : m) {
      ASSERT_LE(pos, x.begin);
      ASSERT_LT(x.begin, x.end);
      ASSERT_LE(x.end, s.size());
      pos = x.end;
    }
    ASSERT_LE(pii_holdback(s), s.size());
    (void)mask_pii(s, m);
  }
}

// What a streaming caller does: feed chunks, emit all but pii_holdback() bytes, mask what it
// emits on its own, and mask the rest at the end of the stream.
std::string mask_streamed(const std::string& text, const std::vector<std::size_t>& cuts,
                          const pii_options& o) {
  std::string out, pending;
  auto emit = [&](std::size_t n) {
    const std::string part = pending.substr(0, n);
    out += mask_pii(part, find_pii(part, o), o);
    pending.erase(0, n);
  };
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    pending += text.substr(prev, cut - prev);
    prev = cut;
    emit(pending.size() - pii_holdback(pending));
  }
  pending += text.substr(prev);
  emit(pending.size());
  return out;
}

// Pieces of the random texts, '|'-separated: PII in many shapes, look-alikes, separators, CJK
// and other scripts, full-width forms and broken UTF-8.
const char k_pieces[] =
    "13812345678|138 1234 5678|+86 138-1234-5678|+1 (415) 555-2671|(020) 8765 4321|020-12345678|"
    "01 23 45 67 89|8613812345678|4111 1111 1111 1111|378282246310005|11010519491231002X|"
    "320106198512310016|110105 19491231 002X|a.b+c@example.com|abc＠qq．com|x@例子.中国|"
    "１３８１２３４５６７８|＋８６|2023-10-15|14:30|¥1380.00|1|12|123|4567|0|86|X|x|a|abc|_| |  |"
    "-|.|+|(|)|@|，|。|谢谢|电话|例子|.com|.cn|:|/|\n|ü|jü|\xE8|\xB0|\xFF|\xEF\xBC|＠|．|２|－|Ｘ|"
    "(0)|(+86)|0086|\xC2\xA0|１２３４|５６７８|иван|ติดต่อ|　";

std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = [] {
    std::vector<std::string> r(1);
    for (const char* c = k_pieces; *c; c++) {
      if (*c == '|') {
        r.emplace_back();
      } else {
        r.back() += *c;
      }
    }
    return r;
  }();
  std::string s;
  const int n = 3 + static_cast<int>(rng() % 10);
  for (int k = 0; k < n; k++) s += pieces[rng() % pieces.size()];
  return s;
}

TEST(pii, streaming_with_holdback_masks_like_the_whole_text_at_every_split_point) {
  std::mt19937 rng(20240611);
  for (bool hint : {false, true}) {
    pii_options o;
    o.keep_hint = hint;
    for (int round = 0; round < 2000; round++) {
      const std::string text = random_text(rng);
      const std::string whole = masked(text, o);
      for (std::size_t cut = 0; cut <= text.size(); cut++) {
        ASSERT_EQ(mask_streamed(text, {cut}, o), whole) << "text [" << text << "] cut " << cut;
      }
      std::vector<std::size_t> every;  // byte by byte
      for (std::size_t cut = 1; cut < text.size(); cut++) every.push_back(cut);
      ASSERT_EQ(mask_streamed(text, every, o), whole) << "text [" << text << "] byte by byte";
    }
  }
}

TEST(pii, holdback_keeps_only_what_could_still_change) {
  EXPECT_EQ(pii_holdback("call me at "), 0u);
  EXPECT_EQ(pii_holdback("我的电话是"), 0u);
  EXPECT_EQ(pii_holdback("我的电话是138"), 3u);
  EXPECT_EQ(pii_holdback("call 138 1234 "), 9u);  // "138 1234 5678" may follow
  EXPECT_EQ(pii_holdback("call 138 1234 now"), 3u);
  EXPECT_EQ(pii_holdback("mail john.doe"), 8u);  // "@example.com" may follow
  EXPECT_EQ(pii_holdback("mail x@例子"), 8u);    // the domain goes on
  EXPECT_EQ(pii_holdback("ok, \xE8\xB0"), 2u);   // half a character
  EXPECT_EQ(pii_holdback("0086 \xEF"), 6u);      // a full-width digit may be arriving
  EXPECT_EQ(pii_holdback("hello world."), 6u);   // "world.com" after '@' is unknown yet
  EXPECT_EQ(pii_holdback("hello world!"), 0u);
  EXPECT_EQ(pii_holdback(""), 0u);
}

TEST(pii, speed_sanity_print) {
  const std::string msg =
      "Hi, I ordered the blue jacket last week and it still has not arrived. Can you check? Thx";
  std::vector<pii_match> out;
  const int n = 200000;
  std::size_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < n; k++) {
    find_pii(msg, {}, out);
    sink += out.size();
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
  std::printf("[ info ] find_pii on a %zu-byte message without PII: %.0f ns (%.0f MB/s)\n",
              msg.size(), ns, msg.size() * 1e3 / ns);
  EXPECT_EQ(sink, 0u);
}

}  // namespace
}  // namespace sb::filter
