#include "recipe.h"

#include "core/errors.h"
#include "methodflags.h"

#include <set>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace ol::cli {

nlohmann::json readRecipe(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError(path + ": cannot read the recipe");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(path + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("runs") || !j["runs"].is_array() || j["runs"].empty())
        throw UsageError(path + ": a recipe is an object with a non-empty \"runs\" array (see docs/recipes.md)");
    RecipeObject(j, path).onlyKeys({"model", "tokenizer", "calibration", "session", "eval_ppl", "eval_text", "device", "dtype",
                                    "defaults", "runs", "limit", "tasks", "task_dir", "harness_compat", "task_limit",
                                    "mmlu_data_dir", "mmlu_shots", "mmlu_limit"});
    for (const auto* key : {"calibration", "defaults"})
        if (j.contains(key) && !j[key].is_object())
            throw UsageError(path + ": \"" + key + "\" must be an object, not " + j[key].dump());
    for (std::size_t i = 0; i < j["runs"].size(); ++i)
        if (!j["runs"][i].is_object())
            throw UsageError(path + ": runs[" + std::to_string(i) + "] must be an object, not " + j["runs"][i].dump());
    return j;
}

RecipeObject::RecipeObject(const nlohmann::json& object, std::string file, std::string prefix)
    : m_object(object), m_file(std::move(file)), m_prefix(std::move(prefix)) {}

void RecipeObject::fail(const std::string& key, const std::string& what) const {
    throw UsageError(m_file + ": " + m_prefix + key + ": " + what);
}

void RecipeObject::onlyKeys(const std::vector<std::string>& known) const {
    for (const auto& [k, v] : m_object.items()) {
        bool ok = false;
        for (const auto& n : known) ok = ok || n == k;
        if (!ok) {
            std::string list;
            for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
            fail(k, "unknown key (known: " + list + ")");
        }
    }
}

std::string RecipeObject::string(const std::string& key, const std::string& fallback) const {
    auto it = m_object.find(key);
    if (it == m_object.end()) return fallback;
    if (!it->is_string()) fail(key, "expected a string, not " + it->dump());
    return it->get<std::string>();
}

bool RecipeObject::boolean(const std::string& key, bool fallback) const {
    auto it = m_object.find(key);
    if (it == m_object.end()) return fallback;
    if (!it->is_boolean()) fail(key, "expected true or false, not " + it->dump());
    return it->get<bool>();
}

std::int64_t RecipeObject::integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
    auto it = m_object.find(key);
    if (it == m_object.end()) return fallback;
    const auto range = "out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")";
    // JSON integers beyond 64 bits arrive as floats (1e20), 2^64-1 as unsigned: neither may wrap or saturate.
    std::int64_t v = 0;
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        fail(key, it->dump() + " is " + range);
    } else if (it->is_number_integer()) {
        v = it->get<std::int64_t>();
    } else if (it->is_number_float() && std::isfinite(it->get<double>()) && std::floor(it->get<double>()) == it->get<double>()) {
        const double d = it->get<double>();
        if (d < -9.2e18 || d > 9.2e18) fail(key, it->dump() + " is " + range);
        v = static_cast<std::int64_t>(d);
    } else {
        fail(key, "expected an integer, not " + it->dump());
    }
    if (v < min || v > max) fail(key, it->dump() + " is " + range);
    return v;
}

std::vector<std::string> RecipeObject::strings(const std::string& key) const {
    auto it = m_object.find(key);
    if (it == m_object.end()) return {};
    if (it->is_string()) return {it->get<std::string>()};
    std::vector<std::string> out;
    if (it->is_array())
        for (const auto& v : *it) {
            if (!v.is_string()) fail(key, "expected file names, not " + v.dump());
            out.push_back(v.get<std::string>());
        }
    if (out.empty()) fail(key, "expected a file name or a non-empty list of them, not " + it->dump());
    return out;
}

// Keys of a run that are not quantizer/method parameters.
namespace {

const std::set<std::string>& jobKeys() {
    static const std::set<std::string> k = {"name", "method", "export", "save_dir", "resume", "rotation_seed"};
    return k;
}

} // namespace

QuantizeRequest recipeRequest(const std::string& file, const nlohmann::json& recipe, const nlohmann::json& run, std::size_t index,
                              std::int64_t defaultBlock, std::uint64_t seed, c10::Device device, std::string& name) {
    nlohmann::json values = recipe.value("defaults", nlohmann::json::object());
    for (const auto& [k, v] : run.items()) values[k] = v;
    const RecipeObject top(recipe, file);
    const RecipeObject job(values, file, "runs[" + std::to_string(index) + "].");
    QuantizeRequest r;
    r.method = job.string("method", "duquant");
    name = job.string("name", "run" + std::to_string(index + 1) + "-" + r.method);
    if (name.empty()) throw UsageError(file + ": runs[" + std::to_string(index) + "].name: a run needs a non-empty name");
    const RecipeObject named(values, file, "run \"" + name + "\": ");
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : values.items())
        if (!jobKeys().count(k)) params[k] = v;
    try {
        r.pipeline.settings = quantSettingsFromJson(params);
        r.methodParams = methodParamsFromJson(params, r.method);
    } catch (const UsageError& e) {
        throw UsageError(file + ": run \"" + name + "\": " + e.what());
    }
    if (!params.contains("block_size") && r.methodParams.contains("block_size")) r.methodParams["block_size"] = defaultBlock;
    r.pipeline.seed = static_cast<std::uint64_t>(named.integer("rotation_seed", static_cast<std::int64_t>(seed), 0, INT64_MAX));
    r.pipeline.saveDir = named.string("save_dir", "");
    r.pipeline.resume = named.boolean("resume", false);
    r.pipeline.devices = {device};
    r.exportDir = named.string("export", "");
    r.evalPpl = top.boolean("eval_ppl", true);
    r.evalText = top.string("eval_text", "");
    r.evalLimit = top.integer("limit", -1, -1, INT32_MAX);
    if (r.evalLimit == 0) throw UsageError(file + ": limit: give -1 (every window) or at least 1");
    if (top.has("tasks")) {
        try {
            std::string list;
            for (const auto& t : top.strings("tasks")) list += t + ",";
            r.tasks = parseTaskList(list);
            r.taskOptions.taskDir = top.string("task_dir", "");
            for (const auto& t : r.tasks) taskFile(r.taskOptions.taskDir, t);
            r.taskOptions.compat = harnessCompatFromName(top.string("harness_compat", "none"));
        } catch (const UsageError& e) {
            throw UsageError(file + ": " + renderParameters(e.what(), ParameterStyle::Name));
        }
        r.taskOptions.limit = top.integer("task_limit", -1, -1, INT32_MAX);
        if (r.taskOptions.limit == 0) throw UsageError(file + ": task_limit: give -1 (all documents) or at least 1");
    }
    if (top.has("mmlu_data_dir")) {
        r.mmluDataDir = top.string("mmlu_data_dir", "");
        if (!std::filesystem::is_directory(r.mmluDataDir))
            throw UsageError(file + ": mmlu_data_dir: " + r.mmluDataDir + " is not a directory");
        r.mmluOptions.shots = top.integer("mmlu_shots", 5, 0, 64);
        r.mmluOptions.limit = top.integer("mmlu_limit", -1, -1, INT32_MAX);
        if (r.mmluOptions.limit == 0) throw UsageError(file + ": mmlu_limit: give -1 (all questions) or at least 1");
    } else {
        for (const char* key : {"mmlu_shots", "mmlu_limit"})
            if (top.has(key)) throw UsageError(file + ": " + key + ": needs \"mmlu_data_dir\"");
    }
    if (!top.has("tasks")) {
        for (const char* key : {"task_dir", "harness_compat", "task_limit"})
            if (top.has(key)) throw UsageError(file + ": " + key + ": needs \"tasks\"");
    }
    return r;
}

} // namespace ol::cli
