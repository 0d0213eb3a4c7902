#pragma once
// Conversation prompts for generation. A model's tokenizer_config.json names its chat template as Jinja text;
// OutlierLab has no Jinja interpreter, so it recognizes the template families LLaMA-family models ship
// (Llama 2 [INST], Llama 3 headers, ChatML, Zephyr) by their markers and renders them natively; a model without
// a template, or with one not recognized, gets FastChat's vicuna_v1.1 conversation. The name used is reported.
#include <string>
#include <utility>
#include <vector>

namespace ol {

struct ChatTemplate {
    std::string name;       // "llama-2", "llama-3", "chatml", "zephyr", "vicuna_v1.1"
    std::string source;     // where it came from ("tokenizer_config.json", or why the default was used)
    std::string stopString; // generation stops here (besides EOS); empty: EOS only

    // turns: (user, assistant) pairs; the last assistant text empty = the model answers next. The text excludes
    // the BOS token, which the tokenizer adds.
    std::string render(const std::vector<std::pair<std::string, std::string>>& turns) const;
};

// By name (the names above); UsageError naming `chat_template` for another.
ChatTemplate chatTemplateNamed(const std::string& name);
// From the model directory's tokenizer_config.json (`chat_template`, a string or a list of named templates,
// "default" first); vicuna_v1.1 when the file, the key or a known family is missing.
ChatTemplate chatTemplateForModel(const std::string& modelPath);
// The family of a Jinja template's text, or "" when none is recognized.
std::string chatTemplateFamily(const std::string& jinja);

} // namespace ol
