#include "core/model/modelloader.h"

#include "core/errors.h"
#include "core/io/filecheck.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <fstream>
#include <sstream>

namespace ol {

ModelBundle openModel(const std::string& modelPath, const std::string& tokenizerPath) {
    ModelBundle b;
    const bool bundled = modelPath.empty();
    const std::string path = bundled ? bundledModelPath() : modelPath;
    b.checkpoint = openCheckpoint(path, tokenizerPath.empty() && bundled ? bundledTokenizerPath() : tokenizerPath);
    const std::string tok = b.checkpoint->tokenizerPath();
    if (tok.empty())
        throw FormatError(path + ": no tokenizer found beside the model (tokenizer.json, tokenizer.model, "
                                 "tokenizer.bin or tok<vocab>.bin); pass `tokenizer`");
    b.tokenizer = loadTokenizer(tok);
    const auto modelVocab = b.checkpoint->config().vocabSize;
    if (b.tokenizer->vocabSize() != modelVocab)
        throw FormatError(tok + ": tokenizer has " + std::to_string(b.tokenizer->vocabSize()) + " tokens but the model " + path +
                          " has a vocabulary of " + std::to_string(modelVocab));
    return b;
}

std::vector<std::int32_t> tokenizeTextFile(const Tokenizer& tokenizer, const std::string& path) {
    requireRegularFile(path, "text file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot read the text file");
    std::ostringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    if (text.empty()) throw FormatError(path + ": the text file is empty");
    return tokenizer.encode(text, true);
}

} // namespace ol
