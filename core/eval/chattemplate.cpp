#include "core/eval/chattemplate.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace ol {

std::string ChatTemplate::render(const std::vector<std::pair<std::string, std::string>>& turns) const {
    std::string out;
    for (std::size_t i = 0; i < turns.size(); ++i) {
        const auto& [user, assistant] = turns[i];
        const bool answered = i + 1 < turns.size() || !assistant.empty();
        if (name == "llama-2") {
            // [INST] user [/INST] answer</s><s>[INST] ... (BOS of the first turn from the tokenizer)
            out += (i ? "<s>" : "") + std::string("[INST] ") + py::strip(user) + " [/INST]";
            if (answered) out += " " + py::strip(assistant) + " </s>";
        } else if (name == "llama-3") {
            out += "<|start_header_id|>user<|end_header_id|>\n\n" + py::strip(user) + "<|eot_id|>";
            out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
            if (answered) out += py::strip(assistant) + "<|eot_id|>";
        } else if (name == "chatml") {
            out += "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
            if (answered) out += assistant + "<|im_end|>\n";
        } else if (name == "zephyr") {
            out += "<|user|>\n" + user + "</s>\n<|assistant|>\n";
            if (answered) out += assistant + "</s>\n";
        } else { // vicuna_v1.1, FastChat's layout: system, then " USER: q ASSISTANT: a</s>" per turn
            if (i == 0)
                out += "A chat between a curious user and an artificial intelligence assistant. The assistant gives "
                       "helpful, detailed, and polite answers to the user's questions.";
            out += " USER: " + user + " ASSISTANT:";
            if (answered) out += " " + assistant + "</s>";
        }
    }
    return out;
}

ChatTemplate chatTemplateNamed(const std::string& name) {
    if (name == "llama-2" || name == "vicuna_v1.1") return {name, "named", ""};
    if (name == "llama-3") return {name, "named", "<|eot_id|>"};
    if (name == "chatml") return {name, "named", "<|im_end|>"};
    if (name == "zephyr") return {name, "named", "</s>"};
    throw UsageError("`chat_template` '" + name + "' is not one of llama-2, llama-3, chatml, zephyr, vicuna_v1.1");
}

std::string chatTemplateFamily(const std::string& jinja) {
    if (jinja.find("<|start_header_id|>") != std::string::npos) return "llama-3";
    if (jinja.find("<|im_start|>") != std::string::npos) return "chatml";
    if (jinja.find("[INST]") != std::string::npos) return "llama-2";
    if (jinja.find("<|user|>") != std::string::npos) return "zephyr";
    return "";
}

ChatTemplate chatTemplateForModel(const std::string& modelPath) {
    namespace fs = std::filesystem;
    const auto dir = fs::is_directory(modelPath) ? fs::path(modelPath) : fs::path(modelPath).parent_path();
    const auto file = dir / "tokenizer_config.json";
    auto fallback = [](const std::string& why) {
        auto t = chatTemplateNamed("vicuna_v1.1");
        t.source = why;
        return t;
    };
    std::ifstream in(file);
    if (!in) return fallback("no tokenizer_config.json: FastChat's default conversation");
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
        throw FormatError(file.string() + ": not valid JSON");
    }
    std::string jinja;
    if (const auto it = config.find("chat_template"); it != config.end()) {
        if (it->is_string()) jinja = it->get<std::string>();
        if (it->is_array())
            for (const auto& t : *it)
                if (t.is_object() && t.value("name", "") == "default" && t.contains("template") && t["template"].is_string())
                    jinja = t["template"].get<std::string>();
    }
    if (jinja.empty()) return fallback("tokenizer_config.json has no chat_template: FastChat's default conversation");
    const auto family = chatTemplateFamily(jinja);
    if (family.empty()) return fallback("tokenizer_config.json's chat_template is not a family OutlierLab renders");
    auto t = chatTemplateNamed(family);
    t.source = "tokenizer_config.json";
    return t;
}

} // namespace ol
