// Generation of bench_scale's models (scalemodel.h).
#include "scalemodel.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace scalebench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- shapes

const std::vector<Shape> kShapes = {
    {"tiny", 256, 688, 4, 8, 8},
    {"1.1b", 2048, 5632, 22, 32, 4}, // TinyLlama-1.1B
    {"7b", 4096, 11008, 32, 32, 32}, // LLaMA-2-7B
};

struct TensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
    bool norm; // RMSNorm weights are ones; everything else is random
    std::uint64_t numel() const {
        std::uint64_t n = 1;
        for (auto d : shape) n *= static_cast<std::uint64_t>(d);
        return n;
    }
};

// The tensors of a LlamaForCausalLM checkpoint, in Hugging Face's names.
std::vector<TensorSpec> tensorsOf(const Shape& s) {
    const std::int64_t H = s.hidden, I = s.intermediate, V = s.vocab;
    const std::int64_t q = s.heads * s.headDim(), kv = s.kvHeads * s.headDim();
    std::vector<TensorSpec> t;
    t.push_back({"model.embed_tokens.weight", {V, H}, false});
    for (std::int64_t i = 0; i < s.layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        t.push_back({p + "input_layernorm.weight", {H}, true});
        t.push_back({p + "self_attn.q_proj.weight", {q, H}, false});
        t.push_back({p + "self_attn.k_proj.weight", {kv, H}, false});
        t.push_back({p + "self_attn.v_proj.weight", {kv, H}, false});
        t.push_back({p + "self_attn.o_proj.weight", {H, q}, false});
        t.push_back({p + "post_attention_layernorm.weight", {H}, true});
        t.push_back({p + "mlp.gate_proj.weight", {I, H}, false});
        t.push_back({p + "mlp.up_proj.weight", {I, H}, false});
        t.push_back({p + "mlp.down_proj.weight", {H, I}, false});
    }
    t.push_back({"model.norm.weight", {H}, true});
    t.push_back({"lm_head.weight", {V, H}, false});
    return t;
}

std::uint64_t parameterCount(const Shape& s) {
    std::uint64_t n = 0;
    for (const auto& t : tensorsOf(s)) n += t.numel();
    return n;
}

// ---------------------------------------------------------------- float -> half
// Round to nearest even, with subnormals, overflow to infinity and NaN kept
// (F. Giesen's float_to_half_fast3_rtne): the exponent is rebiased in place and
// the rounding done by integer addition; subnormals are rounded by the FPU by
// adding 0.5f, whose ulp is exactly half's subnormal step 2^-24.
std::uint16_t floatToHalf(float value) {
    std::uint32_t x = std::bit_cast<std::uint32_t>(value);
    const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    x &= 0x7fffffffu;
    if (x >= 0x47800000u) // >= 65536 (or Inf/NaN): everything above 65520 rounds to Inf
        return sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u);
    if (x < 0x38800000u) { // below half's smallest normal 2^-14
        const float f = std::bit_cast<float>(x) + 0.5f;
        return sign | static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(f) - 0x3f000000u);
    }
    const std::uint32_t mantOdd = (x >> 13) & 1u;
    x += 0xc8000fffu + mantOdd; // exponent -112, plus 0x0fff (+1 if odd) rounds half to even
    return sign | static_cast<std::uint16_t>(x >> 13);
}

float halfToFloat(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
    if (exp == 0) return (sign ? -1.0f : 1.0f) * std::ldexp(static_cast<float>(mant), -24);
    if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
    return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

// Wrong halves would give a model whose activations mean nothing, and no
// error anywhere: so every finite half must round-trip, and the midpoint
// between two neighbours must go to the even one.
bool halfConversionWorks() {
    for (std::uint32_t h = 0; h < 0x10000u; ++h) {
        const auto hh = static_cast<std::uint16_t>(h);
        if ((hh & 0x7c00u) == 0x7c00u) continue; // Inf/NaN
        const float f = halfToFloat(hh);
        if (floatToHalf(f) != hh) return false;
        if ((hh & 0x7fffu) == 0x7bffu) continue; // 65504: its upper neighbour is Inf
        const double mid = (static_cast<double>(f) + halfToFloat(static_cast<std::uint16_t>(hh + 1))) / 2;
        const std::uint16_t even = (hh & 1u) ? static_cast<std::uint16_t>(hh + 1) : hh;
        if (floatToHalf(static_cast<float>(mid)) != even) return false;
    }
    return floatToHalf(65520.0f) == 0x7c00u && floatToHalf(65519.0f) == 0x7bffu && floatToHalf(-1.0f) == 0xbc00u;
}

// ---------------------------------------------------------------- random weights
// xorshift64*: one 64-bit draw per weight, split into four 16-bit uniforms
// whose sum is close to normal (Irwin-Hall). Seeded by tensor index, so the
// files are reproducible and each tensor differs.
struct XorShift64 {
    std::uint64_t state;
    explicit XorShift64(std::uint64_t seed) {
        // splitmix64 scrambles small seeds (0, 1, 2, ...) into well-mixed states
        std::uint64_t z = seed + 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        state = (z ^ (z >> 31)) | 1;
    }
    std::uint64_t next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545f4914f6cdd1dull;
    }
};

constexpr float kWeightStd = 0.02f;
// Sum of four uniforms on [0, 65535]: variance 4 * (65536^2 - 1) / 12.
const float kUniformSumScale = kWeightStd / static_cast<float>(std::sqrt(4.0 * (65536.0 * 65536.0 - 1) / 12.0));

// ---------------------------------------------------------------- file writing
class FileWriter {
public:
    explicit FileWriter(const fs::path& path) : m_path(path) {
        m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m_fd < 0) throw std::runtime_error(path.string() + ": cannot create: " + std::strerror(errno));
    }
    ~FileWriter() {
        if (m_fd >= 0) ::close(m_fd);
    }
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    void write(const void* data, std::size_t size) {
        const char* p = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t n = ::write(m_fd, p, size);
            if (n < 0 && errno == EINTR) {
                checkInterrupt();
                continue;
            }
            if (n <= 0) throw std::runtime_error(m_path.string() + ": write failed: " + std::strerror(errno));
            p += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    void close() {
        if (::close(m_fd) != 0) throw std::runtime_error(m_path.string() + ": close failed: " + std::strerror(errno));
        m_fd = -1;
    }

private:
    fs::path m_path;
    int m_fd = -1;
};

void writeTextFile(const fs::path& path, const std::string& text) {
    FileWriter w(path);
    w.write(text.data(), text.size());
    w.close();
}

void writeConfig(const fs::path& dir, const Shape& s) {
    nlohmann::ordered_json c;
    c["architectures"] = {"LlamaForCausalLM"};
    c["model_type"] = "llama";
    c["hidden_size"] = s.hidden;
    c["intermediate_size"] = s.intermediate;
    c["num_hidden_layers"] = s.layers;
    c["num_attention_heads"] = s.heads;
    c["num_key_value_heads"] = s.kvHeads;
    c["vocab_size"] = s.vocab;
    c["max_position_embeddings"] = 2048;
    c["rms_norm_eps"] = 1e-5;
    c["rope_theta"] = 10000.0;
    c["hidden_act"] = "silu";
    c["tie_word_embeddings"] = false;
    c["torch_dtype"] = "float16";
    c["bos_token_id"] = 1;
    c["eos_token_id"] = 2;
    writeTextFile(dir / "config.json", c.dump(2) + "\n");
}

// safetensors: u64 little-endian header length, the JSON header (padded with
// spaces to a multiple of 8 so the data starts aligned), then the tensors
// back to back. Written tensor by tensor through one buffer: the 7B shape is
// 13.5 GB and must never be in memory.
std::uint64_t writeSafetensors(const fs::path& path, const Shape& shape, const std::string& label) {
    const auto tensors = tensorsOf(shape);
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        const std::uint64_t bytes = t.numel() * 2;
        header[t.name] = {{"dtype", "F16"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    const std::uint64_t dataBytes = offset;
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');

    FileWriter w(path);
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>((text.size() >> (8 * i)) & 0xff);
    w.write(length, 8);
    w.write(text.data(), text.size());

    std::vector<std::uint16_t> buffer(std::size_t{1} << 22); // 8 MiB
    const auto start = Clock::now();
    std::uint64_t written = 0;
    int reportedTenth = 0;
    for (std::size_t index = 0; index < tensors.size(); ++index) {
        const auto& t = tensors[index];
        XorShift64 rng(index);
        for (std::uint64_t left = t.numel(); left > 0;) {
            checkInterrupt();
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
            if (t.norm) {
                std::fill_n(buffer.begin(), n, floatToHalf(1.0f));
            } else {
                for (std::size_t k = 0; k < n; ++k) {
                    const std::uint64_t r = rng.next();
                    const float sum = static_cast<float>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48)) -
                                      2.0f * 65535.0f;
                    buffer[k] = floatToHalf(sum * kUniformSumScale);
                }
            }
            w.write(buffer.data(), n * 2);
            left -= n;
            written += n * 2;
            // a progress line every tenth: readable in a log, not a flood
            const int tenth = static_cast<int>(written * 10 / dataBytes);
            if (tenth > reportedTenth) {
                reportedTenth = tenth;
                const double s = std::chrono::duration<double>(Clock::now() - start).count();
                std::fprintf(stderr, "  %s: %3d%%  %7.0f / %.0f MB  %6.0f MB/s\n", label.c_str(), tenth * 10, written / 1e6,
                             dataBytes / 1e6, written / 1e6 / std::max(s, 1e-9));
            }
        }
    }
    w.close();
    return 8 + text.size() + dataBytes;
}

// ---------------------------------------------------------------- tokenizer
// A llama2.c tokenizer.bin (what core/model/llama2ctokenizer.cpp reads, the
// layout of resources/demo/tok512.bin): i32 max_token_length, then per token
// f32 score, i32 length, bytes; the vocabulary size is the record count, and
// the CLI refuses one that differs from the model's vocab_size.
// Ids 0-2 are <unk>, "\n<s>\n", "\n</s>\n"; 3-258 the byte tokens <0x00>..<0xFF>
// (byte fallback emits byte + 3); then merged pieces with falling scores;
// single characters last, as in tok512.bin. The merged pieces are prefixes of
// common story words and letter n-grams: each is a shorter piece plus one
// character, so the BPE merges can actually reach them on English text.
std::vector<std::pair<std::string, float>> makeVocabulary(std::size_t vocab) {
    std::vector<std::pair<std::string, float>> out;
    out.push_back({"<unk>", 0.0f});
    out.push_back({"\n<s>\n", 0.0f});
    out.push_back({"\n</s>\n", 0.0f});
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        out.push_back({name, 0.0f});
    }

    std::vector<std::string> singles;
    for (char c = 32; c < 127; ++c) singles.emplace_back(1, c);
    for (const char* u : {"\u201c", "\u201d", "\u2019", "\u2018", "\u2013", "\u2014", "\u2026", "\u00e9"})
        singles.emplace_back(u);
    const std::size_t mergedCount = vocab - out.size() - singles.size();

    std::vector<std::string> merged;
    std::set<std::string> seen(singles.begin(), singles.end());
    auto add = [&](const std::string& piece) {
        if (merged.size() < mergedCount && piece.size() > 1 && seen.insert(piece).second) merged.push_back(piece);
    };
    static const char* const kWords[] = {
        "the",     "and",   "was",   "to",      "a",      "he",      "she",      "they",      "her",     "his",     "it",
        "said",    "in",    "with",  "of",      "day",    "time",    "once",     "upon",      "there",   "little",  "girl",
        "boy",     "named", "lily",  "tim",     "ben",    "mom",     "dad",      "friend",    "friends", "play",    "played",
        "playing", "park",  "happy", "sad",     "big",    "very",    "saw",      "wanted",    "went",    "had",     "were",
        "not",     "but",   "so",    "you",     "we",     "on",      "for",      "at",        "up",      "out",     "one",
        "all",     "is",    "that",  "what",    "can",    "be",      "do",       "go",        "see",     "look",    "looked",
        "loved",   "love",  "fun",   "toy",     "toys",   "ball",    "tree",     "dog",       "cat",     "bird",    "sun",
        "home",    "house", "room",  "help",    "helped", "found",   "made",     "make",      "came",    "come",    "back",
        "away",    "said",  "asked", "thought", "felt",   "learned", "together", "started",   "excited", "because", "after",
        "then",    "from",  "this",  "them",    "their",  "have",    "would",    "could",     "did",     "are",     "too",
        "new",     "good",  "nice",  "sorry",   "thank",  "again",   "every",    "something", "outside", "inside",  "water",
    };
    for (const char* w : kWords) {
        const std::string word = w;
        std::string capital = word;
        capital[0] = static_cast<char>(capital[0] - 'a' + 'A');
        for (const std::string& v : {word, capital})
            for (std::size_t k = 1; k <= v.size(); ++k) {
                add(" " + v.substr(0, k));
                add(v.substr(0, k));
            }
    }
    for (const char* p : {".\n", ", ", ". ", "!\n", "?\n", "\"\n", ".\"", "!\"", "?\"", ",\""}) add(p);
    const std::string letters = "abcdefghijklmnopqrstuvwxyz";
    for (char a : letters) add(std::string(" ") + static_cast<char>(a - 'a' + 'A'));
    for (char a : letters)
        for (char b : letters) add(std::string{a, b});
    for (char a : letters)
        for (char b : letters) add(std::string{' ', a, b});
    for (char a : letters)
        for (char b : letters)
            for (char c : letters) add(std::string{a, b, c});
    for (char a : letters)
        for (char b : letters)
            for (char c : letters) add(std::string{' ', a, b, c});
    if (merged.size() != mergedCount) throw std::logic_error("tokenizer: not enough distinct pieces");

    float score = 0.0f;
    for (const auto& p : merged) out.push_back({p, score--});
    for (const auto& p : singles) out.push_back({p, score--});
    return out;
}

void writeTokenizer(const fs::path& path, std::size_t vocab) {
    const auto tokens = makeVocabulary(vocab);
    std::int32_t maxLength = 0;
    for (const auto& [piece, score] : tokens) maxLength = std::max(maxLength, static_cast<std::int32_t>(piece.size()));
    std::string data(reinterpret_cast<const char*>(&maxLength), 4);
    for (const auto& [piece, score] : tokens) {
        const auto length = static_cast<std::int32_t>(piece.size());
        data.append(reinterpret_cast<const char*>(&score), 4);
        data.append(reinterpret_cast<const char*>(&length), 4);
        data += piece;
    }
    writeTextFile(path, data);
}

} // namespace scalebench
