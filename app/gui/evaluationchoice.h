#pragma once
// What Quantize & Export evaluates on the FP and the quantized model.
#include <QString>
#include <QStringList>
#include <cstdint>

namespace olv {

struct EvaluationChoice {
    bool perplexity = true;
    QStringList tasks;           // zero-shot tasks (core/eval/taskdocs.h names); empty: none
    QString taskDir;             // holds <task>.jsonl
    std::int64_t taskLimit = -1; // documents per task; -1: all
    QString mmluDir;             // MMLU data (dev/, test/); empty: no MMLU
    int mmluShots = 5;
};

} // namespace olv
