// SPDX-License-Identifier: MIT
// bench/bench_utf8.cpp — throughput of UTF-8 validation (wscodec/utf8.hpp):
// one-shot over 1 MiB of English (ASCII), European (mostly ASCII, some 2-byte
// letters) and Chinese (3-byte) text, a 64-byte ASCII piece (per-call cost),
// and the incremental validator fed in 4 KiB chunks. Each case runs with
// kernel::best and with every kernel this CPU supports. The texts are made
// once, deterministically, and checked valid with the scalar reference.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <wscodec/utf8.hpp>

#include "common.hpp"
#include "text.hpp"

namespace {

using wscodec::kernel;

constexpr std::size_t large_size = std::size_t{1} << 20;
constexpr std::size_t short_size = 64;
constexpr std::size_t feed_chunk = 4096;

constexpr std::array<kernel, 5> explicit_kernels = {kernel::scalar, kernel::sse41, kernel::avx2, kernel::avx512, kernel::neon};


/// Space-separated prose from `words`: sentences of 4..15 words, capitalised
/// when the first letter is ASCII, commas now and then, lines wrapped near 72
/// columns and a blank line between paragraphs; `n` bytes exactly.
std::string make_prose(std::size_t n, const std::string_view* words, std::size_t word_count, std::uint64_t seed) {
    bench::splitmix rng(seed);
    std::string out;
    out.reserve(n + 64);
    std::size_t column = 0;
    std::string sentence;
    while (true) {
        sentence.clear();
        const std::size_t length = 4 + rng.below(12);
        for (std::size_t w = 0; w < length; ++w) {
            if (w > 0) sentence += (rng.below(9) == 0 && w + 1 < length) ? ", " : " ";
            if (rng.below(40) == 0) {
                sentence += std::to_string(1 + rng.below(2030));
            } else {
                // Square the uniform draw so the first words of the list are the frequent ones.
                const double u = rng.unit();
                sentence += words[static_cast<std::size_t>(u * u * static_cast<double>(word_count))];
            }
        }
        if (sentence[0] >= 'a' && sentence[0] <= 'z') sentence[0] = static_cast<char>(sentence[0] - 'a' + 'A');
        sentence += rng.below(6) == 0 ? "?" : ".";
        // Separator before the sentence: a space, a line break when the line is full, or a paragraph break.
        std::string_view sep = column == 0 ? "" : " ";
        if (column > 0 && column + 1 + sentence.size() > 72) sep = rng.below(5) == 0 ? "\n\n" : "\n";
        if (out.size() + sep.size() + sentence.size() > n) break;
        out += sep;
        out += sentence;
        column = sep.empty() || sep[0] != '\n' ? column + sep.size() + sentence.size() : sentence.size();
    }
    return bench::finish_text(std::move(out), n);
}

constexpr std::string_view english_words[] = {
    "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with",
    "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "word", "but", "what",
    "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said",
    "an", "each", "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then", "them",
    "write", "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look",
    "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people", "my", "over",
    "know", "water", "than", "call", "first", "who", "may", "down", "side", "been", "now", "find", "any", "new",
    "work", "part", "take", "get", "place", "made", "live", "where", "after", "back", "little", "only", "round",
    "man", "year", "came", "show", "every", "good", "me", "give", "our", "under", "name", "very", "through",
    "just", "form", "sentence", "great", "think", "say", "help", "low", "line", "differ", "turn", "cause",
    "much", "mean", "before", "move", "right", "boy", "old", "too", "same", "tell", "does", "set", "three",
    "want", "air", "well", "also", "play", "small", "end", "put", "home", "read", "hand", "port", "large",
    "spell", "add", "even", "land", "here", "must", "big", "high", "such", "follow", "act", "why", "ask",
    "men", "change", "went", "light", "kind", "off", "need", "house", "picture", "try", "again", "animal",
    "point", "mother", "world", "near", "build", "self", "earth", "father", "head", "stand", "own", "page",
    "should", "country", "found", "answer", "school", "grow", "study", "still", "learn", "plant", "cover",
    "food", "sun", "four", "between", "state", "keep", "eye", "never", "last", "let", "thought", "city",
    "tree", "cross", "farm", "hard", "start", "might", "story", "saw", "far", "sea", "draw", "left", "late",
    "run", "while", "press", "close", "night", "real", "life", "few", "north", "message", "protocol", "frame",
    "server", "client", "connection", "handshake", "payload", "browser", "network", "stream", "socket",
};

// European words: most are plain ASCII, about a quarter carry 2-byte letters
// (Latin-1 and Latin Extended-A), and a rare one a 3-byte sign.
constexpr std::string_view european_words[] = {
    "der", "die", "und", "de", "la", "le", "et", "en", "el", "que", "los", "das", "ist", "il", "est", "un",
    "une", "des", "mit", "nicht", "sich", "auf", "dem", "pour", "dans", "avec", "sur", "par", "für", "por",
    "para", "con", "una", "del", "las", "à", "nous", "vous", "mais", "comme", "aber", "noch", "nach", "über",
    "wenn", "auch", "sind", "wird", "bei", "zum", "como", "pero", "sus", "fue", "muy", "todo", "esta", "où",
    "très", "déjà", "été", "année", "müssen", "können", "Straße", "größer", "schön", "Grüße", "mañana",
    "niño", "año", "también", "está", "qué", "café", "élève", "garçon", "façade", "français", "Zürich",
    "São", "não", "coração", "informação", "città", "perché", "più", "così", "Łódź", "żółw", "Kraków",
    "questo", "della", "sono", "anche", "nella", "hanno", "tutti", "fino", "dopo", "bien", "tout", "faire",
    "leur", "temps", "monde", "Europa", "Berlin", "Paris", "Madrid", "Roma", "Lisboa", "Wien", "Praha",
    "Bruxelles", "Amsterdam", "Stadt", "Haus", "Zeit", "Leben", "Arbeit", "ciudad", "casa", "tiempo", "vida",
    "trabajo", "maison", "travail", "ville", "Tag", "Jahr", "día", "jour", "giorno", "anno",
    "réseau", "données", "Nachricht", "mensaje", "envoyé", "empfangen", "recibido", "Größe", "Länge",
    "Prüfung", "Überblick", "Öffnung", "Änderung", "señal", "corazón", "lección", "canción", "nación",
    "situación", "información", "después", "además", "frère", "mère", "père", "fenêtre", "forêt", "hôtel",
    "château", "œuvre", "cœur", "naïve", "Noël", "Dvořák", "Čapek", "Škoda", "Wrocław", "€", "–",
};

const std::string& ascii_text() {
    static const std::string text = make_prose(large_size, english_words, std::size(english_words), 0x415343);
    return text;
}

const std::string& mixed_text() {
    static const std::string text = make_prose(large_size, european_words, std::size(european_words), 0x4D4958);
    return text;
}

const std::string& cjk_text() {
    static const std::string text = bench::make_cjk_text(large_size);
    return text;
}

using text_source = const std::string& (*)();

wscodec::bytes_view as_bytes(const std::string& text, std::size_t n) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), n};
}

/// Checks the benchmark input itself with the scalar reference.
bool input_is_valid(benchmark::State& state, wscodec::bytes_view text) {
    if (wscodec::validate_utf8(text, kernel::scalar).ok()) return true;
    state.SkipWithError("benchmark text is not valid UTF-8");
    return false;
}

/// One-shot validate_utf8 over the first `n` bytes of the text, kernel `k`.
void bm_validate(benchmark::State& state, text_source source, std::size_t n, kernel k) {
    const wscodec::bytes_view text = as_bytes(source(), n);
    if (!input_is_valid(state, text)) return;
    state.SetLabel(wscodec::kernel_name(wscodec::resolve_kernel(k)));
    for (auto _ : state) {
        const std::uint8_t* p = text.data();
        benchmark::DoNotOptimize(p);  // the compiler may not assume the bytes are the same as last time
        const wscodec::utf8_result r = wscodec::validate_utf8(wscodec::bytes_view(p, n), k);
        benchmark::DoNotOptimize(r);
        if (!r.ok()) {
            state.SkipWithError("validate_utf8 rejected valid text");
            break;
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// utf8_validator fed `feed_chunk`-byte pieces (which cut code points) then finish().
void bm_feed(benchmark::State& state, text_source source, std::size_t n, kernel k) {
    const wscodec::bytes_view text = as_bytes(source(), n);
    if (!input_is_valid(state, text)) return;
    state.SetLabel(wscodec::kernel_name(wscodec::resolve_kernel(k)));
    for (auto _ : state) {
        const std::uint8_t* p = text.data();
        benchmark::DoNotOptimize(p);
        wscodec::utf8_validator v;
        bool ok = true;
        for (std::size_t at = 0; at < n && ok; at += feed_chunk) {
            const std::size_t len = n - at < feed_chunk ? n - at : feed_chunk;
            ok = v.feed(wscodec::bytes_view(p + at, len), k).ok();
        }
        const wscodec::utf8_result r = v.finish();
        benchmark::DoNotOptimize(r);
        if (!ok || !r.ok()) {
            state.SkipWithError("utf8_validator rejected valid text");
            break;
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

using bench_fn = void (*)(benchmark::State&, text_source, std::size_t, kernel);

void add(const std::string& name, bench_fn fn, text_source source, std::size_t n, kernel k) {
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) { fn(state, source, n, k); });
}

/// Registers `utf8/<what>/<size>` (best kernel) and `utf8/<what>/<kernel>/<size>`.
void add_per_kernel(const std::string& what, bench_fn fn, text_source source, std::size_t n) {
    add("utf8/" + what + "/" + std::to_string(n), fn, source, n, kernel::best);
    for (kernel k : explicit_kernels) {
        if (!wscodec::kernel_supported(k)) continue;
        add("utf8/" + what + "/" + wscodec::kernel_name(k) + "/" + std::to_string(n), fn, source, n, k);
    }
}

[[maybe_unused]] const bool registered = [] {
    add_per_kernel("ascii", bm_validate, ascii_text, large_size);
    add_per_kernel("mixed", bm_validate, mixed_text, large_size);
    add_per_kernel("cjk", bm_validate, cjk_text, large_size);
    add_per_kernel("ascii", bm_validate, ascii_text, short_size);
    add("utf8/cjk/feed" + std::to_string(feed_chunk) + "/" + std::to_string(large_size), bm_feed, cjk_text,
        large_size, kernel::best);
    return true;
}();

}  // namespace
