#include "core/eval/taskeval.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace ol {

namespace {

// The harness's mean_stderr: sample standard deviation (n − 1) over √n.
TaskMetric meanMetric(const std::string& name, const std::vector<double>& values) {
    const double n = static_cast<double>(values.size());
    double mean = 0;
    for (double v : values) mean += v;
    mean /= n;
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    return {name, mean, values.size() > 1 ? std::sqrt(ss / (n - 1)) / std::sqrt(n) : 0.0};
}

int argmax(const std::vector<double>& v) { return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin()); }

} // namespace

const TaskMetric* TaskResult::metric(const std::string& name) const {
    for (const auto& m : metrics)
        if (m.name == name) return &m;
    return nullptr;
}

std::vector<std::string> parseTaskList(const std::string& list) {
    std::vector<std::string> out;
    for (const auto& part : py::split(list, ",")) {
        const auto name = py::strip(part);
        if (name.empty()) continue;
        taskInfo(name);
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    if (out.empty()) throw UsageError("`tasks` names no task");
    return out;
}

std::string taskFile(const std::string& dir, const std::string& task) {
    if (dir.empty()) throw UsageError("`tasks` needs `task_dir`, the folder holding <task>.jsonl files (docs/evaluation.md)");
    if (!std::filesystem::is_directory(dir)) throw UsageError("`task_dir` " + dir + ": not a directory");
    auto path = (std::filesystem::path(dir) / (task + ".jsonl")).string();
    if (!std::filesystem::is_regular_file(path))
        throw UsageError("`task_dir` " + dir + " has no " + task + ".jsonl (docs/evaluation.md shows how to export it)");
    return path;
}

std::vector<TaskMetric> taskMetrics(const TaskInfo& task, const std::vector<TaskDoc>& docs, std::vector<DocScore>& scores) {
    std::vector<double> acc, accNorm, ll;
    for (std::size_t d = 0; d < docs.size(); ++d) {
        auto& s = scores[d];
        s.gold = docs[d].gold;
        if (task.loglikelihoodOnly) {
            acc.push_back(s.greedy.front() ? 1.0 : 0.0);
            ll.push_back(s.logLikelihoods.front());
            continue;
        }
        std::vector<double> normed;
        for (std::size_t i = 0; i < s.logLikelihoods.size(); ++i)
            normed.push_back(s.logLikelihoods[i] / static_cast<double>(py::characters(docs[d].choices[i])));
        s.prediction = argmax(s.logLikelihoods);
        s.predictionNorm = argmax(normed);
        acc.push_back(s.prediction == s.gold ? 1.0 : 0.0);
        accNorm.push_back(s.predictionNorm == s.gold ? 1.0 : 0.0);
    }
    std::vector<TaskMetric> metrics;
    if (task.loglikelihoodOnly) {
        const auto mean = meanMetric("ll", ll).value;
        metrics.push_back({"perplexity", std::exp(-mean), -1});
    }
    metrics.push_back(meanMetric("acc", acc));
    if (task.accNorm) metrics.push_back(meanMetric("acc_norm", accNorm));
    return metrics;
}

TaskResults evaluateTasks(CausalLm& model, const Tokenizer& tokenizer, const std::vector<std::string>& tasks,
                          const TaskOptions& o, Progress* progress) {
    struct Loaded {
        const TaskInfo* info;
        std::string path;
        std::vector<TaskDoc> docs;
        std::vector<std::vector<EncodedRequest>> requests;
        std::size_t count = 0;
    };
    std::vector<Loaded> loaded;
    std::size_t total = 0;
    for (const auto& name : tasks) {
        Loaded l{&taskInfo(name), taskFile(o.taskDir, name), {}, {}, 0};
        l.docs = loadTaskDocs(name, l.path);
        if (o.limit > 0 && static_cast<std::int64_t>(l.docs.size()) > o.limit) l.docs.resize(static_cast<std::size_t>(o.limit));
        for (const auto& d : l.docs) {
            std::vector<EncodedRequest> rs;
            for (std::size_t i = 0; i < d.requests(); ++i)
                rs.push_back(encodeRequest(tokenizer, d.context(i), d.continuation(i), o.compat));
            l.count += rs.size();
            l.requests.push_back(std::move(rs));
        }
        total += l.count;
        loaded.push_back(std::move(l));
    }
    TaskResults results;
    results.compat = o.compat;
    results.contextReuse = o.scoring.contextReuse;
    double done = 0;
    for (auto& l : loaded) {
        const auto start = std::chrono::steady_clock::now();
        const double share = static_cast<double>(l.count) / static_cast<double>(total);
        // Each task's share of the progress in proportion to its requests.
        std::optional<SubProgress> part;
        if (progress) part.emplace(*progress, done, done + share);
        const auto scored = scoreRequests(model, l.requests, o.scoring, part ? &*part : nullptr, l.info->name);
        done += share;
        TaskResult r;
        r.task = l.info->name;
        r.path = l.path;
        r.documents = static_cast<std::int64_t>(l.docs.size());
        for (const auto& doc : scored) {
            DocScore s;
            for (const auto& q : doc) {
                s.logLikelihoods.push_back(q.logLikelihood);
                s.greedy.push_back(q.greedy);
            }
            r.scores.push_back(std::move(s));
        }
        r.metrics = taskMetrics(*l.info, l.docs, r.scores);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        results.tasks.push_back(std::move(r));
    }
    return results;
}

std::string TaskResults::table() const {
    std::ostringstream out;
    char line[160];
    std::snprintf(line, sizeof line, "%-16s %-11s %10s %10s %9s\n", "task", "metric", "value", "stderr", "documents");
    out << line;
    for (const auto& t : tasks)
        for (const auto& m : t.metrics) {
            char err[32] = "";
            if (m.stderror >= 0) std::snprintf(err, sizeof err, "± %.4f", m.stderror);
            std::snprintf(line, sizeof line, "%-16s %-11s %10.4f %10s %9lld\n", t.task.c_str(), m.name.c_str(), m.value, err,
                          static_cast<long long>(t.documents));
            out << line;
        }
    return out.str();
}

std::string TaskResults::csv() const {
    std::ostringstream out;
    out << "task,metric,value,stderr,documents\n";
    char line[160];
    for (const auto& t : tasks)
        for (const auto& m : t.metrics) {
            std::snprintf(line, sizeof line, "%s,%s,%.6f,%s,%lld\n", t.task.c_str(), m.name.c_str(), m.value,
                          m.stderror >= 0 ? std::to_string(m.stderror).c_str() : "", static_cast<long long>(t.documents));
            out << line;
        }
    return out.str();
}

nlohmann::json TaskResults::json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& t : tasks) {
        auto& e = j[t.task];
        for (const auto& m : t.metrics) {
            e[m.name] = m.value;
            if (m.stderror >= 0) e[m.name + "_stderr"] = m.stderror;
        }
        e["documents"] = t.documents;
        e["seconds"] = t.seconds;
        e["file"] = t.path;
    }
    return j;
}

} // namespace ol
