#include "core/eval/mtbench.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"
#include "core/io/atomicfile.h"
#include "core/model/generation.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

namespace ol {

double mtBenchTemperature(const std::string& category) {
    static const std::map<std::string, double> table = {
        {"writing", 0.7},   {"roleplay", 0.7}, {"extraction", 0.0}, {"math", 0.0},           {"coding", 0.0},
        {"reasoning", 0.0}, {"stem", 0.1},     {"humanities", 0.1}, {"arena-hard-200", 0.0},
    };
    const auto it = table.find(category);
    return it == table.end() ? 0.7 : it->second;
}

std::vector<MtBenchQuestion> loadMtBenchQuestions(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot open the MT-Bench questions");
    std::vector<MtBenchQuestion> out;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (py::strip(line).empty()) continue;
        const auto where = path + ":" + std::to_string(number) + ": ";
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception&) {
            throw FormatError(where + "invalid JSON");
        }
        MtBenchQuestion q;
        if (!j.is_object() || !j.contains("question_id") || !j["question_id"].is_number_integer())
            throw FormatError(where + "field 'question_id' missing or not an integer");
        if (!j.contains("turns") || !j["turns"].is_array() || j["turns"].empty())
            throw FormatError(where + "field 'turns' missing or not a non-empty list of strings");
        q.id = j["question_id"].get<std::int64_t>();
        q.category = j.contains("category") && j["category"].is_string() ? j["category"].get<std::string>() : "";
        for (const auto& t : j["turns"]) {
            if (!t.is_string()) throw FormatError(where + "field 'turns' holds a non-string");
            q.turns.push_back(t.get<std::string>());
        }
        out.push_back(std::move(q));
    }
    if (out.empty()) throw FormatError(path + ": no questions (the file is empty)");
    return out;
}

namespace {

// shortuuid's alphabet and length, drawn from the seeded generator (FastChat uses shortuuid.uuid()).
std::string answerId(std::mt19937_64& rng) {
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::string id;
    for (int i = 0; i < 22; ++i) id += alphabet[rng() % (sizeof alphabet - 1)];
    return id;
}

} // namespace

MtBenchSummary writeMtBenchAnswers(CausalLm& model, const Tokenizer& tok, const std::vector<MtBenchQuestion>& all,
                                   const MtBenchOptions& o, const std::string& outPath, Progress* progress) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<MtBenchQuestion> questions = all;
    if (o.limit > 0 && static_cast<std::int64_t>(questions.size()) > o.limit) questions.resize(static_cast<std::size_t>(o.limit));
    std::size_t totalTurns = 0;
    for (const auto& q : questions) totalTurns += q.turns.size();
    MtBenchSummary summary;
    AtomicFile file(outPath);
    {
        std::ofstream out(file.tempPath(), std::ios::binary);
        if (!out) throw RuntimeFailure(outPath + ": cannot write the answers");
        for (const auto& q : questions) {
            GenerationOptions g;
            g.temperature = mtBenchTemperature(q.category);
            g.maxNewTokens = o.maxNewTokens;
            g.contextLength = o.contextLength;
            g.seed = o.seed + static_cast<std::uint64_t>(q.id);
            if (!o.chatTemplate.stopString.empty()) g.stopStrings = {o.chatTemplate.stopString};
            std::vector<std::pair<std::string, std::string>> conversation;
            nlohmann::json turns = nlohmann::json::array();
            for (const auto& question : q.turns) {
                if (progress) {
                    progress->checkCancelled();
                    progress->report(static_cast<double>(summary.turns) / static_cast<double>(totalTurns),
                                     "question " + std::to_string(q.id) + " turn " + std::to_string(conversation.size() + 1));
                }
                conversation.emplace_back(question, "");
                auto prompt = tok.encode(o.chatTemplate.render(conversation), true);
                // A long conversation keeps its end: the prompt is cut from the left to leave room for the answer.
                const auto room = std::max<std::int64_t>(1, o.contextLength - std::min(o.maxNewTokens, o.contextLength / 2));
                if (static_cast<std::int64_t>(prompt.size()) > room) prompt.erase(prompt.begin(), prompt.end() - room);
                const auto r = generate(model, tok, prompt, g);
                const auto answer = py::strip(r.text);
                conversation.back().second = answer;
                turns.push_back(answer);
                summary.tokens += static_cast<std::int64_t>(r.tokens.size());
                ++summary.turns;
            }
            std::mt19937_64 idRng(o.seed ^ (static_cast<std::uint64_t>(q.id) * 0x9E3779B97F4A7C15ull));
            nlohmann::json line = {{"question_id", q.id},
                                   {"answer_id", answerId(idRng)},
                                   {"model_id", o.modelId},
                                   {"choices", nlohmann::json::array({{{"index", 0}, {"turns", turns}}})},
                                   {"tstamp", static_cast<double>(std::time(nullptr))}};
            out << line.dump() << "\n";
            ++summary.questions;
        }
        if (!out.flush()) throw RuntimeFailure(outPath + ": write failed");
    }
    file.commit();
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

} // namespace ol
