#pragma once
// The zero-shot tasks of the reference papers' tables, read from JSON-lines files holding the fields of each
// task's Hugging Face dataset, and turned into requests exactly as lm-evaluation-harness v0.4's task configs
// do (docs/evaluation.md): doc_to_text, the choices, the target delimiter " ", hellaswag's preprocessing,
// winogrande's one context per option with a shared continuation, lambada's last word.
#include <string>
#include <vector>

namespace ol {

struct TaskInfo {
    std::string name;
    bool loglikelihoodOnly = false; // lambada: one continuation, scored by greedy match and perplexity
    bool accNorm = false;           // acc_norm is among the task's metrics
};

// The supported tasks, in the order the papers list them.
const std::vector<TaskInfo>& knownTasks();
// Throws UsageError naming `tasks` and listing the known ones.
const TaskInfo& taskInfo(const std::string& name);

// One document's requests: request i is (context(i), continuation(i)); `choices` are the choice texts whose
// lengths in characters normalize acc_norm.
struct TaskDoc {
    std::vector<std::string> contexts;      // one shared, or one per choice (winogrande)
    std::vector<std::string> continuations; // one per choice, or one shared (winogrande, lambada)
    std::vector<std::string> choices;
    int gold = 0;

    std::size_t requests() const { return std::max(contexts.size(), continuations.size()); }
    const std::string& context(std::size_t i) const { return contexts.size() == 1 ? contexts[0] : contexts[i]; }
    const std::string& continuation(std::size_t i) const {
        return continuations.size() == 1 ? continuations[0] : continuations[i];
    }
};

// Reads `path` (one JSON object per line, blank lines skipped). Throws FormatError naming the file and line
// for invalid JSON, a missing field, a field of the wrong type or an answer outside the choices, and for a
// file without documents.
std::vector<TaskDoc> loadTaskDocs(const std::string& task, const std::string& path);
// One document from its JSON text (the line parser, exposed for tests); throws std::invalid_argument.
TaskDoc taskDocFromJson(const std::string& task, const std::string& jsonText);

// hellaswag's preprocess(): strip, " [title]" → ". ", [bracketed] removed, double spaces halved.
std::string hellaswagPreprocess(const std::string& text);

} // namespace ol
