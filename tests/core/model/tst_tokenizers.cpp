// The three tokenizer formats: llama2.c (checked against llama2.c's own
// output and a literal O(n^2) port of its encoder), sentencepiece (checked
// against spm_encode) and HF tokenizer.json BPE (hand-derived ids on the
// small files in tests/data/tokenizers/).
#include "core/errors.h"
#include "core/model/llama2ctokenizer.h"
#include "core/model/regexsplitter.h"
#include "core/model/tokenizer.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int32_t>;

const std::string kTok512 = OL_RESOURCES_DIR "/demo/tok512.bin";
const std::string kData = OL_TEST_DATA_DIR "/tokenizers/";

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string outputPath(const std::string& name) {
    fs::create_directories(OL_TEST_OUTPUT_DIR "/tokenizers");
    return OL_TEST_OUTPUT_DIR "/tokenizers/" + name;
}

void writeFile(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

QByteArray show(const Ids& ids) {
    QByteArray s;
    for (const int32_t id : ids) s += QByteArray::number(id) + ' ';
    return s;
}

// llama2.c run.c's encode() transcribed literally: rescan every pair after
// each merge. The production encoder must produce the same tokens.
Ids referenceEncode(const ol::Llama2cTokenizer& t, std::string_view text, bool bos) {
    Ids tokens;
    if (bos) tokens.push_back(1);
    if (!text.empty()) tokens.push_back(t.lookup(" "));
    std::string buffer;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) buffer.clear();
        buffer.push_back(text[i]);
        if (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80 && buffer.size() < 4) continue;
        const int32_t id = t.lookup(buffer);
        if (id != -1) {
            tokens.push_back(id);
        } else {
            for (const char c : buffer) tokens.push_back(static_cast<unsigned char>(c) + 3);
        }
        buffer.clear();
    }
    while (true) {
        float bestScore = -1e10f;
        int32_t bestId = -1;
        size_t bestIdx = 0;
        for (size_t i = 0; i + 1 < tokens.size(); ++i) {
            const int32_t id = t.lookup(t.tokenText(tokens[i]) + t.tokenText(tokens[i + 1]));
            if (id != -1 && t.score(id) > bestScore) {
                bestScore = t.score(id);
                bestId = id;
                bestIdx = i;
            }
        }
        if (bestId == -1) break;
        tokens[bestIdx] = bestId;
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(bestIdx) + 1);
    }
    return tokens;
}

// A llama2.c tokenizer.bin: <unk>, <s>, </s>, 256 byte pieces, then `extra`.
void writeLlama2c(const std::string& path, const std::vector<std::pair<std::string, float>>& extra) {
    std::vector<std::pair<std::string, float>> pieces = {{"<unk>", 0.f}, {"\n<s>\n", 0.f}, {"\n</s>\n", 0.f}};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        pieces.emplace_back(name, 0.f);
    }
    pieces.insert(pieces.end(), extra.begin(), extra.end());
    std::string data(4, '\0');
    const int32_t maxLength = 16;
    std::memcpy(data.data(), &maxLength, 4);
    for (const auto& [text, score] : pieces) {
        const int32_t length = static_cast<int32_t>(text.size());
        data.append(reinterpret_cast<const char*>(&score), 4);
        data.append(reinterpret_cast<const char*>(&length), 4);
        data += text;
    }
    writeFile(path, data);
}

// A sentencepiece BPE ModelProto in protobuf wire format: <unk>, <s>, </s>,
// 256 byte pieces, then `extra` normal pieces; identity normalization.
std::string sentencePieceProto(const std::vector<std::pair<std::string, float>>& extra) {
    auto varint = [](std::string& out, uint64_t v) {
        for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7F) | 0x80);
        out += static_cast<char>(v);
    };
    auto bytesField = [&](std::string& out, int field, const std::string& data) {
        varint(out, static_cast<uint64_t>(field) << 3 | 2);
        varint(out, data.size());
        out += data;
    };
    auto varintField = [&](std::string& out, int field, uint64_t v) {
        varint(out, static_cast<uint64_t>(field) << 3);
        varint(out, v);
    };
    auto piece = [&](const std::string& text, float score, int type) {
        std::string p;
        bytesField(p, 1, text);
        p += static_cast<char>(2 << 3 | 5);
        p.append(reinterpret_cast<const char*>(&score), 4);
        varintField(p, 3, static_cast<uint64_t>(type));
        return p;
    };
    std::string model;
    bytesField(model, 1, piece("<unk>", 0.f, 2));
    bytesField(model, 1, piece("<s>", 0.f, 3));
    bytesField(model, 1, piece("</s>", 0.f, 3));
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        bytesField(model, 1, piece(name, 0.f, 6));
    }
    for (const auto& [text, score] : extra) bytesField(model, 1, piece(text, score, 1));
    std::string trainer, normalizer;
    varintField(trainer, 3, 2);  // model_type BPE
    varintField(trainer, 35, 1); // byte_fallback
    bytesField(normalizer, 1, "identity");
    varintField(normalizer, 4, 0); // remove_extra_whitespaces off, as in LLaMA
    bytesField(model, 2, trainer);
    bytesField(model, 3, normalizer);
    return model;
}

// Runs a sentencepiece command line tool on `input` (one item a line) and
// returns its output lines; empty when the tool is not installed.
std::optional<QList<QByteArray>> runSpmTool(const char* tool, const QStringList& args, const QByteArray& input) {
    const QString program = QStandardPaths::findExecutable(tool);
    if (program.isEmpty()) return std::nullopt;
    const std::string inputPath = outputPath(std::string(tool) + ".in");
    writeFile(inputPath, input.toStdString());
    QProcess process;
    process.setStandardInputFile(QString::fromStdString(inputPath));
    process.start(program, args);
    if (!process.waitForFinished(60000) || process.exitCode() != 0)
        return QList<QByteArray>{"failed: " + process.readAllStandardError()};
    QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
    lines.removeLast(); // after the final newline
    return lines;
}

template <typename F> void expectFormatError(F&& f, const std::string& needle1, const std::string& needle2) {
    try {
        f();
        QFAIL("no FormatError");
    } catch (const ol::FormatError& e) {
        const std::string what = e.what();
        QVERIFY2(what.find(needle1) != std::string::npos && what.find(needle2) != std::string::npos, e.what());
    }
}

} // namespace

class TstTokenizers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void llama2cGoldenPrompt() {
        const auto tok = ol::loadTokenizer(kTok512);
        QCOMPARE(tok->kind(), std::string("llama2c"));
        QCOMPARE(tok->vocabSize(), 512);
        QCOMPARE(tok->bosId(), 1);
        QCOMPARE(tok->eosId(), 2);
        const Ids ids = tok->encode("Once upon a time, there was a little girl named Lily.\n", true);
        QCOMPARE(ids.size(), size_t(17));
        QCOMPARE(Ids(ids.begin(), ids.begin() + 7), (Ids{1, 403, 407, 261, 378, 432, 383}));
    }

    void llama2cGoldenCorpusAndSpeed() {
        const auto tok = ol::loadTokenizer(kTok512);
        const std::string stories = readFile(OL_RESOURCES_DIR "/corpus/stories-eval.txt");
        QElapsedTimer timer;
        timer.start();
        const Ids ids = tok->encode(stories, true);
        const qint64 storiesMs = timer.elapsed();
        QCOMPARE(ids.size(), size_t(35355));
        QCOMPARE(tok->decode(ids), stories);

        const std::string moby = readFile(OL_RESOURCES_DIR "/corpus/moby-dick.txt");
        timer.restart();
        const Ids mobyIds = tok->encode(moby, true);
        const qint64 mobyMs = timer.elapsed();
        QCOMPARE(tok->decode(mobyIds), moby);
        qInfo("tok512: stories-eval.txt (%zu bytes) %lld ms, moby-dick.txt (%zu bytes -> %zu tokens) %lld ms", stories.size(),
              storiesMs, moby.size(), mobyIds.size(), mobyMs);
        // Generous bounds: the machine is shared; the point is "not O(n^2)".
        QVERIFY(storiesMs < 3000);
        QVERIFY(mobyMs < 30000);
    }

    void llama2cMatchesReference_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("space") << QByteArray(" ");
        QTest::newRow("repeated") << QByteArray("aaaaaaa");
        QTest::newRow("long repeat") << QByteArray(61, 'a');
        QTest::newRow("prompt") << QByteArray("Once upon a time, there was a little girl named Lily.\n");
        QTest::newRow("unicode") << QByteArray("Héllo wörld, naïve café — ñandú 中文");
        QTest::newRow("emoji") << QByteArray("😀🎉 hi 🚀!! \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD");
        QTest::newRow("newlines") << QByteArray("a\n\nb\n  \r\n\tTim\n");
        QTest::newRow("invalid utf8") << QByteArray("\xff\xfe abc \x80\x80\x80\x80\x80 \xe2\x82");
        QTest::newRow("stories slice") << QByteArray::fromStdString(
            readFile(OL_RESOURCES_DIR "/corpus/stories-eval.txt").substr(1000, 3000));
    }

    void llama2cMatchesReference() {
        QFETCH(QByteArray, text);
        const ol::Llama2cTokenizer tok(kTok512);
        for (const bool bos : {false, true}) {
            const Ids fast = tok.encode(text.toStdString(), bos);
            QCOMPARE(show(fast), show(referenceEncode(tok, text.toStdString(), bos)));
            QCOMPARE(tok.decode(fast), (bos || text.isEmpty() ? "" : " ") + text.toStdString());
        }
    }

    // Many equal scores (and one below llama2.c's -1e10 floor) make the
    // leftmost-of-the-best tie rule decide almost every merge.
    void llama2cTieBreaking() {
        const std::string path = outputPath("ties.bin");
        writeLlama2c(path, {{" ", -1.f},
                            {"a", -1.f},
                            {"b", -1.f},
                            {"aa", -1.f},
                            {"ab", -1.f},
                            {"ba", -1.f},
                            {"aaa", -1.f},
                            {"aba", -1.f},
                            {"bab", -0.5f},
                            {"abab", -1.f},
                            {"aab", -1.f},
                            {"bb", -3e10f},
                            {" a", -1.f},
                            {"aaaa", -2.f},
                            {" aa", -1.f}});
        const ol::Llama2cTokenizer tok(path);
        QCOMPARE(tok.vocabSize(), 259 + 15);
        std::mt19937 rng(42);
        for (int i = 0; i < 500; ++i) {
            std::string text(rng() % 40, 'a');
            for (char& c : text) c = "ab a"[rng() % 4];
            QCOMPARE(show(tok.encode(text, i % 2)), show(referenceEncode(tok, text, i % 2)));
        }
        QCOMPARE(tok.encode("bb", false), (Ids{259, 261, 261})); // "bb" is below the floor
    }

    void llama2cTruncated() {
        const std::string data = readFile(kTok512);
        const std::string path = outputPath("truncated.bin");
        writeFile(path, data.substr(0, data.size() - 3));
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "token 511");
        writeFile(path, data.substr(0, 2));
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "truncated");
    }

    void sentencePiece() {
        const std::string path = kData + "stories-bpe384.model";
        const auto tok = ol::loadTokenizer(path);
        QCOMPARE(tok->kind(), std::string("sentencepiece"));
        QCOMPARE(tok->vocabSize(), 384);
        QCOMPARE(tok->bosId(), 1);
        QCOMPARE(tok->eosId(), 2);
        QCOMPARE(tok->tokenText(259), std::string("\u2581t"));
        // Produced by make-tokenizers.sh with spm_encode --output_format=id.
        const std::vector<std::pair<std::string, Ids>> cases = {
            {"Once upon a time, there was a little girl named Lily.",
             {321, 355, 338, 328, 353, 294, 261, 259, 280, 338, 358, 267, 274, 285,
              261, 286, 273, 340, 315, 302, 343, 347, 348, 304, 326, 265, 299, 352}},
            {"Tim said, \"We need to eat it again!\"",
             {301, 323, 358, 306, 374, 338, 304, 338, 265, 264, 337, 338, 292, 317, 261, 357, 339, 284, 370, 362}},
            {"The fox was not scared of the fox.",
             {296, 275, 341, 371, 285, 304, 318, 263, 355, 291, 265, 337, 341, 359, 267, 275, 341, 371, 352}},
            {"Zebras jumped over 42 lazy dogs: 😀 café",
             {337, 93,  338, 356, 347, 339, 346, 337, 377, 354, 350, 353, 265, 337, 341, 363, 293, 337, 55, 53,
              286, 339, 378, 349, 281, 341, 357, 346, 61,  337, 243, 162, 155, 131, 276, 339, 359, 198, 172}},
        };
        for (const auto& [text, ids] : cases) {
            QCOMPARE(show(tok->encode(text, false)), show(ids));
            Ids withBos = ids;
            withBos.insert(withBos.begin(), 1);
            QCOMPARE(tok->encode(text, true), withBos);
            QCOMPARE(tok->decode(withBos), text);
        }
        const std::string bad = outputPath("garbage.model");
        writeFile(bad, "this is not a protobuf");
        expectFormatError([&] { ol::loadTokenizer(bad); }, bad, "sentencepiece");
    }

    // The whole of stories-eval.txt plus awkward lines, against spm_encode;
    // random id sequences against spm_decode.
    void sentencePieceMatchesCli() {
        const std::string model = kData + "stories-bpe384.model";
        const auto tok = ol::loadTokenizer(model);
        QList<QByteArray> lines = QByteArray::fromStdString(readFile(OL_RESOURCES_DIR "/corpus/stories-eval.txt")).split('\n');
        lines << ""
              << " "
              << "  two  spaces  "
              << "\ttab\t"
              << "a\xff"
                 "b \xe2\x82"
              << "😀 café — ñ 日本語"
              << "<s> <unk> </s>"
              << "\x01\x02 control";
        std::mt19937 rng(7);
        const std::vector<std::string> alphabet = {"a", "b", "e", " ", "  ", "th", "é", "😀", "\xff", "!", "\t", "Tim"};
        for (int i = 0; i < 300; ++i) {
            std::string line;
            for (int n = rng() % 12; n > 0; --n) line += alphabet[rng() % alphabet.size()];
            lines << QByteArray::fromStdString(line);
        }
        const auto encoded =
            runSpmTool("spm_encode", {"--model=" + QString::fromStdString(model), "--output_format=id"}, lines.join('\n') + '\n');
        if (!encoded) QSKIP("spm_encode is not installed");
        QCOMPARE(encoded->size(), lines.size());
        for (qsizetype i = 0; i < lines.size(); ++i)
            QCOMPARE(show(tok->encode(lines[i].toStdString(), false)).trimmed(), encoded->at(i));

        // Ids 13 and 16 (<0x0A>, <0x0D>) would break spm_decode's lines.
        QList<Ids> sequences;
        QByteArray idLines;
        for (int i = 0; i < 300; ++i) {
            Ids ids;
            for (int n = rng() % 10; n > 0; --n) {
                int32_t id = static_cast<int32_t>(rng() % 384);
                if (id == 13 || id == 16) id = 259;
                ids.push_back(id);
            }
            sequences << ids;
            idLines += show(ids).trimmed() + '\n';
        }
        const auto decoded = runSpmTool("spm_decode", {"--model=" + QString::fromStdString(model), "--input_format=id"}, idLines);
        QVERIFY(decoded);
        QCOMPARE(decoded->size(), sequences.size());
        for (qsizetype i = 0; i < sequences.size(); ++i)
            QCOMPARE(QByteArray::fromStdString(tok->decode(sequences[i])), decoded->at(i));
    }

    // Equal scores everywhere: the leftmost-of-the-best rule decides, checked
    // against spm_encode on a hand-written model.
    void sentencePieceTies() {
        const std::string path = outputPath("ties.model");
        const std::string space = "\u2581";
        writeFile(path, sentencePieceProto({{space, -1.f},
                                            {"a", -1.f},
                                            {"b", -1.f},
                                            {"aa", -1.f},
                                            {"ab", -1.f},
                                            {"ba", -1.f},
                                            {space + "a", -1.f},
                                            {"aaa", -1.f},
                                            {"bab", -0.5f},
                                            {"abab", -1.f},
                                            {space + space, -1.f}}));
        const auto tok = ol::loadTokenizer(path);
        QCOMPARE(tok->vocabSize(), 259 + 11);
        QCOMPARE(tok->encode(" ab", true), (Ids{1, 269, 263})); // "▁▁" (leftmost) first, then "ab"
        std::mt19937 rng(3);
        QList<QByteArray> lines;
        for (int i = 0; i < 400; ++i) {
            QByteArray line;
            for (int n = rng() % 30; n > 0; --n) line += "ab c"[rng() % 4];
            lines << line;
        }
        const auto encoded =
            runSpmTool("spm_encode", {"--model=" + QString::fromStdString(path), "--output_format=id"}, lines.join('\n') + '\n');
        if (!encoded) QSKIP("spm_encode is not installed");
        QCOMPARE(encoded->size(), lines.size());
        for (qsizetype i = 0; i < lines.size(); ++i)
            QCOMPARE(show(tok->encode(lines[i].toStdString(), false)).trimmed(), encoded->at(i));
    }

    void regexSplitter() {
        auto split = [](const ol::RegexSplitter& s, std::string_view text) {
            QStringList parts;
            for (const std::string_view p : s.split(text)) parts << QString::fromUtf8(p.data(), static_cast<qsizetype>(p.size()));
            return parts.join('|');
        };
        const auto llama3 = ol::RegexSplitter::llama3();
        const auto gpt2 = ol::RegexSplitter::gpt2();
        const char* text = "I'M 12345 café\n\n  x  !?\n YOU'RE";
        QCOMPARE(split(llama3, text), QString("I|'M| |123|45| café|\n\n| | x| | !?\n| YOU|'RE"));
        QCOMPARE(split(gpt2, text), QString("I|'|M| 12345| café|\n\n | x| | !?|\n| YOU|'|RE"));
    }

    void hfLlama2_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("bos");
        QTest::addColumn<QList<int>>("ids");
        QTest::addColumn<QByteArray>("decoded");
        QTest::newRow("words") << QByteArray("Hello world") << true << QList<int>{1, 29, 32} << QByteArray("Hello world");
        QTest::newRow("two spaces") << QByteArray("Hello  world") << false << QList<int>{29, 10, 32}
                                    << QByteArray("Hello  world");
        QTest::newRow("leading space") << QByteArray(" Hello") << false << QList<int>{10, 29} << QByteArray(" Hello");
        QTest::newRow("byte fallback") << QByteArray("café 😀!") << false << QList<int>{36, 18, 8, 7, 10, 9, 6, 5, 4, 11}
                                       << QByteArray("café 😀!");
        // <0xBC> is missing, so "ü" is unknown; fuse_unk makes one <unk>.
        QTest::newRow("unk") << QByteArray("Hüü!") << false << QList<int>{10, 12, 0, 11} << QByteArray("H!");
        QTest::newRow("specials") << QByteArray("<s>Hello</s>") << false << QList<int>{1, 29, 2} << QByteArray("Hello");
        QTest::newRow("newline") << QByteArray("a\nb") << false << QList<int>{35, 3, 14} << QByteArray("a\nb");
        QTest::newRow("empty") << QByteArray() << true << QList<int>{1} << QByteArray();
    }

    void hfLlama2() { checkHf(kData + "llama2-bpe.json"); }

    // The older form of the same tokenizer: a Metaspace pre-tokenizer instead
    // of the Prepend/Replace normalizer (which differ on a leading space).
    void hfMetaspace() {
        nlohmann::json j = nlohmann::json::parse(readFile(kData + "llama2-bpe.json"));
        j["normalizer"] = nullptr;
        j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}};
        j["decoder"] = {
            {"type", "Sequence"},
            {"decoders",
             {{{"type", "ByteFallback"}}, {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}}}}};
        const std::string path = outputPath("metaspace.json");
        writeFile(path, j.dump());
        auto tok = ol::loadTokenizer(path);
        QCOMPARE(tok->encode("Hello world", true), (Ids{1, 29, 32}));
        QCOMPARE(tok->encode(" Hello", false), (Ids{29}));
        QCOMPARE(tok->encode("Hello  world", false), (Ids{29, 10, 32}));
        QCOMPARE(tok->encode("<s>Hello", false), (Ids{1, 29}));
        QCOMPARE(tok->decode({1, 29, 10, 32, 36, 8, 7}), std::string("Hello  world caé"));

        // prepend_scheme "first": no "▁" for text that follows a special token.
        j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", false}};
        writeFile(path, j.dump());
        tok = ol::loadTokenizer(path);
        QCOMPARE(tok->encode("<s>Hello", false), (Ids{1, 28}));
        QCOMPARE(tok->encode("Hello", false), (Ids{29}));
    }

    void hfLlama3_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("bos");
        QTest::addColumn<QList<int>>("ids");
        QTest::addColumn<QByteArray>("decoded");
        QTest::newRow("words") << QByteArray("Hello world") << true << QList<int>{57, 56, 41} << QByteArray("Hello world");
        QTest::newRow("punctuation") << QByteArray("Hello, world!") << false << QList<int>{56, 2, 41, 0}
                                     << QByteArray("Hello, world!");
        QTest::newRow("digits") << QByteArray("12345") << false << QList<int>{45, 42} << QByteArray("12345");
        QTest::newRow("digits 4") << QByteArray("1234") << false << QList<int>{45, 6} << QByteArray("1234");
        QTest::newRow("contraction") << QByteArray("I'm") << false << QList<int>{10, 46} << QByteArray("I'm");
        QTest::newRow("contraction upper") << QByteArray("YOU'RE") << false << QList<int>{48, 50} << QByteArray("YOU'RE");
        QTest::newRow("spaces") << QByteArray("a   b") << false << QList<int>{15, 51, 52} << QByteArray("a   b");
        QTest::newRow("newlines") << QByteArray("a\n\nb") << false << QList<int>{15, 53, 16} << QByteArray("a\n\nb");
        QTest::newRow("accent") << QByteArray("hé") << false << QList<int>{19, 55} << QByteArray("hé");
        QTest::newRow("emoji") << QByteArray(" 😀") << false << QList<int>{30, 28, 33, 32, 31} << QByteArray(" 😀");
        QTest::newRow("specials") << QByteArray("<|begin_of_text|>Hi<|eot_id|>") << true << QList<int>{57, 57, 54, 59}
                                  << QByteArray("Hi");
        // No unk_token and no byte for "z": dropped, as the tokenizers library does.
        QTest::newRow("unknown") << QByteArray("az") << false << QList<int>{15} << QByteArray("a");
    }

    void hfLlama3() { checkHf(kData + "llama3-bpe.json"); }

    // GPT-2 style: plain ByteLevel with its built-in regex, merges always applied.
    void hfGpt2() {
        nlohmann::json j = nlohmann::json::parse(readFile(kData + "llama3-bpe.json"));
        j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
        j["post_processor"] = nullptr;
        j["model"]["ignore_merges"] = false;
        const std::string path = outputPath("gpt2.json");
        writeFile(path, j.dump());
        const auto tok = ol::loadTokenizer(path);
        QCOMPARE(tok->bosId(), 57); // from the added token, no template
        QCOMPARE(tok->eosId(), 58);
        QCOMPARE(tok->encode("Hello world", true), (Ids{57, 35, 36, 41}));
        QCOMPARE(tok->encode("1234", false), (Ids{43, 44}));
        QCOMPARE(tok->encode("YOU'RE", false), (Ids{48, 1, 49}));
        QCOMPARE(tok->encode("I'm", false), (Ids{10, 46}));
        QCOMPARE(tok->encode("a\n\nb", false), (Ids{15, 29, 29, 16}));
        QCOMPARE(tok->decode({57, 35, 36, 41, 29}), std::string("Hello world\n"));
    }

    void hfSpecialIds() {
        const auto llama2 = ol::loadTokenizer(kData + "llama2-bpe.json");
        QCOMPARE(llama2->vocabSize(), 37);
        QCOMPARE(llama2->bosId(), 1);
        QCOMPARE(llama2->eosId(), 2);
        QCOMPARE(llama2->tokenText(29), std::string("\u2581Hello"));
        const auto llama3 = ol::loadTokenizer(kData + "llama3-bpe.json");
        QCOMPARE(llama3->vocabSize(), 60);
        QCOMPARE(llama3->bosId(), 57);
        QCOMPARE(llama3->eosId(), 58);
        QCOMPARE(llama3->tokenText(41), std::string("\u0120world"));
        QCOMPARE(llama3->tokenText(59), std::string("<|eot_id|>"));
    }

    void hfErrors() {
        const nlohmann::json base = nlohmann::json::parse(readFile(kData + "llama3-bpe.json"));
        const std::string path = outputPath("bad.json");
        for (const char* type : {"WordPiece", "Unigram"}) {
            nlohmann::json j = base;
            j["model"]["type"] = type;
            writeFile(path, j.dump());
            expectFormatError([&] { ol::loadTokenizer(path); }, path, type);
        }
        nlohmann::json j = base;
        j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+|\\s+";
        writeFile(path, j.dump());
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "unsupported Split pattern");
        j = base;
        j["model"]["merges"].push_back({"Hello", "z"});
        writeFile(path, j.dump());
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "merge 22");
        writeFile(path, "{ not json");
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "JSON");
        // Found by fuzz-hftokenizer: without its added_tokens, llama3's template names BOS by an id the
        // vocabulary lacks; every encode began with it.
        j = base;
        j.erase("added_tokens");
        writeFile(path, j.dump());
        expectFormatError([&] { ol::loadTokenizer(path); }, path, "BOS token has id");
    }

    void loader() {
        const fs::path dir = outputPath("model-dir");
        fs::remove_all(dir);
        fs::create_directories(dir);
        const std::string missing = dir.string();
        expectFormatError([&] { ol::loadTokenizer(missing); },
                          missing + ": no tokenizer found (looked for tokenizer.json, tokenizer.model, tokenizer.bin)", "");
        fs::copy_file(kTok512, dir / "tokenizer.bin");
        QCOMPARE(ol::loadTokenizer(dir.string())->kind(), std::string("llama2c"));
        fs::copy_file(kData + "stories-bpe384.model", dir / "tokenizer.model");
        QCOMPARE(ol::loadTokenizer(dir.string())->kind(), std::string("sentencepiece"));
        fs::copy_file(kData + "llama2-bpe.json", dir / "tokenizer.json");
        const auto tok = ol::loadTokenizer(dir.string());
        QCOMPARE(tok->kind(), std::string("hf-bpe"));
        QCOMPARE(tok->path(), (dir / "tokenizer.json").string());
        const std::string nowhere = outputPath("nowhere/tokenizer.bin");
        expectFormatError([&] { ol::loadTokenizer(nowhere); }, nowhere, "no tokenizer found");
    }

private:
    void checkHf(const std::string& path) {
        QFETCH(QByteArray, text);
        QFETCH(bool, bos);
        QFETCH(QList<int>, ids);
        QFETCH(QByteArray, decoded);
        const auto tok = ol::loadTokenizer(path);
        QCOMPARE(tok->kind(), std::string("hf-bpe"));
        const Ids expected(ids.begin(), ids.end());
        const Ids got = tok->encode(text.toStdString(), bos);
        QCOMPARE(show(got), show(expected));
        QCOMPARE(tok->decode(got), decoded.toStdString());
    }
};

QTEST_GUILESS_MAIN(TstTokenizers)
#include "tst_tokenizers.moc"
