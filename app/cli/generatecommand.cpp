// outlierlab-cli generate: a quick look at what a model (FP or a quantized export) writes after a prompt.
#include "commands.h"
#include "common.h"
#include "evalmodel.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/eval/chattemplate.h"
#include "core/model/checkpoint.h"
#include "core/model/generation.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "core/resources.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ol::cli {

int runGenerate(const Args& args) {
    Flags f("generate", "Continues a prompt: greedy by default, or sampled with --temperature/--top_p from --seed;\n"
                        "stops at the end-of-sequence token, a --stop string or --max_new_tokens. A quantized export\n"
                        "generates with its online activation and K/V quantization (the KV cache holds quantized K/V).");
    addModelFlags(f);
    f.add("prompt", Flags::Kind::String, "the text to continue");
    f.add("max_new_tokens", Flags::Kind::Int, "tokens to generate at most", "128").range(1, 1 << 20);
    f.add("temperature", Flags::Kind::Double, "0: greedy; otherwise sample from softmax(logits / temperature)", "0");
    f.add("top_p", Flags::Kind::Double, "sample only from the smallest set of tokens whose probability reaches top_p", "1");
    f.add("seed", Flags::Kind::Int, "seed of the sampling", "0").range(0, INT64_MAX);
    f.add("stop", Flags::Kind::String, "stop before this text (repeatable)");
    f.add("chat", Flags::Kind::Switch, "wrap the prompt in the model's chat template as one user turn");
    f.add("chat_template", Flags::Kind::String, "with --chat: llama-2, llama-3, chatml, zephyr or vicuna_v1.1");
    f.add("no_cache", Flags::Kind::Switch, "recompute the whole sequence at every step (no KV cache)");
    f.add("json", Flags::Kind::Switch, "print one JSON object on stdout");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (!f.given("prompt")) throw UsageError("generate needs --prompt");
    if (f.given("chat_template") && !f.on("chat")) throw UsageError("--chat_template needs --chat");

    const auto device = parseDevice(f.str("device"));
    auto opened = openEvalModelFiles(f, device);
    const auto& config = opened.bundle.checkpoint->config();
    GenerationOptions o;
    o.maxNewTokens = f.integer("max_new_tokens");
    o.temperature = f.real("temperature");
    o.topP = f.real("top_p");
    o.seed = static_cast<std::uint64_t>(f.integer("seed"));
    o.stopStrings = f.all("stop");
    o.useCache = !f.on("no_cache");
    o.contextLength = config.maxPositions;
    std::string prompt = f.str("prompt"), templateName;
    if (f.on("chat")) {
        const auto t = f.given("chat_template") ? chatTemplateNamed(f.str("chat_template"))
                                                : chatTemplateForModel(f.given("model") ? f.str("model") : bundledModelPath());
        prompt = t.render({{prompt, ""}});
        if (!t.stopString.empty()) o.stopStrings.push_back(t.stopString);
        templateName = t.name;
    }
    StderrProgress progress("generate ", !f.on("quiet"));
    loadEvalModel(opened, device, parseDtype(f.str("dtype")));
    const auto ids = opened.bundle.tokenizer->encode(prompt, true);
    const auto r = generate(*opened.model, *opened.bundle.tokenizer, ids, o, &progress);
    progress.finish(std::to_string(r.tokens.size()) + " tokens, " + r.stopReason);
    if (f.on("json")) {
        nlohmann::json j = {{"prompt", prompt},
                            {"text", r.text},
                            {"tokens", r.tokens},
                            {"prompt_tokens", r.promptTokens},
                            {"stop_reason", r.stopReason},
                            {"seconds", r.seconds},
                            {"tokens_per_second", r.seconds > 0 ? static_cast<double>(r.tokens.size()) / r.seconds : 0.0},
                            {"greedy", isGreedy(o)},
                            {"seed", o.seed},
                            {"kv_cache", o.useCache},
                            {"model", opened.bundle.checkpoint->path()},
                            {"quantized", opened.quantized}};
        if (!templateName.empty()) j["chat_template"] = templateName;
        printJson(j.dump());
    } else {
        std::printf("%s%s\n", f.on("chat") ? "" : f.str("prompt").c_str(), r.text.c_str());
    }
    return kExitOk;
}

} // namespace ol::cli
