// Checkpoint formats: the llama2.c file, its conversion to a Hugging Face
// directory (single file, sharded, F16/BF16), and bad input.
#include "core/errors.h"
#include "core/io/safetensors.h"
#include "core/model/checkpoint.h"
#include "core/model/hfwriter.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace ol;
namespace fs = std::filesystem;

namespace {

std::string outDir(const std::string& name) {
    const fs::path p = fs::path(OL_TEST_OUTPUT_DIR) / "checkpoints" / name;
    fs::remove_all(p);
    fs::create_directories(p.parent_path());
    return p.string();
}

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary);
    out << s;
}

// Runs `f` and returns the message of the ol::Error it must throw.
template <typename F> QString errorOf(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no error thrown>");
}

// Logits agree to 1e-5 relative to their scale (~20): the permuted q/k rows
// change BLAS summation order, so bit equality is not expected.
bool sameLogits(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>() < 1e-5 * std::max(1.0, b.abs().max().item<double>());
}

at::Tensor promptTokens() { return at::tensor(std::vector<std::int64_t>{1, 403, 407, 261, 378, 432, 383, 5}).view({1, 8}); }

} // namespace

class TestCheckpoints : public QObject {
    Q_OBJECT
    std::string m_hf;
    at::Tensor m_reference;

private Q_SLOTS:
    void initTestCase() {
        auto ck = openCheckpoint(bundledModelPath(), bundledTokenizerPath());
        m_reference = LlamaModel(ck, c10::Device(c10::kCPU)).forward(promptTokens());
        m_hf = outDir("hf");
        writeHfDirectory(*ck, m_hf);
    }

    void convertedDirectoryHasHfLayout() {
        QVERIFY(fs::exists(fs::path(m_hf) / "config.json"));
        QVERIFY(fs::exists(fs::path(m_hf) / "model.safetensors"));
        QVERIFY(fs::exists(fs::path(m_hf) / "tokenizer.bin"));
        auto j = nlohmann::json::parse(readFile(fs::path(m_hf) / "config.json"));
        QCOMPARE(j["model_type"].get<std::string>(), std::string("llama"));
        QCOMPARE(j["num_key_value_heads"].get<int>(), 4);
        QCOMPARE(j["tie_word_embeddings"].get<bool>(), true);
        SafetensorsReader r((fs::path(m_hf) / "model.safetensors").string());
        QVERIFY(r.find("model.layers.4.mlp.down_proj.weight"));
        QVERIFY(!r.find("lm_head.weight")); // tied
        // No temporary directory is left beside the output.
        for (const auto& e : fs::directory_iterator(fs::path(m_hf).parent_path()))
            QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
    }

    void convertedGivesSameLogits() {
        auto ck = openCheckpoint(m_hf);
        QCOMPARE(ck->format(), std::string("hf-safetensors"));
        QVERIFY(!ck->config().rotaryInterleaved);
        auto logits = LlamaModel(ck, c10::Device(c10::kCPU)).forward(promptTokens());
        QVERIFY2(sameLogits(logits, m_reference), qPrintable(QString::number((logits - m_reference).abs().max().item<double>())));
        // The q/k rows really were permuted (else the two conventions would differ).
        auto src = openCheckpoint(bundledModelPath());
        QVERIFY(
            !ck->tensor("model.layers.0.self_attn.q_proj.weight").equal(src->tensor("model.layers.0.self_attn.q_proj.weight")));
        QVERIFY(
            ck->tensor("model.layers.0.self_attn.v_proj.weight").equal(src->tensor("model.layers.0.self_attn.v_proj.weight")));
    }

    void shardedDirectory() {
        const std::string dir = outDir("sharded");
        fs::create_directories(dir);
        fs::copy_file(fs::path(m_hf) / "config.json", fs::path(dir) / "config.json");
        SafetensorsReader whole((fs::path(m_hf) / "model.safetensors").string());
        std::vector<std::pair<std::string, at::Tensor>> a, b;
        nlohmann::json map;
        for (const auto& e : whole.entries()) {
            const bool first = e.name.find("layers.3") == std::string::npos && e.name.find("layers.4") == std::string::npos;
            (first ? a : b).push_back({e.name, whole.load(e.name)});
            map[e.name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        }
        saveSafetensors(dir + "/model-00001-of-00002.safetensors", a);
        saveSafetensors(dir + "/model-00002-of-00002.safetensors", b);
        writeFile(fs::path(dir) / "model.safetensors.index.json",
                  nlohmann::json{{"metadata", nlohmann::json::object()}, {"weight_map", map}}.dump());
        auto ck = openCheckpoint(dir, bundledTokenizerPath());
        auto logits = LlamaModel(ck, c10::Device(c10::kCPU)).forward(promptTokens());
        QVERIFY(sameLogits(logits, m_reference));
    }

    void halfPrecisionFiles_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("F16") << int(c10::kHalf) << 0.05;
        QTest::newRow("BF16") << int(c10::kBFloat16) << 0.5;
    }
    void halfPrecisionFiles() {
        QFETCH(int, dtype);
        QFETCH(double, tolerance);
        const std::string dir = outDir(std::string("half") + std::to_string(dtype));
        fs::create_directories(dir);
        fs::copy_file(fs::path(m_hf) / "config.json", fs::path(dir) / "config.json");
        SafetensorsReader whole((fs::path(m_hf) / "model.safetensors").string());
        std::vector<std::pair<std::string, at::Tensor>> all;
        for (const auto& e : whole.entries()) all.push_back({e.name, whole.load(e.name).to(static_cast<c10::ScalarType>(dtype))});
        saveSafetensors(dir + "/model.safetensors", all);
        auto ck = openCheckpoint(dir, bundledTokenizerPath());
        QCOMPARE(ck->tensor("model.norm.weight").scalar_type(), static_cast<c10::ScalarType>(dtype));
        auto logits = LlamaModel(ck, c10::Device(c10::kCPU)).forward(promptTokens());
        const double diff = (logits - m_reference).abs().max().item<double>();
        QVERIFY2(diff < tolerance, qPrintable(QString::number(diff)));
        QVERIFY2(diff > 0, "rounded weights cannot give identical logits"); // the file really was F16/BF16
    }

    void fingerprintTracksWeights() {
        auto a = openCheckpoint(bundledModelPath());
        auto b = openCheckpoint(m_hf);
        QCOMPARE(a->fingerprint(), openCheckpoint(bundledModelPath())->fingerprint());
        QVERIFY(a->fingerprint() != b->fingerprint());
        QCOMPARE(a->fingerprint().size(), std::size_t(16));
    }

    void truncatedLlama2c() {
        const std::string dir = outDir("truncated");
        fs::create_directories(dir);
        const std::string bytes = readFile(bundledModelPath());
        writeFile(fs::path(dir) / "cut.bin", bytes.substr(0, bytes.size() / 2));
        writeFile(fs::path(dir) / "tiny.bin", bytes.substr(0, 10));
        const QString m1 = errorOf([&] { openCheckpoint(dir + "/cut.bin"); });
        QVERIFY2(m1.contains("cut.bin") && m1.contains("truncated"), qPrintable(m1));
        const QString m2 = errorOf([&] { openCheckpoint(dir + "/tiny.bin"); });
        QVERIFY2(m2.contains("tiny.bin") && m2.contains("truncated"), qPrintable(m2));
        const QString m3 = errorOf([&] { openCheckpoint(dir + "/absent.bin"); });
        QVERIFY2(m3.contains("absent.bin"), qPrintable(m3));
        // Found by fuzz-llama2ccheckpoint: a 256-byte file whose header claims 2^24 layers of dim 2^27 built a
        // table of 150 million entries before its size was checked (a time-out); now refused at once.
        const std::int32_t header[7] = {1 << 27, 1 << 28, 1 << 24, 1 << 25, 1 << 25, 32, 256};
        std::string huge(reinterpret_cast<const char*>(header), sizeof header);
        huge.resize(256, '\0');
        writeFile(fs::path(dir) / "huge.bin", huge);
        QElapsedTimer timer;
        timer.start();
        const QString m4 = errorOf([&] { openCheckpoint(dir + "/huge.bin"); });
        QVERIFY2(m4.contains("huge.bin") && m4.contains("truncated") && m4.contains("layers 16777216"), qPrintable(m4));
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
    }

    void shapeDisagreesWithConfig() {
        const std::string dir = outDir("badshape");
        fs::create_directories(dir);
        auto j = nlohmann::json::parse(readFile(fs::path(m_hf) / "config.json"));
        j["intermediate_size"] = 180;
        writeFile(fs::path(dir) / "config.json", j.dump());
        fs::copy_file(fs::path(m_hf) / "model.safetensors", fs::path(dir) / "model.safetensors");
        const QString m = errorOf([&] { openCheckpoint(dir); });
        QVERIFY2(m.contains("gate_proj") && m.contains("[172, 64]") && m.contains("[180, 64]"), qPrintable(m));
    }

    void unknownModelType() {
        const std::string dir = outDir("badtype");
        fs::create_directories(dir);
        auto j = nlohmann::json::parse(readFile(fs::path(m_hf) / "config.json"));
        j["model_type"] = "gpt2";
        writeFile(fs::path(dir) / "config.json", j.dump());
        const QString m = errorOf([&] { openCheckpoint(dir); });
        QVERIFY2(m.contains("config.json") && m.contains("gpt2"), qPrintable(m));
    }

    void missingTensorAndFiles() {
        const std::string dir = outDir("notensors");
        fs::create_directories(dir);
        fs::copy_file(fs::path(m_hf) / "config.json", fs::path(dir) / "config.json");
        QVERIFY(errorOf([&] { openCheckpoint(dir); }).contains("model.safetensors"));
        saveSafetensors(dir + "/model.safetensors", {{"model.embed_tokens.weight", at::zeros({512, 64})}});
        const QString m = errorOf([&] { openCheckpoint(dir); });
        QVERIFY2(m.contains("model.layers.0.input_layernorm.weight") && m.contains("missing"), qPrintable(m));
        const std::string empty = outDir("emptydir");
        fs::create_directories(empty);
        QVERIFY(errorOf([&] { openCheckpoint(empty); }).contains("config.json"));
    }

    void tokenizerProblems() {
        const std::string dir = outDir("notok");
        fs::create_directories(dir);
        fs::copy_file(bundledModelPath(), fs::path(dir) / "model.bin");
        const QString m1 = errorOf([&] { openModel(dir + "/model.bin"); });
        QVERIFY2(m1.contains("no tokenizer"), qPrintable(m1));
        // A tokenizer of another vocabulary size: the first 300 records of tok512.bin.
        const std::string tok = readFile(bundledTokenizerPath());
        std::size_t pos = 4;
        for (int i = 0; i < 300; ++i) {
            std::int32_t len;
            std::memcpy(&len, tok.data() + pos + 4, 4);
            pos += 8 + len;
        }
        writeFile(fs::path(dir) / "tok300.bin", tok.substr(0, pos));
        const QString m2 = errorOf([&] { openModel(dir + "/model.bin", dir + "/tok300.bin"); });
        QVERIFY2(m2.contains("300") && m2.contains("512"), qPrintable(m2));
    }
};

QTEST_APPLESS_MAIN(TestCheckpoints)
#include "tst_checkpoints.moc"
