#include "core/model/tokenizer.h"

#include "core/errors.h"
#include "core/model/hftokenizer.h"
#include "core/model/llama2ctokenizer.h"
#include "core/model/sentencepiecetokenizer.h"

#include <filesystem>
#include <system_error>

namespace ol {

namespace {

std::unique_ptr<Tokenizer> loadFile(const std::filesystem::path& file) {
    const std::string ext = file.extension().string();
    if (ext == ".json") return std::make_unique<HfTokenizer>(file.string());
    if (ext == ".model") return std::make_unique<SentencePieceTokenizer>(file.string());
    if (ext == ".bin") return std::make_unique<Llama2cTokenizer>(file.string());
    throw FormatError(file.string() + ": unknown tokenizer format (expected .json, .model or .bin)");
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
            const fs::path candidate = fs::path(path) / name;
            if (fs::is_regular_file(candidate, ec)) return loadFile(candidate);
        }
    } else if (fs::is_regular_file(path, ec)) {
        return loadFile(path);
    }
    throw FormatError(path + ": no tokenizer found (looked for tokenizer.json, tokenizer.model, tokenizer.bin)");
}

} // namespace ol
