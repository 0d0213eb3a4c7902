#pragma once
// Opens a model together with its tokenizer and checks that they belong
// together; tokenizes text files the way every evaluation here does (the
// whole file at once, BOS once at the start).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ol {

class Checkpoint;
class Tokenizer;

struct ModelBundle {
    std::shared_ptr<const Checkpoint> checkpoint;
    std::shared_ptr<const Tokenizer> tokenizer;
};

// An empty modelPath opens the bundled demo model. Throws FormatError when
// no tokenizer is found or its vocabulary size differs from the model's.
ModelBundle openModel(const std::string& modelPath, const std::string& tokenizerPath = {});

// Throws FormatError naming the file when it is missing or empty.
std::vector<std::int32_t> tokenizeTextFile(const Tokenizer& tokenizer, const std::string& path);

} // namespace ol
