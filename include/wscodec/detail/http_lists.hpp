// SPDX-License-Identifier: MIT
// wscodec/detail/http_lists.hpp — the list grammars of the handshake's fields
// (RFC 9110 §5.6.1, RFC 6455 §4.1 and §9.1): comma lists, token lists and
// extension lists, byte by byte and on the bulk path's non-tchar bits, and an
// extension's name. No state beyond a cursor.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>
#include <wscodec/detail/http_chars.hpp>

namespace wscodec::detail {

/// Splits a comma-separated field value (RFC 9110 §5.6.1) into trimmed
/// elements, skipping empty ones; separators inside quoted strings do not
/// split. `sep` is ';' for extension parameters.
class list_cursor {
public:
    constexpr list_cursor() noexcept = default;
    constexpr explicit list_cursor(std::string_view list, char sep = ',') noexcept : rest_(list), sep_(sep) {}
    /// The next element, or false when the list is exhausted.
    constexpr bool next(std::string_view& out) noexcept {
        while (!rest_.empty()) {
            std::size_t i = 0;
            for (; i < rest_.size() && rest_[i] != sep_ && rest_[i] != '"'; ++i) {
            }
            if (i < rest_.size() && rest_[i] == '"') {  // a quoted string: separators inside do not count
                bool quoted = false;
                for (i = 0; i < rest_.size(); ++i) {
                    const char c = rest_[i];
                    if (quoted) {
                        if (c == '\\') ++i;
                        else if (c == '"') quoted = false;
                    } else if (c == '"') {
                        quoted = true;
                    } else if (c == sep_) {
                        break;
                    }
                }
                if (i > rest_.size()) i = rest_.size();
            }
            const std::string_view element = trim_ows(rest_.substr(0, i));
            rest_.remove_prefix(i < rest_.size() ? i + 1 : i);
            if (!element.empty()) {
                out = element;
                return true;
            }
        }
        return false;
    }

private:
    std::string_view rest_;
    char sep_ = ',';
};

/// True if the comma list `list` (a field value: no CR) has an element equal
/// to `token`, which is in lower case, ignoring case.
[[nodiscard]] inline bool list_has_token(std::string_view list, std::string_view token) noexcept {
    if (list.size() == token.size()) return name_is(list, token);
    list_cursor c(list);
    std::string_view e;
    while (c.next(e))
        if (iequals(e, token)) return true;
    return false;
}

/// True if every element of `list` is a token (RFC 6455 §4.1
/// Sec-WebSocket-Protocol): tokens separated by commas with optional
/// whitespace; empty elements are allowed (RFC 9110 §5.6.1.2). One pass.
[[nodiscard]] constexpr bool is_token_list_bytewise(std::string_view list) noexcept {
    std::size_t i = 0;
    const std::size_t n = list.size();
    for (;;) {
        while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
        if (i == n) return true;
        if (!is_tchar(list[i])) return false;
        while (i < n && is_tchar(list[i])) ++i;
        while (i < n && (list[i] == ' ' || list[i] == '\t')) ++i;
        if (i == n) return true;
        if (list[i] != ',') return false;
    }
}

/// Reads a quoted-string at `s[i]` == '"'; returns the index after the closing
/// quote, or 0 if malformed. The unescaped content must be a token (§9.1).
[[nodiscard]] constexpr std::size_t skip_quoted_token(std::string_view s, std::size_t i) noexcept {
    std::size_t n = 0;
    for (++i; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') return n > 0 ? i + 1 : 0;
        if (c == '\\') {
            if (++i == s.size()) return 0;
            c = s[i];
        }
        if (!is_tchar(c)) return 0;
        ++n;
    }
    return 0;
}

/// True if every element of `list` is a well-formed extension (§9.1); empty
/// elements are allowed. One pass, byte by byte.
[[nodiscard]] constexpr bool is_extension_list_bytewise(std::string_view list) noexcept {
    std::size_t i = 0;
    const std::size_t n = list.size();
    const auto ows = [&] {
        while (i < n && (list[i] == ' ' || list[i] == '\t')) ++i;
    };
    const auto token = [&] {
        const std::size_t from = i;
        while (i < n && is_tchar(list[i])) ++i;
        return i > from;
    };
    for (;;) {
        while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
        if (i == n) return true;
        if (!token()) return false;  // the extension's name
        for (;;) {
            ows();
            if (i == n) return true;
            if (list[i] == ',') break;
            if (list[i] != ';') return false;
            ++i;
            ows();
            if (!token()) return false;  // a parameter's name
            if (i < n && list[i] == '=') {
                ++i;
                if (i < n && list[i] == '"') {
                    i = skip_quoted_token(list, i);
                    if (i == 0) return false;
                } else if (!token()) {
                    return false;
                }
            }
        }
    }
}

/// The two list grammars of the handshake: tokens separated by commas (Sec-
/// WebSocket-Protocol) and extensions with parameters (Sec-WebSocket-Extensions).
enum class list_grammar : std::uint8_t { tokens, extensions };

/// is_token_list_bytewise or is_extension_list_bytewise by another road, for
/// a value of at most 64 bytes whose non-tchar bytes the bulk parser has
/// marked already (`nontchar`, bit i for byte i): a state machine that steps
/// once per separator, knowing from the gap since the one before whether a
/// token lies between. A value has a few separators and long tokens, so this
/// costs a step per separator instead of a branch at every byte and a
/// mispredicted one at every token's end. A quoted string (only in extension
/// parameters, rare) goes to the bytewise parser.
template <list_grammar G>
[[nodiscard]] inline bool valid_list(std::string_view list, std::uint64_t nontchar) noexcept {
    enum : std::uint8_t { start, after_token, after_param, after_ows, after_semicolon, after_equals, bad };
    std::uint8_t st = start;
    std::size_t token_from = 0;  // where a token would start: after the last separator
    const auto token = [&st] {
        st = st == start ? after_token : st == after_semicolon ? after_param : st == after_equals ? after_token : bad;
    };
    for (std::uint64_t m = nontchar; m != 0; m &= m - 1) {
        const std::size_t at = static_cast<std::size_t>(std::countr_zero(m));
        if (at > token_from) token();
        token_from = at + 1;
        const char c = list[at];
        const bool ows = c == ' ' || c == '\t';
        if (G == list_grammar::extensions && c == '"') return is_extension_list_bytewise(list);
        switch (st) {
            case start: st = ows || c == ',' ? start : bad; break;
            case after_token:
            case after_param:
            case after_ows:
                if (ows) st = after_ows;
                else if (c == ',') st = start;
                else if (G == list_grammar::extensions && c == ';') st = after_semicolon;
                else if (G == list_grammar::extensions && c == '=' && st == after_param) st = after_equals;
                else st = bad;
                break;
            case after_semicolon: st = ows ? after_semicolon : bad; break;
            default: st = bad; break;
        }
        if (st == bad) return false;
    }
    if (list.size() > token_from) token();
    return st == start || st == after_token || st == after_param || st == after_ows;
}

/// True if `list` follows grammar `G`: on the bulk path's non-tchar bits
/// when they are known, byte by byte otherwise.
template <list_grammar G>
[[nodiscard]] inline bool is_list(std::string_view list, value_bits bits = {}) noexcept {
    if (bits.known) return valid_list<G>(list, bits.nontchar);
    if constexpr (G == list_grammar::tokens) return is_token_list_bytewise(list);
    else return is_extension_list_bytewise(list);
}

/// True if every element of `list` is a token (RFC 6455 §4.1
/// Sec-WebSocket-Protocol); empty elements are allowed (RFC 9110 §5.6.1.2).
[[nodiscard]] inline bool is_token_list(std::string_view list, value_bits bits = {}) noexcept {
    return is_list<list_grammar::tokens>(list, bits);
}

/// True if every element of `list` is a well-formed extension (§9.1); empty
/// elements are allowed.
[[nodiscard]] inline bool is_extension_list(std::string_view list, value_bits bits = {}) noexcept {
    return is_list<list_grammar::extensions>(list, bits);
}

/// One extension of a Sec-WebSocket-Extensions list (§9.1):
/// token *( OWS ";" OWS token [ "=" ( token / quoted-string ) ] ) OWS. A ','
/// can only separate elements (quoted values are tokens), so this is a list
/// of one element that starts with its name.
[[nodiscard]] constexpr bool is_extension(std::string_view e) noexcept {
    return !e.empty() && is_tchar(e.front()) && e.find(',') == std::string_view::npos && is_extension_list_bytewise(e);
}

/// The extension's name: the token before the first ';'.
[[nodiscard]] constexpr std::string_view extension_name(std::string_view e) noexcept {
    std::size_t i = 0;
    while (i < e.size() && is_tchar(e[i])) ++i;
    return e.substr(0, i);
}

/// True if the comma list `list` has an element equal to `item`, exactly
/// (a subprotocol, §4.1).
[[nodiscard]] constexpr bool list_contains(std::string_view list, std::string_view item) noexcept {
    list_cursor c(list);
    std::string_view e;
    while (c.next(e))
        if (e == item) return true;
    return false;
}

/// True if the extension list `list` has an extension named `name`, ignoring case.
[[nodiscard]] constexpr bool list_has_extension(std::string_view list, std::string_view name) noexcept {
    list_cursor c(list);
    std::string_view e;
    while (c.next(e))
        if (iequals(extension_name(e), name)) return true;
    return false;
}

/// True if every extension of the list `chosen` is named, ignoring case,
/// among `offered` (a range of elements with a `name`): §9.1, a server
/// answers only with extensions the client offered.
template <class Offered>
[[nodiscard]] bool extensions_offered(std::string_view chosen, const Offered& offered) noexcept {
    list_cursor c(chosen);
    std::string_view e;
    while (c.next(e)) {
        bool found = false;
        for (const auto& x : offered) found = found || iequals(x.name, extension_name(e));
        if (!found) return false;
    }
    return true;
}
}  // namespace wscodec::detail
