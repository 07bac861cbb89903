// SPDX-License-Identifier: MIT
// fuzz/fuzz_close.cpp — close payload parser and builder (wscodec/close.hpp).
// The input is a close payload. Oracles: an accepted payload is rebuilt byte
// for byte by build_close_payload; a rejected one is refused by the builder
// too, for the matching reason; the reason views the input.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <wscodec/close.hpp>

namespace {

using namespace wscodec;

[[noreturn]] void violation(const char* what) {
    std::fprintf(stderr, "fuzz_close: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void expect(bool ok, const char* what) {
    if (!ok) violation(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const bytes_view in(data, size);
    const close_info info = parse_close_payload(in);
    const bytes_view tail = size >= 2 ? in.subspan(2) : bytes_view{};
    std::array<std::uint8_t, 2 + max_close_reason> out{};

    switch (info.err) {
        case error::none: {
            if (size == 0) {
                expect(info.code == 1005 && info.reason.empty(), "empty payload is not 1005");
                const close_build b = build_close_payload(info.code, info.reason, out);
                expect(b.err == error::none && b.size == 0, "1005 does not rebuild as an empty payload");
                break;
            }
            expect(size >= 2, "accepted a 1-byte payload");
            expect(is_sendable_close_code(info.code), "accepted an unsendable code");
            expect(info.code == ((data[0] << 8) | data[1]), "code is not big-endian");
            expect(info.reason.data() == data + 2 && info.reason.size() == size - 2, "reason does not view the input");
            expect(validate_utf8(info.reason).ok(), "accepted a reason that is not UTF-8");
            const close_build b = build_close_payload(info.code, info.reason, out);
            if (info.reason.size() > max_close_reason) {
                expect(b.err == error::close_reason_too_long, "builder accepted an over-long reason");
                break;
            }
            expect(b.err == error::none, "builder refused an accepted payload");
            expect(b.size == size && std::memcmp(out.data(), data, size) == 0, "rebuilt payload differs");
            break;
        }
        case error::close_payload_too_short:
            expect(size == 1, "too short but not 1 byte");
            break;
        case error::invalid_close_code: {
            expect(size >= 2 && !is_sendable_close_code(info.code), "invalid code that is sendable");
            expect(info.reason.empty(), "failed result carries a reason");
            const close_build b = build_close_payload(info.code, tail, out);
            const bool silent = info.code == 1005 && tail.empty();
            expect(silent ? b.err == error::none && b.size == 0 : b.err == error::unsendable_close_code,
                   "builder disagrees on the code");
            break;
        }
        case error::invalid_close_reason: {
            expect(size >= 2 && is_sendable_close_code(info.code), "reason error with a bad code");
            expect(!validate_utf8(tail).ok(), "rejected a UTF-8 reason");
            expect(!validate_utf8(tail, kernel::scalar).ok(), "rejected a UTF-8 reason (scalar)");
            const close_build b = build_close_payload(info.code, tail, out);
            expect(b.err == (tail.size() > max_close_reason ? error::close_reason_too_long
                                                             : error::close_reason_not_utf8),
                   "builder disagrees on the reason");
            break;
        }
        default: violation("undocumented error");
    }
    return 0;
}
