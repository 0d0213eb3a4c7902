#pragma once
// Reading a batch recipe (docs/recipes.md): the file, its keys and typed values.
// Every problem is a UsageError naming the file and the key ("recipe.json:
// calibration.nsamples: ..."), found before any work starts.
#include "core/workflow/quantizejob.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ol::cli {

// The recipe as JSON: an object with a non-empty "runs" array of objects and only known keys.
nlohmann::json readRecipe(const std::string& path);

// The quantize request of runs[index] (its values over the recipe's "defaults"), checked completely;
// `name` receives the run's name. `defaultBlock`: the model's block size when a run gives none (defaultBlockSize).
QuantizeRequest recipeRequest(const std::string& file, const nlohmann::json& recipe, const nlohmann::json& run, std::size_t index,
                              std::int64_t defaultBlock, std::uint64_t seed, c10::Device device, std::string& name);

// Typed values of one JSON object. Messages read "<file>: <prefix><key>: <problem>", e.g.
// "recipe.json: calibration.nsamples: 4294967298 is out of range (1 to 100000)".
class RecipeObject {
public:
    RecipeObject(const nlohmann::json& object, std::string file, std::string prefix = {});
    // UsageError for a key outside `known`.
    void onlyKeys(const std::vector<std::string>& known) const;
    bool has(const std::string& key) const { return m_object.contains(key); }
    std::string string(const std::string& key, const std::string& fallback) const;
    bool boolean(const std::string& key, bool fallback) const;
    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
    // A file name or a list of them.
    std::vector<std::string> strings(const std::string& key) const;

private:
    [[noreturn]] void fail(const std::string& key, const std::string& what) const;
    const nlohmann::json& m_object;
    std::string m_file, m_prefix;
};

} // namespace ol::cli
