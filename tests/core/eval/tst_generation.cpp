// Generation with the KV cache against full recomputation, seeded sampling, top-p, stop strings, the chat
// templates, and MT-Bench answer files in FastChat's format.
#include "core/errors.h"
#include "core/eval/chattemplate.h"
#include "core/eval/mtbench.h"
#include "core/model/checkpoint.h"
#include "core/model/generation.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"
#include "testutil.h"

#include <QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace ol;

namespace {
const std::string kData = OL_TEST_DATA_DIR;

std::string outPath(const std::string& name) {
    const auto dir = std::filesystem::path(OL_TEST_OUTPUT_DIR) / "generation";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

std::vector<nlohmann::json> readLines(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
}
} // namespace

class TestGeneration : public QObject {
    Q_OBJECT
    ModelBundle m_bundle;
    std::unique_ptr<LlamaModel> m_model;

    std::vector<std::int32_t> prompt() const { return m_bundle.tokenizer->encode("Once upon a time, Lily", true); }

private Q_SLOTS:
    void initTestCase() {
        m_bundle = openModel(bundledModelPath(), "");
        m_model = std::make_unique<LlamaModel>(m_bundle.checkpoint, c10::Device(c10::kCPU));
    }

    // Greedy output with the cache equals full recomputation at every step (the same 60 tokens).
    void cacheEqualsRecomputation() {
        GenerationOptions o;
        o.maxNewTokens = 60;
        o.contextLength = 512;
        o.stopAtEos = false;
        const auto cached = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        o.useCache = false;
        const auto full = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        QCOMPARE(cached.tokens.size(), std::size_t(60));
        QCOMPARE(cached.tokens, full.tokens);
        QCOMPARE(cached.text, full.text);
        QVERIFY2(cached.text.size() > 100, cached.text.c_str());
        QCOMPARE(cached.stopReason, std::string("max_new_tokens"));
    }

    void samplingReproducibleFromSeed() {
        GenerationOptions o;
        o.maxNewTokens = 40;
        o.contextLength = 512;
        o.temperature = 1.0;
        o.topP = 0.95;
        o.seed = 7;
        o.stopAtEos = false;
        const auto a = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        const auto b = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        QCOMPARE(a.tokens, b.tokens);
        o.seed = 8;
        const auto c = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        QVERIFY(a.tokens != c.tokens);
        o.temperature = 0;
        const auto greedy = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        QVERIFY(a.tokens != greedy.tokens);
    }

    // The draw inverts the cumulative distribution of the nucleus, computed here in float64 by hand:
    // softmax([1, 2, -3, 1.5]) ≈ [0.186, 0.505, 0.003, 0.306]; top_p 0.7 keeps tokens 1 and 3 (0.81).
    void topPNucleus() {
        const std::vector<float> logits = {1.0f, 2.0f, -3.0f, 1.5f};
        GenerationOptions o;
        QCOMPARE(pickToken(logits, o, 0.99), 1); // greedy
        o.temperature = 1.0;
        o.topP = 0.7;
        std::vector<double> p = {std::exp(1.0), std::exp(2.0), std::exp(-3.0), std::exp(1.5)};
        const double kept = p[1] + p[3]; // tokens 1 and 3 reach 0.7 together
        const double sum = p[0] + p[1] + p[2] + p[3];
        QVERIFY(p[1] / sum < 0.7 && kept / sum >= 0.7);
        const double boundary = p[1] / kept; // below: token 1, above: token 3
        QCOMPARE(pickToken(logits, o, boundary - 1e-9), 1);
        QCOMPARE(pickToken(logits, o, boundary + 1e-9), 3);
        QCOMPARE(pickToken(logits, o, 0.999999), 3); // token 0 is outside the nucleus
        o.topP = 1.0;
        QCOMPARE(pickToken(logits, o, 0.999999), 2); // the least likely token is last in the full distribution
    }

    void stopStringCutsTheText() {
        GenerationOptions o;
        o.maxNewTokens = 60;
        o.contextLength = 512;
        o.stopAtEos = false;
        const auto free = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        const auto dot = free.text.find('.');
        QVERIFY(dot != std::string::npos);
        o.stopStrings = {"."};
        const auto stopped = generate(*m_model, *m_bundle.tokenizer, prompt(), o);
        QCOMPARE(stopped.stopReason, std::string("stop string"));
        QCOMPARE(stopped.text, free.text.substr(0, dot));
    }

    void badOptions() {
        GenerationOptions o;
        o.contextLength = 512;
        o.topP = 0;
        testutil::expectUsageError([&] { generate(*m_model, *m_bundle.tokenizer, prompt(), o); }, "--top_p");
        o.topP = 1;
        o.temperature = -1;
        testutil::expectUsageError([&] { generate(*m_model, *m_bundle.tokenizer, prompt(), o); }, "--temperature");
        o.temperature = 0;
        o.contextLength = 4;
        testutil::expectUsageError([&] { generate(*m_model, *m_bundle.tokenizer, prompt(), o); },
                                   "fills the model's context of 4");
    }

    void chatTemplates() {
        const auto vicuna = chatTemplateNamed("vicuna_v1.1");
        QCOMPARE(vicuna.render({{"Hi?", "Hello."}, {"Name?", ""}}),
                 std::string("A chat between a curious user and an artificial intelligence assistant. The assistant gives "
                             "helpful, detailed, and polite answers to the user's questions. USER: Hi? ASSISTANT: Hello.</s> "
                             "USER: Name? ASSISTANT:"));
        QCOMPARE(chatTemplateNamed("llama-2").render({{"Hi?", "Hello."}, {"Name?", ""}}),
                 std::string("[INST] Hi? [/INST] Hello. </s><s>[INST] Name? [/INST]"));
        QCOMPARE(chatTemplateNamed("chatml").render({{"Hi?", ""}}),
                 std::string("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n"));
        QCOMPARE(chatTemplateFamily("{% for m in messages %}{{ '<|start_header_id|>' + m['role'] }}"), std::string("llama-3"));
        QCOMPARE(chatTemplateFamily("{{ bos_token + '[INST] ' + content }}"), std::string("llama-2"));
        QCOMPARE(chatTemplateFamily("{{ content }}"), std::string());
        // From a model directory's tokenizer_config.json.
        const auto dir = std::filesystem::path(outPath("model"));
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "tokenizer_config.json") << R"({"chat_template": "{{'<|im_start|>' + message['role']}}"})";
        const auto t = chatTemplateForModel(dir.string());
        QCOMPARE(t.name, std::string("chatml"));
        QCOMPARE(t.stopString, std::string("<|im_end|>"));
        QCOMPARE(chatTemplateForModel(bundledModelPath()).name, std::string("vicuna_v1.1"));
        testutil::expectUsageError([] { chatTemplateNamed("alpaca"); }, "--chat_template 'alpaca'");
    }

    void mtBenchAnswers() {
        const auto questions = loadMtBenchQuestions(kData + "/mtbench/question.jsonl");
        QCOMPARE(questions.size(), std::size_t(3));
        QCOMPARE(mtBenchTemperature("writing"), 0.7);
        QCOMPARE(mtBenchTemperature("math"), 0.0);
        QCOMPARE(mtBenchTemperature("stem"), 0.1);
        QCOMPARE(mtBenchTemperature("poetry"), 0.7);
        MtBenchOptions o;
        o.modelId = "stories260K-fp";
        o.chatTemplate = chatTemplateNamed("vicuna_v1.1");
        o.maxNewTokens = 24;
        o.contextLength = 512;
        const auto a = outPath("answers-a.jsonl"), b = outPath("answers-b.jsonl");
        const auto summary = writeMtBenchAnswers(*m_model, *m_bundle.tokenizer, questions, o, a);
        writeMtBenchAnswers(*m_model, *m_bundle.tokenizer, questions, o, b);
        QCOMPARE(summary.questions, 3);
        QCOMPARE(summary.turns, 6);
        const auto la = readLines(a), lb = readLines(b);
        QCOMPARE(la.size(), std::size_t(3));
        for (std::size_t i = 0; i < 3; ++i) {
            QCOMPARE(la[i]["question_id"].get<std::int64_t>(), questions[i].id);
            QCOMPARE(la[i]["model_id"].get<std::string>(), std::string("stories260K-fp"));
            QCOMPARE(la[i]["answer_id"].get<std::string>().size(), std::size_t(22));
            QVERIFY(la[i]["tstamp"].is_number());
            QCOMPARE(la[i]["choices"].size(), std::size_t(1));
            QCOMPARE(la[i]["choices"][0]["index"].get<int>(), 0);
            QCOMPARE(la[i]["choices"][0]["turns"].size(), std::size_t(2));
            // Seeded per question: the same answers (the writing question is sampled at 0.7) and ids twice.
            QCOMPARE(la[i]["choices"], lb[i]["choices"]);
            QCOMPARE(la[i]["answer_id"], lb[i]["answer_id"]);
        }
        QVERIFY(!la[0]["choices"][0]["turns"][0].get<std::string>().empty());
    }

    void badQuestionFiles() {
        try {
            loadMtBenchQuestions(kData + "/mtbench/bad-id.jsonl");
            QFAIL("expected FormatError");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find("bad-id.jsonl:2: field 'question_id'") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestGeneration)
#include "tst_generation.moc"
