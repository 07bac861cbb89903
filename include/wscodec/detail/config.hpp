// SPDX-License-Identifier: MIT
// wscodec/detail/config.hpp — the base every header builds on: compiler
// attributes and the per-ISA target macros. No state.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__GNUC__) || defined(__clang__)
#define WSCODEC_ALWAYS_INLINE inline __attribute__((always_inline))
#define WSCODEC_INLINE_LAMBDA __attribute__((always_inline))
#define WSCODEC_NOINLINE __attribute__((noinline))
#define WSCODEC_LIKELY(x) __builtin_expect(!!(x), 1)
#define WSCODEC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WSCODEC_ALWAYS_INLINE inline
#define WSCODEC_INLINE_LAMBDA
#define WSCODEC_NOINLINE
#define WSCODEC_LIKELY(x) (x)
#define WSCODEC_UNLIKELY(x) (x)
#endif

// x86-64 kernels are compiled with per-function target attributes and chosen
// at run time, so a default build (no -march) still runs the AVX2 paths.
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(WSCODEC_NO_SIMD)
#define WSCODEC_X86 1
#define WSCODEC_TARGET_SSE41 __attribute__((target("sse4.1")))
#define WSCODEC_TARGET_AVX2 __attribute__((target("avx2")))
#define WSCODEC_TARGET_AVX512BW __attribute__((target("avx512f,avx512bw,avx2")))
#define WSCODEC_TARGET_SHA_NI __attribute__((target("sha,sse4.1")))
#else
#define WSCODEC_X86 0
#endif

#if (defined(__aarch64__) || defined(_M_ARM64)) && !defined(WSCODEC_NO_SIMD)
#define WSCODEC_NEON 1
#else
#define WSCODEC_NEON 0
#endif
