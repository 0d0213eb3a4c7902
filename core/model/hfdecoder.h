#pragma once
// The "decoder" chain of a Hugging Face tokenizer.json: turns token strings
// back into text (ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip
// and Sequence of them).
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace ol {

class HfDecoder {
public:
    // `decoder` is the tokenizer.json "decoder" value (may be null); throws
    // FormatError naming `path` for decoder types that are not supported.
    HfDecoder(const nlohmann::json& decoder, const std::string& path);

    std::string decode(std::vector<std::string> tokens) const;

private:
    enum class Type { Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace };
    struct Step {
        Type type = Type::Fuse;
        std::string from, to;       // Replace; Metaspace uses `from` as its replacement
        int start = 0, stop = 0;    // Strip (removes copies of `from`)
        bool prefixRemoved = false; // Metaspace: the first token lost its prefix
    };

    static Step step(Type type, std::string from = {}, std::string to = {});
    void parse(const nlohmann::json& decoder, const std::string& path);

    std::vector<Step> m_steps;
    bool m_none = false; // no decoder: tokens are joined with spaces, as HF does
};

} // namespace ol
