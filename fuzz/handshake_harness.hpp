// SPDX-License-Identifier: MIT
// fuzz/handshake_harness.hpp — what fuzz/fuzz_request.cpp and fuzz/fuzz_response.cpp
// share: the oracle trap, exactly sized input copies, handshake options and
// read splits chosen by leading bytes, a driver that feeds a handshake its
// input in pieces the way a caller does, and copies of parsed header fields
// that outlive the buffers they view. Built with -DFUZZ_HANDSHAKE_TRACE, the
// targets print each run's outcome (to check what a seed reaches).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <wscodec/handshake.hpp>

namespace fuzz_handshake {

using namespace wscodec;

[[noreturn]] inline void violation(const char* what, const char* detail = nullptr) {
    if (detail != nullptr)
        std::fprintf(stderr, "fuzz_handshake: %s (%s)\n", what, detail);
    else
        std::fprintf(stderr, "fuzz_handshake: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

inline void expect(bool ok, const char* what, const char* detail = nullptr) {
    if (!ok) violation(what, detail);
}

/// An exactly sized heap copy of `src`, so ASan reports a read past its end.
class exact_copy {
public:
    explicit exact_copy(std::string_view src) : size_(src.size()), data_(new std::uint8_t[src.size()]) {
        if (size_ != 0) std::memcpy(data_.get(), src.data(), size_);
    }
    [[nodiscard]] bytes_view bytes() const noexcept { return {data_.get(), size_}; }
    [[nodiscard]] std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(data_.get()), size_};
    }

private:
    std::size_t size_;
    std::unique_ptr<std::uint8_t[]> data_;
};

/// The leading bytes of an input, read one at a time; 0 past the end.
struct reader {
    std::string_view data;
    std::size_t at = 0;
    std::uint8_t next() noexcept {
        return at < data.size() ? static_cast<std::uint8_t>(data[at++]) : std::uint8_t{0};
    }
    std::string_view take(std::size_t n) noexcept {
        const std::string_view s = data.substr(std::min(at, data.size()), n);
        at += n;
        return s;
    }
    [[nodiscard]] std::string_view rest() const noexcept { return data.substr(std::min(at, data.size())); }
};

/// Options from one byte: bits 0-2 max_header_bytes, bits 3-4 max_headers.
inline handshake_options options_from(std::uint8_t b) noexcept {
    constexpr std::size_t header_bytes[8] = {8192, 64, 200, 1, 512, 1024, 4096, 65536};
    constexpr std::size_t headers[4] = {100, 0, 2, 8};
    handshake_options o;
    o.max_header_bytes = header_bytes[b & 7u];
    o.max_headers = headers[(b >> 3) & 3u];
    return o;
}

/// The sizes of the receive calls that hand over `total` bytes: `sizes` in a
/// cycle (0: a call with no new bytes); byte by byte if `sizes` is empty; the
/// empty calls and then everything at once if every size is 0.
inline std::vector<std::size_t> plan_pieces(std::string_view sizes, std::size_t total) {
    std::vector<std::size_t> plan;
    if (sizes.empty()) {
        plan.assign(total, 1);
        return plan;
    }
    if (std::all_of(sizes.begin(), sizes.end(), [](char c) { return c == 0; })) {
        plan.assign(sizes.size(), 0);
        plan.push_back(total);
        return plan;
    }
    for (std::size_t at = 0, i = 0; at < total; ++i) {
        const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(sizes[i % sizes.size()]), total - at);
        plan.push_back(n);
        at += n;
    }
    return plan;
}

/// How a run of receive calls ended.
struct read_result {
    event ev;                  ///< the event that ended the reading; need_more if none did
    std::size_t start = 0;     ///< absolute offset of that call's input
    std::size_t size = 0;      ///< that call's input size
    std::size_t consumed = 0;  ///< bytes consumed by all calls (an absolute offset)
    std::size_t calls = 0;
};

/// Feeds `stream` to `hs` in calls of the planned sizes; each call passes the
/// bytes not consumed so far plus the next piece, as an exactly sized copy.
/// Stops at the first event other than need_more and calls
/// `on_event(ev, input, result so far)` while that call's input is still alive
/// (request and response views may point into it). Then hands over everything not
/// consumed, which must not be consumed.
template <class Handshake, class OnEvent>
read_result read_all(Handshake& hs, std::string_view stream, const std::vector<std::size_t>& pieces,
                     OnEvent&& on_event) {
    read_result r;
    std::size_t fed = 0;
    for (const std::size_t piece : pieces) {
        fed += piece;
        const exact_copy in(stream.substr(r.consumed, fed - r.consumed));
        const event ev = hs.receive(in.bytes());
        ++r.calls;
        expect(ev.consumed <= in.bytes().size(), "consumed more than the input");
        if (ev.type == event_type::need_more) {
            expect(ev.consumed == in.bytes().size(), "need_more left input unconsumed");
            expect(ev.err == error::none && ev.code == 0 && ev.http_status == 0 && ev.action == tcp_action::none,
                   "need_more carries an error");
            r.consumed += ev.consumed;
            continue;
        }
        if (ev.type == event_type::failed) {
            expect(ev.position <= in.bytes().size(), "failure position outside the input");
            expect(ev.action == tcp_action::linger, "failed without linger");
        } else {
            expect(ev.err == error::none && ev.action == tcp_action::none && ev.position == 0,
                   "success event carries an error");
        }
        r.ev = ev;
        r.start = r.consumed;
        r.size = in.bytes().size();
        r.consumed += ev.consumed;
        on_event(ev, in.text(), static_cast<const read_result&>(r));
        break;
    }
    // Whatever is left (frames pipelined behind the handshake, or the rest of
    // a broken one) is never consumed once the handshake is over, and a
    // handshake still reading takes it all.
    const exact_copy rest(stream.substr(r.consumed));
    const event ev = hs.receive(rest.bytes());
    expect(ev.type == event_type::need_more, "an event after the handshake's last", event_type_name(ev.type));
    if (r.ev.type != event_type::need_more)
        expect(ev.consumed == 0, "bytes after the handshake were consumed");
    else
        expect(ev.consumed == rest.bytes().size(), "need_more left input unconsumed");
    return r;
}

/// Whole versus split: the same outcome, up to what the failure position may
/// say (an offset in the current input, 0 when the offending byte came with an
/// earlier one) and how much input a failure swallows (all of its input when
/// the block itself is malformed, up to the blank line when a complete block
/// is refused).
inline void compare_reads(const read_result& whole, const read_result& split, std::size_t total) {
    const event& w = whole.ev;
    const event& s = split.ev;
#ifdef FUZZ_HANDSHAKE_TRACE
    // Built with -DFUZZ_HANDSHAKE_TRACE, says what each input does (for corpus work).
    for (const read_result* r : {&whole, &split})
        std::fprintf(stderr, "%s: %s %s code %u consumed %zu position %zu in call %zu at %zu\n",
                     r == &whole ? "whole" : "split", event_type_name(r->ev.type), error_name(r->ev.err),
                     unsigned{r->ev.http_status}, r->consumed, r->ev.position, r->calls, r->start);
#endif
    expect(w.type == s.type, "split event differs from whole",
           (std::string(event_type_name(w.type)) + " vs " + event_type_name(s.type)).c_str());
    expect(w.err == s.err, "split error differs from whole",
           (std::string(error_name(w.err)) + " vs " + error_name(s.err)).c_str());
    expect(w.http_status == s.http_status && w.code == s.code, "split code differs from whole");
    if (w.type == event_type::need_more) {
        expect(whole.consumed == total && split.consumed == total, "need_more did not take everything");
        return;
    }
    if (w.type != event_type::failed) {
        expect(whole.consumed == split.consumed, "split consumed differs from whole");
        return;
    }
    const bool whole_short = whole.consumed < whole.start + whole.size;
    const bool split_short = split.consumed < split.start + split.size;
    if (whole_short || split_short)
        expect(whole.consumed == split.consumed, "a refused block ends elsewhere in the split run");
    if (s.position > 0 || split.start == 0)
        expect(split.start + s.position == w.position, "split failure position differs from whole");
    else
        expect(w.position <= split.start, "split says the failure came with an earlier input, it did not");
}

using field_list = std::vector<std::pair<std::string, std::string>>;

inline field_list copy_fields(const header_range& r) {
    field_list out;
    for (const http_header& h : r) out.emplace_back(h.name, h.value);
    return out;
}

/// The field lines of a header block as an independent reading sees them: the
/// lines between the start line and the blank line, split at the first colon,
/// the value trimmed of spaces and tabs.
inline field_list fields_of(std::string_view block) {
    field_list out;
    std::size_t at = block.find("\r\n");
    if (at == std::string_view::npos) return out;
    at += 2;
    for (;;) {
        const std::size_t eol = block.find("\r\n", at);
        if (eol == std::string_view::npos || eol == at) break;
        const std::string_view line = block.substr(at, eol - at);
        const std::size_t colon = line.find(':');
        std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        out.emplace_back(line.substr(0, colon), value);
        at = eol + 2;
    }
    return out;
}

/// The value of the first field named `name` (any case) in `fields`.
inline const std::string* first_field(const field_list& fields, std::string_view name) {
    for (const auto& f : fields)
        if (detail::iequals(f.first, name)) return &f.second;
    return nullptr;
}

inline std::size_t count_fields(const field_list& fields, std::string_view name) {
    return static_cast<std::size_t>(std::count_if(fields.begin(), fields.end(), [name](const auto& f) {
        return detail::iequals(f.first, name);
    }));
}

}  // namespace fuzz_handshake
