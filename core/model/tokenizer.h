#pragma once
// Text <-> token ids for the three tokenizer formats LLaMA-family checkpoints
// ship with. Core code only sees this interface; loadTokenizer() picks the
// implementation from the file name. No LibTorch here on purpose: tokenizing
// a corpus must not depend on the tensor library.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ol {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // `text` is raw UTF-8 bytes (invalid sequences are tokenized, not rejected).
    virtual std::vector<int32_t> encode(std::string_view text, bool addBos) const = 0;
    // Control/special tokens (BOS, EOS, ...) produce no text.
    virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
    // The vocabulary entry as stored in the file ("▁the", "Ġthe", "<0x0A>").
    virtual std::string tokenText(int32_t id) const = 0;
    virtual int32_t vocabSize() const = 0;
    virtual int32_t bosId() const = 0;    // -1 when none
    virtual int32_t eosId() const = 0;    // -1 when none
    virtual std::string kind() const = 0; // "llama2c", "sentencepiece", "hf-bpe"
    virtual const std::string& path() const = 0;
};

// A file: *.bin -> llama2.c tokenizer, *.model -> sentencepiece, *.json -> HF
// tokenizer.json. A directory: tokenizer.json, else tokenizer.model, else
// tokenizer.bin inside it. Throws FormatError naming the path when nothing
// usable is found or the file is malformed.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path);

} // namespace ol
