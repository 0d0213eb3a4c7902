#include "core/eval/taskdocs.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

namespace ol {

using nlohmann::json;

const std::vector<TaskInfo>& knownTasks() {
    static const std::vector<TaskInfo> tasks = {
        {"piqa", false, true},        {"arc_easy", false, true}, {"arc_challenge", false, true}, {"hellaswag", false, true},
        {"winogrande", false, false}, {"boolq", false, false},   {"openbookqa", false, true},    {"lambada_openai", true, false},
    };
    return tasks;
}

const TaskInfo& taskInfo(const std::string& name) {
    for (const auto& t : knownTasks())
        if (t.name == name) return t;
    std::string known;
    for (const auto& t : knownTasks()) known += (known.empty() ? "" : ", ") + t.name;
    throw UsageError("`tasks`: unknown task '" + name + "' (known: " + known + ")");
}

namespace {

const json& field(const json& doc, const char* name) {
    if (!doc.is_object()) throw std::invalid_argument("not a JSON object");
    const auto it = doc.find(name);
    if (it == doc.end()) throw std::invalid_argument(std::string("field '") + name + "' missing");
    return *it;
}

std::string text(const json& doc, const char* name) {
    const auto& v = field(doc, name);
    if (!v.is_string()) throw std::invalid_argument(std::string("field '") + name + "' is not a string");
    return v.get<std::string>();
}

std::vector<std::string> texts(const json& v, const std::string& name) {
    if (!v.is_array() || v.empty()) throw std::invalid_argument("field '" + name + "' is not a non-empty list of strings");
    std::vector<std::string> out;
    for (const auto& e : v) {
        if (!e.is_string()) throw std::invalid_argument("field '" + name + "' is not a non-empty list of strings");
        out.push_back(e.get<std::string>());
    }
    return out;
}

// An integer label: a JSON integer, or a string of digits (hellaswag stores "0".."3", winogrande "1"/"2").
int label(const json& doc, const char* name, int count, int base = 0) {
    const auto& v = field(doc, name);
    long long n = -1;
    if (v.is_boolean())
        n = v.get<bool>() ? 1 : 0;
    else if (v.is_number_integer())
        n = v.get<long long>();
    else if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() < 9 &&
             v.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
        n = std::stoll(v.get<std::string>());
    else
        throw std::invalid_argument(std::string("field '") + name + "' is not an integer label");
    n -= base;
    if (n < 0 || n >= count)
        throw std::invalid_argument(std::string("field '") + name + "' = " + v.dump() + " is not one of the " +
                                    std::to_string(count) + " choices");
    return static_cast<int>(n);
}

// arc and openbookqa: choices {text: [...], label: [...]}, answerKey one of the labels.
TaskDoc lettered(const json& doc, const std::string& context, bool lstripKey) {
    const auto& choices = field(doc, "choices");
    if (!choices.is_object()) throw std::invalid_argument("field 'choices' is not an object with 'text' and 'label'");
    TaskDoc d;
    d.contexts = {context};
    d.choices = texts(field(choices, "text"), "choices.text");
    const auto labels = texts(field(choices, "label"), "choices.label");
    if (labels.size() != d.choices.size())
        throw std::invalid_argument("'choices.text' has " + std::to_string(d.choices.size()) + " entries, 'choices.label' " +
                                    std::to_string(labels.size()));
    auto key = text(doc, "answerKey");
    if (lstripKey) key = py::lstrip(key);
    const auto it = std::find(labels.begin(), labels.end(), key);
    if (it == labels.end()) throw std::invalid_argument("answerKey '" + key + "' is not among choices.label");
    d.gold = static_cast<int>(it - labels.begin());
    return d;
}

void continueWithChoices(TaskDoc& d) {
    for (const auto& c : d.choices) d.continuations.push_back(" " + c);
}

} // namespace

std::string hellaswagPreprocess(const std::string& in) {
    auto t = py::strip(in);
    t = py::replace(t, " [title]", ". ");
    static const std::regex bracketed(R"(\[[^\]\n]*?\])"); // Python's "\[.*?\]": '.' stops at newlines
    t = std::regex_replace(t, bracketed, "");
    return py::replace(t, "  ", " ");
}

TaskDoc taskDocFromJson(const std::string& task, const std::string& jsonText) {
    const auto doc = json::parse(jsonText);
    TaskDoc d;
    if (task == "piqa") {
        d.contexts = {"Question: " + text(doc, "goal") + "\nAnswer:"};
        d.choices = {text(doc, "sol1"), text(doc, "sol2")};
        d.gold = label(doc, "label", 2);
    } else if (task == "arc_easy" || task == "arc_challenge") {
        d = lettered(doc, "Question: " + text(doc, "question") + "\nAnswer:", false);
    } else if (task == "openbookqa") {
        d = lettered(doc, text(doc, "question_stem"), true);
    } else if (task == "hellaswag") {
        const auto ctx = text(doc, "ctx_a") + " " + py::capitalize(text(doc, "ctx_b"));
        d.contexts = {hellaswagPreprocess(text(doc, "activity_label") + ": " + ctx)};
        for (const auto& e : texts(field(doc, "endings"), "endings")) d.choices.push_back(hellaswagPreprocess(e));
        d.gold = label(doc, "label", static_cast<int>(d.choices.size()));
    } else if (task == "winogrande") {
        const auto sentence = text(doc, "sentence");
        const auto blank = sentence.find('_');
        if (blank == std::string::npos) throw std::invalid_argument("field 'sentence' has no '_' blank");
        d.choices = {text(doc, "option1"), text(doc, "option2")};
        for (const auto& option : d.choices) d.contexts.push_back(sentence.substr(0, blank) + option);
        d.continuations = {" " + py::strip(sentence.substr(blank + 1))};
        d.gold = label(doc, "answer", 2, 1);
        return d;
    } else if (task == "boolq") {
        d.contexts = {text(doc, "passage") + "\nQuestion: " + text(doc, "question") + "?\nAnswer:"};
        d.choices = {"no", "yes"};
        d.gold = label(doc, "label", 2);
    } else if (task == "lambada_openai") {
        auto words = py::split(text(doc, "text"), " ");
        if (words.size() < 2) throw std::invalid_argument("field 'text' has no space before its last word");
        const auto last = words.back();
        words.pop_back();
        std::string context;
        for (std::size_t i = 0; i < words.size(); ++i) context += (i ? " " : "") + words[i];
        d.contexts = {context};
        d.continuations = {" " + last};
        d.choices = {last};
        return d;
    } else {
        taskInfo(task); // throws the list of known tasks
    }
    continueWithChoices(d);
    return d;
}

std::vector<TaskDoc> loadTaskDocs(const std::string& task, const std::string& path) {
    taskInfo(task);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot open the " + task + " task file");
    std::vector<TaskDoc> docs;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (py::strip(line).empty()) continue;
        try {
            docs.push_back(taskDocFromJson(task, line));
        } catch (const json::exception& e) {
            // nlohmann's text starts with "[json.exception.parse_error.101] "; keep what follows.
            std::string what = e.what();
            if (const auto end = what.find("] "); what.rfind("[json.exception", 0) == 0 && end != std::string::npos)
                what = what.substr(end + 2);
            throw FormatError(path + ":" + std::to_string(number) + ": invalid JSON (" + what + ")");
        } catch (const std::invalid_argument& e) {
            throw FormatError(path + ":" + std::to_string(number) + ": " + task + " document: " + e.what());
        }
    }
    if (docs.empty()) throw FormatError(path + ": no " + task + " documents (the file is empty)");
    return docs;
}

} // namespace ol
